// The product as an operator and an ML engineer use it: the CLI, real files, independent readers.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { adaptiveGrowingPercent, DEFAULT_HEAP_GROWING_PERCENT, HEAP_FLOOR_BYTES, heapGrowthSetting, MAX_HEAP_GROWING_PERCENT, SHARED_HEAP_FLOOR_BYTES } from '../src/runtime.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const KEY = 'cli-test-key-0123456789abcdef0123456789';
const FIXTURE = join(ROOT, 'fixtures', 'office-jsonl');

function episodic(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: KEY, ...env },
  });
}

function filesWithHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(d, entry.name), rel);
      else out[rel] = createHash('sha256').update(readFileSync(join(d, entry.name))).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

const tmp = () => tempDir('cli');

test('two replays of the same input with the same config and key write byte-identical files', (t) => {
  const a = join(tmp(), 'ds');
  const b = join(tmp(), 'ds');
  for (const out of [a, b]) {
    const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--registry', join(FIXTURE, 'registry.jsonl'), '--out', out]);
    t.is(r.status, 0, r.stderr);
  }
  const ha = filesWithHashes(a);
  t.true(Object.keys(ha).some((f) => f.endsWith('.parquet')));
  t.deepEqual(ha, filesWithHashes(b));
});

test('replay refuses to start without the pseudonym key and says how to set it', (t) => {
  const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--out', join(tmp(), 'ds')], { EPISODIC_PSEUDONYM_KEY: '' });
  t.not(r.status, 0);
  t.regex(r.stderr, /EPISODIC_PSEUDONYM_KEY/);
});

test('the heap growth step adapts unless EPISODIC_HEAP_GROWING_PERCENT fixes it, node\'s own flag wins, and a bad value is refused by name', (t) => {
  t.is(heapGrowthSetting([], {}), 'adaptive');
  t.is(heapGrowthSetting([], { EPISODIC_HEAP_GROWING_PERCENT: '100' }), 100);
  t.is(heapGrowthSetting(['--heap-growing-percent=50'], { EPISODIC_HEAP_GROWING_PERCENT: '100' }), 'node');
  for (const bad of ['abc', '0', '1.5', '2000', '-20']) {
    t.throws(() => heapGrowthSetting([], { EPISODIC_HEAP_GROWING_PERCENT: bad }), { message: /EPISODIC_HEAP_GROWING_PERCENT/ }, bad);
  }
  const r = episodic(['validate', join(ROOT, 'pipelines', 'default.yaml')], { EPISODIC_HEAP_GROWING_PERCENT: 'lots' });
  t.is(r.status, 2);
  t.regex(r.stderr, /EPISODIC_HEAP_GROWING_PERCENT must be a whole number/);
  t.is(episodic(['validate', join(ROOT, 'pipelines', 'default.yaml')], { EPISODIC_HEAP_GROWING_PERCENT: '100' }).status, 0);
});

test('the adaptive heap growth step lets a small heap fill to the floor and grows a large one by 20%', (t) => {
  const MiB = 1024 * 1024;
  t.is(adaptiveGrowingPercent(0), MAX_HEAP_GROWING_PERCENT);
  t.is(adaptiveGrowingPercent(24 * MiB), 300);
  t.is(adaptiveGrowingPercent(48 * MiB), 100);
  t.is(adaptiveGrowingPercent(HEAP_FLOOR_BYTES), DEFAULT_HEAP_GROWING_PERCENT);
  t.is(adaptiveGrowingPercent(2048 * MiB), DEFAULT_HEAP_GROWING_PERCENT);
  // where two heaps share the step (episodic run), each fills towards a lower floor
  t.is(adaptiveGrowingPercent(32 * MiB, SHARED_HEAP_FLOOR_BYTES), 100);
  t.is(adaptiveGrowingPercent(SHARED_HEAP_FLOOR_BYTES, SHARED_HEAP_FLOOR_BYTES), DEFAULT_HEAP_GROWING_PERCENT);
  // the limit it sets is never past the floor or 1.2 times the heap, whichever is larger
  for (let mib = 1; mib < 4096; mib += 7) {
    const limit = (1 + adaptiveGrowingPercent(mib * MiB) / 100) * mib * MiB;
    t.true(limit <= Math.max(HEAP_FLOOR_BYTES, 1.2 * mib * MiB) + 0.01 * mib * MiB, `${mib} MiB`);
    // and a heap is never grown by less than 20%
    t.true(adaptiveGrowingPercent(mib * MiB) >= DEFAULT_HEAP_GROWING_PERCENT, `${mib} MiB`);
  }
});

test('pyarrow and DuckDB in Python read the dataset as written, splits by person', (t) => {
  const out = join(tmp(), 'ds');
  const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--registry', join(FIXTURE, 'registry.jsonl'), '--out', out]);
  t.is(r.status, 0, r.stderr);
  const script = `
import json, sys, pyarrow.dataset as ds, duckdb
out = sys.argv[1]
table = ds.dataset(out + "/data", format="parquet").to_table()
rows = table.to_pylist()
users = {}
for row in rows:
    users.setdefault(row["user"], set()).add(row["split"])
con = duckdb.connect()
n, acts = con.execute(f"select count(*), sum(len(actions)) from read_parquet('{out}/data/*/*.parquet')").fetchone()
kinds = dict(con.execute(f"select a.kind, count(*) from (select unnest(actions) as a from read_parquet('{out}/data/*/*.parquet')) group by 1").fetchall())
print(json.dumps({"rows": len(rows), "duckdb_rows": n, "duckdb_actions": int(acts), "n_actions": sum(r["n_actions"] for r in rows),
  "users_in_two_splits": sum(1 for s in users.values() if len(s) > 1), "kinds": kinds,
  "columns": table.schema.names}))
`;
  const py = spawnSync('python3', ['-c', script, out], { encoding: 'utf8' });
  t.is(py.status, 0, py.stderr);
  const seen = JSON.parse(py.stdout);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  const manifestRows = manifest.shards.reduce((s: number, x: { rows: number }) => s + x.rows, 0);
  t.is(seen.rows, manifestRows);
  t.is(seen.duckdb_rows, manifestRows);
  t.is(seen.duckdb_actions, seen.n_actions);
  t.is(seen.users_in_two_splits, 0);
  for (const column of ['episode_id', 'user', 'device', 'split', 'start_day', 'duration_ms', 'apps', 'n_events', 'n_actions', 'actions']) {
    t.true(seen.columns.includes(column), column);
  }
  t.true(seen.kinds.click > 0 && seen.kinds.type > 0);
});

test('every command answers --help with its own usage, exit 0, and does nothing else', (t) => {
  for (const command of ['demo', 'generate', 'replay', 'validate', 'inspect', 'erase', 'run', 'produce']) {
    const r = episodic([command, '--help']);
    t.is(r.status, 0, `${command}: ${r.stderr}`);
    t.regex(r.stdout, new RegExp(`^Usage:\\n  episodic ${command}\\b`), command);
    t.is(r.stdout.match(/^ {2}episodic /gm)?.length, 1, `${command} prints only its own usage`);
  }
});

test('validate accepts the shipped pipelines and names the key and line of each error', (t) => {
  for (const file of readdirSync(join(ROOT, 'pipelines'))) {
    const ok = episodic(['validate', join('pipelines', file)]);
    t.is(ok.status, 0, `${file}: ${ok.stderr}`);
  }
  const bad = join(tmp(), 'bad.yaml');
  writeFileSync(bad, 'version: 1\nsession:\n  inactivity_gap_ms: five minutes\n  gap: 3\n  max_duration_ms: 2592000000\noutput:\n  formats: [csv]\n');
  const r = episodic(['validate', bad]);
  t.is(r.status, 1);
  t.regex(r.stderr, /session\.inactivity_gap_ms \(line 3\)/);
  t.regex(r.stderr, /session\.gap \(line 4\): unknown key 'gap'/);
  t.regex(r.stderr, /session\.max_duration_ms \(line 5\): at most 2147483647/);
  t.regex(r.stderr, /output\.formats\.0 \(line 7\)/);
});

test('inspect summarizes a dataset in aggregate and prints the privacy audit', (t) => {
  const out = join(tmp(), 'ds');
  t.is(episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--registry', join(FIXTURE, 'registry.jsonl'), '--out', out]).status, 0);
  const r = episodic(['inspect', '--privacy', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /actions by kind/);
  t.regex(r.stdout, /privacy audit/);
  t.regex(r.stdout, /not_captured_region/);
  const shard = episodic(['inspect', join(out, JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).shards[0].path)]);
  t.is(shard.status, 0, shard.stderr);
  t.regex(shard.stdout, /columns: episode_id/);
});

test('replay never writes into a directory that holds something other than a dataset', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'precious.txt'), 'keep me');
  const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--out', dir]);
  t.is(r.status, 1);
  t.regex(r.stderr, /is not an episodic dataset/);
  t.is(readFileSync(join(dir, 'precious.txt'), 'utf8'), 'keep me');
});
