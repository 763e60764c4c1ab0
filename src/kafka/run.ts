// `episodic run`: the imperative shell around the pipelines for a live Kafka topic. The fetch loop,
// the dead-letter producer, the manifest and the commits live here; the partitions' pipelines run
// on a thread of their own (`pipeline-thread.ts`, `partitions.ts`), so fetching and processing use
// two cores.
//
// Exactly-once output, whatever happens to the process (how a partition resumes: partitions.ts):
// - Flush: shards are written (fsync + rename), the dead letters are acknowledged by the broker,
//   the writer's manifest part is written with the per-device resume points, manifest.json is
//   rebuilt from all parts, and only then is the offset committed.
// - The offsets handed to kafkajs (`resolveOffset`) only move its fetch position; what is committed
//   is the part's offset, which waits for the pipelines.
import type { Admin, Consumer, EachBatchPayload, Kafka, Message, Producer } from 'kafkajs';
import { configHash, type PipelineConfig } from '../config.ts';
import { ensureDir } from '../shards/atomic.ts';
import { checkDatasetDir, claimDatasetDir, datasetIdentity } from '../shards/dataset-identity.ts';
import { silentLogger, sinkOf, type Logger, type LogLevel } from '../observability/log.ts';
import { createKafka, explainConnectionFailure } from './client.ts';
import { asBuffer, headersAsBuffers, packBatch } from './fetched.ts';
import { kafkajs } from './kafkajs.ts';
import { rebuildManifest, removeUnlistedShards, writePart } from './parts.ts';
import { claimDataset, keyFingerprint, type DatasetOwner } from './ownership.ts';
import { PipelineThread } from './pipeline-thread.ts';
import type { PartitionFlush } from './partitions.ts';

export { DEAD_LETTER_HEADERS } from './partitions.ts';

export interface RunOptions {
  config: PipelineConfig;
  /** dataset directory, shared by every instance of the group. */
  out: string;
  pseudonymKey: string;
  /** stop once every partition is caught up and the input has been quiet this long; open episodes are closed and written. */
  exitWhenIdleMs?: number;
  /** how often closed episodes are written and offsets committed. */
  commitIntervalMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  env?: NodeJS.ProcessEnv;
  /** where the run's log lines and kafkajs' go; none by default. */
  logger?: Logger;
  /** the level kafkajs follows (EPISODIC_KAFKA_LOG_LEVEL overrides it). */
  logLevel?: LogLevel;
  /** also handed every line the run logs, with its fields. */
  log?: RunLog;
  /** handed the run once it exists: a metrics endpoint polls its `status()`. */
  onRun?: (run: KafkaRun) => void;
}

/** A line of the run's log: what happened, and its fields (partitions, offsets, counts; never an id). */
export type RunLog = (msg: string, fields?: Record<string, unknown>, level?: 'info' | 'warn' | 'error') => void;

export interface RunSummary {
  stopped_by: 'idle' | 'signal';
  records_in: number;
  dead_letters: number;
  replay_skipped: number;
  episodes_written: number;
  shards_written: number;
}

/** How far one partition of this instance is, in offsets (next offset to read / process / resume at). */
export interface PartitionLag {
  partition: number;
  /** the partition's end (high watermark) as of the last fetch. */
  end: number;
  /** the next offset the pipelines have not processed. */
  processed: number;
  /** the offset this instance last committed (or resumed at). */
  committed: number;
}

/**
 * What a metrics endpoint serves about a run (`KafkaRun.status()`). Two lags, because they mean
 * different things: processed lag is records waiting to be processed (falling behind); committed
 * lag also holds, by design, the open episodes, the grace period and the records the privacy gate
 * rebuilds a device from after a restart (up to an hour of input), so it never reaches 0 on a busy
 * topic and is the group lag Kafka's own tools show.
 */
export interface RunStatus {
  generation: number;
  fenced: boolean;
  partitions: PartitionLag[];
  processed_lag: number;
  committed_lag: number;
}

export const DEFAULT_COMMIT_INTERVAL_MS = 5_000;
/**
 * Batches handed to the pipeline thread and not yet processed before the fetch loop waits (each at
 * most a partition's fetch size, 1 MiB). A fetch brings a batch per partition, of uneven sizes: 4
 * read 15-20% faster than 2 (and 8 or 16 no faster than 4) in interleaved runs, at the same peak RSS.
 */
const BATCHES_AHEAD = 4;

export class KafkaRun {
  private readonly kafka: Kafka;
  private readonly config: PipelineConfig;
  private readonly topic: string;
  private readonly log: RunLog;
  private readonly logger: Logger;
  private readonly commitIntervalMs: number;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private pipelines: PipelineThread | undefined;
  /** partitions of this assignment whose first batch went to the pipelines. */
  private readonly opened = new Set<number>();
  private assigned: number[] = [];
  private generation = 0;
  /**
   * per open partition, the offset this instance last committed (or resumed at): re-committing it
   * asks the group coordinator whether this instance still belongs to the current generation.
   */
  private readonly committedOffsets = new Map<number, number>();
  /** the coordinator refused this member: nothing is taken or written until the group assigns again. */
  private fenced = false;
  /** per open partition: its end as of the last fetch, and the next offset the pipelines have not processed. */
  private readonly ends = new Map<number, number>();
  private readonly processedTo = new Map<number, number>();
  private stopping = false;
  private inFlight = 0;
  /** batches handed to the pipeline thread, oldest first, until it has processed them. */
  private ahead: Promise<void>[] = [];
  private lastMessageWall = Date.now();
  private lastFlushWall = Date.now();
  /** flushes and idle checks run one at a time, in order. */
  private work: Promise<void> = Promise.resolve();
  private flushing: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;
  private finish!: (summary: RunSummary) => void;
  private fail!: (error: Error) => void;
  private shardsWritten = 0;
  /** resolves when the run has stopped, written what it may and committed. */
  readonly done: Promise<RunSummary>;

  constructor(private readonly options: RunOptions) {
    this.config = options.config;
    const kafka = this.config.source.kafka;
    this.logger = options.logger ?? silentLogger;
    const level = options.logLevel ?? 'info';
    this.kafka = createKafka(kafka, options.env, { sink: sinkOf(this.logger), level });
    this.topic = kafka.topics.events;
    this.log = (msg, fields = {}, lineLevel = 'info') => {
      this.logger[lineLevel](fields, msg);
      options.log?.(msg, fields, lineLevel);
    };
    this.commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    this.done = new Promise((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.done.catch(() => {});
  }

  async start(): Promise<void> {
    const { config, options } = this;
    const kafkaSettings = config.source.kafka;
    prepareDatasetDir(
      options.out,
      { group_id: kafkaSettings.group_id, topic: this.topic, key_fingerprint: keyFingerprint(options.pseudonymKey) },
      config.privacy.pseudonym_key_env,
    );

    this.admin = this.kafka.admin();
    let topics: string[];
    try {
      await this.admin.connect();
      topics = await this.admin.listTopics();
    } catch (error) {
      throw explainConnectionFailure(error, kafkaSettings);
    }
    for (const topic of [this.topic, kafkaSettings.topics.dead_letter]) {
      if (!topics.includes(topic)) {
        throw new Error(`topic ${topic} does not exist on ${kafkaSettings.brokers.join(',')}; create it (bash scripts/kafka/create-topics.sh, or episodic produce)`);
      }
    }

    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, createPartitioner: kafkajs().Partitioners.DefaultPartitioner });
    await this.producer.connect();

    // loads the registry before it says it is ready: no event is judged against a half-loaded one
    this.pipelines = await PipelineThread.start(
      {
        config,
        out: options.out,
        pseudonymKey: options.pseudonymKey,
        followRegistry: topics.includes(kafkaSettings.topics.registry),
        env: { ...(options.env ?? process.env) },
        logLevel: options.logLevel ?? 'info',
      },
      this.log,
      // an error in the pipeline itself: stop without committing anything more; a restart replays
      (error) => void this.shutdown('signal', false, error),
      sinkOf(this.logger),
    );

    const consumer = this.kafka.consumer({
      groupId: kafkaSettings.group_id,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment[this.topic] ?? []));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) void this.shutdown('signal', false, payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: kafkaSettings.from_beginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.ticker = setInterval(() => this.tick(), Math.min(500, this.commitIntervalMs));
  }

  /** Graceful stop (SIGTERM): no more fetching; closed episodes are written and offsets committed; open ones resume from Kafka. */
  stop(): Promise<RunSummary> {
    void this.shutdown('signal', false);
    return this.done;
  }

  /**
   * A rebalance: kafkajs fetches every partition of the new assignment from its committed offset,
   * so whatever is in memory (open episodes, unflushed rows) is dropped and rebuilt from there.
   */
  private onAssignment(partitions: number[]): void {
    this.generation++;
    const revoked = [...this.opened].filter((p) => !partitions.includes(p));
    this.pipelines?.assign(this.generation);
    this.opened.clear();
    this.committedOffsets.clear();
    this.ends.clear();
    this.processedTo.clear();
    this.fenced = false;
    this.assigned = [...partitions].sort((a, b) => a - b);
    this.lastMessageWall = Date.now();
    this.log(`assigned partitions [${this.assigned.join(', ')}]${revoked.length ? `; revoked [${revoked.join(', ')}]` : ''}`, {
      generation: this.generation,
      partitions: this.assigned,
      revoked,
    });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping || this.fenced) return;
    const generation = this.generation;
    this.inFlight++;
    try {
      if (!this.opened.has(batch.partition)) {
        // an earlier flush may still be writing this partition's part, which the new writer reads
        await this.flushing;
        if (this.stopping || generation !== this.generation) return;
        this.opened.add(batch.partition);
      }
      if (!this.committedOffsets.has(batch.partition) && batch.messages.length > 0) {
        // the fetch began at the committed offset; its first record is the next one there is
        this.committedOffsets.set(batch.partition, Number(batch.messages[0].offset));
      }
      const now = Date.now();
      // one check per batch: kafkajs' isStale builds a key string per call
      if (!this.stopping && generation === this.generation && isRunning() && !isStale()) {
        this.ends.set(batch.partition, Number(batch.highWatermark));
        const next = batch.messages.length > 0 ? Number(batch.messages[batch.messages.length - 1].offset) + 1 : undefined;
        const processed = this.pipelines!.ingest(packBatch(batch, generation), now);
        if (next !== undefined) {
          processed.then(
            () => {
              if (generation === this.generation && next > (this.processedTo.get(batch.partition) ?? -1)) this.processedTo.set(batch.partition, next);
            },
            () => {},
          );
        }
        // a failure there reaches shutdown through the thread's own report
        processed.catch(() => {});
        this.ahead.push(processed);
        if (batch.messages.length > 0) {
          resolveOffset(batch.messages[batch.messages.length - 1].offset);
          this.lastMessageWall = now;
        }
        // the next fetch overlaps the thread's work on the batches before
        while (this.ahead.length > BATCHES_AHEAD) await this.ahead.shift()!.catch(() => {});
      }
      await heartbeat();
    } finally {
      this.inFlight--;
    }
  }

  /** Where each owned partition is, and the two lags (see RunStatus); cheap, for a metrics endpoint to poll. */
  status(): RunStatus {
    const partitions: PartitionLag[] = [];
    let processedLag = 0;
    let committedLag = 0;
    for (const partition of this.fenced ? [] : this.assigned) {
      const end = this.ends.get(partition);
      const committed = this.committedOffsets.get(partition);
      if (end === undefined || committed === undefined) continue;
      const processed = this.processedTo.get(partition) ?? committed;
      partitions.push({ partition, end, processed, committed });
      processedLag += Math.max(0, end - processed);
      committedLag += Math.max(0, end - committed);
    }
    return { generation: this.generation, fenced: this.fenced, partitions, processed_lag: processedLag, committed_lag: committedLag };
  }

  /** Resolves once the pipeline thread has processed every batch handed to it so far. */
  async processed(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = [];
    await Promise.all(ahead.map((p) => p.catch(() => {})));
  }

  private tick(): void {
    if (this.stopping) return;
    const now = Date.now();
    // a device quiet for the gap plus grace of wall-clock time closes its episode (partitions.ts)
    this.pipelines?.closeQuietDevices(now);
    if (now - this.lastFlushWall >= this.commitIntervalMs) {
      this.lastFlushWall = now;
      this.enqueue(() => this.flush());
    }
    if (this.options.exitWhenIdleMs !== undefined && now - this.lastMessageWall >= this.options.exitWhenIdleMs) {
      this.enqueue(() => this.checkIdle());
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((error: Error) => {
      this.log(`failed: ${error.message}`, {}, 'error');
      void this.shutdown('signal', false, error);
    });
  }

  /**
   * Fencing: the group coordinator takes a commit only from a member of the group's current
   * generation. Committing again the offsets this instance last committed moves nothing and says
   * whether it still owns its partitions: an instance stalled past its session timeout (GC,
   * network, SIGSTOP) whose partitions went to another member learns it here, before it writes.
   * 'unknown': the broker did not answer; nothing is written this time, and nothing is lost.
   */
  private async ownership(): Promise<'owned' | 'fenced' | 'unknown'> {
    if (this.fenced) return 'fenced';
    const offsets = [...this.committedOffsets].map(([partition, offset]) => ({ topic: this.topic, partition, offset: String(offset) }));
    if (offsets.length === 0) return 'owned';
    try {
      await this.consumer!.commitOffsets(offsets);
      return 'owned';
    } catch (error) {
      if (!isFencingError(error)) {
        this.log(`could not confirm the partitions are still this instance's (${(error as Error).message}); nothing written this time`, {}, 'warn');
        return 'unknown';
      }
      // what it holds may be another member's now: dropped, rebuilt from the commit when assigned again
      this.fenced = true;
      this.pipelines?.assign(0);
      this.opened.clear();
      this.committedOffsets.clear();
      this.log(`fenced: the group moved on without this instance (${(error as Error).message}); what it held is dropped and read again from the last commit once the group assigns partitions`, {}, 'warn');
      return 'fenced';
    }
  }

  /** Writes closed episodes and dead letters, then commits. Serialized through `work`. */
  private async flush(): Promise<void> {
    const generation = this.generation;
    let release!: () => void;
    this.flushing = new Promise((resolve) => (release = resolve));
    try {
      if ((await this.ownership()) !== 'owned' || generation !== this.generation) return;
      // the parts are taken after every batch handed over before this call, as the shards close
      let flushed: PartitionFlush[];
      try {
        flushed = await this.pipelines!.flush();
      } catch (error) {
        // A rebalance while the shards were written: the partitions' next owner may already have
        // removed their temp files as orphans (a rename then fails). It replays from the last
        // commit, so this flush is dropped like one whose send a rebalance interrupted (below).
        if (generation === this.generation) throw error;
        this.log(`a flush of the previous assignment was dropped (${(error as Error).message}); its partitions resume from the last commit`, {}, 'warn');
        return;
      }
      if (flushed.length === 0) return;
      for (const { shardsWritten } of flushed) this.shardsWritten += shardsWritten;
      const deadLetters: Message[] = flushed.flatMap((f) =>
        f.deadLetters.map((letter) => ({
          ...letter,
          key: letter.key ? asBuffer(letter.key as Uint8Array) : null,
          value: letter.value ? asBuffer(letter.value as Uint8Array) : null,
          headers: headersAsBuffers(letter.headers ?? {}),
        })),
      );
      if (deadLetters.length) {
        await this.producer!.send({ topic: this.config.source.kafka.topics.dead_letter, messages: deadLetters, acks: -1 });
      }
      // asked again right before the parts: the shards took a while, and a stall may have come
      // between. A rebalance or a refusal: the partitions may have a new owner already, which
      // replays from the last commit; this flush's shards are listed nowhere and are removed
      // (writer names are unique, so they are no other writer's files)
      const owned = generation === this.generation ? await this.ownership() : 'fenced';
      if (owned === 'fenced' || generation !== this.generation) {
        const removed = removeUnlistedShards(this.options.out, flushed.map((f) => f.part));
        if (removed) this.log(`removed the ${removed} shard file(s) of the dropped flush`);
        return;
      }
      // not confirmed: the shards wait, unlisted, for the next flush's parts, which list them
      if (owned === 'unknown') return;
      for (const { part } of flushed) {
        writePart(this.options.out, part);
        this.pipelines!.partWritten(part.partition, part.processed_through);
      }
      rebuildManifest(this.options.out, this.config.name, configHash(this.config));
      try {
        await this.consumer!.commitOffsets(flushed.map(({ part }) => ({ topic: part.topic, partition: part.partition, offset: String(part.committed) })));
      } catch (error) {
        // rebalancing: the parts are written, so the next owner skips what they cover
        this.log(`commit failed (${(error as Error).message}); the partitions resume from the previous commit`, {}, 'warn');
        return;
      }
      // said when something changed: an offset moved or shards were written
      const moved = flushed.some(({ part, shardsWritten }) => shardsWritten > 0 || this.committedOffsets.get(part.partition) !== part.committed);
      for (const { part } of flushed) this.committedOffsets.set(part.partition, part.committed);
      if (moved) {
        this.log(`committed ${flushed.map(({ part }) => `p${part.partition}@${part.committed}`).join(' ')}`, {
          offsets: Object.fromEntries(flushed.map(({ part }) => [part.partition, part.committed])),
          shards: flushed.reduce((n, f) => n + f.shardsWritten, 0),
          dead_letters: deadLetters.length,
        });
      }
    } finally {
      release();
    }
  }

  /**
   * Exit-when-idle: once the assigned partitions are caught up and quiet, their open episodes are
   * closed, written and committed; the run ends when every partition of the topic is committed up
   * to its end, so instances of one group wait for each other (and for a departed one's partitions).
   */
  private async checkIdle(): Promise<void> {
    if (this.stopping || Date.now() - this.lastMessageWall < this.options.exitWhenIdleMs!) return;
    const admin = this.admin!;
    const ends = new Map((await admin.fetchTopicOffsets(this.topic)).map((o) => [o.partition, { high: Number(o.high), low: Number(o.low) }]));
    const committed = new Map(
      (await admin.fetchOffsets({ groupId: this.config.source.kafka.group_id, topics: [this.topic] }))[0].partitions.map((p) => [
        p.partition,
        Number(p.offset),
      ]),
    );
    const doneAt = (partition: number, position: number) => {
      const end = ends.get(partition);
      return end === undefined || end.high <= end.low || position >= end.high;
    };
    // after every batch handed over so far
    const positions = await this.pipelines!.positions();
    const own = this.assigned.every((p) => doneAt(p, positions.get(p) ?? committed.get(p) ?? -1));
    if (!own || this.inFlight > 0) return;
    // a record that arrives while the end is written opens the partition again, for the next check
    if ((await this.pipelines!.end()) > 0) {
      await this.flush();
      return;
    }
    const all = [...ends.keys()].every((p) => doneAt(p, committed.get(p) ?? -1));
    if (all) await this.shutdown('idle', true);
  }

  private async shutdown(reason: RunSummary['stopped_by'], flushed: boolean, failure?: Error): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.ticker);
    let summary: RunSummary | undefined;
    try {
      if (this.consumer && this.assigned.length) this.consumer.pause([{ topic: this.topic }]);
      while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      if (!failure && !flushed) {
        // wait for a flush in progress, then write what is closed; open episodes resume from Kafka
        await this.work.catch(() => {});
        await this.flush();
      }
      if (!failure) summary = { stopped_by: reason, ...(await this.pipelines!.summary()), shards_written: this.shardsWritten };
    } catch (error) {
      failure ??= error as Error;
    }
    // after a failure, shards still open would leave their temp files behind
    this.pipelines?.discard();
    await this.close();
    if (failure || !summary) this.fail(failure ?? new Error('the run stopped without a summary'));
    else this.finish(summary);
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    const quietly = (p: Promise<unknown> | undefined) => p?.catch(() => {});
    await quietly(this.consumer?.disconnect());
    await quietly(this.pipelines?.stop());
    await quietly(this.producer?.disconnect());
    await quietly(this.admin?.disconnect());
  }
}

/** The coordinator's answer to a member that is not (or no longer) in the group's current generation. */
function isFencingError(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0; e && i < 8; e = (e.cause ?? e.originalError) as typeof e, i++) {
    if (['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID'].includes(e.type ?? '')) return true;
  }
  return false;
}

/**
 * The dataset dir is shared by every instance and every restart, so it is never cleared; a
 * non-empty dir that holds no episodic dataset, or a replay's, is refused (dataset-identity.ts),
 * a new one is marked as a dataset before anything else is written into it, and a dataset another
 * group, topic or pseudonym key owns is refused too (ownership.ts).
 */
export function prepareDatasetDir(out: string, owner?: DatasetOwner, keyEnv = 'the pseudonym key'): void {
  if (checkDatasetDir(out, 'kafka') === 'new') claimDatasetDir(out, datasetIdentity('kafka'));
  else ensureDir(out);
  // the owner record comes right after the identity: from here on the directory is this dataset, whatever a crash leaves
  if (owner) claimDataset(out, owner, keyEnv);
}

/** Runs until SIGTERM/SIGINT (graceful) or, with exitWhenIdleMs, until the topic is done. */
export async function runKafka(options: RunOptions): Promise<RunSummary> {
  const run = new KafkaRun(options);
  options.onRun?.(run);
  const onSignal = (signal: NodeJS.Signals) => {
    options.logger?.info(
      { signal },
      `${signal}: stopping: no more fetching; closed episodes are written and committed, open episodes resume from Kafka on the next start`,
    );
    void run.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    try {
      await run.start();
    } catch (error) {
      await run.close();
      throw error;
    }
    return await run.done;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
