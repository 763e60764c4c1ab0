#!/usr/bin/env node
// `npm test`: type-checks, makes sure the independent readers (pyarrow, DuckDB, Polars) and a real
// Kafka broker and S3-compatible server are there, runs every ava test file, and stops the servers
// it started. KAFKA_BROKERS=host:port uses an existing broker instead of starting one;
// EPISODIC_S3_ENDPOINT (with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) an existing S3 server.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

function ensurePythonReaders() {
  const probe = spawnSync('python3', ['-c', 'import pyarrow, duckdb, polars'], { cwd: root });
  if (probe.status === 0) return;
  if (probe.error) {
    console.error('npm test: python3 is needed for the independent Parquet readers (pyarrow, duckdb); install Python 3 with pip');
    process.exit(1);
  }
  console.log('npm test: installing pyarrow and duckdb for Python (independent readers of our Parquet output)');
  const pip = run('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'pyarrow', 'duckdb', 'polars']);
  if (pip.status !== 0) {
    console.error('npm test: could not install pyarrow and duckdb; run: python3 -m pip install pyarrow duckdb');
    process.exit(1);
  }
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// The report's tests open it in a real headless browser: Debian's chromium, never a downloaded one.
function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (isExecutable(path)) return;
  if (process.getuid?.() !== 0 || spawnSync('which', ['apt-get']).status !== 0) {
    console.error(`npm test: the report tests need Chromium at ${path}; install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
    process.exit(1);
  }
  console.log('npm test: installing Debian chromium for the report tests');
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  let apt = run('apt-get', ['install', '-y', '-q', 'chromium'], quiet);
  if (apt.status !== 0) {
    run('apt-get', ['update', '-q'], quiet);
    apt = run('apt-get', ['install', '-y', '-q', 'chromium'], quiet);
  }
  if (apt.status !== 0) {
    console.error('npm test: could not install chromium; run: apt-get install chromium');
    process.exit(1);
  }
}

const extraArgs = process.argv.slice(2);
const typecheck = run('npx', ['tsc', '-p', '.']);
if (typecheck.status !== 0) process.exit(typecheck.status ?? 1);
// the CLI tests run the bundle; built once here rather than by the first CLIs the tests start at once
const build = run(process.execPath, ['scripts/build.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
ensurePythonReaders();
ensureChromium();

let startedBroker = false;
const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
if (!env.KAFKA_BROKERS) {
  const port = env.KAFKA_PORT ?? '39092';
  const start = run('bash', ['scripts/kafka/start.sh'], { env: { ...env, KAFKA_PORT: port } });
  if (start.status !== 0) {
    console.error('npm test: could not start the Kafka broker the integration tests need (see above).');
    process.exit(1);
  }
  startedBroker = true;
  env.KAFKA_BROKERS = `127.0.0.1:${port}`;
  env.KAFKA_PORT = port;
}

// an S3-compatible server for the object-storage tests, unless EPISODIC_S3_ENDPOINT names one
let startedS3 = false;
if (!env.EPISODIC_S3_ENDPOINT) {
  const port = env.S3_PORT ?? String(Number(env.KAFKA_PORT) + 100);
  const start = spawnSync('bash', ['scripts/s3/start.sh'], { cwd: root, env: { ...env, S3_PORT: port }, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (start.status !== 0) {
    console.error('npm test: could not start the S3-compatible server the object-storage tests need (see above).');
    if (startedBroker) run('bash', ['scripts/kafka/stop.sh'], { env });
    process.exit(1);
  }
  startedS3 = true;
  env.S3_PORT = port;
  for (const m of start.stdout.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) env[m[1]] = m[2];
}

let status = 1;
try {
  const ava = run('npx', ['ava', ...extraArgs], { env });
  status = ava.status ?? 1;
} finally {
  if (startedBroker) run('bash', ['scripts/kafka/stop.sh'], { env });
  if (startedS3) run('bash', ['scripts/s3/stop.sh'], { env });
}
process.exit(status);
