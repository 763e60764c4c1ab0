// `npm run report:screenshot`: the picture of the report that README shows (docs/report.png): the
// demo dataset's report in headless Chromium, its first screen and the episode player.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'episodic-report-shot-'));
try {
  const demo = spawnSync(process.execPath, ['bin/episodic.js', 'demo', '--events', '60000', '--out', work], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (demo.status !== 0) throw new Error('the demo failed');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1240, height: 1400 } });
  await page.goto(`file://${join(work, 'dataset.report.html')}`);
  await page.waitForSelector('body[data-ready=true]');
  await page.screenshot({ path: join(root, 'docs', 'report.png') });
  await page.locator('#player').scrollIntoViewIfNeeded();
  // a step that draws something: a click or drag with the mouse path that led to it
  for (let i = 0; i < 300 && (await page.locator('#screen polyline').count()) === 0; i++) await page.click('#next');
  await page.locator('#player').screenshot({ path: join(root, 'docs', 'report-player.png') });
  await browser.close();
  console.log('docs/report.png, docs/report-player.png');
} finally {
  rmSync(work, { recursive: true, force: true });
}
