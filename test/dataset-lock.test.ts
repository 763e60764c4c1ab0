// Writers of one dataset take turns: concurrent erasures each hold, and an erasure that starts
// while a replay rebuilds the dataset applies to the new one.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { generateToFiles } from '../src/generate/files.ts';
import { ERASURE_LOG_FILE } from '../src/privacy/erase.ts';
import { Pseudonymizer } from '../src/privacy/pseudonym.ts';
import { replay } from '../src/replay.ts';
import { datasetLockPath, withDatasetLock } from '../src/shards/dataset-lock.ts';
import { readDatasetRows } from './helpers/dataset.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const KEY = 'dataset-lock-test-key-0123456789abcdef';

function episodic(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, EPISODIC_PSEUDONYM_KEY: KEY },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

async function dataset(): Promise<{ out: string; people: Map<string, string> }> {
  const dir = tempDir('lock');
  const stream = await generateToFiles({ out: join(dir, 'stream'), seed: 21, devices: 10, events: 20_000, format: 'jsonl' });
  const out = join(dir, 'ds');
  await replay({ config: loadConfig(), input: stream.eventsPath, registry: stream.registryPath, out, pseudonymKey: KEY });
  const pseudonyms = new Pseudonymizer(KEY);
  const present = new Set(readDatasetRows(out).map((row) => row.user as string));
  const people = new Map<string, string>();
  for (const line of readFileSync(stream.registryPath, 'utf8').trim().split('\n')) {
    const { user_id } = JSON.parse(line);
    if (present.has(pseudonyms.of(user_id))) people.set(user_id, pseudonyms.of(user_id));
  }
  return { out, people };
}

test('concurrent erasures of different people all hold', async (t) => {
  const { out, people } = await dataset();
  t.true(people.size >= 5, `${people.size} people in the dataset`);
  const erased = [...people.keys()].slice(0, 4);
  const results = await Promise.all(erased.map((user) => episodic(['erase', '--dataset', out, '--user', user])));
  for (const r of results) t.is(r.status, 0, r.stderr);
  const users = new Set(readDatasetRows(out).map((row) => row.user));
  for (const user of erased) t.false(users.has(people.get(user)!), `${user}'s episodes are back`);
  for (const user of [...people.keys()].slice(4)) t.true(users.has(people.get(user)!), `${user} was not asked to be erased`);
  const log = readFileSync(join(out, ERASURE_LOG_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l).user);
  t.deepEqual(log.sort(), erased.map((u) => people.get(u)!).sort());
  t.false(existsSync(datasetLockPath(out)));
});

test('a writer waits while another holds the lock, and says so', async (t) => {
  const dir = join(tempDir('lock'), 'ds');
  const order: string[] = [];
  let waited = '';
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const first = withDatasetLock(dir, async () => {
    order.push('first in');
    await held;
    order.push('first out');
  });
  await new Promise((r) => setTimeout(r, 100));
  const second = withDatasetLock(dir, () => void order.push('second'), { onWait: (lock) => (waited = lock) });
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(order, ['first in']);
  release();
  await Promise.all([first, second]);
  t.deepEqual(order, ['first in', 'first out', 'second']);
  t.is(waited, datasetLockPath(dir));
});
