import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableToIPC } from 'apache-arrow';
import { blankAction, type Action, type EpisodeRow, type Split } from '../src/contract/episode.ts';
import { EpisodeColumns, encodeEpisodes } from '../src/shards/columns.ts';
import { EPISODE_SCHEMA, SCHEMA_VERSION_KEY, describeSchema } from '../src/shards/schema.ts';
import { MAX_BATCH_BYTES, ShardWriter, type ShardFormat } from '../src/shards/writer.ts';
import { buildManifest, writeManifestAtomic, DATASET_PURPOSE } from '../src/shards/manifest.ts';
import { renderDatasetCard, writeDatasetCardAtomic } from '../src/shards/card.ts';
import { writeDatasetFiles } from '../src/shards/dataset.ts';

// ---------- fixtures ----------

function action(overrides: Partial<Action>): Action {
  return { ...blankAction('click', 0), ...overrides };
}

function episode(id: string, split: Split, overrides: Partial<EpisodeRow> = {}): EpisodeRow {
  const actions = overrides.actions ?? [];
  return {
    episode_id: id,
    user: 'u_7f3a',
    device: 'd_91c2',
    split,
    start_day: '2024-03-05',
    duration_ms: 3_599_999,
    end_reason: 'gap',
    continues: null,
    screen_width: 2560,
    screen_height: 1440,
    apps: [],
    contexts: [],
    n_events: 42,
    n_actions: actions.length,
    actions,
    ...overrides,
  };
}

const ROWS: EpisodeRow[] = [
  episode('ep-a', 'train', {
    apps: ['Code', 'Firefox'],
    contexts: [
      { app: 'Code', title: 'naïve — 日本語 🚀.ts', url: null, eu_linked: false },
      { app: 'Firefox', title: null, url: 'https://example.com/?q=ü', eu_linked: true },
    ],
    actions: [
      action({
        kind: 'drag',
        t_ms: 15,
        duration_ms: 420,
        x: -1280,
        y: 300,
        nx: 0.125,
        ny: 0.3,
        x2: 400,
        y2: 310,
        nx2: 0.9,
        ny2: 0.31,
        path: [
          { x: -1300, y: 280, t_ms: 1 },
          { x: -1290, y: 295, t_ms: 9 },
        ],
        frame_uri: 'frames/0001.png',
        context: 0,
      }),
      action({ kind: 'scroll', t_ms: 900, duration_ms: 120, x: 10, y: 20, nx: 0.5, ny: 0.5, dx: 0, dy: -2.5, context: 1 }),
      action({ kind: 'type', t_ms: 2_000, duration_ms: 300, text: 'grüße 👋 "quoted" | pipe', key_times_ms: [0, 120, 300], context: 0 }),
      action({ kind: 'type', t_ms: 3_000, duration_ms: 10, text: null, redacted: 'secure_input', context: 1 }),
      action({ kind: 'hotkey', t_ms: 3_500, duration_ms: 0, key: 'ctrl+c', key_times_ms: [], context: 0 }),
    ],
  }),
  episode('ep-b', 'train', {
    continues: 'ep-a',
    end_reason: 'max_duration',
    screen_width: null,
    screen_height: null,
    n_events: 0,
    start_day: '1999-12-31',
  }),
  episode('ep-c', 'validation', {
    start_day: '2025-01-01',
    end_reason: 'end_of_stream',
    apps: [''],
    contexts: [{ app: '', title: '', url: '', eu_linked: false }],
    actions: [action({ kind: 'key', t_ms: 5, key: 'Enter', context: 0, redacted: 'eu_context' })],
  }),
  episode('ep-d', 'test', { actions: [action({ kind: 'right_click', x: 0, y: 0, nx: 0, ny: 0 })] }),
];

/** What a reader should give back for a row: float32 values and the date as YYYY-MM-DD. */
function expected(row: EpisodeRow): unknown {
  const f = (v: number | null) => (v === null ? null : Math.fround(v));
  return {
    ...row,
    actions: row.actions.map((a) => ({ ...a, nx: f(a.nx), ny: f(a.ny), nx2: f(a.nx2), ny2: f(a.ny2), dx: f(a.dx), dy: f(a.dy) })),
  };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'episodic-shards-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

async function writeAll(dir: string, rows: readonly EpisodeRow[], options: Partial<ConstructorParameters<typeof ShardWriter>[0]> = {}) {
  const writer = new ShardWriter({ dir, writerId: 'replay', formats: ['parquet'], ...options });
  let maxBufferedBytes = 0;
  for (const row of rows) {
    writer.add(row);
    maxBufferedBytes = Math.max(maxBufferedBytes, writer.bufferedBytes);
  }
  const flushed = await writer.flush();
  return { writer, flushed, maxBufferedBytes };
}

function python(script: string, args: string[], cwd?: string): string {
  const result = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', cwd });
  if (result.error || (result.status !== 0 && /No module named '(pyarrow|duckdb)'/.test(result.stderr))) {
    throw new Error(
      `python3 with pyarrow and duckdb is needed for the independent read-back check: pip install pyarrow duckdb\n${result.error ?? result.stderr}`,
    );
  }
  if (result.status !== 0) throw new Error(`python3 failed:\n${result.stderr}`);
  return result.stdout;
}

function manyRows(n: number): EpisodeRow[] {
  return Array.from({ length: n }, (_, i) =>
    episode(`ep-${String(i).padStart(5, '0')}`, i % 10 === 9 ? 'validation' : 'train', {
      apps: ['Terminal'],
      contexts: [{ app: 'Terminal', title: `tab ${i}`, url: null, eu_linked: false }],
      actions: Array.from({ length: 1 + (i % 7) }, (_, j) =>
        action({
          kind: 'type',
          t_ms: j * 1000,
          text: `line ${i}.${j} ${'x'.repeat(i % 50)}`,
          key_times_ms: [0, 50, 90],
          path: [{ x: i, y: j, t_ms: j }],
          context: 0,
        }),
      ),
    }),
  );
}

// ---------- encoding ----------

test('encoded table has the dataset schema, its version metadata, and every value of the rows', (t) => {
  const table = encodeEpisodes(ROWS);
  t.is(table.schema.metadata.get(SCHEMA_VERSION_KEY), '1');
  t.deepEqual(
    table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
    EPISODE_SCHEMA.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`),
  );
  const DAY = 86_400_000;
  const back = JSON.parse(
    JSON.stringify(table.toArray(), (_k, v) => (v && typeof v === 'object' && typeof v.toJSON === 'function' ? v.toJSON() : v)),
  );
  const want = ROWS.map((r) => ({ ...(expected(r) as object), start_day: Date.parse(`${r.start_day}T00:00:00Z`) }));
  t.deepEqual(back, JSON.parse(JSON.stringify(want)));
  t.is(Date.parse('1999-12-31T00:00:00Z') % DAY, 0);
});

test('a builder that refills its arrays encodes each batch as a fresh builder would, nulls and offsets included', (t) => {
  // batches of different sizes and null patterns: a stale value, validity bit or offset of the
  // previous batch would show in the next one's bytes
  const batches = [ROWS, manyRows(700), ROWS.slice(1), manyRows(3), [...ROWS].reverse()];
  const refilled = new EpisodeColumns(true);
  for (const rows of batches) {
    for (const row of rows) refilled.append(row);
    t.deepEqual(tableToIPC(refilled.finish(), 'stream'), tableToIPC(encodeEpisodes(rows), 'stream'));
  }
});

test('a row that breaks the contract is refused instead of written wrong', (t) => {
  t.throws(() => encodeEpisodes([episode('x', 'train', { start_day: '2024-3-5' })]), { message: /start_day/ });
  t.throws(() => encodeEpisodes([episode('x', 'train', { apps: [null as unknown as string] })]), { message: /apps/ });
  t.throws(() => encodeEpisodes([episode('x', 'train', { duration_ms: 2 ** 31 })]), { message: /duration_ms/ });
  t.throws(() => encodeEpisodes([episode('x', 'train', { actions: [action({ x: NaN })] })]), { message: /actions\.x/ });
});

test('a refused row leaves the rows around it intact', async (t) => {
  const dir = tempDir(t);
  const writer = new ShardWriter({ dir, writerId: 'replay' });
  writer.add(ROWS[0]);
  const bad = episode('bad', 'train', {
    apps: ['half', 'written'],
    contexts: [{ app: 'x', title: null, url: null, eu_linked: true }],
    actions: [action({ text: 'partly', x: 5 }), action({ text: null, y: Infinity })],
  });
  t.throws(() => writer.add(bad), { message: /actions\.y/ });
  writer.add(ROWS[1]);
  t.throws(() => writer.add({ ...bad, split: 'test' }), { message: /actions\.y/ });
  const flushed = await writer.flush();
  t.deepEqual(flushed.map((s) => s.path), ['data/train/train-replay-00000.parquet'], 'a refused first row opens no shard');
  const back = python(
    'import sys, json, pyarrow.parquet as pq, datetime\nprint(json.dumps(pq.read_table(sys.argv[1]).to_pylist(), default=lambda v: v.isoformat()))',
    [join(dir, 'data/train/train-replay-00000.parquet')],
  );
  t.deepEqual(JSON.parse(back), JSON.parse(JSON.stringify(ROWS.slice(0, 2).map(expected))));
});

// ---------- writer + independent readers ----------

test('shards read back identically with DuckDB, nested fields included', async (t) => {
  const dir = tempDir(t);
  const { flushed } = await writeAll(dir, ROWS);
  t.deepEqual(
    flushed.map((s) => s.path),
    ['data/train/train-replay-00000.parquet', 'data/validation/validation-replay-00000.parquet', 'data/test/test-replay-00000.parquet'],
  );
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  t.teardown(() => {
    connection.closeSync();
    instance.closeSync();
  });
  const reader = await connection.runAndReadAll(
    `SELECT * FROM read_parquet('${dir}/data/*/*.parquet') ORDER BY episode_id`,
  );
  const rows = reader.getRowObjectsJson();
  t.deepEqual(rows, JSON.parse(JSON.stringify(ROWS.map(expected))));
});

test('pyarrow reads the Parquet and Arrow shards with the declared types and nullability', async (t) => {
  const dir = tempDir(t);
  await writeAll(dir, ROWS, { formats: ['arrow', 'parquet'] });
  const out = python(
    `
import json, sys, glob, datetime
import pyarrow as pa, pyarrow.parquet as pq
d = sys.argv[1]
pq_files = sorted(glob.glob(d + "/data/*/*.parquet"))
arrow_files = sorted(glob.glob(d + "/data/*/*.arrow"))
pt = pa.concat_tables([pq.read_table(f) for f in pq_files])
at = pa.concat_tables([pa.ipc.open_file(f).read_all() for f in arrow_files])
assert pt.equals(at), "parquet and arrow shards differ"
default = lambda v: v.isoformat() if isinstance(v, datetime.date) else str(v)
schema = {f.name: [str(f.type), f.nullable] for f in pt.schema}
print(json.dumps({
  "rows": sorted(pt.to_pylist(), key=lambda r: r["episode_id"]),
  "schema": schema,
  "metadata": {k.decode(): v.decode() for k, v in (pt.schema.metadata or {}).items()},
  "kv": {k.decode(): v.decode() for k, v in pq.read_metadata(pq_files[0]).metadata.items() if k != b"ARROW:schema"},
}, default=default))
`,
    [dir],
  );
  const result = JSON.parse(out);
  t.deepEqual(result.rows, JSON.parse(JSON.stringify(ROWS.map(expected))));
  t.deepEqual(result.schema.start_day, ['date32[day]', false]);
  t.deepEqual(result.schema.continues, ['string', true]);
  t.deepEqual(result.schema.screen_width, ['int32', true]);
  t.deepEqual(result.schema.duration_ms, ['int32', false]);
  t.regex(result.schema.actions[0], /nx: float, ny: float/);
  t.regex(result.schema.actions[0], /key_times_ms: list<element: int32 not null>, path: list<element: struct<x: int32 not null/);
  t.is(result.schema.actions[1], false);
  t.is(result.metadata[SCHEMA_VERSION_KEY], '1');
  t.is(result.kv[SCHEMA_VERSION_KEY], '1');
});

test('a split rotates into several shards under a small target, rows kept in order, row groups bounded', async (t) => {
  const dir = tempDir(t);
  const rows = manyRows(600);
  const { writer, flushed, maxBufferedBytes } = await writeAll(dir, rows, { shardTargetBytes: 20_000, rowGroupBytes: 4_000 });
  const train = writer.shards.filter((s) => s.split === 'train');
  t.true(train.length >= 3, `only ${train.length} train shards`);
  t.deepEqual(
    train.map((s) => s.path),
    train.map((_, i) => `data/train/train-replay-${String(i).padStart(5, '0')}.parquet`),
  );
  // rotated shards first, in the order they were closed; the flushed ones last
  t.deepEqual(writer.shards.slice(-flushed.length), flushed);
  t.true(maxBufferedBytes < 2 * (4_000 + 2_000), `buffered up to ${maxBufferedBytes} bytes`);
  for (const shard of writer.shards.slice(0, -1)) t.true(shard.uncompressed_bytes < 20_000 * 1.5);
  t.is(
    writer.shards.reduce((n, s) => n + s.rows, 0),
    rows.length,
  );

  const out = python(
    `
import json, sys, pyarrow.parquet as pq
d = sys.argv[1]
shards = json.loads(sys.argv[2])
ids, groups = [], []
for s in shards:
    f = pq.ParquetFile(d + "/" + s["path"])
    groups.append([f.metadata.num_row_groups, max(f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups))])
    ids += f.read(columns=["episode_id"]).column(0).to_pylist()
print(json.dumps({"ids": ids, "groups": groups}))
`,
    [dir, JSON.stringify(train)],
  );
  const { ids, groups } = JSON.parse(out) as { ids: string[]; groups: [number, number][] };
  t.deepEqual(ids, rows.filter((r) => r.split === 'train').map((r) => r.episode_id));
  train.forEach((shard, i) => {
    t.is(groups[i][0], shard.row_groups ?? -1);
    t.true(groups[i][0] > 1, 'a 20 kB shard with 4 kB row groups has several');
    // rows per group come from the first batch's average row, and rows grow with i (text), so a
    // row group may exceed the target by a little
    t.true(groups[i][1] * (shard.uncompressed_bytes / shard.rows) <= 4_000 * 1.1);
  });
});

test('the writer holds about one batch per split however large its shards, and rotated shards read back whole', async (t) => {
  const dir = tempDir(t);
  const rows = manyRows(6000);
  const rowGroupBytes = 60_000;
  const writer = new ShardWriter({ dir, writerId: 'replay', shardTargetBytes: 400_000, rowGroupBytes });
  const batchBytes = Math.min(rowGroupBytes, MAX_BATCH_BYTES);
  const rowBytes = (row: EpisodeRow) => {
    const columns = new EpisodeColumns();
    columns.append(row);
    return columns.byteLength;
  };
  const largestRow = Math.max(...rows.map(rowBytes));
  let maxBuffered = 0;
  for (const [i, row] of rows.entries()) {
    writer.add(row);
    maxBuffered = Math.max(maxBuffered, writer.bufferedBytes);
    // as replay does between input batches
    if (i % 200 === 199) await writer.drained();
  }
  await writer.flush();
  t.true(maxBuffered < 2 * (batchBytes + largestRow), `buffered up to ${maxBuffered} bytes for two splits`);
  const train = writer.shards.filter((s) => s.split === 'train');
  t.true(train.length >= 3, `only ${train.length} train shards`);
  t.true(train.reduce((n, s) => n + s.uncompressed_bytes, 0) > 10 * batchBytes, 'many batches went through the encoder');
  t.deepEqual(filesUnder(dir), writer.shards.map((s) => s.path).sort(), 'no temp files remain');

  const out = python(
    `
import json, sys, pyarrow.parquet as pq
d = sys.argv[1]
result = []
for s in json.loads(sys.argv[2]):
    f = pq.ParquetFile(d + "/" + s["path"])
    result.append([f.metadata.num_row_groups, f.metadata.num_rows, f.read(columns=["episode_id"]).column(0).to_pylist()])
print(json.dumps(result))
`,
    [dir, JSON.stringify(writer.shards)],
  );
  const read = JSON.parse(out) as [number, number, string[]][];
  writer.shards.forEach((shard, i) => {
    t.is(read[i][0], shard.row_groups ?? -1, `${shard.path} row groups`);
    t.is(read[i][1], shard.rows, `${shard.path} rows`);
    t.is(shard.first_episode_id, read[i][2][0]);
    t.is(shard.last_episode_id, read[i][2].at(-1));
  });
  t.true(train.some((s) => (s.row_groups ?? 0) > 1), 'some shard has several row groups');
  for (const split of ['train', 'validation'] as const) {
    const ids = writer.shards.flatMap((s, i) => (s.split === split ? read[i][2] : []));
    t.deepEqual(ids, rows.filter((r) => r.split === split).map((r) => r.episode_id), `${split} rows in order`);
  }
});

test('a flush lists the shards closed before it was called, not those of rows added while it writes', async (t) => {
  const dir = tempDir(t);
  const writer = new ShardWriter({ dir, writerId: 'p0', shardTargetBytes: 20_000, rowGroupBytes: 4_000 });
  const rows = manyRows(400).filter((r) => r.split === 'train');
  for (const row of rows.slice(0, 100)) writer.add(row);
  const flushing = writer.flush();
  for (const row of rows.slice(100)) writer.add(row);
  const flushed = await flushing;
  t.is(writer.shards.at(-1), flushed.at(-1));
  t.is(writer.shards.reduce((n, s) => n + s.rows, 0), 100);
  await writer.flush();
  t.is(writer.shards.reduce((n, s) => n + s.rows, 0), rows.length);
});

test('a write error on the asynchronous side is thrown from flush and from the next add', async (t) => {
  const dir = tempDir(t);
  const splitDir = join(dir, 'data', 'train');
  mkdirSync(splitDir, { recursive: true });
  // the disk is full: the shard's temp file is /dev/full, where every write fails with ENOSPC
  symlinkSync('/dev/full', join(splitDir, `.tmp-train-replay-00000.parquet-${process.pid}`));
  const writer = new ShardWriter({ dir, writerId: 'replay', rowGroupBytes: 4_000 });
  for (const row of manyRows(100).filter((r) => r.split === 'train')) writer.add(row);
  await t.throwsAsync(writer.flush(), { code: 'ENOSPC' });
  t.throws(() => writer.add(ROWS[0]), { code: 'ENOSPC' });
  await t.throwsAsync(writer.flush(), { code: 'ENOSPC' });
  t.deepEqual(filesUnder(dir), [], 'nothing renamed into place, the temp file removed');
});

test('discarding a writer removes its unfinished shards and renames nothing', async (t) => {
  const dir = tempDir(t);
  const writer = new ShardWriter({ dir, writerId: 'p3', formats: ['parquet', 'arrow'], shardTargetBytes: 30_000, rowGroupBytes: 4_000 });
  for (const row of manyRows(500)) writer.add(row);
  t.true(filesUnder(dir).some((f) => f.split('/').pop()!.startsWith('.tmp-')), 'shards are being written');
  writer.discard();
  t.deepEqual(filesUnder(dir), []);
  // whatever the encoder still had queued finishes in the background, and is ignored
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(filesUnder(dir), []);
  t.throws(() => writer.add(ROWS[0]), { message: /discarded/ });
});

test('the same rows in the same order give byte-identical shards and manifest', async (t) => {
  const rows = manyRows(300);
  const write = async () => {
    const dir = tempDir(t);
    const { writer } = await writeAll(dir, rows, { formats: ['parquet', 'arrow'], shardTargetBytes: 30_000 });
    writeManifestAtomic(dir, buildManifest({ name: 'demo', configHash: 'abc', shards: writer.shards }));
    writeDatasetCardAtomic(dir, buildManifest({ name: 'demo', configHash: 'abc', shards: writer.shards }));
    return dir;
  };
  const a = await write();
  const b = await write();
  const files = filesUnder(a);
  t.deepEqual(filesUnder(b), files);
  t.true(files.filter((f) => f.endsWith('.parquet')).length > 1);
  for (const file of files) t.true(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), `${file} differs`);
});

test('no temporary files remain and every listed shard matches its size and hash', async (t) => {
  const dir = tempDir(t);
  const { writer } = await writeAll(dir, manyRows(200), { formats: ['parquet', 'arrow'], shardTargetBytes: 15_000 });
  const files = filesUnder(dir);
  t.deepEqual(files.filter((f) => f.split('/').pop()!.startsWith('.')), []);
  t.deepEqual(files, writer.shards.map((s) => s.path).sort());
  for (const shard of writer.shards) {
    const bytes = readFileSync(join(dir, shard.path));
    t.is(bytes.length, shard.bytes);
    t.is(spawnSync('sha256sum', [join(dir, shard.path)], { encoding: 'utf8' }).stdout.split(' ')[0], shard.sha256);
  }
});

test('writer ids that could leak a raw id or escape the folder are refused', (t) => {
  const dir = tempDir(t);
  for (const writerId of ['', '../x', 'a/b', '3f2b8c1e-9a4d-4c1b-8f2e-1a2b3c4d5e6f', 'dev-0123456789abcdef0123456789abcdef']) {
    t.throws(() => new ShardWriter({ dir, writerId }), undefined, writerId);
  }
  t.notThrows(() => new ShardWriter({ dir, writerId: 'p12' }));
});

test('a resumed writer continues numbering instead of overwriting its earlier shards', async (t) => {
  const dir = tempDir(t);
  await writeAll(dir, ROWS.slice(0, 1), { writerId: 'p0' });
  await writeAll(dir, ROWS.slice(0, 1), { writerId: 'p1' });
  const { flushed } = await writeAll(dir, ROWS.slice(1, 2), { writerId: 'p0', resume: true });
  t.deepEqual(flushed.map((s) => s.path), ['data/train/train-p0-00001.parquet']);
  t.deepEqual(filesUnder(dir), [
    'data/train/train-p0-00000.parquet',
    'data/train/train-p0-00001.parquet',
    'data/train/train-p1-00000.parquet',
  ]);
});

// ---------- manifest and card ----------

test('manifest sums splits from the shards, sorts everything, and carries no timestamp by default', async (t) => {
  const dir = tempDir(t);
  const { writer } = await writeAll(dir, manyRows(120), { formats: ['parquet', 'arrow'], shardTargetBytes: 10_000 });
  const manifest = buildManifest({
    name: 'demo',
    configHash: 'abc',
    shards: [...writer.shards].reverse(),
    totals: { events_in: 5000, episodes: 1 },
    dropped: { too_few_actions: 3, late: 1 },
    privacy: { redacted: { secure_input: 2, eu_context: 1 }, exempt_users: 1 },
  });
  t.is(manifest.purpose, DATASET_PURPOSE);
  t.is(manifest.created_at, undefined);
  t.deepEqual(manifest.formats, ['parquet', 'arrow']);
  t.deepEqual(manifest.shards.map((s) => s.path), writer.shards.map((s) => s.path).sort());
  const parquet = writer.shards.filter((s) => s.format === 'parquet');
  t.is(manifest.splits.train.rows, 108);
  t.is(manifest.splits.validation.rows, 12);
  t.is(manifest.splits.test.shards, 0);
  t.is(manifest.splits.train.shards + manifest.splits.validation.shards, parquet.length);
  t.is(manifest.totals.episodes, 120, 'episodes come from the shards, not from a caller counter');
  t.is(manifest.totals.actions, parquet.reduce((n, s) => n + s.actions, 0));
  t.deepEqual(Object.keys(manifest.dropped), ['late', 'too_few_actions']);
  t.deepEqual(manifest.privacy, { exempt_users: 1, redacted: { eu_context: 1, secure_input: 2 } });
  t.throws(() => buildManifest({ name: 'x', configHash: 'y', shards: [...writer.shards, writer.shards[0]] }));
  t.throws(() => buildManifest({ name: 'x', configHash: 'y', shards: [], dropped: { late: -1 } }));
});

function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

for (const formats of [['parquet'], ['parquet', 'arrow']] as ShardFormat[][]) {
  test(`the dataset card's header names the right files and its snippets run (${formats.join('+')})`, async (t) => {
    const dir = tempDir(t);
    const { writer } = await writeAll(dir, ROWS.slice(0, 3), { formats });
    const manifestPath = writeDatasetFiles(dir, {
      name: 'demo',
      configHash: 'abc',
      shards: writer.shards,
      counters: { events_in: 77, episodes_written: 3, late: 2, too_few_actions: 4, note: 'ignored' },
      audit: { toJSON: () => ({ redacted: { secure_input: 1 } }) },
    });
    t.is(manifestPath, join(dir, 'manifest.json'));
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    t.deepEqual(manifest.dropped, { late: 2, too_few_actions: 4 });
    t.is(manifest.totals.events_in, 77);

    const card = readFileSync(join(dir, 'README.md'), 'utf8');
    const header = /^---\n([\s\S]*?)\n---\n/.exec(card);
    t.truthy(header, 'card starts with a YAML header');
    const meta = parseYaml(header![1]);
    t.deepEqual(meta.configs, [
      {
        config_name: 'default',
        data_files: [
          { split: 'train', path: 'data/train/*.parquet' },
          { split: 'validation', path: 'data/validation/*.parquet' },
        ],
      },
    ]);
    t.truthy(meta.license);
    t.true(Array.isArray(meta.tags) && meta.tags.length > 0);
    t.true(card.includes(DATASET_PURPOSE));
    t.regex(card, /\| too_few_actions \| 4 \|/);
    t.regex(card, /\| redacted: secure_input \| 1 \|/);
    // snippets are what an engineer copies first: they must work on the files as written
    const pyarrowSnippet = codeBlocks(card, 'python').find((b) => b.includes('import pyarrow'))!;
    t.truthy(pyarrowSnippet);
    t.regex(python(`${pyarrowSnippet}\nprint(everything.num_rows)`, [], dir), /\n3\n$/);
    const sql = codeBlocks(card, 'sql')[0];
    const counts = python(
      `import duckdb, sys\nfor s in [s for s in sys.argv[1].split(";") if s.strip()]:\n    print(duckdb.sql(s).fetchall())`,
      [sql],
      dir,
    );
    t.regex(counts, /\('train', 2, 5\), \('validation', 1, 1\)/);
  });
}

test('the card documents every column and nested field of the schema', (t) => {
  const undocumented = describeSchema().filter((c) => !c.description);
  t.deepEqual(undocumented.map((c) => c.path), []);
  const card = renderDatasetCard(buildManifest({ name: 'demo', configHash: 'abc', shards: [] }));
  for (const column of describeSchema()) t.true(card.includes(`| \`${column.path}\` | ${column.type} |`), column.path);
  const meta = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]);
  // every split listed even without files: `load_dataset(DIR)` then finds no data files instead of reading manifest.json as a row
  t.deepEqual(meta.configs[0].data_files.map((f: { split: string }) => f.split), ['train', 'validation', 'test']);
});

test('writing the dataset files again replaces them with the same bytes', async (t) => {
  const dir = tempDir(t);
  const { writer } = await writeAll(dir, ROWS);
  const input = { name: 'demo', configHash: 'abc', shards: writer.shards, counters: {} };
  writeDatasetFiles(dir, input);
  const first = readFileSync(join(dir, 'manifest.json'));
  writeFileSync(join(dir, 'manifest.json'), 'garbage');
  writeDatasetFiles(dir, input);
  t.true(readFileSync(join(dir, 'manifest.json')).equals(first));
});
