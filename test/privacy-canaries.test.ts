// Tries to break the privacy promises end to end: fixtures/privacy-canaries plants unique canary
// strings everywhere content can hide (see scripts/make-privacy-fixture.ts). The product replays
// it; every file of the dataset is then read raw and decoded (Parquet and Arrow, by parquet-wasm
// and by pyarrow), and no canary, raw id or participant id may appear anywhere.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { loadConfig } from '../src/config.ts';
import type { InputEvent, RegistryRecord } from '../src/contract/events.ts';
import type { EpisodeRow } from '../src/contract/episode.ts';
import { readShardTable } from '../src/inspect.ts';
import { Pipeline, type SourceRecord } from '../src/pipeline.ts';
import { PrivacyAudit, Registry, scrubText } from '../src/privacy/index.ts';
import { FIXTURES_DIR, FIXTURE_KEY } from './helpers/fixtures.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(FIXTURES_DIR, 'privacy-canaries');
const GRACE_MS = 30_000;

const { canaries, scrubbed, survivors } = JSON.parse(readFileSync(join(FIXTURE, 'canaries.json'), 'utf8')) as {
  canaries: string[];
  /** PII and secrets planted in kept windows (titles, URLs, frame references, typed and pasted text): the scrubber removes them. */
  scrubbed: string[];
  survivors: string[];
};
const eventLines = readFileSync(join(FIXTURE, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
const events: InputEvent[] = eventLines.map((l) => JSON.parse(l));
const registryRecords: RegistryRecord[] = readFileSync(join(FIXTURE, 'registry.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

const pseudonym = (rawId: string) => createHmac('sha256', FIXTURE_KEY).update(rawId, 'utf8').digest('hex');

/** Raw ids of everyone and everything in the input: people, devices (hostnames), chat participants. */
const rawIds = [
  ...new Set([
    ...events.flatMap((e) => [e.user_id, e.device_id, ...(e.context?.participants ?? [])]),
    ...registryRecords.map((r) => r.user_id),
  ]),
];
const CAPTURED = new Set(['emp-1042-jdoe', 'emp-2210-tom', 'emp-3307-ann']);
/** People who must leave no trace at all, not even their pseudonym: erased, not captured, participants only. */
const absentPeople = registryRecords.map((r) => r.user_id).filter((id) => !CAPTURED.has(id));
const forbidden = [
  ...canaries,
  ...scrubbed,
  ...rawIds,
  'jane.doe@example.com',
  ...absentPeople.map(pseudonym),
  ...events.flatMap((e) => e.context?.participants ?? []).map(pseudonym),
];

/** Lowercase letters and digits only: also finds a canary rebuilt from key codes, which drop the dashes. */
const folded = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

function leaks(haystack: string): string[] {
  const foldedHaystack = folded(haystack);
  return forbidden.filter((needle) => haystack.includes(needle) || foldedHaystack.includes(folded(needle)));
}

function stringifyTable(table: Table): string {
  const parts: string[] = [];
  for (const row of table) parts.push(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  return parts.join('\n');
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function episodic(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: FIXTURE_KEY },
  });
}

/** Replays the fixture through the CLI; returns the dataset dir (dead letters go beside it, by design). */
function replayWithCli(): string {
  const out = join(tempDir('canaries'), 'dataset');
  const r = episodic([
    'replay',
    '--config', join(FIXTURE, 'pipeline.yaml'),
    '--input', join(FIXTURE, 'events.jsonl'),
    '--registry', join(FIXTURE, 'registry.jsonl'),
    '--out', out,
  ]);
  if (r.status !== 0) throw new Error(`replay failed: ${r.stderr}`);
  return out;
}

test('every canary is planted in the input, and no text scrubber would hide it, so only the gate can keep it out', (t) => {
  // typed canaries arrive one character per key_down: rebuild each device's typed text
  const typed = new Map<string, string>();
  for (const e of events) if (e.type === 'key_down' && e.char) typed.set(e.device_id, (typed.get(e.device_id) ?? '') + e.char);
  const planted = [eventLines.join('\n'), ...typed.values()].join('\n');
  for (const canary of canaries) {
    t.true(planted.includes(canary), `${canary} is planted`);
    t.is(scrubText(canary, new PrivacyAudit()), canary, `${canary} survives the PII scrubber`);
  }
  t.true(canaries.length >= 25);
});

test('the PII and secrets planted in kept windows are planted, in titles, URLs, typed and pasted text', (t) => {
  const typed = [...events.filter((e) => e.type === 'key_down' && e.char).map((e) => e.char)].join('');
  const planted = [eventLines.join('\n'), typed].join('\n');
  for (const value of scrubbed) t.true(planted.includes(value), `${value} is planted`);
  t.true(scrubbed.length >= 9);
  t.true(eventLines.some((l) => l.includes('frames/ann-mbp.corp.example.com/emp-3307-ann/')), 'a frame reference names the raw device and user id');
});

test('replay: no canary, raw id, participant id or excluded person reaches any file of the dataset, raw or decoded', (t) => {
  const out = replayWithCli();
  const files = walk(out);
  t.true(files.some((f) => f.endsWith('.parquet')), 'Parquet shards written');
  t.true(files.some((f) => f.endsWith('.arrow')), 'Arrow files written');
  t.true(files.some((f) => f.endsWith('manifest.json')) && files.some((f) => f.endsWith('README.md')));

  let decodedParquet = '';
  for (const file of files) {
    const name = relative(out, file);
    t.deepEqual(leaks(name), [], `file name ${name}`);
    const bytes = readFileSync(file);
    t.deepEqual(
      forbidden.filter((needle) => bytes.includes(needle)),
      [],
      `raw bytes of ${name}`,
    );
    if (name.endsWith('.json') || name.endsWith('.md')) t.deepEqual(leaks(bytes.toString('utf8')), [], `text of ${name}`);
    if (name.endsWith('.parquet') || name.endsWith('.arrow')) {
      const decoded = stringifyTable(name.endsWith('.arrow') ? tableFromIPC(bytes) : readShardTable(file));
      t.deepEqual(leaks(decoded), [], `decoded values of ${name}`);
      if (name.endsWith('.parquet')) decodedParquet += decoded;
    }
  }

  // the pipeline still writes content: the checks above are not passing on an empty dataset
  for (const word of survivors) t.true(decodedParquet.includes(word), `${word} survives`);
  t.true(decodedParquet.includes('Team standup'), 'a US window title survives');
  t.true(decodedParquet.includes('frames/us-standup-0001.png'), 'a US frame survives');

  const rows = files.filter((f) => f.endsWith('.parquet')).flatMap((f) => readShardTable(f).toArray().map((r) => r.toJSON()));
  const actions = rows.flatMap((r) => [...r.actions].map((a) => a.toJSON()));
  const pointsAt = (x: number, y: number) =>
    actions.filter((a) => (a.x === x && a.y === y) || [...a.path].some((p) => p.x === x && p.y === y));
  t.deepEqual(pointsAt(1777, 999), [], 'no mouse input from sensitive windows or paused minutes');
  t.deepEqual(pointsAt(1555, 777), [], 'no mouse input from the exempt person');
  t.deepEqual(new Set(rows.map((r) => r.user)), new Set([...CAPTURED].map(pseudonym)));

  // the 2-hour pause lasted 30 minutes: what came 31 minutes after it is its own episode
  const postPause = rows.find((r) => [...r.actions].some((a) => a.text === 'postpause'));
  t.truthy(postPause);
  t.is(postPause?.end_reason, 'end_of_stream');

  // and an independent reader finds the same: pyarrow decodes every Parquet and Arrow file
  const script = `
import json, sys, glob, pyarrow.parquet as pq, pyarrow.ipc as ipc
out = sys.argv[1]
for f in sorted(glob.glob(out + '/data/*/*.parquet')):
    print(json.dumps(pq.read_table(f).to_pylist(), default=str))
for f in sorted(glob.glob(out + '/data/*/*.arrow')):
    print(json.dumps(ipc.open_file(f).read_all().to_pylist(), default=str))
`;
  const py = spawnSync('python3', ['-c', script, out], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  t.is(py.status, 0, py.stderr);
  t.deepEqual(leaks(py.stdout), [], 'pyarrow-decoded values');
  t.true(py.stdout.includes('quarterly'));
});

// ---------------------------------------------------------------- property: order and batches

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The input in an arrival order where no event comes after one stamped GRACE_MS or more later than
 * itself: sorting by ts plus a jitter in [0, grace) gives exactly such orders.
 */
function shuffledWithinGrace(records: SourceRecord[], next: () => number): SourceRecord[] {
  const keyed = records.map((record) => ({ record, key: (record.value as InputEvent).ts + Math.floor(next() * GRACE_MS) }));
  keyed.sort((a, b) => a.key - b.key);
  return keyed.map((k) => k.record);
}

function runPipeline(records: SourceRecord[], batchSizes: () => number) {
  const config = loadConfig(join(FIXTURE, 'pipeline.yaml'));
  const registry = new Registry();
  for (const record of registryRecords) registry.apply(record);
  const rows: EpisodeRow[] = [];
  const pipeline = new Pipeline(config, FIXTURE_KEY, registry, {
    episode: (row) => rows.push(structuredClone(row)),
    deadLetter: () => {
      throw new Error('the fixture has no bad records');
    },
  });
  for (let i = 0; i < records.length; ) {
    const n = batchSizes();
    pipeline.pushRecords(records.slice(i, i + n));
    i += n;
  }
  pipeline.end();
  rows.sort((a, b) => a.episode_id.localeCompare(b.episode_id));
  return { rows, audit: pipeline.audit.toJSON(), late: pipeline.counters.late };
}

test('property: whatever the order within the grace period and the batch boundaries, the episodes are the same and hold no canary', (t) => {
  const records: SourceRecord[] = eventLines.map((raw, i) => ({
    value: JSON.parse(raw),
    position: { source: 'events.jsonl', offset: i + 1 },
    offset: i + 1,
    raw,
  }));
  const baseline = runPipeline(records, () => records.length);
  t.is(baseline.rows.length, 13);
  t.deepEqual(leaks(JSON.stringify(baseline.rows)), []);

  for (let seed = 1; seed <= 60; seed++) {
    const next = random(seed);
    const maxBatch = 1 + Math.floor(next() * 200);
    const shuffled = shuffledWithinGrace(records, next);
    const result = runPipeline(shuffled, () => 1 + Math.floor(next() * maxBatch));
    const label = `seed ${seed}`;
    t.is(result.late, 0, `${label}: nothing arrived later than the grace period`);
    t.deepEqual(leaks(JSON.stringify(result.rows)), [], `${label}: no canary or raw id`);
    t.deepEqual(result.rows, baseline.rows, `${label}: same episodes`);
    t.deepEqual(result.audit, baseline.audit, `${label}: same privacy counts`);
  }
});
