// The HTML report as its readers use it: written by the CLI (and by the demo), opened from disk in
// a real headless Chromium, charts drawn, the player stepping, nothing of a person in the page.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readShardTable } from '../src/inspect.ts';
import { countedRules, ruleText } from '../src/privacy/rule-text.ts';
import { ReportBuilder, type ReportData, type SampleAction } from '../src/report/data.ts';
import { renderReport, scriptSafeJson } from '../src/report/html.ts';
import { buildReportData, chartLibrary, datasetFrames } from '../src/report/command.ts';
import { FIXTURES_DIR, FIXTURE_KEY } from './helpers/fixtures.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function episodic(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: FIXTURE_KEY },
  });
}

let browser: Browser | undefined;
async function openPage(file: string): Promise<{ page: Page; errors: string[] }> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium package (npm test does as root) or set CHROMIUM_PATH`);
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`network request: ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 15_000 });
  return { page, errors };
}
test.after.always(async () => {
  await browser?.close();
});

const demoDir = tempDir('report-demo');
let demoRun: ReturnType<typeof episodic> | undefined;
function demo() {
  demoRun ??= episodic(['demo', '--events', '20000', '--out', demoDir]);
  return demoRun;
}

test.serial('npm run demo ends by writing the report and printing its path; it opens from disk, draws every chart and plays episodes', async (t) => {
  const run = demo();
  t.is(run.status, 0, run.stderr);
  const printed = /report:\s+(\S+)/.exec(run.stdout);
  t.truthy(printed, run.stdout);
  const reportPath = printed![1];
  t.true(existsSync(reportPath));
  t.false(reportPath.startsWith(join(demoDir, 'dataset') + '/'), 'the report is written beside the dataset, not into it');

  const data = buildReportData(join(demoDir, 'dataset'));
  const kinds = new Set(Object.values(data.action_kinds).flatMap((k) => Object.keys(k)));
  const { page, errors } = await openPage(reportPath);
  const charts = await page.$$eval('figure.chart', (figures) =>
    figures.map((f) => ({ name: (f as HTMLElement).dataset.chart, svgs: f.querySelectorAll('svg').length, rects: f.querySelectorAll('svg rect').length })),
  );
  const byName = Object.fromEntries(charts.map((c) => [c.name, c]));
  for (const name of ['splits', 'duration', 'actions-per-episode', 'events-per-episode', 'action-kinds', 'apps', 'end-reasons', 'privacy-dropped_events', 'privacy-stripped_fields', 'privacy-dropped']) {
    t.truthy(byName[name], `chart ${name} is drawn`);
    t.true(byName[name].svgs > 0 && byName[name].rects > 0, `chart ${name} has bars`);
  }
  t.true(byName['action-kinds'].rects >= kinds.size, 'one bar at least per action kind');
  t.is(byName['privacy-dropped_events'].rects, Object.keys(data.privacy.filter((r) => r.section === 'dropped_events')).length);
  // the plain-language rule stands beside its bar
  const ruleTexts = await page.$$eval('[data-section=dropped_events] dd', (dds) => dds.map((d) => d.textContent));
  t.true(ruleTexts.includes(ruleText('dropped_events', 'unknown_window')));

  // the player steps forward and back through an episode and plays
  t.true(data.sample.length > 0);
  const step = () => page.$eval('#screen', (s) => Number(s.getAttribute('data-step')));
  t.is(await step(), 0);
  await page.click('#next');
  await page.click('#next');
  t.is(await step(), 2);
  await page.click('#prev');
  t.is(await step(), 1);
  t.regex(await page.$eval('#caption', (c) => c.textContent ?? ''), /^step 2 of \d+/);
  await page.click('#play');
  await page.waitForFunction(() => Number(document.getElementById('screen')!.getAttribute('data-step')) >= 3, undefined, { timeout: 5000 });
  const marks = await page.$$eval('#screen circle, #screen line, #screen polyline, #screen text', (n) => n.length);
  t.true(marks > 0, 'the action is drawn on the screen');
  const shot = await page.screenshot({ fullPage: true });
  t.true(shot.length > 10_000, 'a screenshot of the rendered page');
  t.deepEqual(errors, [], 'no console errors and no network requests');
});

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

function action(over: Partial<SampleAction>): SampleAction {
  return { kind: 'click', t_ms: 0, duration_ms: 10, x: 10, y: 10, x2: null, y2: null, dx: null, dy: null, text: null, key: null, redacted: null, app: 'editor', path: [], frame: -1, ...over };
}

test('frames are read from the frames folder of the dataset by opaque id only, never from a path an action names', (t) => {
  const dataset = tempDir('report-frames');
  mkdirSync(join(dataset, 'frames'));
  writeFileSync(join(dataset, 'frames', 'f0a1.png'), PNG_1X1);
  writeFileSync(join(dataset, 'secret.png'), PNG_1X1);
  const frames = datasetFrames(dataset);
  t.is(frames('f0a1'), `data:image/png;base64,${PNG_1X1.toString('base64')}`);
  t.is(frames('f0a1.png'), frames('f0a1'));
  for (const uri of ['../secret', '../secret.png', '/etc/passwd', 'frames://dev-1/f0a1', 'missing', '']) t.is(frames(uri), undefined, uri);
  t.is(datasetFrames(tempDir('report-no-frames'))('f0a1'), undefined);
});

test.serial('the player shows the frames of an episode step by step', async (t) => {
  const builder = new ReportBuilder({ sampleSize: 1, topApps: 5, seed: 's', frameDataUri: () => undefined, ruleText });
  const data = builder.finish({ splits: { train: {} } });
  const frame = `data:image/png;base64,${PNG_1X1.toString('base64')}`;
  data.sample = [
    {
      episode_id: 'e1', split: 'train', start_day: '2026-01-01', duration_ms: 60_000, end_reason: 'gap', screen_width: 800, screen_height: 600,
      frames: [frame, frame],
      actions: [
        action({ frame: 0 }),
        action({ kind: 'drag', x2: 300, y2: 200, frame: 1, path: [[0, 0], [5, 5], [10, 10]] }),
        action({ kind: 'scroll', dy: -3, frame: -1 }),
      ],
    },
  ];
  const file = join(tempDir('report-player'), 'report.html');
  writeFileSync(file, renderReport(data, chartLibrary(), 'test'));
  const { page, errors } = await openPage(file);
  const frameShown = () => page.$eval('#screen', (s) => Number(s.getAttribute('data-frame')));
  t.is(await frameShown(), 0);
  t.is(await page.$$eval('#screen image', (n) => n.length), 1);
  await page.click('#next');
  t.is(await frameShown(), 1);
  t.is(await page.$$eval('#screen line.drag', (n) => n.length), 1);
  t.is(await page.$$eval('#screen polyline.path', (n) => n.length), 1);
  await page.click('#next');
  t.is(await frameShown(), -1);
  t.is(await page.$$eval('#screen image', (n) => n.length), 0, 'a step without a frame draws a blank screen');
  t.is(await page.$$eval('#screen line.scroll', (n) => n.length), 1);
  t.deepEqual(errors, []);
});

test('text from the dataset cannot become markup or script in the report', async (t) => {
  const hostile = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">\u2028<!--';
  const builder = new ReportBuilder({ sampleSize: 3, topApps: 5, seed: 's', frameDataUri: () => undefined, ruleText });
  const data: ReportData = builder.finish({ dataset: hostile, privacy: { dropped_events: { [hostile]: 1 } }, dropped: {}, splits: { train: {} } });
  data.apps = { [hostile]: 2 };
  data.sample = [
    {
      episode_id: hostile,
      split: 'train',
      start_day: '2026-01-01',
      duration_ms: 60_000,
      end_reason: hostile,
      screen_width: 800,
      screen_height: 600,
      frames: [],
      actions: [
        { kind: 'type', t_ms: 0, duration_ms: 10, x: null, y: null, x2: null, y2: null, dx: null, dy: null, text: hostile, key: null, redacted: null, app: hostile, path: [], frame: -1 },
        { kind: 'type', t_ms: 20, duration_ms: 10, x: null, y: null, x2: null, y2: null, dx: null, dy: null, text: null, key: null, redacted: 'eu_context', app: 'chat', path: [], frame: -1 },
      ],
    },
  ];
  const html = renderReport(data, chartLibrary(), hostile);
  t.is((html.match(/<script/g) ?? []).length, 4, 'the data block, d3, Plot and the page script, and nothing else');
  t.false(scriptSafeJson(hostile).includes('<'));
  const file = join(tempDir('report-hostile'), 'report.html');
  writeFileSync(file, html);
  const { page, errors } = await openPage(file);
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  t.true((await page.$eval('#caption', (c) => c.textContent ?? '')).includes(hostile), 'shown as text, literally');
  await page.click('#next');
  t.regex(await page.$eval('#caption', (c) => c.textContent ?? ''), /text not kept: eu_context/, 'a redaction is shown as one');
  t.deepEqual(errors, []);
});

test('nothing of a person is in the report: no canary, raw id or pseudonym of the privacy fixture', (t) => {
  const fixture = join(FIXTURES_DIR, 'privacy-canaries');
  const out = join(tempDir('report-canaries'), 'dataset');
  const replay = episodic(['replay', '--config', join(fixture, 'pipeline.yaml'), '--input', join(fixture, 'events.jsonl'), '--registry', join(fixture, 'registry.jsonl'), '--out', out]);
  t.is(replay.status, 0, replay.stderr);
  const reportPath = join(out, '..', 'report.html');
  const run = episodic(['report', out, '--out', reportPath, '--sample', '1000']);
  t.is(run.status, 0, run.stderr);
  const html = readFileSync(reportPath, 'utf8');
  const { canaries } = JSON.parse(readFileSync(join(fixture, 'canaries.json'), 'utf8')) as { canaries: string[] };
  const events = readFileSync(join(fixture, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const rawIds = new Set<string>();
  for (const e of events) {
    for (const id of [e.user_id, e.device_id, ...(e.context?.participants ?? [])]) if (typeof id === 'string') rawIds.add(id);
  }
  const pseudonyms = new Set<string>();
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  for (const shard of manifest.shards) {
    for (const row of readShardTable(join(out, shard.path))) {
      pseudonyms.add(String(row.user));
      pseudonyms.add(String(row.device));
    }
  }
  t.true(pseudonyms.size > 0, 'the fixture writes episodes');
  t.true(buildReportData(out, { sampleSize: 1000 }).sample.length > 0, 'and the report samples them');
  for (const needle of [...canaries, ...rawIds, ...pseudonyms]) t.false(html.includes(needle), `the report holds ${needle}`);
});

test('the sample is bounded and seeded; histograms count every episode', (t) => {
  t.is(demo().status, 0);
  const dataset = join(demoDir, 'dataset');
  const a = buildReportData(dataset, { sampleSize: 5, seed: 'one' });
  const b = buildReportData(dataset, { sampleSize: 5, seed: 'one' });
  const c = buildReportData(dataset, { sampleSize: 5, seed: 'two' });
  t.is(a.sample.length, 5);
  t.deepEqual(a.sample.map((e) => e.episode_id), b.sample.map((e) => e.episode_id));
  t.notDeepEqual(a.sample.map((e) => e.episode_id), c.sample.map((e) => e.episode_id));
  const episodes = Object.values(a.splits).reduce((n, s) => n + s.episodes, 0);
  const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8'));
  t.is(episodes, manifest.totals.episodes_written);
  for (const h of [a.duration_minutes, a.actions_per_episode, a.events_per_episode]) t.is(h.counts.reduce((x, y) => x + y, 0), episodes);
  t.deepEqual(Object.keys(a.splits).sort(), ['test', 'train', 'validation'], 'every split appears, empty ones too');
});

test('every rule the privacy audit counts has plain words for the report', (t) => {
  for (const { section, rule } of countedRules()) t.not(ruleText(section, rule), rule.replace(/_/g, ' '), `${section}.${rule} has no words`);
});

test('report refuses what is not a dataset, naming it', (t) => {
  const dir = tempDir('report-not-a-dataset');
  const run = episodic(['report', dir]);
  t.is(run.status, 2);
  t.regex(run.stderr, /holds no manifest\.json: not an episodic dataset/);
  const missing = episodic(['report', join(dir, 'nope')]);
  t.is(missing.status, 2);
  t.regex(missing.stderr, /is not a directory/);
  t.false(readdirSync(dir).some((f) => f.endsWith('.html')));
  t.true(statSync(dir).isDirectory());
});
