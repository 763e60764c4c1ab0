// Where a dataset is written: a directory that is not a dataset is never touched, a dataset is
// recognised by its marks, and a run that fails leaves the previous dataset whole.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { replay } from '../src/replay.ts';
import { prepareDatasetDir } from '../src/kafka/run.ts';
import { checkDatasetDir, DATASET_FORMAT, IDENTITY_FILE, readDatasetIdentity } from '../src/shards/dataset-identity.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures', 'office-jsonl');
const KEY = 'output-dirs-test-key-0123456789abcdef';
const config = loadConfig();

function episodic(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: KEY },
  });
}

function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(d, entry.name), rel);
      else files[rel] = readFileSync(join(d, entry.name), 'base64');
    }
  };
  walk(dir, '');
  return files;
}

const replayFixture = (out: string, input = join(FIXTURE, 'events.jsonl')) =>
  replay({ config, input, registry: join(FIXTURE, 'registry.jsonl'), out, pseudonymKey: KEY, deadLetterPath: `${out}.dlq.jsonl` });

test('replay --out refuses a non-empty directory that is not a dataset, names it and leaves every file in place', (t) => {
  const web = join(tempDir('out-dirs'), 'web-project');
  mkdirSync(join(web, 'data'), { recursive: true });
  writeFileSync(join(web, 'manifest.json'), JSON.stringify({ name: 'My App', short_name: 'app', start_url: '/' }));
  writeFileSync(join(web, 'README.md'), '# my web project\n');
  writeFileSync(join(web, 'data', 'users.csv'), 'id,name\n1,a\n');
  const before = snapshot(web);
  const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--registry', join(FIXTURE, 'registry.jsonl'), '--out', web]);
  t.is(r.status, 1, r.stdout);
  t.true(r.stderr.includes(web), r.stderr);
  t.regex(r.stderr, /not an episodic dataset/);
  t.regex(r.stderr, /new or empty directory/);
  t.deepEqual(snapshot(web), before);
  t.deepEqual(readdirSync(join(web, '..')), ['web-project']);
});

test('replay --out refuses a file', (t) => {
  const file = join(tempDir('out-dirs'), 'notes.txt');
  writeFileSync(file, 'keep me');
  const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--out', file]);
  t.is(r.status, 1);
  t.true(r.stderr.includes(`${file} is a file`), r.stderr);
  t.is(readFileSync(file, 'utf8'), 'keep me');
});

test('a dataset is marked before anything else is written and recognised by its manifest alone', async (t) => {
  const out = join(tempDir('out-dirs'), 'ds');
  await replayFixture(out);
  t.deepEqual(JSON.parse(readFileSync(join(out, IDENTITY_FILE), 'utf8')), { format: DATASET_FORMAT, version: 1, writer: 'replay' });
  t.is(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).format, DATASET_FORMAT);
  // copied without its dot files: still a dataset, by its manifest
  rmSync(join(out, IDENTITY_FILE));
  t.is(readDatasetIdentity(out)?.writer, 'replay');
  t.is(checkDatasetDir(out, 'replay'), 'dataset');
  // a Kafka dataset directory is marked as soon as it is prepared, before any shard exists
  const kafkaOut = join(tempDir('out-dirs'), 'kafka-ds');
  prepareDatasetDir(kafkaOut);
  t.deepEqual(readdirSync(kafkaOut), [IDENTITY_FILE]);
  t.is(readDatasetIdentity(kafkaOut)?.writer, 'kafka');
});

test('replay and run each refuse the other\'s dataset directory, naming it', async (t) => {
  const replayed = join(tempDir('out-dirs'), 'ds');
  await replayFixture(replayed);
  t.throws(() => prepareDatasetDir(replayed), { message: new RegExp(`${replayed} is a dataset written by episodic replay`) });
  const kafkaOut = join(tempDir('out-dirs'), 'kafka-ds');
  prepareDatasetDir(kafkaOut);
  const error = await t.throwsAsync(replayFixture(kafkaOut));
  t.true(error?.message.includes(`${kafkaOut} is a dataset written by episodic run`));
  t.deepEqual(readdirSync(kafkaOut), [IDENTITY_FILE]);
});

test('a replay that fails leaves the previous dataset whole and no staging directory behind', async (t) => {
  const parent = tempDir('out-dirs');
  const out = join(parent, 'ds');
  await replayFixture(out);
  writeFileSync(join(out, 'erasure-log.jsonl'), '{"user":"x"}\n');
  const before = snapshot(out);
  // an input that cannot be read partway: a directory where a file should be
  const broken = join(parent, 'not-a-file.jsonl');
  mkdirSync(broken);
  await t.throwsAsync(replayFixture(out, broken));
  t.deepEqual(snapshot(out), before);
  t.deepEqual(readdirSync(parent).filter((n) => n.startsWith('.')), []);
});

test('a replay into an existing dataset replaces it whole and keeps its erasure log', async (t) => {
  const parent = tempDir('out-dirs');
  const out = join(parent, 'ds');
  await replayFixture(out);
  const first = snapshot(out);
  writeFileSync(join(out, 'erasure-log.jsonl'), '{"user":"x"}\n');
  // a stray shard a rebuild does not make must not survive it
  writeFileSync(join(out, 'data', 'train', 'train-stray-00000.parquet'), 'stray');
  await replayFixture(out);
  const second = snapshot(out);
  t.is(Buffer.from(second['erasure-log.jsonl'], 'base64').toString(), '{"user":"x"}\n');
  delete second['erasure-log.jsonl'];
  t.deepEqual(second, first);
  t.false(existsSync(join(out, 'data', 'train', 'train-stray-00000.parquet')));
  t.deepEqual(readdirSync(parent).filter((n) => n.startsWith('.')), []);
});
