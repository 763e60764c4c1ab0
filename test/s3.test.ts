// Datasets on S3-compatible object storage, against a real server (versitygw): replay writes the
// bytes it writes to disk, independent readers read them from the server, inspect and report read
// them back, erasures hold when several run at once, and a prefix holding something else is refused.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { S3Store } from '../src/stores/s3.ts';
import { parseDatasetLocation } from '../src/stores/location.ts';
import { readRemoteDataset } from '../src/stores/remote-dataset.ts';
import { loadConfig, DEFAULT_CONFIG_PATH } from '../src/config.ts';
import { readDatasetRows } from './helpers/dataset.ts';
import { FIXTURES_DIR, FIXTURE_KEY } from './helpers/fixtures.ts';
import { ensureS3, type S3Server } from './helpers/s3.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(FIXTURES_DIR, 'office-jsonl');
const execFileAsync = promisify(execFile);

let server: S3Server;
test.before(async () => {
  server = await ensureS3();
  // this process is a client too (its checks read the bucket), with the credentials the server gave
  Object.assign(process.env, server.env);
});
test.after.always(async () => {
  await server?.stop();
});

const env = () => ({ ...process.env, ...server.env, EPISODIC_PSEUDONYM_KEY: FIXTURE_KEY });
const episodic = (args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: env() });
const episodicAsync = (args: string[]) =>
  execFileAsync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: env() });
const replayArgs = (out: string) => ['replay', '--input', join(FIXTURE, 'events.jsonl'), '--registry', join(FIXTURE, 'registry.jsonl'), '--out', out];
const uniquePrefix = (name: string) => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const store = () => new S3Store('episodic', loadConfig(DEFAULT_CONFIG_PATH).output.s3);

test.serial('replay to s3:// writes the shards, card and manifest it writes to disk, byte for byte; inspect and report read it back', async (t) => {
  const disk = join(tempDir('s3-disk'), 'dataset');
  t.is(episodic(replayArgs(disk)).status, 0);
  const prefix = uniquePrefix('replay');
  const uri = `s3://episodic/${prefix}/dataset`;
  const remote = episodic(replayArgs(uri));
  t.is(remote.status, 0, remote.stderr);
  t.regex(remote.stdout, new RegExp(`dataset:\\s+${uri}`));

  const s3 = store();
  const manifest = JSON.parse(readFileSync(join(disk, 'manifest.json'), 'utf8'));
  const remoteManifest = await s3.get(`${prefix}/dataset/manifest.json`);
  t.is(remoteManifest?.body.toString('utf8'), readFileSync(join(disk, 'manifest.json'), 'utf8'));
  t.is((await s3.get(`${prefix}/dataset/README.md`))?.body.toString('utf8'), readFileSync(join(disk, 'README.md'), 'utf8'));
  for (const shard of manifest.shards) {
    const object = await s3.get(`${prefix}/dataset/${shard.path}`);
    t.truthy(object, shard.path);
    t.is(sha256(object!.body), shard.sha256 ?? sha256(readFileSync(join(disk, shard.path))));
  }
  t.false((await s3.list(prefix)).some((k) => k.endsWith('.lease')), 'the writer lease is released');

  const inspect = episodic(['inspect', uri]);
  t.is(inspect.status, 0, inspect.stderr);
  const local = episodic(['inspect', disk]);
  t.is(inspect.stdout.replace(uri, 'X'), local.stdout.replace(disk, 'X'));

  const reportOut = join(tempDir('s3-report'), 'r.html');
  const report = episodic(['report', uri, '--out', reportOut]);
  t.is(report.status, 0, report.stderr);
  t.true(readFileSync(reportOut, 'utf8').includes('<!doctype html>'));
});

test.serial('pyarrow and Polars read the dataset straight from the server', async (t) => {
  const prefix = uniquePrefix('readers');
  const uri = `s3://episodic/${prefix}/dataset`;
  t.is(episodic(replayArgs(uri)).status, 0);
  const rows = await readRemoteDataset(parseDatasetLocation(uri) as never, loadConfig(DEFAULT_CONFIG_PATH), (dir) => readDatasetRows(dir).length);
  const script = `
import os, sys, json
import pyarrow.fs as pafs, pyarrow.dataset as ds, polars as pl
endpoint = os.environ["EPISODIC_S3_ENDPOINT"]
fs = pafs.S3FileSystem(endpoint_override=endpoint, access_key=os.environ["AWS_ACCESS_KEY_ID"],
                       secret_key=os.environ["AWS_SECRET_ACCESS_KEY"], region="us-east-1", scheme="http")
table = ds.dataset("episodic/${prefix}/dataset/data", filesystem=fs, format="parquet").to_table()
opts = {"aws_endpoint_url": endpoint, "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"], "aws_region": "us-east-1", "aws_allow_http": "true"}
frame = pl.read_parquet("s3://episodic/${prefix}/dataset/data/*/*.parquet", storage_options=opts)
print(json.dumps({"pyarrow": table.num_rows, "polars": frame.height, "columns": table.schema.names}))
`;
  const py = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: env() });
  t.is(py.status, 0, py.stderr);
  const read = JSON.parse(py.stdout);
  t.true(rows > 0);
  t.is(read.pyarrow, rows);
  t.is(read.polars, rows);
  t.true(read.columns.includes('actions'));
});

test.serial('erasures of different people run at once on one S3 dataset, and every one holds', async (t) => {
  const prefix = uniquePrefix('erase');
  const uri = `s3://episodic/${prefix}/dataset`;
  t.is(episodic(replayArgs(uri)).status, 0);
  const location = parseDatasetLocation(uri) as never;
  const config = loadConfig(DEFAULT_CONFIG_PATH);
  const before = await readRemoteDataset(location, config, (dir) => readDatasetRows(dir));
  const registry = readFileSync(join(FIXTURE, 'registry.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const pseudonym = (raw: string) => createHmac('sha256', FIXTURE_KEY).update(raw, 'utf8').digest('hex');
  const people = [...new Set(registry.map((r: { user_id: string }) => r.user_id))].filter((id) => before.some((row) => row.user === pseudonym(id)));
  t.true(people.length >= 2, 'the fixture has episodes of several people');
  const results = await Promise.all(people.map((id) => episodicAsync(['erase', '--dataset', uri, '--user', id])));
  for (const r of results) t.regex(r.stdout, /episodes removed/);
  const after = await readRemoteDataset(location, config, (dir) => readDatasetRows(dir));
  for (const id of people) t.false(after.some((row) => row.user === pseudonym(id)), `${id} is back in the dataset`);
  t.deepEqual(after, before.filter((row) => !people.some((id) => row.user === pseudonym(id))));
  const log = (await store().get(`${prefix}/dataset/erasure-log.jsonl`))!.body.toString('utf8').trim().split('\n');
  t.is(log.length, people.length, 'every erasure is in the log');
});

test.serial('a prefix that holds objects but no episodic dataset is refused, and left as it was', async (t) => {
  const prefix = uniquePrefix('foreign');
  const s3 = store();
  await s3.put(`${prefix}/site/index.html`, '<html></html>');
  const run = episodic(replayArgs(`s3://episodic/${prefix}/site`));
  t.is(run.status, 1);
  t.regex(run.stderr, /holds objects but no episodic dataset/);
  t.deepEqual(await s3.list(prefix), [`${prefix}/site/index.html`]);
  const bad = episodic(replayArgs('s3://Not_A_Bucket/x'));
  t.not(bad.status, 0);
  t.regex(bad.stderr, /not an S3 bucket name/);
});
