// The benchmark suite: the pipeline beside its ceiling and beside what a user would pick
// instead, measured in one run so the ratios are comparable even on a noisy, shared machine.
//
//   node --import tsx bench/run.ts [--quick] [--json FILE] [--only replay,sink,kafka,duckdb,memory,scaling] [--keep DIR] [--cpu-prof DIR]
//
// Every measurement calls the product's own code (replay(), Pipeline, ShardWriter, readEventBatches),
// never a copy. Anything whose peak RSS matters runs in a child process of its own (this file with
// `--child TASK`), so one measurement's heap never inflates the next one's figure; the replays
// (throughput, memory, scaling) run in bench/replay-child.mjs on the bundle the CLI runs, so their
// peak RSS is the product's, without a TypeScript loader.
// EPISODIC_BENCH_DEBUG=1 prints the log of each Kafka instance (assignments, commits) with its time.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EpisodeRow } from '../src/contract/episode.ts';
import { checkEventValues, eventOfRecord } from '../src/contract/decode.ts';
import { loadConfig } from '../src/config.ts';
import { DEFAULT_START, generateEvents, generateRegistry } from '../src/generate/generator.ts';
import { sourceBatchLength, type DecodedEvents, type InputEvent } from '../src/contract/events.ts';
import { Pipeline } from '../src/pipeline.ts';
import { Registry } from '../src/privacy/registry.ts';
import { tuneHeapForStreaming } from '../src/runtime.ts';
import { readEventBatches, readRegistryFile, writeEventsAvro, writeEventsJsonl, writeRegistryJsonl } from '../src/sources/file.ts';
import { ShardWriter } from '../src/shards/writer.ts';
import type { EachBatchPayload } from 'kafkajs';
import { createKafka } from '../src/kafka/client.ts';
import { produceFixture } from '../src/kafka/produce.ts';
import { KafkaRun } from '../src/kafka/run.ts';
import { installLeanRecords, leanRecordsState } from '../src/kafka/lean-records.ts';
import { ensureBroker, uniqueName } from '../test/helpers/kafka.ts';
import { formatScrubMeasurement, measureScrubber, measureScrubSpeed } from './scrub.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const REPLAY_CHILD = fileURLToPath(new URL('replay-child.mjs', import.meta.url));
const REPO = resolve(THIS_FILE, '../..');
const BENCH_KEY = 'bench-pseudonym-key-not-secret';
const SEED = 5;
const GAP_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// Sizes. `devices` for the throughput streams is small on purpose: the generator's people emit
// ~1300 events per simulated minute, so few devices give long, realistic episodes.

interface Plan {
  quick: boolean;
  /**
   * rounds of the replay stages (decode only, pipeline, replay, interleaved), of the Kafka
   * ceilings and run (interleaved; the two-instance run once) and of DuckDB; each figure is its
   * fastest round, the one least disturbed by whatever else ran on the machine
   */
  rounds: number;
  throughputEvents: number;
  throughputDevices: number;
  sinkActions: number;
  /** `deployed`: with the malloc settings docker-compose.yml gives the process (DEPLOYED_MALLOC_ENV), besides the default environment. */
  memory: { devices: number; eventsPerDevice: number; deployed?: boolean }[];
  scaling: number[];
  kafkaEvents: number;
}

const FULL: Plan = {
  quick: false,
  rounds: 2,
  throughputEvents: 5_000_000,
  throughputDevices: 32,
  sinkActions: 1_000_000,
  memory: [
    { devices: 10_000, eventsPerDevice: 100 },
    { devices: 50_000, eventsPerDevice: 100 },
    { devices: 50_000, eventsPerDevice: 100, deployed: true },
  ],
  scaling: [1_000_000, 5_000_000, 20_000_000],
  kafkaEvents: 1_000_000,
};

const QUICK: Plan = {
  quick: true,
  rounds: 1,
  throughputEvents: 200_000,
  throughputDevices: 32,
  sinkActions: 20_000,
  memory: [{ devices: 10_000, eventsPerDevice: 100 }],
  scaling: [50_000, 100_000, 200_000],
  kafkaEvents: 500_000,
};

// ---------------------------------------------------------------------------------------------
// Child tasks: run in a fresh process, print one JSON line with the result.

type ChildTask =
  | { kind: 'replay'; input: string; registry: string; out: string; sampleOpenDevices?: boolean; env?: Record<string, string> }
  | { kind: 'decode'; input: string }
  /** graceMs: `session.grace_ms` instead of the default config's (0: every event is placed as it arrives). */
  | { kind: 'pipeline'; input: string; registry: string; graceMs?: number }
  | { kind: 'sink'; input: string; registry: string; dir: string; targetActions: number }
  | { kind: 'baseline' }
  /** records: kafkajs' own record batch decoder (the ceiling the issue names) or the one `episodic run` uses. */
  | { kind: 'kafka-consume'; kafka: KafkaTarget; records: 'stock' | 'lean' }
  | { kind: 'kafka-run'; kafka: KafkaTarget; out: string; idleMs: number; instance?: { barrier: string; instances: number } };

/** A topic the bench produced, and the high watermark of each partition that holds records. */
interface KafkaTarget {
  brokers: string[];
  topics: { events: string; registry: string; dead_letter: string };
  group: string;
  ends: Record<string, number>;
}

interface Timed {
  events: number;
  seconds: number;
  events_per_s: number;
  peak_rss_mib: number;
}

/** a replay child's result (bench/replay-child.mjs). */
type ReplayRun = Timed & {
  counters: Record<string, number>;
  parquet_mib: number;
  /** CPU seconds of the process over the replay, V8's collector and compiler threads included. */
  cpu_s: number;
  events_per_cpu_s: number;
  /** the main thread's own, which runs the pipeline (null off Linux). */
  main_thread_cpu_s: number | null;
};

/** a `pipeline` child's result. */
type PipelineRun = Timed & { episodes: number; actions: number };

const mib = (bytes: number) => bytes / (1024 * 1024);
/** maxRSS is in KiB. */
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

function timed(events: number, startMs: number): Timed {
  const seconds = (performance.now() - startMs) / 1000;
  return { events, seconds, events_per_s: events / seconds, peak_rss_mib: peakRssMiB() };
}

async function loadRegistry(path: string): Promise<Registry> {
  const registry = new Registry();
  for (const record of (await readRegistryFile(path)).records) registry.apply(record);
  return registry;
}

async function runChild(task: ChildTask): Promise<unknown> {
  // the process settings `episodic` (bin/episodic.js) starts with
  tuneHeapForStreaming();
  const config = loadConfig();
  switch (task.kind) {
    case 'decode': {
      // the source and the decoder as the pipeline runs them, and nothing after
      const start = performance.now();
      let events = 0;
      let valid = 0;
      for await (const batch of readEventBatches(task.input)) {
        if (Array.isArray(batch)) {
          for (let i = 0; i < batch.length; i++) if (typeof eventOfRecord(batch[i]) !== 'string') valid++;
        } else {
          const decoded = (batch as DecodedEvents).events;
          for (let i = 0; i < decoded.length; i++) if (checkEventValues(decoded[i]) === undefined) valid++;
        }
        events += sourceBatchLength(batch);
      }
      return { ...timed(events, start), valid };
    }
    case 'pipeline': {
      // replay without the shard writer: decode, privacy, sessionization, actions, pseudonyms
      const registry = await loadRegistry(task.registry);
      if (task.graceMs !== undefined) config.session.grace_ms = task.graceMs;
      let episodes = 0;
      let actions = 0;
      const pipeline = new Pipeline(config, BENCH_KEY, registry, {
        episode: (row) => {
          episodes++;
          actions += row.n_actions;
        },
        deadLetter: () => {},
      });
      const start = performance.now();
      let events = 0;
      for await (const batch of readEventBatches(task.input)) {
        pipeline.pushBatch(batch);
        events += sourceBatchLength(batch);
      }
      pipeline.end();
      return { ...timed(events, start), episodes, actions };
    }
    case 'sink':
      return sinkBenchmark(task.input, task.registry, task.dir, task.targetActions);
    case 'kafka-consume':
      return consumeOnly(task.kafka, task.records);
    case 'kafka-run':
      return runEpisodicOnKafka(task.kafka, task.out, task.idleMs, task.instance);
  }
}

// ---------------------------------------------------------------------------------------------
// Kafka: the consume-only ceiling and `episodic run`, each in a child of its own, each in a fresh
// consumer group on the same topic. Both are timed from their first fetched batch to the moment
// the last partition is read up to the high watermark taken after producing: joining the group
// (and, for episodic, loading the registry) is a fixed cost, reported apart as `startup_s`.

/** pipelines/kafka.yaml pointed at the bench's broker, topics and group: the config `episodic run --config` would load. */
function kafkaBenchConfig(target: Pick<KafkaTarget, 'brokers' | 'topics' | 'group'>) {
  const base = loadConfig(join(REPO, 'pipelines/kafka.yaml'));
  return {
    ...base,
    source: { ...base.source, kafka: { ...base.source.kafka, brokers: target.brokers, group_id: target.group, topics: target.topics } },
  };
}

/** Watches partitions reach their high watermark; `caughtUpAt` is set by the batch that completes the last one. */
class CatchUp {
  private readonly remaining: Map<number, number>;
  private readonly ends: Map<number, number>;
  firstBatchAt = 0;
  caughtUpAt = 0;
  /** CPU seconds of the whole process (every thread: JavaScript, V8's collector, libuv) at those two points. */
  cpuAtFirstBatch = 0;
  cpuAtCaughtUp = 0;
  /** per partition, the wall clock (ms since the epoch, comparable across processes) when this process last read it to its end. */
  readonly partitionDoneWall: Record<string, number> = {};
  constructor(ends: Record<string, number>) {
    this.remaining = new Map(Object.entries(ends).map(([partition, end]) => [Number(partition), end]));
    this.ends = new Map(this.remaining);
  }
  batchStarted(): void {
    if (this.firstBatchAt === 0) {
      this.firstBatchAt = performance.now();
      this.cpuAtFirstBatch = cpuSeconds();
    }
  }
  /** after a batch was handled in full; true when it was the one that completed the topic. */
  batchDone(partition: number, lastOffset: string): boolean {
    const partitionEnd = this.ends.get(partition);
    if (partitionEnd !== undefined && Number(lastOffset) + 1 >= partitionEnd) this.partitionDoneWall[partition] = wallNow();
    const end = this.remaining.get(partition);
    if (end === undefined || Number(lastOffset) + 1 < end) return false;
    this.remaining.delete(partition);
    if (this.remaining.size > 0) return false;
    this.caughtUpAt = performance.now();
    this.cpuAtCaughtUp = cpuSeconds();
    return true;
  }
}

const KAFKA_DEADLINE_MS = 20 * 60_000;

/** CPU time of this process so far, all its threads (getrusage). */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** performance.now() on the wall clock: comparable between the bench's child processes. */
const wallNow = () => performance.timeOrigin + performance.now();
const toWall = (t: number) => performance.timeOrigin + t;

/**
 * The ceiling: a kafkajs consumer with the product's client settings that decodes nothing and
 * writes nothing; with kafkajs' own record batch decoder, or with the lean one `episodic run` uses.
 */
async function consumeOnly(target: KafkaTarget, records: 'stock' | 'lean') {
  const decoder = installLeanRecords({ EPISODIC_KAFKAJS_RECORDS: records });
  if ((decoder === 'installed') !== (records === 'lean')) throw new Error(`consume-only with ${records} records: ${decoder}`);
  const settings = kafkaBenchConfig(target).source.kafka;
  const consumer = createKafka(settings).consumer({
    groupId: target.group,
    sessionTimeout: settings.session_timeout_ms,
    maxWaitTimeInMs: 500,
    allowAutoTopicCreation: false,
  });
  const progress = new CatchUp(target.ends);
  let messages = 0;
  let caughtUp!: () => void;
  const done = new Promise<void>((resolvePromise) => (caughtUp = resolvePromise));
  const started = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topic: target.topics.events, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      progress.batchStarted();
      messages += batch.messages.length;
      if (progress.batchDone(batch.partition, batch.lastOffset())) caughtUp();
      await heartbeat();
    },
  });
  const deadline = setTimeout(() => caughtUp(), KAFKA_DEADLINE_MS);
  await done;
  clearTimeout(deadline);
  await consumer.disconnect();
  if (progress.caughtUpAt === 0) throw new Error(`consume-only: not caught up within ${KAFKA_DEADLINE_MS / 1000} s (${messages} messages read)`);
  const streamSeconds = (progress.caughtUpAt - progress.firstBatchAt) / 1000;
  const cpu = progress.cpuAtCaughtUp - progress.cpuAtFirstBatch;
  return {
    events: messages,
    startup_s: (progress.firstBatchAt - started) / 1000,
    stream_s: streamSeconds,
    events_per_s: messages / streamSeconds,
    /** CPU seconds of the consumer process (all threads) while streaming; the broker's are not in it. */
    cpu_s: cpu,
    cores_busy: cpu / streamSeconds,
    peak_rss_mib: peakRssMiB(),
  };
}

/**
 * Times `runKafka` as `episodic run --exit-when-idle` calls it, by wrapping three of KafkaRun's
 * methods with clocks (the product code runs unchanged inside them): `onBatch` for the first
 * batch and the catch-up, `checkIdle` for the end-of-input phase that closes and writes the
 * episodes still open, `flush` for the periodic writes. The wait between catching up and that
 * phase is exit-when-idle deciding the input is quiet: it is the only time left out.
 */
function clockKafkaRun(ends: Record<string, number>) {
  type Method = (this: unknown, ...args: unknown[]) => Promise<void>;
  const proto = KafkaRun.prototype as unknown as Record<string, Method>;
  for (const name of ['onBatch', 'checkIdle', 'flush']) {
    if (typeof proto[name] !== 'function') throw new Error(`bench: KafkaRun.${name} no longer exists; update clockKafkaRun in bench/run.ts`);
  }
  const clock = { progress: new CatchUp(ends), endPhaseStart: 0, endPhaseEnd: 0, endPhaseCpu: 0, flushes: 0, flushSeconds: 0 };
  let flushedInCheck = false;
  const { onBatch, checkIdle, flush } = proto;
  proto.onBatch = async function (this: unknown, payload) {
    clock.progress.batchStarted();
    await onBatch.call(this, payload);
    const { batch } = payload as EachBatchPayload;
    // onBatch hands the batch to the pipeline thread and returns: a partition is read to its end
    // once the thread has processed its last batch (the fetch loop is held up only for that one)
    const end = ends[String(batch.partition)];
    if (end !== undefined && Number(batch.lastOffset()) + 1 >= end) await (this as KafkaRun).processed();
    clock.progress.batchDone(batch.partition, batch.lastOffset());
  };
  proto.checkIdle = async function (this: unknown) {
    const start = performance.now();
    const cpuAtStart = cpuSeconds();
    flushedInCheck = false;
    await checkIdle.call(this);
    if (flushedInCheck) {
      clock.endPhaseStart = start;
      clock.endPhaseEnd = performance.now();
      clock.endPhaseCpu = cpuSeconds() - cpuAtStart;
    }
  };
  proto.flush = async function (this: unknown) {
    const start = performance.now();
    await flush.call(this);
    flushedInCheck = true;
    clock.flushes++;
    clock.flushSeconds += (performance.now() - start) / 1000;
  };
  return clock;
}

/** After its end-of-input phase the run should stop by itself within a few idle checks; if not, the bench stops it. */
const KAFKA_EXIT_GRACE_MS = 15_000;

async function runEpisodicOnKafka(target: KafkaTarget, out: string, idleMs: number, instance?: { barrier: string; instances: number }) {
  const clock = clockKafkaRun(target.ends);
  const config = kafkaBenchConfig(target);
  const started = performance.now();
  // what runKafka does for `episodic run --config C --out DIR --exit-when-idle S` (the same options),
  // minus its signal handlers, plus a watchdog: a run that never stops must not hang the bench
  const runLog: [number, string][] = [];
  const run = new KafkaRun({
    config,
    out,
    pseudonymKey: BENCH_KEY,
    log: instance ? (line) => void runLog.push([wallNow(), line]) : undefined,
    exitWhenIdleMs: idleMs,
    commitIntervalMs: config.source.kafka.commit_interval_ms,
    sessionTimeoutMs: config.source.kafka.session_timeout_ms,
  });
  if (instance) {
    // instances join the group together (within the broker's initial rebalance delay), as a
    // deployment that starts them at once would, instead of one reading alone while the other loads
    writeFileSync(join(instance.barrier, String(process.pid)), '');
    while (readdirSync(instance.barrier).length < instance.instances) await new Promise((r) => setTimeout(r, 20));
  }
  try {
    await run.start();
  } catch (error) {
    await run.close();
    throw error;
  }
  let stoppedByBench: string | undefined;
  const watchdog = setInterval(() => {
    const now = performance.now();
    if (clock.endPhaseEnd > 0 && now - clock.endPhaseEnd > KAFKA_EXIT_GRACE_MS) stoppedByBench = `still running ${KAFKA_EXIT_GRACE_MS / 1000} s after writing the end of input`;
    else if (now - started > KAFKA_DEADLINE_MS) stoppedByBench = `still running after ${KAFKA_DEADLINE_MS / 1000} s`;
    else return;
    clearInterval(watchdog);
    void run.stop();
  }, 250);
  const summary = await run.done.finally(() => clearInterval(watchdog));
  const ended = performance.now();
  const { progress } = clock;
  if (instance) {
    // one of several instances in the group: it reads only the partitions it was given, so the
    // parent puts the instances' clocks together
    return {
      events: summary.records_in,
      stopped_by_bench: stoppedByBench ?? null,
      first_batch_wall: toWall(progress.firstBatchAt),
      partition_done_wall: progress.partitionDoneWall,
      end_phase_wall: clock.endPhaseEnd === 0 ? null : [toWall(clock.endPhaseStart), toWall(clock.endPhaseEnd)],
      log: runLog,
      peak_rss_mib: peakRssMiB(),
    };
  }
  if (progress.caughtUpAt === 0 || clock.endPhaseEnd === 0) throw new Error(`episodic run stopped before the topic was done: ${JSON.stringify(summary)}`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { shards?: { bytes: number }[] };
  const streamSeconds = (progress.caughtUpAt - progress.firstBatchAt) / 1000;
  const endPhaseSeconds = (clock.endPhaseEnd - clock.endPhaseStart) / 1000;
  const cpu = progress.cpuAtCaughtUp - progress.cpuAtFirstBatch + clock.endPhaseCpu;
  return {
    events: summary.records_in,
    summary,
    /** which record batch decoder kafkajs ran with (src/kafka/lean-records.ts). */
    kafkajs_records: leanRecordsState() ?? 'not loaded',
    /** set when the run did not stop by itself (exit-when-idle) and the bench stopped it. */
    stopped_by_bench: stoppedByBench ?? null,
    startup_s: (progress.firstBatchAt - started) / 1000,
    stream_s: streamSeconds,
    idle_wait_s: (clock.endPhaseStart - progress.caughtUpAt) / 1000,
    end_of_input_s: endPhaseSeconds,
    /** from the end-of-input phase to the run's return: the last idle checks, leaving the group, disconnecting (not timed). */
    shutdown_s: (ended - clock.endPhaseEnd) / 1000,
    periodic_flushes: clock.flushes - 1,
    flush_s: clock.flushSeconds,
    events_per_s: summary.records_in / (streamSeconds + endPhaseSeconds),
    streaming_events_per_s: summary.records_in / streamSeconds,
    /** CPU seconds of the process (both its threads and V8's collector) over the timed phases; the broker's are not in it. */
    cpu_s: cpu,
    cores_busy: cpu / (streamSeconds + endPhaseSeconds),
    parquet_mib: mib((manifest.shards ?? []).reduce((n, s) => n + s.bytes, 0)),
    peak_rss_mib: peakRssMiB(),
  };
}

// ---------------------------------------------------------------------------------------------
// Sink: the same episode rows into Parquet through our writer (parquet-wasm, ZSTD) and through
// parquetjs-lite (SNAPPY: it has no ZSTD).

async function sinkBenchmark(input: string, registryPath: string, dir: string, targetActions: number) {
  const config = loadConfig();
  const registry = await loadRegistry(registryPath);
  const real: EpisodeRow[] = [];
  const pipeline = new Pipeline(config, BENCH_KEY, registry, { episode: (row) => void real.push(row), deadLetter: () => {} });
  for await (const batch of readEventBatches(input)) pipeline.pushBatch(batch);
  pipeline.end();
  if (real.length === 0) throw new Error('sink benchmark: the stream produced no episodes');
  // Real rows, repeated under fresh ids until there are enough actions to time.
  const rows: EpisodeRow[] = [];
  let actions = 0;
  for (let i = 0; actions < targetActions; i++) {
    const row = real[i % real.length];
    rows.push(i < real.length ? row : { ...row, episode_id: `${row.episode_id.slice(0, 24)}${i.toString(16).padStart(8, '0')}` });
    actions += row.n_actions;
  }

  const oursDir = join(dir, 'parquet-wasm');
  let start = performance.now();
  const writer = new ShardWriter({ dir: oursDir, writerId: 'bench', formats: ['parquet'] });
  for (const row of rows) writer.add(row);
  await writer.flush();
  const oursSeconds = (performance.now() - start) / 1000;
  const oursBytes = writer.shards.reduce((n, s) => n + s.bytes, 0);

  const parquetjs = await import('parquetjs-lite');
  const lib = (parquetjs as unknown as { default?: typeof parquetjs }).default ?? parquetjs;
  const path = join(dir, 'parquetjs-lite.parquet');
  start = performance.now();
  const baseline = await lib.ParquetWriter.openFile(parquetjsSchema(lib), path, { useDataPageV2: false });
  for (const row of rows) await baseline.appendRow(parquetjsRow(row));
  await baseline.close();
  const baselineSeconds = (performance.now() - start) / 1000;

  return {
    rows: rows.length,
    actions,
    distinct_rows: real.length,
    parquet_wasm: { compression: 'ZSTD', seconds: oursSeconds, actions_per_s: actions / oursSeconds, mib: mib(oursBytes) },
    parquetjs_lite: { compression: 'SNAPPY', seconds: baselineSeconds, actions_per_s: actions / baselineSeconds, mib: mib(statSync(path).size) },
    peak_rss_mib: peakRssMiB(),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parquetjsSchema(lib: any): unknown {
  const c = 'SNAPPY';
  const str = { type: 'UTF8', compression: c };
  const optStr = { ...str, optional: true };
  const int = { type: 'INT32', compression: c };
  const optInt = { ...int, optional: true };
  const optFloat = { type: 'FLOAT', compression: c, optional: true };
  return new lib.ParquetSchema({
    episode_id: str,
    user: str,
    device: str,
    split: str,
    start_day: { type: 'DATE', compression: c },
    duration_ms: int,
    end_reason: str,
    continues: optStr,
    screen_width: optInt,
    screen_height: optInt,
    apps: { ...str, repeated: true },
    contexts: { repeated: true, fields: { app: str, title: optStr, url: optStr, eu_linked: { type: 'BOOLEAN', compression: c } } },
    n_events: int,
    n_actions: int,
    actions: {
      repeated: true,
      fields: {
        kind: str,
        t_ms: int,
        duration_ms: int,
        x: optInt,
        y: optInt,
        nx: optFloat,
        ny: optFloat,
        x2: optInt,
        y2: optInt,
        nx2: optFloat,
        ny2: optFloat,
        dx: optFloat,
        dy: optFloat,
        text: optStr,
        key: optStr,
        key_times_ms: { ...int, repeated: true },
        path: { repeated: true, fields: { x: int, y: int, t_ms: int } },
        frame_uri: optStr,
        context: int,
        redacted: optStr,
      },
    },
  });
}

/** parquetjs-lite has no nullable lists: a null key_times_ms is written as an empty list. */
function parquetjsRow(row: EpisodeRow): unknown {
  return {
    ...row,
    start_day: new Date(row.start_day),
    actions: row.actions.map((a) => (a.key_times_ms === null ? { ...a, key_times_ms: [] } : a)),
  };
}

// ---------------------------------------------------------------------------------------------
// DuckDB: the batch version of the job, on the same events as Parquet (prepared before timing).

const DUCKDB_SCRIPT = String.raw`
import json, sys, time, duckdb
task = json.loads(sys.argv[1])
if task['kind'] == 'prepare':
    con = duckdb.connect()
    columns = {
        'event_id': 'VARCHAR', 'device_id': 'VARCHAR', 'user_id': 'VARCHAR', 'seq': 'BIGINT', 'ts': 'BIGINT',
        'type': 'VARCHAR', 'x': 'INTEGER', 'y': 'INTEGER', 'button': 'VARCHAR', 'dx': 'DOUBLE', 'dy': 'DOUBLE',
        'key': 'VARCHAR', 'char': 'VARCHAR', 'modifiers': 'VARCHAR[]', 'secure': 'BOOLEAN', 'text': 'VARCHAR',
        'frame_uri': 'VARCHAR', 'geo': 'VARCHAR', 'duration_ms': 'BIGINT',
        'context': 'STRUCT(app VARCHAR, title VARCHAR, url VARCHAR, participants VARCHAR[], tags VARCHAR[])',
        'screen': 'STRUCT(width INTEGER, height INTEGER, scale DOUBLE)',
    }
    con.execute(f"COPY (SELECT * FROM read_json(?, format='newline_delimited', columns={columns!r})) TO '{task['parquet']}' (FORMAT parquet, COMPRESSION zstd)", [task['jsonl']])
    print(json.dumps({'rows': con.execute(f"SELECT count(*) FROM '{task['parquet']}'").fetchone()[0]}))
else:
    con = duckdb.connect()
    if task['threads']:
        con.execute(f"SET threads={int(task['threads'])}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    gap = int(task['gap_ms'])
    query = f"""
    COPY (
      WITH marked AS (
        SELECT *, CASE WHEN ts - lag(ts) OVER w > {gap} THEN 1 ELSE 0 END AS new_session
        FROM read_parquet('{task['parquet']}')
        WINDOW w AS (PARTITION BY device_id ORDER BY ts, seq)
      ), numbered AS (
        SELECT *, sum(new_session) OVER (PARTITION BY device_id ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS session_no
        FROM marked
      )
      SELECT device_id, session_no, min(ts) AS start_ts, max(ts) AS end_ts, count(*) AS n_events,
             list(struct_pack(ts, seq, type, x, y, button, dx, dy, key, char, modifiers, text, frame_uri, context, screen) ORDER BY ts, seq) AS events
      FROM numbered GROUP BY device_id, session_no
    ) TO '{task['out']}' (FORMAT parquet, COMPRESSION zstd)"""
    start = time.perf_counter()
    con.execute(query)
    seconds = time.perf_counter() - start
    sessions = con.execute(f"SELECT count(*) FROM '{task['out']}'").fetchone()[0]
    print(json.dumps({'seconds': seconds, 'threads': int(threads), 'sessions': sessions, 'version': duckdb.__version__}))
`;

// ---------------------------------------------------------------------------------------------
// Process plumbing

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, env: env ?? process.env, cwd: REPO }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolvePromise(stdout);
    });
  });
}

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** `--cpu-prof DIR`: every child writes V8 CPU profiles into a folder there named by its task, one per thread. */
let childProfileDir: string | undefined;

async function inChild<T>(task: ChildTask): Promise<T> {
  // a folder per child: node names each thread's profile itself (`episodic run` has two threads)
  const profile = childProfileDir ? ['--cpu-prof', '--cpu-prof-dir', join(childProfileDir, `${task.kind}-${Date.now()}`)] : [];
  if (task.kind === 'baseline') return lastJsonLine(await run(process.execPath, [REPLAY_CHILD, JSON.stringify({ baseline: true })])) as T;
  if (task.kind === 'replay') {
    // the product's own process: the bundle, no TypeScript loader (see bench/replay-child.mjs)
    const { kind: _, env, ...replayTask } = task;
    const childEnv = env ? { ...process.env, ...env } : undefined;
    return lastJsonLine(await run(process.execPath, [...profile, REPLAY_CHILD, JSON.stringify({ ...replayTask, key: BENCH_KEY })], childEnv)) as T;
  }
  return lastJsonLine(await run(process.execPath, [...profile, '--import', 'tsx', THIS_FILE, '--child', JSON.stringify(task)])) as T;
}

async function duckdb<T>(task: object): Promise<T> {
  return lastJsonLine(await run('python3', ['-c', DUCKDB_SCRIPT, JSON.stringify(task)])) as T;
}

// ---------------------------------------------------------------------------------------------
// Inputs

interface Stream {
  events: string;
  registry: string;
  eventCount: number;
  devices: number;
}

const streams = new Map<string, Stream>();

/** A generated stream as an Avro container (deflate, as `episodic generate` writes it), made once per size. */
async function stream(work: string, events: number, devices: number): Promise<Stream> {
  const name = `s-${devices}-${events}`;
  const cached = streams.get(name);
  if (cached) return cached;
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const options = { seed: SEED, devices, events };
  const registry = join(dir, 'registry.jsonl');
  const eventsPath = join(dir, 'events.avro');
  const started = performance.now();
  await writeRegistryJsonl(registry, generateRegistry(options));
  await writeEventsAvro(eventsPath, generateEvents(options), 'deflate');
  log(`  generated ${events.toLocaleString('en-US')} events, ${devices.toLocaleString('en-US')} devices (${secs(started)})`);
  const result = { events: eventsPath, registry, eventCount: events, devices };
  streams.set(name, result);
  return result;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function secs(startMs: number): string {
  return `${((performance.now() - startMs) / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------------------------
// Measurements

type Results = Record<string, unknown>;

async function measureReplay(plan: Plan, work: string, results: Results): Promise<void> {
  log(`replay: ${plan.throughputEvents.toLocaleString('en-US')} events`);
  const s = await stream(work, plan.throughputEvents, plan.throughputDevices);
  // the stages are subtracted from each other, so they run interleaved, round after round
  const decodes: Timed[] = [];
  const pipelines: PipelineRun[] = [];
  // the same without a grace period: what holding events back to order them costs
  const ungraced: PipelineRun[] = [];
  const fulls: ReplayRun[] = [];
  for (let round = 1; round <= plan.rounds; round++) {
    const of = plan.rounds > 1 ? ` (round ${round} of ${plan.rounds})` : '';
    decodes.push(await inChild<Timed>({ kind: 'decode', input: s.events }));
    log(`  decode only: ${rate(decodes.at(-1)!.events_per_s)}${of}`);
    pipelines.push(await inChild<PipelineRun>({ kind: 'pipeline', input: s.events, registry: s.registry }));
    log(`  pipeline without writer: ${rate(pipelines.at(-1)!.events_per_s)}${of}`);
    ungraced.push(await inChild<PipelineRun>({ kind: 'pipeline', input: s.events, registry: s.registry, graceMs: 0 }));
    log(`  pipeline without writer, grace_ms 0: ${rate(ungraced.at(-1)!.events_per_s)}${of}`);
    fulls.push(await inChild<ReplayRun>({ kind: 'replay', input: s.events, registry: s.registry, out: join(work, 'out-replay') }));
    rmSync(join(work, 'out-replay'), { recursive: true, force: true });
    log(`  replay: ${rate(fulls.at(-1)!.events_per_s)}, ${rate(fulls.at(-1)!.events_per_cpu_s, 'events per CPU-second')}${of}`);
  }
  const decode = fastest(decodes);
  const pipeline = fastest(pipelines);
  const pipelineUngraced = fastest(ungraced);
  const full = fastest(fulls);
  const usPerEvent = (eps: number) => 1e6 / eps;
  results.replay = {
    input: { format: 'avro container, deflate', events: s.eventCount, devices: s.devices, mib: mib(statSync(s.events).size) },
    rounds: plan.rounds,
    rounds_events_per_s: { decode_only: decodes.map((r) => r.events_per_s), pipeline_without_writer: pipelines.map((r) => r.events_per_s), pipeline_without_writer_grace_0: ungraced.map((r) => r.events_per_s), replay: fulls.map((r) => r.events_per_s) },
    replay: full,
    decode_only: decode,
    pipeline_without_writer: pipeline,
    pipeline_without_writer_grace_0: pipelineUngraced,
    stage_us_per_event: {
      read_and_decode: usPerEvent(decode.events_per_s),
      privacy_sessionize_actions: usPerEvent(pipeline.events_per_s) - usPerEvent(decode.events_per_s),
      shard_writer: usPerEvent(full.events_per_s) - usPerEvent(pipeline.events_per_s),
      /** part of privacy_sessionize_actions: the same pipeline with nothing waiting out the grace period. */
      grace_buffer: usPerEvent(pipeline.events_per_s) - usPerEvent(pipelineUngraced.events_per_s),
    },
  };
}

/** the run of a measurement repeated in rounds that the machine disturbed least */
function fastest<T extends { events_per_s: number }>(runs: T[]): T {
  return runs.reduce((best, run) => (run.events_per_s > best.events_per_s ? run : best));
}

async function measureSink(plan: Plan, work: string, results: Results): Promise<void> {
  log(`sink: ${plan.sinkActions.toLocaleString('en-US')} actions`);
  const s = await stream(work, plan.throughputEvents, plan.throughputDevices);
  const dir = join(work, 'sink');
  mkdirSync(dir, { recursive: true });
  const sink = await inChild<{
    parquet_wasm: { actions_per_s: number };
    parquetjs_lite: { actions_per_s: number };
  }>({ kind: 'sink', input: s.events, registry: s.registry, dir, targetActions: plan.sinkActions });
  rmSync(dir, { recursive: true, force: true });
  log(`  parquet-wasm ZSTD: ${rate(sink.parquet_wasm.actions_per_s, 'actions/s')}, parquetjs-lite SNAPPY: ${rate(sink.parquetjs_lite.actions_per_s, 'actions/s')}`);
  results.sink = { ...sink, ratio_ours_to_parquetjs: sink.parquet_wasm.actions_per_s / sink.parquetjs_lite.actions_per_s };
}

async function measureDuckdb(plan: Plan, work: string, results: Results): Promise<void> {
  log('duckdb: batch sessionization of the same events');
  const s = await stream(work, plan.throughputEvents, plan.throughputDevices);
  const dir = join(work, 'duckdb');
  mkdirSync(dir, { recursive: true });
  const jsonl = join(dir, 'events.jsonl');
  const parquet = join(dir, 'events.parquet');
  const started = performance.now();
  await writeEventsJsonl(jsonl, generateEvents({ seed: SEED, devices: s.devices, events: s.eventCount }));
  const prepared = await duckdb<{ rows: number }>({ kind: 'prepare', jsonl, parquet });
  rmSync(jsonl, { force: true });
  log(`  prepared ${prepared.rows.toLocaleString('en-US')} events as Parquet (${secs(started)}, not timed)`);
  const runs: Record<string, { seconds: number; threads: number; sessions: number; events_per_s?: number; version: string }> = {};
  // as many rounds as replay gets, each configuration's fastest kept, so the ratio is like for like
  for (let round = 1; round <= plan.rounds; round++) {
    for (const [label, threads] of [['one_thread', 1], ['default_threads', 0]] as const) {
      const r = await duckdb<{ seconds: number; threads: number; sessions: number; version: string }>({
        kind: 'run',
        parquet,
        out: join(dir, `sessions-${label}.parquet`),
        threads,
        gap_ms: GAP_MS,
      });
      const eventsPerS = prepared.rows / r.seconds;
      if (!runs[label] || eventsPerS > runs[label].events_per_s!) runs[label] = { ...r, events_per_s: eventsPerS };
      log(`  ${r.threads} thread(s): ${rate(eventsPerS)}${plan.rounds > 1 ? ` (round ${round} of ${plan.rounds})` : ''}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  results.duckdb = { input: 'same events as ZSTD Parquet, prepared before timing', events: prepared.rows, rounds: plan.rounds, ...runs };
}

// Memory is measured on a stream built for it: every device opens one long episode and keeps it
// open (an event every OPEN_EVENT_SPACING_MS, under the inactivity gap; 100 events make a
// 33-minute episode, under max_duration), all devices interleaved. Human-speed streams from the
// generator would not do: at ~20 events/s per device, 10k devices put millions of events inside
// the grace period at once, and the figure would measure the grace buffer, not the open devices
// (see docs/PERFORMANCE.md for that cost on its own).
const OPEN_EVENT_SPACING_MS = 20_000;
/**
 * The malloc settings docker-compose.yml runs `episodic` with (glibc reads them at process start,
 * so the CLI cannot set them itself): two arenas, and buffers over 128 KiB always mapped on their
 * own, so what the writer frees at the end of a run goes back to the system instead of staying in
 * a fragmented heap. The headline memory figures are without them.
 */
const DEPLOYED_MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };
// two actions (a click, a keystroke) per ten events; the generator's people make about one per thirty
const OPEN_CYCLE = ['mouse_move', 'mouse_move', 'mouse_move', 'mouse_move', 'mouse_down', 'mouse_up', 'mouse_move', 'key_down', 'key_up', 'mouse_move'] as const;

function* openDevicesEvents(devices: number, eventsPerDevice: number): Generator<InputEvent> {
  const start = DEFAULT_START;
  const step = OPEN_EVENT_SPACING_MS / devices;
  for (let round = 0; round < eventsPerDevice; round++) {
    for (let d = 0; d < devices; d++) {
      const device_id = `dev-${d}`;
      const ts = start + round * OPEN_EVENT_SPACING_MS + Math.floor(d * step);
      const base = { event_id: `${d}-${round}`, device_id, user_id: `u-${d}`, seq: round, ts };
      if (round === 0) {
        yield { ...base, type: 'focus', context: { app: 'code', title: 'main.ts', url: null, participants: [], tags: [] }, screen: { width: 1920, height: 1080, scale: 1 }, geo: 'US' };
        continue;
      }
      const type = OPEN_CYCLE[round % OPEN_CYCLE.length];
      const x = (d * 37 + round * 101) % 1920;
      const y = (d * 53 + round * 67) % 1080;
      if (type === 'mouse_move') yield { ...base, type, x, y };
      else if (type === 'mouse_down' || type === 'mouse_up') yield { ...base, type, x, y, button: 'left' };
      else yield { ...base, type, key: 'KeyA', char: type === 'key_down' ? 'a' : undefined };
    }
  }
}

async function openDevicesStream(work: string, devices: number, eventsPerDevice: number): Promise<Stream> {
  const name = `open-${devices}-${eventsPerDevice}`;
  const cached = streams.get(name);
  if (cached) return cached;
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const registry = join(dir, 'registry.jsonl');
  const eventsPath = join(dir, 'events.avro');
  const started = performance.now();
  await writeRegistryJsonl(registry, Array.from({ length: devices }, (_, d) => ({ kind: 'person' as const, user_id: `u-${d}`, region: 'US' })));
  await writeEventsAvro(eventsPath, openDevicesEvents(devices, eventsPerDevice), 'deflate');
  log(`  generated ${(devices * eventsPerDevice).toLocaleString('en-US')} events, ${devices.toLocaleString('en-US')} devices open at once (${secs(started)})`);
  const made = { events: eventsPath, registry, eventCount: devices * eventsPerDevice, devices };
  streams.set(name, made);
  return made;
}

interface MemorySplit {
  open_devices_peak: number;
  reading_heap_used_peak_mib: number;
  reading_array_buffers_peak_mib: number;
  wasm_memory_mib: number;
}

async function measureMemory(plan: Plan, work: string, results: Results): Promise<void> {
  const baseline = await inChild<{ peak_rss_mib: number }>({ kind: 'baseline' });
  const runs = [];
  for (const { devices, eventsPerDevice, deployed } of plan.memory) {
    const events = devices * eventsPerDevice;
    const environment = deployed ? `, malloc as docker-compose.yml sets it (${Object.entries(DEPLOYED_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')})` : '';
    log(`memory: ${devices.toLocaleString('en-US')} devices open at once, ${eventsPerDevice} events each, one every ${OPEN_EVENT_SPACING_MS / 1000} s${environment}`);
    const s = await openDevicesStream(work, devices, eventsPerDevice);
    const out = join(work, `out-memory-${devices}`);
    const r = await inChild<Timed & MemorySplit>({ kind: 'replay', input: s.events, registry: s.registry, out, sampleOpenDevices: true, env: deployed ? DEPLOYED_MALLOC_ENV : undefined });
    rmSync(out, { recursive: true, force: true });
    log(`  peak RSS ${r.peak_rss_mib.toFixed(0)} MiB, ${r.open_devices_peak} devices open at the peak (${rate(r.events_per_s)})`);
    log(
      `  while reading: heap used up to ${r.reading_heap_used_peak_mib.toFixed(0)} MiB, array buffers up to ${r.reading_array_buffers_peak_mib.toFixed(0)} MiB; wasm memory at the end ${r.wasm_memory_mib.toFixed(0)} MiB`,
    );
    runs.push({
      devices,
      events,
      events_per_device: eventsPerDevice,
      malloc_env: deployed ? DEPLOYED_MALLOC_ENV : null,
      open_devices_peak: r.open_devices_peak,
      peak_rss_mib: r.peak_rss_mib,
      reading_heap_used_peak_mib: r.reading_heap_used_peak_mib,
      reading_array_buffers_peak_mib: r.reading_array_buffers_peak_mib,
      wasm_memory_mib: r.wasm_memory_mib,
      above_baseline_mib: r.peak_rss_mib - baseline.peak_rss_mib,
      kib_per_device: ((r.peak_rss_mib - baseline.peak_rss_mib) * 1024) / devices,
      events_per_s: r.events_per_s,
    });
  }
  results.memory = { baseline_rss_mib: baseline.peak_rss_mib, event_spacing_ms: OPEN_EVENT_SPACING_MS, runs };
}

async function measureScaling(plan: Plan, work: string, results: Results): Promise<void> {
  const runs = [];
  for (const events of plan.scaling) {
    log(`scaling: ${events.toLocaleString('en-US')} events`);
    // the replay measurement already ran this size: the same run again would only cost time
    const measured = (results.replay as { replay?: Timed; input?: { events: number } } | undefined);
    let r: ReplayRun;
    if (measured?.replay && measured.input?.events === events) {
      r = measured.replay as ReplayRun;
    } else {
      const s = await stream(work, events, plan.throughputDevices);
      const out = join(work, `out-scaling-${events}`);
      r = await inChild<ReplayRun>({ kind: 'replay', input: s.events, registry: s.registry, out });
      rmSync(out, { recursive: true, force: true });
    }
    log(`  ${rate(r.events_per_s)}, ${rate(r.events_per_cpu_s, 'events per CPU-second')}, peak RSS ${r.peak_rss_mib.toFixed(0)} MiB`);
    runs.push({
      events,
      devices: plan.throughputDevices,
      events_per_s: r.events_per_s,
      // every thread's CPU: the issue's "per core" on each stream length, the JIT's warm-up included
      events_per_cpu_s: r.events_per_cpu_s,
      seconds: r.seconds,
      cpu_s: r.cpu_s,
      main_thread_cpu_s: r.main_thread_cpu_s,
      peak_rss_mib: r.peak_rss_mib,
    });
  }
  results.scaling = runs;
  results.steady_state = steadyState(runs);
}

const MIN_STEADY_STATE_EVENTS = 1_000_000;

/**
 * What each event costs once the process is warm: the difference between the two longest streams,
 * in time and CPU, so that what every run pays once (startup, the JIT compiling the hot path and
 * recompiling it as rare events first turn up, about 1 CPU-s on the machine of PERFORMANCE.md)
 * drops out, as in `npm run bench:instructions`. A stream job runs for billions of events: this is
 * its rate per core.
 */
function steadyState(runs: { events: number; seconds: number; cpu_s: number; main_thread_cpu_s: number | null }[]) {
  if (runs.length < 2) return null;
  const [shorter, longer] = runs.slice(-2);
  const events = longer.events - shorter.events;
  // the quick plan's streams are within the warm-up, where a longer one can take less time
  if (events < MIN_STEADY_STATE_EVENTS || longer.seconds <= shorter.seconds || longer.cpu_s <= shorter.cpu_s) return null;
  return {
    from_events: shorter.events,
    to_events: longer.events,
    events_per_s: events / (longer.seconds - shorter.seconds),
    events_per_cpu_s: events / (longer.cpu_s - shorter.cpu_s),
    events_per_main_thread_cpu_s: longer.main_thread_cpu_s === null || shorter.main_thread_cpu_s === null ? null : events / (longer.main_thread_cpu_s - shorter.main_thread_cpu_s),
  };
}

const KAFKA_PARTITIONS = 4;
/** exit-when-idle for the episodic run: its wait is left out of the timing, so it only needs to outlast a pause between fetches. */
const KAFKA_IDLE_MS = 1_000;

async function measureKafka(plan: Plan, work: string, results: Results): Promise<void> {
  log(`kafka: ${plan.kafkaEvents.toLocaleString('en-US')} events on ${KAFKA_PARTITIONS} partitions`);
  const s = await stream(work, plan.kafkaEvents, plan.throughputDevices);
  const external = Boolean(process.env.KAFKA_BROKERS?.trim());
  // an interrupted bench still stops its broker: the helper does so on 'exit', which a signal skips
  const onSignal = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let started = performance.now();
  const broker = await ensureBroker();
  log(`  broker ${broker.brokers.join(',')} (${external ? 'KAFKA_BROKERS' : `started in ${secs(started)}`})`);
  const topics = { events: uniqueName('bench-events'), registry: uniqueName('bench-registry'), dead_letter: uniqueName('bench-dlq') };
  const target = (group: string, ends: Record<string, number>): KafkaTarget => ({ brokers: broker.brokers, topics, group, ends });
  const settings = kafkaBenchConfig(target('unused', {})).source.kafka;
  try {
    started = performance.now();
    const produced = await produceFixture({ settings, input: s.events, registry: s.registry, partitions: KAFKA_PARTITIONS });
    const produceSeconds = (performance.now() - started) / 1000;
    const ends = await highWatermarks(settings);
    log(`  produced ${produced.events.toLocaleString('en-US')} events in ${produceSeconds.toFixed(1)} s (not timed); per partition ${Object.values(ends).join(' / ')}`);

    type ConsumeOnly = Awaited<ReturnType<typeof consumeOnly>>;
    type Episodic = Extract<Awaited<ReturnType<typeof runEpisodicOnKafka>>, { summary: unknown }>;
    // in rounds like replay's, the three interleaved, each one's fastest round kept
    const ceilings: ConsumeOnly[] = [];
    const leanCeilings: ConsumeOnly[] = [];
    const runs: Episodic[] = [];
    for (let round = 1; round <= plan.rounds; round++) {
      const of = plan.rounds > 1 ? ` (round ${round} of ${plan.rounds})` : '';
      const ceiling = await inChild<ConsumeOnly>({ kind: 'kafka-consume', kafka: target(uniqueName('bench-ceiling'), ends), records: 'stock' });
      log(`  consume-only ceiling: ${rate(ceiling.events_per_s)}${of}`);
      const leanCeiling = await inChild<ConsumeOnly>({ kind: 'kafka-consume', kafka: target(uniqueName('bench-ceiling-lean'), ends), records: 'lean' });
      log(`  consume-only, episodic's record decoder: ${rate(leanCeiling.events_per_s)}${of}`);
      const out = join(work, 'out-kafka');
      const run = await inChild<Episodic>({ kind: 'kafka-run', kafka: target(uniqueName('bench-episodic'), ends), out, idleMs: KAFKA_IDLE_MS });
      rmSync(out, { recursive: true, force: true });
      log(`  episodic run: ${rate(run.events_per_s)} (reading ${run.stream_s.toFixed(1)} s + end of input ${run.end_of_input_s.toFixed(1)} s)${of}`);
      if (run.stopped_by_bench) log(`  WARNING: episodic run did not stop by itself (${run.stopped_by_bench}); the bench stopped it`);
      if (run.events !== ceiling.events) throw new Error(`kafka: episodic read ${run.events} records, the ceiling ${ceiling.events}`);
      ceilings.push(ceiling);
      leanCeilings.push(leanCeiling);
      runs.push(run);
    }
    const ceiling = fastest(ceilings);
    const leanCeiling = fastest(leanCeilings);
    const episodic = fastest(runs);

    // How operators scale out: more instances of `episodic run` in one group, here one per core.
    const scaled = await kafkaInstances(KAFKA_INSTANCES, target(uniqueName('bench-episodic-scaled'), ends), join(work, 'out-kafka-scaled'), produced.events);
    log(`  episodic run, ${KAFKA_INSTANCES} instances in one group: ${rate(scaled.events_per_s)} (reading ${scaled.stream_s.toFixed(1)} s + end of input ${scaled.end_of_input_s.toFixed(1)} s)`);
    if (scaled.episodes_written !== episodic.summary.episodes_written) {
      log(`  WARNING: ${KAFKA_INSTANCES} instances wrote ${scaled.episodes_written} episodes, one instance ${episodic.summary.episodes_written}`);
    }
    results.kafka = {
      measured: true,
      broker: external ? 'KAFKA_BROKERS' : 'scripts/kafka/start.sh',
      input: { events: produced.events, devices: s.devices, partitions: KAFKA_PARTITIONS, per_partition: ends, produce_s: produceSeconds },
      timing:
        'each from its first fetched batch to the batch that reads the last partition up to its high watermark; episodic adds its ' +
        'end-of-input phase (closing and writing the episodes still open). Left out: startup_s (connect, registry, group join) ' +
        `and idle_wait_s (exit-when-idle ${KAFKA_IDLE_MS / 1000} s deciding the input is quiet)`,
      rounds: plan.rounds,
      rounds_events_per_s: {
        consume_only: ceilings.map((r) => r.events_per_s),
        consume_only_lean_records: leanCeilings.map((r) => r.events_per_s),
        episodic: runs.map((r) => r.events_per_s),
      },
      consume_only: ceiling,
      /** the same consumer with the record batch decoder `episodic run` puts in kafkajs' place (src/kafka/lean-records.ts). */
      consume_only_lean_records: leanCeiling,
      episodic,
      events_per_s: episodic.events_per_s,
      ratio: episodic.events_per_s / ceiling.events_per_s,
      scaled_out: scaled,
      ratio_scaled_out: scaled.events_per_s / ceiling.events_per_s,
      ratio_to_lean_ceiling: episodic.events_per_s / leanCeiling.events_per_s,
    };
  } finally {
    if (external) await deleteTopics(settings, Object.values(topics));
    await broker.stop();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

const KAFKA_INSTANCES = 2;

/**
 * `instances` copies of `episodic run` started together in one fresh group, writing one dataset.
 * Timed from the first batch any of them fetched to the last moment a partition was read to its
 * end (a rebalance while they join can hand a partition over and have it read again), plus the
 * longest end-of-input phase.
 */
async function kafkaInstances(instances: number, target: KafkaTarget, out: string, events: number) {
  type Instance = { log: [number, string][]; events: number; stopped_by_bench: string | null; first_batch_wall: number; partition_done_wall: Record<string, number>; end_phase_wall: [number, number] | null; peak_rss_mib: number };
  const barrier = mkdtempSync(join(tmpdir(), 'episodic-bench-barrier-'));
  const runs = await Promise.all(Array.from({ length: instances }, () => inChild<Instance>({ kind: 'kafka-run', kafka: target, out, idleMs: KAFKA_IDLE_MS, instance: { barrier, instances } })));
  rmSync(barrier, { recursive: true, force: true });
  if (process.env.EPISODIC_BENCH_DEBUG) for (const [i, r] of runs.entries()) for (const [at, line] of r.log) log(`    [${i}] ${((at - Math.min(...runs.map((x) => x.first_batch_wall))) / 1000).toFixed(2)} s ${line}`);
  const first = Math.min(...runs.map((r) => r.first_batch_wall));
  const doneAt: Record<string, number> = {};
  for (const r of runs) for (const [partition, at] of Object.entries(r.partition_done_wall)) doneAt[partition] = Math.max(doneAt[partition] ?? 0, at);
  const missing = Object.keys(target.ends).filter((p) => doneAt[p] === undefined);
  if (missing.length > 0) throw new Error(`kafka instances: partitions ${missing.join(', ')} were never read to their end`);
  // The broker of scripts/kafka starts a group without waiting for more members (initial
  // rebalance delay 0, for fast tests), so the first instance starts alone and the group settles a
  // moment later; nothing is committed by then, and the settled group reads every record again.
  // Timed from the assignment the group settled on: how fast the instances read the topic together.
  const firstDone = Math.min(...Object.values(doneAt));
  const assignments = runs.flatMap((r) => r.log.filter(([at, line]) => at < firstDone && line.startsWith('assigned partitions')).map(([at]) => at));
  const settled = assignments.length > 0 ? Math.max(...assignments) : first;
  const streamSeconds = (Math.max(...Object.values(doneAt)) - settled) / 1000;
  const endPhaseSeconds = Math.max(0, ...runs.map((r) => (r.end_phase_wall ? (r.end_phase_wall[1] - r.end_phase_wall[0]) / 1000 : 0)));
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { totals?: { episodes_written?: number } };
  rmSync(out, { recursive: true, force: true });
  return {
    instances,
    records_read: runs.map((r) => r.events),
    first_batch_s: runs.map((r) => (r.first_batch_wall - first) / 1000),
    group_settled_s: (settled - first) / 1000,
    partition_done_s: Object.fromEntries(Object.entries(doneAt).map(([p, at]) => [p, (at - first) / 1000])),
    stopped_by_bench: runs.map((r) => r.stopped_by_bench).filter((x) => x !== null),
    stream_s: streamSeconds,
    end_of_input_s: endPhaseSeconds,
    events_per_s: events / (streamSeconds + endPhaseSeconds),
    episodes_written: manifest.totals?.episodes_written ?? null,
    peak_rss_mib: runs.map((r) => r.peak_rss_mib),
  };
}

async function highWatermarks(settings: ReturnType<typeof kafkaBenchConfig>['source']['kafka']): Promise<Record<string, number>> {
  const admin = createKafka(settings).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(settings.topics.events);
    return Object.fromEntries(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [String(o.partition), Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Someone else's broker keeps no bench topics behind (a private one is deleted with its data). */
async function deleteTopics(settings: ReturnType<typeof kafkaBenchConfig>['source']['kafka'], topics: string[]): Promise<void> {
  const admin = createKafka(settings).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics });
  } catch (error) {
    log(`  could not delete the bench topics ${topics.join(', ')}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function rate(perSecond: number, unit = 'events/s'): string {
  return `${Math.round(perSecond).toLocaleString('en-US')} ${unit}`;
}

function table(results: Results): string {
  const rows: [string, string][] = [];
  const r = results as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (r.scrub) {
    const recalls = Object.values(r.scrub.recall as Record<string, number>);
    rows.push(['scrub recall, lowest class | false positives', `${(Math.min(...recalls) * 100).toFixed(1)}% | ${(r.scrub.falsePositiveShare.all * 100).toFixed(2)}% of ordinary characters`]);
  }
  if (r.replay) {
    rows.push(['replay (decode+privacy+sessions+actions+parquet)', `${rate(r.replay.replay.events_per_s)}  peak ${r.replay.replay.peak_rss_mib.toFixed(0)} MiB`]);
    const f = r.replay.replay;
    const mainThread = f.main_thread_cpu_s === null ? '' : `; main thread ${rate(f.events / f.main_thread_cpu_s, 'per CPU-s')}`;
    rows.push(['  per core: events per CPU-second (all threads)', `${rate(f.events_per_cpu_s, 'per CPU-s')}${mainThread}`]);
    rows.push(['  read + decode only', rate(r.replay.decode_only.events_per_s)]);
    rows.push(['  pipeline without shard writer', rate(r.replay.pipeline_without_writer.events_per_s)]);
    const st = r.replay.stage_us_per_event;
    rows.push(['  us/event: decode | pipeline | writer', `${st.read_and_decode.toFixed(2)} | ${st.privacy_sessionize_actions.toFixed(2)} | ${st.shard_writer.toFixed(2)}`]);
    rows.push(['  pipeline without writer, grace_ms 0', `${rate(r.replay.pipeline_without_writer_grace_0.events_per_s)}  (the grace buffer: ${st.grace_buffer.toFixed(2)} us/event)`]);
  }
  if (r.sink) {
    rows.push(['sink parquet-wasm ZSTD (ours)', rate(r.sink.parquet_wasm.actions_per_s, 'actions/s')]);
    rows.push(['sink parquetjs-lite SNAPPY', rate(r.sink.parquetjs_lite.actions_per_s, 'actions/s')]);
  }
  if (r.kafka?.measured) {
    const e = r.kafka.episodic;
    rows.push(['kafka end to end (episodic run)', `${rate(r.kafka.events_per_s)}  peak ${e.peak_rss_mib.toFixed(0)} MiB`]);
    rows.push(['  reading | end of input (s)', `${e.stream_s.toFixed(1)} | ${e.end_of_input_s.toFixed(1)}  (not timed: startup ${e.startup_s.toFixed(1)}, idle wait ${e.idle_wait_s.toFixed(1)})`]);
    if (e.stopped_by_bench) rows.push(['  did not stop by itself', e.stopped_by_bench]);
    rows.push(['kafka consume-only ceiling', rate(r.kafka.consume_only.events_per_s)]);
    const ceiling = r.kafka.consume_only;
    const lean = r.kafka.consume_only_lean_records;
    rows.push([
      "  the same with episodic's record decoder",
      `${rate(lean.events_per_s)}  (${((lean.cpu_s / lean.events) * 1e6).toFixed(1)} CPU s per 1M; episodic run / this: ${r.kafka.ratio_to_lean_ceiling.toFixed(2)})`,
    ]);
    rows.push([
      '  CPU s per 1M events, cores busy: ceiling | episodic',
      `${((ceiling.cpu_s / ceiling.events) * 1e6).toFixed(1)}, ${ceiling.cores_busy.toFixed(2)} | ${((e.cpu_s / e.events) * 1e6).toFixed(1)}, ${e.cores_busy.toFixed(2)}  (the broker not counted)`,
    ]);
    const so = r.kafka.scaled_out;
    if (so) rows.push([`kafka end to end, ${so.instances} instances in one group`, `${rate(so.events_per_s)}  (reading ${so.stream_s.toFixed(1)} s + end of input ${so.end_of_input_s.toFixed(1)} s)`]);
  } else if (r.kafka) rows.push(['kafka end to end', `not measured (${r.kafka.reason})`]);
  if (r.duckdb) {
    rows.push(['duckdb batch, 1 thread', rate(r.duckdb.one_thread.events_per_s)]);
    rows.push([`duckdb batch, default (${r.duckdb.default_threads.threads} threads)`, rate(r.duckdb.default_threads.events_per_s)]);
  }
  if (r.memory) {
    for (const m of r.memory.runs) {
      rows.push([`memory: ${m.devices} devices open, ${m.events_per_device} events each${m.malloc_env ? ', docker-compose malloc env' : ''}`, `peak ${m.peak_rss_mib.toFixed(0)} MiB (${m.open_devices_peak} open at the peak; ${m.kib_per_device.toFixed(1)} KiB/device over a ${r.memory.baseline_rss_mib.toFixed(0)} MiB baseline)`]);
      rows.push([
        '  heap used | array buffers while reading; wasm',
        `${m.reading_heap_used_peak_mib.toFixed(0)} | ${m.reading_array_buffers_peak_mib.toFixed(0)} MiB; ${m.wasm_memory_mib.toFixed(0)} MiB at the end`,
      ]);
    }
  }
  if (r.scaling) {
    for (const s of r.scaling) {
      rows.push([`scaling: ${s.events.toLocaleString('en-US')} events`, `${rate(s.events_per_s)}, ${rate(s.events_per_cpu_s, 'per CPU-s')}  peak ${s.peak_rss_mib.toFixed(0)} MiB`]);
    }
  }
  if (r.steady_state) {
    const w = r.steady_state;
    const mainThread = w.events_per_main_thread_cpu_s === null ? '' : `; main thread ${rate(w.events_per_main_thread_cpu_s, 'per CPU-s')}`;
    rows.push([
      `steady state: the events from ${w.from_events.toLocaleString('en-US')} to ${w.to_events.toLocaleString('en-US')}`,
      `${rate(w.events_per_s)}, ${rate(w.events_per_cpu_s, 'per CPU-s')} (all threads)${mainThread}`,
    ]);
  }
  const ratios = results.ratios as Record<string, number | null>;
  for (const [name, value] of Object.entries(ratios)) rows.push([`ratio ${name}`, value === null ? 'n/a' : value.toFixed(2)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function ratios(results: Results): Record<string, number | null> {
  const r = results as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const replayEps = r.replay?.replay.events_per_s;
  return {
    'sink: parquet-wasm ZSTD / parquetjs-lite SNAPPY': r.sink?.ratio_ours_to_parquetjs ?? null,
    'replay / duckdb 1 thread': replayEps && r.duckdb ? replayEps / r.duckdb.one_thread.events_per_s : null,
    'replay / duckdb default threads': replayEps && r.duckdb ? replayEps / r.duckdb.default_threads.events_per_s : null,
    'replay / decode-only ceiling': replayEps ? replayEps / r.replay.decode_only.events_per_s : null,
    'kafka / consume-only ceiling': r.kafka?.measured ? r.kafka.ratio : null,
    'kafka, instances = cores / consume-only ceiling': r.kafka?.measured ? (r.kafka.ratio_scaled_out ?? null) : null,
    'kafka / replay of the same events': r.kafka?.measured ? kafkaToReplay(r) : null,
    'scaling: throughput largest / smallest stream': r.scaling ? r.scaling[r.scaling.length - 1].events_per_s / r.scaling[0].events_per_s : null,
  };
}

/** The same generated stream through replay (a file) in this run, if some measurement replayed it: what Kafka costs over a file. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function kafkaToReplay(r: Record<string, any>): number | null {
  const events = r.kafka.input.events;
  const replayed =
    r.replay?.input.events === events ? r.replay.replay.events_per_s : r.scaling?.find((s: { events: number }) => s.events === events)?.events_per_s;
  return replayed ? r.kafka.events_per_s / replayed : null;
}

/** The scrubber on its labelled corpus: recall per class, ordinary characters replaced, speed. */
async function measureScrub(_plan: Plan, _work: string, results: Results): Promise<void> {
  const m = measureScrubber();
  for (const line of formatScrubMeasurement(m)) log(line);
  const speed = measureScrubSpeed();
  log(`  scrubText: ${rate(speed.texts_per_s, 'texts/s')}, ${(speed.chars_per_s / 1e6).toFixed(1)} M characters/s over ordinary and PII text`);
  results.scrub = { ...m, speed };
}

const MEASUREMENTS = {
  scrub: measureScrub,
  replay: measureReplay,
  sink: measureSink,
  kafka: measureKafka,
  duckdb: measureDuckdb,
  memory: measureMemory,
  scaling: measureScaling,
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string' },
      keep: { type: 'string' },
      child: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  if (values.child !== undefined) {
    console.log(JSON.stringify(await runChild(JSON.parse(values.child) as ChildTask)));
    return;
  }
  if (values['cpu-prof']) childProfileDir = resolve(values['cpu-prof']);
  const plan = values.quick ? QUICK : FULL;
  const only = values.only ? values.only.split(',') : Object.keys(MEASUREMENTS);
  for (const name of only) if (!(name in MEASUREMENTS)) throw new Error(`--only: unknown measurement '${name}' (${Object.keys(MEASUREMENTS).join(', ')})`);
  const work = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'episodic-bench-'));
  mkdirSync(work, { recursive: true });

  const started = performance.now();
  const results: Results = {
    command: `node --import tsx bench/run.ts${values.quick ? ' --quick' : ''}${values.only ? ` --only ${values.only}` : ''}`,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', memory_gib: totalmem() / 2 ** 30, node: process.version },
    plan,
  };
  try {
    for (const name of Object.keys(MEASUREMENTS) as (keyof typeof MEASUREMENTS)[]) {
      if (only.includes(name)) await MEASUREMENTS[name](plan, work, results);
    }
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
  results.ratios = ratios(results);
  results.total_seconds = (performance.now() - started) / 1000;
  console.log(`\nepisodic bench${values.quick ? ' --quick' : ''}: ${(results.machine as { cpus: number }).cpus} cpus, ${(results.total_seconds as number).toFixed(0)} s (shared machine: absolute figures are noisy, compare the ratios)\n`);
  console.log(table(results));
  if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2) + '\n');
}

await main();
