// `episodic run`: the imperative shell around the pipeline for a live Kafka topic.
//
// Exactly-once output, whatever happens to the process:
// - One pipeline per device: a device's records all sit on one partition (key = device_id), and
//   per device the shell knows the smallest offset its open episode still needs. A partition's
//   commit is the smallest of those (or the next offset when nothing is open).
// - Flush: shards are written (fsync + rename), the dead letters are acknowledged by the broker,
//   the writer's manifest part is written with the per-device resume points, manifest.json is
//   rebuilt from all parts, and only then is the offset committed.
// - Whoever resumes a partition (restart, rebalance, another instance) reads the newest part of it:
//   records of a device below its resume point are in written episodes (or in episodes too short
//   to keep), so they only rebuild the privacy gate's state (the commit never passes the focus,
//   geo and running pause the gate needs) and no episode is written twice or cut into a fragment; dead
//   letters below the part's offset were already sent. Episode ids are deterministic, so what is
//   replayed gets the id it had.
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { configHash, type PipelineConfig } from '../config.ts';
import type { DeadLetter, InputEvent, SourcePosition, SourceRecord } from '../contract/events.ts';
import { decodeEventBytes } from '../contract/avro.ts';
import { Pipeline } from '../pipeline.ts';
import { Pseudonymizer } from '../privacy/pseudonym.ts';
import { Registry } from '../privacy/registry.ts';
import { ShardWriter, type ShardInfo } from '../shards/writer.ts';
import { ensureDir } from '../shards/atomic.ts';
import { existingDatasetEntries } from '../shards/dataset.ts';
import type { Counts } from '../shards/manifest.ts';
import { createKafka } from './client.ts';
import { kafkajs } from './kafkajs.ts';
import { RegistryFollower } from './registry.ts';
import {
  PARTS_DIR,
  addPrivacyCounts,
  latestPartOf,
  readParts,
  rebuildManifest,
  removeOrphanShards,
  writePart,
  writerIdFor,
  type ManifestPart,
} from './parts.ts';

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
  log?: (line: string) => void;
}

export interface RunSummary {
  stopped_by: 'idle' | 'signal';
  records_in: number;
  dead_letters: number;
  replay_skipped: number;
  episodes_written: number;
  shards_written: number;
}

export const DEFAULT_COMMIT_INTERVAL_MS = 5_000;
export const DEAD_LETTER_HEADERS = {
  error: 'episodic.error',
  topic: 'episodic.source.topic',
  partition: 'episodic.source.partition',
  offset: 'episodic.source.offset',
} as const;

/** Where a Kafka record came from; it keeps the message so a dead letter can carry the original bytes. */
class KafkaPosition implements SourcePosition {
  constructor(
    readonly source: string,
    readonly partition: number,
    readonly offset: number,
    readonly message: KafkaMessage,
  ) {}
}

/** The position and raw form are only needed for a dead letter, so they are built only when asked for. */
class KafkaRecord implements SourceRecord {
  constructor(
    readonly event: InputEvent,
    private readonly topic: string,
    private readonly partition: number,
    readonly offset: number,
    private readonly message: KafkaMessage,
  ) {}
  get position(): KafkaPosition {
    return new KafkaPosition(this.topic, this.partition, this.offset, this.message);
  }
  get raw(): string {
    return this.message.value?.toString('base64') ?? '';
  }
}

interface DeviceRun {
  pipeline: Pipeline;
  /** offset of the device's last record that reached its pipeline. */
  lastOffset: number;
  /** newest event time of the device: its stream time. */
  maxTs: number;
  /** wall clock of its last record. */
  lastWall: number;
}

interface ShellCounters {
  records_in: number;
  dead_letters: number;
  replay_skipped: number;
}


/** What one flush of a partition decided, to be made durable in order. */
interface PartitionSnapshot {
  run: PartitionRun;
  /** its `shards` are filled in once `written` resolves. */
  part: ManifestPart;
  deadLetters: Message[];
  /** the shards this flush closed, once written. */
  written: Promise<ShardInfo[]>;
}

class PartitionRun {
  readonly devices = new Map<string, DeviceRun>();
  readonly writer: ShardWriter;
  readonly counters: ShellCounters = { records_in: 0, dead_letters: 0, replay_skipped: 0 };
  /** next offset after the last record handled. */
  next: number;
  /** the partition's end as of the last fetch: while `next` is below it, records are waiting. */
  highWatermark = -1;
  deadLetters: Message[] = [];
  /** true once exit-when-idle closed every open episode; new records clear it. */
  ended = false;
  /** something to write or commit since the last flush. */
  dirty = false;
  /** resume points inherited from the newest part of the partition, by device pseudonym. */
  private readonly inherited: Map<string, number>;
  /** records below this were handled by an earlier writer (dead letters sent, devices per `inherited`). */
  readonly handledBefore: number;
  private readonly carriedShards: readonly ShardInfo[];
  private readonly carriedCounters: Record<string, number>;
  private readonly carriedPrivacy: Counts;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly startOffset: number,
    readonly generation: number,
    out: string,
    config: PipelineConfig,
    parts: readonly ManifestPart[],
  ) {
    this.next = startOffset;
    const writerId = writerIdFor(partition, startOffset);
    const latest = latestPartOf(parts, topic, partition);
    this.inherited = new Map(Object.entries(latest?.resume ?? {}));
    this.handledBefore = latest?.processed_through ?? -1;
    // resumed from the same offset as an earlier writer of this name: continue its part and numbering
    const same = parts.find((p) => p.writer === writerId && p.topic === topic);
    this.carriedShards = same?.shards ?? [];
    this.carriedCounters = same?.counters ?? {};
    this.carriedPrivacy = same?.privacy ?? {};
    this.writer = new ShardWriter({
      dir: out,
      writerId,
      formats: config.output.formats,
      shardTargetBytes: config.output.shard_target_bytes,
      rowGroupBytes: config.output.row_group_bytes,
      resume: true,
    });
  }

  /** Records of the device below this offset are done; -1 when nothing is known. */
  inheritedResume(devicePseudonym: string): number {
    return this.inherited.get(devicePseudonym) ?? -1;
  }

  /**
   * The part this partition's state amounts to, taken right after `writer.flush()` was called:
   * commit offset, resume points of the devices whose done records reach past it, counters. Its
   * shards are the carried ones; `listWrittenShards` adds this writer's once the flush resolves.
   */
  snapshot(pseudonyms: Pseudonymizer, processedThroughBefore: number): ManifestPart {
    let commit = this.next;
    const resume = new Map<string, number>();
    for (const [deviceId, device] of this.devices) {
      const resumeAt = device.pipeline.resumeOffset();
      if (resumeAt < commit) commit = resumeAt;
      // the gate's state (window, geo, a running pause) must be rebuilt from its own records too
      const stateAt = device.pipeline.stateOffset();
      if (stateAt < commit) commit = stateAt;
      const own = Number.isFinite(resumeAt) ? resumeAt : device.lastOffset + 1;
      const key = pseudonyms.of(deviceId);
      resume.set(key, Math.max(own, this.inheritedResume(key)));
    }
    for (const [key, offset] of this.inherited) if (!resume.has(key)) resume.set(key, offset);
    const kept: Record<string, number> = {};
    for (const [key, offset] of resume) if (offset > commit) kept[key] = offset;

    const counters: Record<string, number> = { ...this.carriedCounters };
    const privacy: Counts = {};
    addPrivacyCounts(privacy, this.carriedPrivacy);
    for (const device of this.devices.values()) {
      for (const [name, value] of Object.entries(device.pipeline.counters)) counters[name] = (counters[name] ?? 0) + value;
      addPrivacyCounts(privacy, device.pipeline.audit.toJSON());
    }
    // the shell sees every record; the pipelines only those that decoded
    counters.records_in = (this.carriedCounters.records_in ?? 0) + this.counters.records_in;
    counters.dead_letters = (counters.dead_letters ?? 0) + this.counters.dead_letters;
    counters.replay_skipped = (counters.replay_skipped ?? 0) + this.counters.replay_skipped;
    return {
      version: 1,
      writer: this.writer.writerId,
      topic: this.topic,
      partition: this.partition,
      start_offset: this.startOffset,
      processed_through: Math.max(this.next, processedThroughBefore),
      committed: commit,
      resume: kept,
      shards: [...this.carriedShards],
      counters,
      privacy,
    };
  }

  /** After the flush that `part` was taken with has resolved: the writer lists what was closed before it. */
  listWrittenShards(part: ManifestPart): void {
    part.shards.push(...this.writer.shards);
  }
}

export class KafkaRun {
  private readonly kafka: Kafka;
  private readonly config: PipelineConfig;
  private readonly topic: string;
  private readonly registry = new Registry();
  private readonly pseudonyms: Pseudonymizer;
  private readonly log: (line: string) => void;
  private readonly commitIntervalMs: number;
  private readonly idleCloseMs: number;
  private readonly maxFutureMs: number;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private follower: RegistryFollower | undefined;
  private readonly partitions = new Map<number, PartitionRun>();
  private assigned: number[] = [];
  private generation = 0;
  private stopping = false;
  private inFlight = 0;
  private lastMessageWall = Date.now();
  private lastFlushWall = Date.now();
  /** flushes and idle checks run one at a time, in order. */
  private work: Promise<void> = Promise.resolve();
  private flushing: Promise<void> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;
  private finish!: (summary: RunSummary) => void;
  private fail!: (error: Error) => void;
  private readonly totals = { episodes_written: 0, shards_written: 0 };
  private readonly processedThrough = new Map<number, number>();
  /** resolves when the run has stopped, written what it may and committed. */
  readonly done: Promise<RunSummary>;
  private readonly one: SourceRecord[] = [];

  constructor(private readonly options: RunOptions) {
    this.config = options.config;
    const kafka = this.config.source.kafka;
    this.kafka = createKafka(kafka, options.env);
    this.topic = kafka.topics.events;
    this.pseudonyms = new Pseudonymizer(options.pseudonymKey);
    this.log = options.log ?? ((line) => process.stderr.write(`episodic run: ${line}\n`));
    this.commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    const session = this.config.session;
    this.idleCloseMs = kafka.idle_close_ms ?? session.inactivity_gap_ms + session.grace_ms;
    this.maxFutureMs = kafka.max_future_ms;
    this.done = new Promise((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
    this.done.catch(() => {});
  }

  async start(): Promise<void> {
    const { config, options } = this;
    const kafkaSettings = config.source.kafka;
    prepareDatasetDir(options.out);

    this.admin = this.kafka.admin();
    await this.admin.connect();
    const topics = await this.admin.listTopics();
    for (const topic of [this.topic, kafkaSettings.topics.dead_letter]) {
      if (!topics.includes(topic)) {
        throw new Error(`topic ${topic} does not exist on ${kafkaSettings.brokers.join(',')}; create it (bash scripts/kafka/create-topics.sh, or episodic produce)`);
      }
    }

    this.producer = this.kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, createPartitioner: kafkajs().Partitioners.DefaultPartitioner });
    await this.producer.connect();

    if (topics.includes(kafkaSettings.topics.registry)) {
      this.follower = new RegistryFollower({
        kafka: this.kafka,
        topic: kafkaSettings.topics.registry,
        registry: this.registry,
        groupPrefix: `${kafkaSettings.group_id}-registry`,
        onInvalid: (reason, partition, offset) => this.log(`registry record ${partition}@${offset} skipped: ${reason}`),
      });
      await this.follower.start();
      const size = this.registry.size;
      this.log(`registry loaded: ${size.people} people, ${size.exemptions} exemptions, ${size.erasures} erasures`);
    } else {
      this.log(`registry topic ${kafkaSettings.topics.registry} does not exist: nobody is known, every event is dropped by the privacy gate`);
    }

    const consumer = this.kafka.consumer({
      groupId: kafkaSettings.group_id,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onAssignment(payload.memberAssignment[this.topic] ?? []));
    // an error in the pipeline itself: stop without committing anything more; a restart replays
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
    const revoked = [...this.partitions.keys()].filter((p) => !partitions.includes(p));
    // shards an earlier flush is writing still complete (openPartition waits for them, unlisted
    // they are orphans); the rest would only leave temp files behind
    for (const run of this.partitions.values()) run.writer.discard();
    this.partitions.clear();
    this.assigned = [...partitions].sort((a, b) => a - b);
    this.lastMessageWall = Date.now();
    this.log(`assigned partitions [${this.assigned.join(', ')}]${revoked.length ? `; revoked [${revoked.join(', ')}]` : ''}`);
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.stopping) return;
    const generation = this.generation;
    this.inFlight++;
    try {
      let run = this.partitions.get(batch.partition);
      if (run === undefined) {
        // an earlier flush may still be writing this partition's part
        await this.flushing;
        if (this.stopping || generation !== this.generation) return;
        run = this.openPartition(batch.topic, batch.partition, Number(batch.firstOffset()), generation);
      }
      const now = Date.now();
      run.highWatermark = Number(batch.highWatermark);
      let last: string | undefined;
      // processMessage never awaits, so neither the consumer's state nor ours can change inside the
      // loop: one check per batch does what one per message did (kafkajs' isStale builds a key string
      // per call, a tenth of the loop's time)
      if (!this.stopping && generation === this.generation && isRunning() && !isStale()) {
        for (const message of batch.messages) {
          this.processMessage(run, message, now);
          last = message.offset;
        }
      }
      if (last !== undefined) {
        resolveOffset(last);
        this.lastMessageWall = now;
        run.ended = false;
        run.dirty = true;
        // lets the Parquet encoder catch up before the next batch, so its queue stays short
        await run.writer.drained();
      }
      await heartbeat();
    } finally {
      this.inFlight--;
    }
  }

  private openPartition(topic: string, partition: number, startOffset: number, generation: number): PartitionRun {
    const parts = readParts(this.options.out);
    const removed = removeOrphanShards(this.options.out, partition, parts);
    if (removed.length) this.log(`partition ${partition}: removed ${removed.length} shard(s) a crashed writer left unlisted`);
    const run = new PartitionRun(topic, partition, startOffset, generation, this.options.out, this.config, parts);
    this.processedThrough.set(partition, Math.max(this.processedThrough.get(partition) ?? -1, run.handledBefore));
    this.partitions.set(partition, run);
    this.log(`partition ${partition}: resuming at offset ${startOffset} as writer ${run.writer.writerId}`);
    return run;
  }

  private processMessage(run: PartitionRun, message: KafkaMessage, now: number): void {
    const offset = Number(message.offset);
    run.counters.records_in++;
    run.next = offset + 1;
    const bytes = message.value;
    if (bytes === null || bytes.length === 0) {
      this.deadLetter(run, message, offset, 'empty message value');
      return;
    }
    let event: InputEvent;
    try {
      event = decodeEventBytes(bytes);
    } catch (error) {
      this.deadLetter(run, message, offset, `undecodable Avro: ${(error as Error).message}`);
      return;
    }
    const deviceId = typeof event.device_id === 'string' ? event.device_id : '';
    const alreadyWritten = offset < run.handledBefore && offset < run.inheritedResume(this.pseudonyms.of(deviceId));
    const brokerTs = Number(message.timestamp);
    if (typeof event.ts === 'number' && event.ts - brokerTs > this.maxFutureMs) {
      this.deadLetter(
        run,
        message,
        offset,
        `ts ${event.ts} lies ${event.ts - brokerTs} ms ahead of the broker timestamp ${brokerTs} (max_future_ms ${this.maxFutureMs})`,
      );
      return;
    }
    let device = run.devices.get(deviceId);
    if (device === undefined) {
      device = {
        pipeline: new Pipeline(this.config, this.options.pseudonymKey, this.registry, {
          episode: (row) => {
            run.writer.add(row);
            this.totals.episodes_written++;
          },
          deadLetter: (letter) => this.pipelineDeadLetter(run, letter),
        }),
        lastOffset: offset,
        maxTs: -Infinity,
        lastWall: now,
      };
      run.devices.set(deviceId, device);
    }
    device.lastOffset = offset;
    device.lastWall = now;
    if (typeof event.ts === 'number' && event.ts > device.maxTs) device.maxTs = event.ts;
    const one = this.one;
    one[0] = new KafkaRecord(event, run.topic, run.partition, offset, message);
    if (alreadyWritten) {
      // in episodes an earlier writer wrote: read only to rebuild the privacy gate's view of the device
      run.counters.replay_skipped++;
      device.pipeline.restoreRecords(one);
    } else {
      device.pipeline.pushRecords(one);
    }
  }

  private pipelineDeadLetter(run: PartitionRun, letter: DeadLetter): void {
    const position = letter.position as KafkaPosition;
    this.deadLetter(run, position.message, position.offset, letter.reason);
  }

  private deadLetter(run: PartitionRun, message: KafkaMessage, offset: number, reason: string): void {
    // sent by the writer that handled this offset before
    if (offset < run.handledBefore) return;
    run.counters.dead_letters++;
    const headers: IHeaders = { ...message.headers };
    headers[DEAD_LETTER_HEADERS.error] = reason;
    headers[DEAD_LETTER_HEADERS.topic] = run.topic;
    headers[DEAD_LETTER_HEADERS.partition] = String(run.partition);
    headers[DEAD_LETTER_HEADERS.offset] = message.offset;
    run.deadLetters.push({ key: message.key, value: message.value, headers, timestamp: message.timestamp });
  }

  private tick(): void {
    if (this.stopping) return;
    const now = Date.now();
    this.closeQuietDevices(now);
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
      this.log(`failed: ${error.message}`);
      void this.shutdown('signal', false, error);
    });
  }

  /**
   * A device that sent nothing for the gap plus grace of wall-clock time closes its episode: its
   * stream time is moved on by that much, as if the quiet had been seen in its own events.
   */
  private closeQuietDevices(now: number): void {
    const quietFor = this.config.session.inactivity_gap_ms + this.config.session.grace_ms;
    for (const run of this.partitions.values()) {
      // records still waiting may hold the quiet device's next events: it is slow, not quiet
      if (run.next < run.highWatermark) continue;
      for (const device of run.devices.values()) {
        if (now - device.lastWall < this.idleCloseMs || device.pipeline.openDevices === 0) continue;
        device.pipeline.closeQuietDevices(device.maxTs + Math.max(now - device.lastWall, quietFor + 1));
        run.dirty = true;
      }
    }
  }

  /**
   * The newest event time this instance has seen. Used only once every partition is read to its
   * end: partitions are consumed at different speeds, so earlier it would call a device quiet
   * whose next events merely have not been fetched yet. (Mid-stream a device's episode closes by
   * its own next event or by wall-clock quiet: the same episode a stream-time sweep would close.)
   */
  private streamTime(): number {
    let streamTime = -Infinity;
    for (const run of this.partitions.values()) for (const device of run.devices.values()) if (device.maxTs > streamTime) streamTime = device.maxTs;
    return streamTime;
  }

  /** Writes closed episodes and dead letters, then commits. Serialized through `work`. */
  private async flush(): Promise<void> {
    const generation = this.generation;
    const snapshots: PartitionSnapshot[] = [];
    for (const run of this.partitions.values()) {
      if (!run.dirty) continue;
      run.dirty = false;
      // the part is taken at the instant the shards are closed: rows that arrive while they are
      // written (the consumer and the quiet-device sweep go on) go to later shards and commits
      const written = run.writer.flush();
      const part = run.snapshot(this.pseudonyms, this.processedThrough.get(run.partition) ?? -1);
      snapshots.push({ run, part, deadLetters: run.deadLetters, written });
      run.deadLetters = [];
    }
    if (snapshots.length === 0) return;
    let release!: () => void;
    this.flushing = new Promise((resolve) => (release = resolve));
    try {
      const written = await Promise.all(snapshots.map((s) => s.written));
      for (const [i, { run, part }] of snapshots.entries()) {
        this.totals.shards_written += written[i].length;
        run.listWrittenShards(part);
      }
      const deadLetters = snapshots.flatMap((s) => s.deadLetters);
      if (deadLetters.length) {
        await this.producer!.send({ topic: this.config.source.kafka.topics.dead_letter, messages: deadLetters, acks: -1 });
      }
      // a rebalance during the send: the partitions may have a new owner already, which replays
      // from the last commit; this flush's shards stay unlisted and are cleaned up as orphans
      if (generation !== this.generation) return;
      for (const { part } of snapshots) {
        writePart(this.options.out, part);
        this.processedThrough.set(part.partition, part.processed_through);
      }
      rebuildManifest(this.options.out, this.config.name, configHash(this.config));
      try {
        await this.consumer!.commitOffsets(
          snapshots.map(({ part }) => ({ topic: part.topic, partition: part.partition, offset: String(part.committed) })),
        );
      } catch (error) {
        // rebalancing: the parts are written, so the next owner skips what they cover
        this.log(`commit failed (${(error as Error).message}); the partitions resume from the previous commit`);
        return;
      }
      this.log(`committed ${snapshots.map(({ part }) => `p${part.partition}@${part.committed}`).join(' ')}`);
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
    const own = this.assigned.every((p) => {
      const run = this.partitions.get(p);
      return doneAt(p, run ? run.next : (committed.get(p) ?? -1));
    });
    if (!own || this.inFlight > 0) return;
    const toEnd = [...this.partitions.values()].filter((run) => !run.ended);
    if (toEnd.length) {
      const streamTime = this.streamTime();
      for (const run of toEnd) {
        // set first: a record that arrives while the encoder catches up below clears it again, so
        // the next idle check ends what that record opened
        run.ended = true;
        run.dirty = true;
        let ended = 0;
        for (const device of run.devices.values()) {
          // devices that went quiet before the end closed by the gap, as on replay
          device.pipeline.closeQuietDevices(streamTime);
          device.pipeline.end();
          // as replay's end: the encoder takes what a few dozen devices closed before more come,
          // so thousands of open devices never all become queued rows at once
          if (++ended % 64 === 0) {
            await run.writer.drained();
            // a rebalance or a signal meanwhile discarded this writer: the partition is read again
            if (this.stopping || run.generation !== this.generation) return;
          }
        }
      }
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
    try {
      if (this.consumer && this.assigned.length) this.consumer.pause([{ topic: this.topic }]);
      while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      if (!failure && !flushed) {
        // wait for a flush in progress, then write what is closed; open episodes resume from Kafka
        await this.work.catch(() => {});
        await this.flush();
      }
    } catch (error) {
      failure ??= error as Error;
    }
    // after a failure, shards still open would leave their temp files behind
    for (const run of this.partitions.values()) run.writer.discard();
    await this.close();
    if (failure) this.fail(failure);
    else this.finish(this.summary(reason));
  }

  private summary(reason: RunSummary['stopped_by']): RunSummary {
    const summary: RunSummary = { stopped_by: reason, records_in: 0, dead_letters: 0, replay_skipped: 0, ...this.totals };
    for (const run of this.partitions.values()) {
      summary.records_in += run.counters.records_in;
      summary.dead_letters += run.counters.dead_letters;
      summary.replay_skipped += run.counters.replay_skipped;
    }
    return summary;
  }

  async close(): Promise<void> {
    clearInterval(this.ticker);
    const quietly = (p: Promise<unknown> | undefined) => p?.catch(() => {});
    await quietly(this.consumer?.disconnect());
    await quietly(this.follower?.stop());
    await quietly(this.producer?.disconnect());
    await quietly(this.admin?.disconnect());
  }
}

/**
 * The dataset dir is shared by every instance and every restart, so it is never cleared; a
 * non-empty dir that holds no episodic dataset is refused, so a typo in --out never mixes files.
 */
export function prepareDatasetDir(out: string): void {
  const entries = existingDatasetEntries(out, [PARTS_DIR, 'manifest.json']);
  if (entries.includes('manifest.json') && !entries.includes(PARTS_DIR)) {
    throw new Error(`--out ${out} holds a dataset written by replay; a Kafka run needs a dataset dir of its own`);
  }
  ensureDir(out);
}

/** Runs until SIGTERM/SIGINT (graceful) or, with exitWhenIdleMs, until the topic is done. */
export async function runKafka(options: RunOptions): Promise<RunSummary> {
  const run = new KafkaRun(options);
  const onSignal = () => void run.stop();
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
