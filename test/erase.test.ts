// Erasure: `episodic erase` removes every episode of one person from a written dataset, and a
// registry erasure that arrives while an episode is open keeps it from being written.
// Results are checked with independent readers (pyarrow, DuckDB) as well as our own.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseConfig } from '../src/config.ts';
import type { InputEvent } from '../src/contract/events.ts';
import type { EpisodeRow } from '../src/contract/episode.ts';
import { readShardTable } from '../src/inspect.ts';
import { Pipeline } from '../src/pipeline.ts';
import { eraseUser, rowsFromTable, ERASURE_LOG_FILE } from '../src/privacy/erase.ts';
import { Registry } from '../src/privacy/registry.ts';
import { renderDatasetCard } from '../src/shards/card.ts';
import { ShardFile, ShardWriter, type ShardInfo } from '../src/shards/writer.ts';
import { writeDatasetFiles } from '../src/shards/dataset.ts';
import { replay } from '../src/replay.ts';
import { readDatasetRows, type Row } from './helpers/dataset.ts';
import { FIXTURES_DIR, FIXTURE_KEY } from './helpers/fixtures.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OFFICE = join(FIXTURES_DIR, 'office-jsonl');
const pseudonym = (rawId: string) => createHmac('sha256', FIXTURE_KEY).update(rawId, 'utf8').digest('hex');
// in the office fixture: u-00002 has two episodes in the train shard beside other people's,
// u-00004 has the only episode of the validation split
const SHARING = 'u-00002';
const ALONE = 'u-00004';

/** The office fixture replayed into a fresh dir, Parquet and Arrow. */
async function officeDataset(): Promise<string> {
  const out = join(tempDir('erase'), 'dataset');
  await replay({
    config: parseConfig('output:\n  formats: [parquet, arrow]\n'),
    input: join(OFFICE, 'events.jsonl'),
    registry: join(OFFICE, 'registry.jsonl'),
    out,
    pseudonymKey: FIXTURE_KEY,
  });
  return out;
}

function episodic(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: FIXTURE_KEY, ...env },
  });
}

function filesWithHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

interface IndependentCheck {
  problems: string[];
  users: string[];
  arrow_users: string[];
}

/** pyarrow and DuckDB: is the manifest true to the files, and whose rows are there? */
function checkIndependently(dir: string): IndependentCheck {
  const script = `
import glob, hashlib, json, os, sys
import duckdb, pyarrow.parquet as pq, pyarrow.ipc as ipc
out = sys.argv[1]
m = json.load(open(os.path.join(out, 'manifest.json')))
problems = []
listed = set()
primary = m['formats'][0] if m['formats'] else 'parquet'
splits = {s: {'rows': 0, 'actions': 0, 'shards': 0, 'bytes': 0} for s in ('train', 'validation', 'test')}
for s in m['shards']:
    path = os.path.join(out, s['path'])
    listed.add(s['path'])
    if not os.path.exists(path):
        problems.append('missing ' + s['path']); continue
    data = open(path, 'rb').read()
    if hashlib.sha256(data).hexdigest() != s['sha256']: problems.append('sha256 ' + s['path'])
    if len(data) != s['bytes']: problems.append('bytes ' + s['path'])
    t = pq.read_table(path) if s['format'] == 'parquet' else ipc.open_file(path).read_all()
    if t.num_rows != s['rows']: problems.append('rows %s %d != %d' % (s['path'], t.num_rows, s['rows']))
    if sum(len(a) for a in t.column('actions').to_pylist()) != s['actions']: problems.append('actions ' + s['path'])
    if s['format'] == 'parquet' and pq.ParquetFile(path).metadata.num_row_groups != s['row_groups']: problems.append('row groups ' + s['path'])
    if s['format'] == primary:
        sp = splits[s['split']]
        sp['rows'] += s['rows']; sp['actions'] += s['actions']; sp['shards'] += 1; sp['bytes'] += s['bytes']
on_disk = {os.path.relpath(p, out) for p in glob.glob(out + '/data/*/*')}
for extra in sorted(on_disk - listed): problems.append('unlisted ' + extra)
if splits != m['splits']: problems.append('split totals %s != %s' % (m['splits'], splits))
if m['totals']['episodes'] != sum(v['rows'] for v in splits.values()): problems.append('totals.episodes')
users = [r[0] for r in duckdb.sql("SELECT user FROM read_parquet('%s/data/*/*.parquet') ORDER BY episode_id" % out).fetchall()] if glob.glob(out + '/data/*/*.parquet') else []
arrow_users = [u for f in sorted(glob.glob(out + '/data/*/*.arrow')) for u in ipc.open_file(f).read_all().column('user').to_pylist()]
print(json.dumps({'problems': problems, 'users': users, 'arrow_users': arrow_users}))
`;
  const py = spawnSync('python3', ['-c', script, dir], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(py.stderr);
  return JSON.parse(py.stdout);
}

function logEntries(dir: string): Record<string, unknown>[] {
  return readFileSync(join(dir, ERASURE_LOG_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

test("erase removes every episode of the person, leaves everyone else's rows unchanged, and keeps the manifest true", async (t) => {
  const dir = await officeDataset();
  const before = readDatasetRows(dir);
  const erased = pseudonym(SHARING);
  t.is(before.filter((r) => r.user === erased).length, 2, 'the fixture has two episodes of this person');
  t.deepEqual(checkIndependently(dir).problems, []);

  const r = episodic(['erase', '--dataset', dir, '--user', SHARING]);
  t.is(r.status, 0, r.stderr);
  t.false(r.stdout.includes(SHARING), 'the raw id is not echoed');

  const check = checkIndependently(dir);
  t.deepEqual(check.problems, []);
  t.false(check.users.includes(erased), 'DuckDB finds no row of the person in the Parquet shards');
  t.false(check.arrow_users.includes(erased), 'pyarrow finds no row of the person in the Arrow files');
  t.deepEqual(readDatasetRows(dir), before.filter((row: Row) => row.user !== erased), 'every other row unchanged');

  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  t.is(manifest.totals.episodes, before.length - 2);
  t.is(readFileSync(join(dir, 'README.md'), 'utf8'), renderDatasetCard(manifest), 'the card tells the new counts');

  const log = logEntries(dir);
  t.is(log.length, 1);
  t.deepEqual(Object.keys(log[0]).sort(), ['episodes_removed', 'erased_at', 'shards_rewritten', 'user']);
  t.like(log[0], { user: erased, episodes_removed: 2, shards_rewritten: 2 });
  t.false(Number.isNaN(Date.parse(log[0].erased_at as string)));
  t.false(readFileSync(join(dir, ERASURE_LOG_FILE), 'utf8').includes(SHARING), 'the log holds no raw id');
  t.deepEqual(
    readdirSync(join(dir, 'data', 'train')).filter((f) => f.startsWith('.')),
    [],
    'no temp files left behind',
  );
});

test('a shard left empty by an erasure is removed and unlisted, and its split disappears from the card', async (t) => {
  const dir = await officeDataset();
  const entry = await eraseUser(dir, pseudonym(ALONE));
  t.like(entry, { episodes_removed: 1, shards_rewritten: 2 });
  t.deepEqual(checkIndependently(dir).problems, []);
  t.deepEqual(readdirSync(join(dir, 'data', 'validation')), []);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  t.false(manifest.shards.some((s: { split: string }) => s.split === 'validation'));
  t.deepEqual(manifest.splits.validation, { rows: 0, actions: 0, shards: 0, bytes: 0 });
  t.false(readFileSync(join(dir, 'README.md'), 'utf8').includes('data/validation/'));
});

test('erasing again, or erasing someone without episodes, changes no file of the dataset and logs 0 removed', async (t) => {
  const dir = await officeDataset();
  await eraseUser(dir, pseudonym(SHARING));
  const files = filesWithHashes(dir);
  const again = await eraseUser(dir, pseudonym(SHARING));
  const nobody = await eraseUser(dir, pseudonym('u-99999'));
  t.like(again, { episodes_removed: 0, shards_rewritten: 0 });
  t.like(nobody, { episodes_removed: 0, shards_rewritten: 0 });
  const after = filesWithHashes(dir);
  delete files[ERASURE_LOG_FILE];
  delete after[ERASURE_LOG_FILE];
  t.deepEqual(after, files);
  t.is(logEntries(dir).length, 3);
});

test('a rerun repairs the manifest of an erasure that crashed after rewriting shards', async (t) => {
  const dir = await officeDataset();
  const erased = pseudonym(SHARING);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  // the crash: the train Parquet shard rewritten and the validation files removed, manifest untouched
  const train = manifest.shards.find((s: { split: string; format: string }) => s.split === 'train' && s.format === 'parquet');
  const rows = rowsFromTable(readShardTable(join(dir, train.path))).filter((r) => r.user !== erased);
  await rewrite(dir, train, rows, 1000);
  for (const s of manifest.shards.filter((s: { split: string }) => s.split === 'validation')) rmSync(join(dir, s.path));
  t.not(checkIndependently(dir).problems.length, 0);

  await eraseUser(dir, erased);
  const check = checkIndependently(dir);
  t.deepEqual(check.problems, []);
  t.false(check.users.includes(erased));
  t.false(check.arrow_users.includes(erased));
});

test('rowsFromTable reads a shard back into the rows that wrote it: re-encoding gives the same bytes', async (t) => {
  const dir = await officeDataset();
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const shard of manifest.shards.filter((s: { format: string }) => s.format === 'parquet')) {
    const bytes = readFileSync(join(dir, shard.path));
    const rows = rowsFromTable(readShardTable(join(dir, shard.path)));
    t.is(rows.length, shard.rows);
    const again = join(tempDir('erase'), 'again');
    t.like(await rewrite(again, shard, rows), { sha256: shard.sha256, row_groups: shard.row_groups });
    t.true(readFileSync(join(again, shard.path)).equals(bytes), shard.path);
  }
});

test('an erased shard is what the writer writes for the remaining rows, across batches and row groups', async (t) => {
  const office = await officeDataset();
  const manifest = JSON.parse(readFileSync(join(office, 'manifest.json'), 'utf8'));
  const train = manifest.shards.find((s: ShardInfo) => s.split === 'train' && s.format === 'parquet');
  const template = rowsFromTable(readShardTable(join(office, train.path)));
  // enough rows for many batches and several row groups at this row group size
  const rowGroupBytes = 200_000;
  const rows = Array.from({ length: 300 }, (_, i) => ({
    ...template[i % template.length],
    episode_id: `ep-${String(i).padStart(5, '0')}`,
    user: `user-${i % 7}`,
  }));
  const write = async (dir: string, rows: EpisodeRow[]) => {
    const writer = new ShardWriter({ dir, writerId: 'replay', rowGroupBytes });
    for (const row of rows) writer.add(row);
    await writer.flush();
    return writer.shards;
  };
  const dir = join(tempDir('erase'), 'all');
  const shards = await write(dir, rows);
  writeDatasetFiles(dir, { name: 'demo', configHash: 'abc', shards, counters: {} });
  t.true(shards[0].row_groups! > 2);
  await eraseUser(dir, 'user-3', { rowGroupBytes });

  const expected = join(tempDir('erase'), 'kept');
  const [kept] = await write(expected, rows.filter((r) => r.user !== 'user-3'));
  t.true(readFileSync(join(dir, kept.path)).equals(readFileSync(join(expected, kept.path))));
  t.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).shards, [kept]);
});

/** Writes `rows` as shard `info` under `dir` the way the writer (and erase) does. */
async function rewrite(dir: string, info: ShardInfo, rows: EpisodeRow[], rowGroupBytes = 64 * 1024 * 1024): Promise<ShardInfo> {
  const shard = new ShardFile({ dir, split: info.split, writerId: info.writer, index: info.index, formats: [info.format], rowGroupBytes });
  mkdirSync(join(dir, 'data', info.split), { recursive: true });
  for (const row of rows) shard.add(row);
  return (await shard.close())[0];
}

test('erase needs --dataset and --user, refuses to run without the pseudonym key, and refuses a dir that is no dataset', (t) => {
  const dir = tempDir('erase');
  t.is(episodic(['erase', '--dataset', dir]).status, 2);
  const noKey = episodic(['erase', '--dataset', dir, '--user', SHARING], { EPISODIC_PSEUDONYM_KEY: '' });
  t.not(noKey.status, 0);
  t.regex(noKey.stderr, /EPISODIC_PSEUDONYM_KEY/);
  const notDataset = episodic(['erase', '--dataset', dir, '--user', SHARING]);
  t.is(notDataset.status, 1);
  t.regex(notDataset.stderr, /manifest\.json/);
  t.false(existsSync(join(dir, ERASURE_LOG_FILE)));
});

// ---------------------------------------------------------------- registry updates while an episode is open

const T0 = Date.UTC(2026, 2, 2, 13, 0, 0);

function workEvents(userId: string): InputEvent[] {
  const events: InputEvent[] = [];
  const push = (ts: number, type: InputEvent['type'], extra: Partial<InputEvent> = {}) =>
    events.push({ event_id: `w${events.length}`, device_id: 'dev-w', user_id: userId, seq: events.length, ts, type, ...extra });
  push(T0, 'focus', { context: { app: 'Notes', title: 'n', url: null, participants: [], tags: [] } });
  for (let i = 0; i < 4; i++) {
    push(T0 + 1000 * i + 100, 'mouse_down', { x: 10 * i, y: 10, button: 'left' });
    push(T0 + 1000 * i + 200, 'mouse_up', { x: 10 * i, y: 10, button: 'left' });
  }
  return events;
}

function openEpisodeThen(update: (registry: Registry) => void) {
  const registry = new Registry();
  registry.apply({ kind: 'person', user_id: 'u-w', region: 'US' });
  const rows: EpisodeRow[] = [];
  const pipeline = new Pipeline(parseConfig(''), FIXTURE_KEY, registry, { episode: (r) => rows.push(r), deadLetter: () => {} });
  pipeline.pushEvents(workEvents('u-w'));
  update(registry);
  pipeline.end();
  return { rows, audit: pipeline.audit.toJSON() };
}

test('an episode is written when the registry stays as it was (the control for the tests below)', (t) => {
  t.is(openEpisodeThen(() => {}).rows.length, 1);
});

test('an erasure that arrives while the episode is open keeps the episode from being written', (t) => {
  const { rows, audit } = openEpisodeThen((registry) => registry.apply({ kind: 'erasure', user_id: 'u-w', ts: T0 + 5000 }));
  t.deepEqual(rows, []);
  t.is(audit.dropped_events.erased, 9);
});

test('an exemption that arrives while the episode is open and reaches back into it keeps the episode from being written', (t) => {
  // a move 40 s later finalizes the clicks (grace 30 s) while the episode stays open (gap 5 min):
  // the gate has let them through before the exemption was known
  const registry = new Registry();
  registry.apply({ kind: 'person', user_id: 'u-w', region: 'US' });
  const rows: EpisodeRow[] = [];
  const pipeline = new Pipeline(parseConfig(''), FIXTURE_KEY, registry, { episode: (r) => rows.push(r), deadLetter: () => {} });
  const events = workEvents('u-w');
  events.push({ event_id: 'w-late', device_id: 'dev-w', user_id: 'u-w', seq: events.length, ts: T0 + 40_000, type: 'mouse_move', x: 1, y: 1 });
  pipeline.pushEvents(events);
  registry.apply({ kind: 'exemption', user_id: 'u-w', from: T0 + 2500, until: T0 + 60 * 60_000, reason: 'sensitive_material' });
  pipeline.end();
  t.deepEqual(rows, []);
  const audit = pipeline.audit.toJSON();
  t.is(audit.dropped_events.exempt, 10, 'the 9 events of the episode and the move inside the exemption');
  t.is(audit.exemption_reasons.sensitive_material, 10);
});

test('an exemption that starts after the open episode ends does not touch it', (t) => {
  const { rows } = openEpisodeThen((registry) =>
    registry.apply({ kind: 'exemption', user_id: 'u-w', from: T0 + 10_000, until: null, reason: 'power' }),
  );
  t.is(rows.length, 1);
});

test('a move out of the captured regions while the episode is open keeps the episode from being written', (t) => {
  const { rows, audit } = openEpisodeThen((registry) => registry.apply({ kind: 'person', user_id: 'u-w', region: 'FR' }));
  t.deepEqual(rows, []);
  t.is(audit.dropped_events.not_captured_region, 9);
});
