// The pipelines of the partitions one `episodic run` instance owns: records in, episodes and dead
// letters out, and at each flush the manifest part that says how far each partition is done. It
// runs on the pipeline thread (`pipeline-thread.ts`); the fetch loop, the broker calls and the
// commit stay in `KafkaRun` on the main thread.
//
// Exactly-once output:
// - One pipeline per device: a device's records all sit on one partition (key = device_id), and
//   per device we know the smallest offset its open episode still needs. A partition's commit is
//   the smallest of those (or the next offset when nothing is open).
// - Whoever resumes a partition (restart, rebalance, another instance) reads the newest part of it:
//   records of a device below its resume point are in written episodes (or in episodes too short
//   to keep), so they only rebuild the privacy gate's state (the commit never passes the focus,
//   geo and running pause the gate needs) and no episode is written twice or cut into a fragment; dead
//   letters below the part's offset were already sent. Episode ids are deterministic, so what is
//   replayed gets the id it had.
import { randomBytes } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import type { PipelineConfig } from '../config.ts';
import type { DeadLetter, InputEvent, SourcePosition, SourceRecord } from '../contract/events.ts';
import { decodeEventSpan } from '../contract/avro.ts';
import { Pipeline } from '../pipeline.ts';
import { Pseudonymizer } from '../privacy/pseudonym.ts';
import type { Registry } from '../privacy/registry.ts';
import { ShardWriter, type ShardInfo } from '../shards/writer.ts';
import type { Counts } from '../shards/manifest.ts';
import { SPAN_INTS, headersOf, viewOf, type FetchedBatch } from './fetched.ts';
import { addPrivacyCounts, latestPartOf, readParts, removeOrphanShards, writerIdFor, type ManifestPart } from './parts.ts';

export const DEAD_LETTER_HEADERS = {
  error: 'episodic.error',
  topic: 'episodic.source.topic',
  partition: 'episodic.source.partition',
  offset: 'episodic.source.offset',
} as const;

/** Where a Kafka record came from; it keeps its batch so a dead letter can carry the original bytes. */
class KafkaPosition implements SourcePosition {
  constructor(
    readonly source: string,
    readonly partition: number,
    readonly offset: number,
    readonly batch: FetchedBatch,
    readonly index: number,
  ) {}
}

/**
 * The position and raw form are only needed for a dead letter, so they are built only when asked
 * for. One record is refilled for every message: the pipeline reads it while it handles the
 * message and keeps only the event and the offset.
 */
class KafkaRecord implements SourceRecord {
  event: InputEvent | undefined = undefined;
  batch!: FetchedBatch;
  index = 0;
  offset = 0;
  get position(): KafkaPosition {
    return new KafkaPosition(this.batch.topic, this.batch.partition, this.offset, this.batch, this.index);
  }
  get raw(): string {
    return viewOf(this.batch, this.index, false)?.toString('base64') ?? '';
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
  /** the device's counts when its partition's run crossed `handledBefore` (PartitionRun.crossed); undefined: nothing to take off. */
  baseline: DeviceCounts | undefined;
}

/** What a device's pipeline has counted: its counters and its privacy audit. */
interface DeviceCounts {
  counters: Record<string, number>;
  privacy: Counts;
}

function countsOf(pipeline: Pipeline): DeviceCounts {
  return { counters: { ...pipeline.counters } as unknown as Record<string, number>, privacy: pipeline.audit.toJSON() };
}

/** Counted by the shell, per record it reads: every record, and every dead letter whatever its stage. */
const SHELL_COUNTERS = ['records_in', 'dead_letters'];

interface ShellCounters {
  /** records at or past `handledBefore`: each record of the partition is counted by one writer. */
  records_in: number;
  dead_letters: number;
}

/** What a flush of one partition amounts to, once its shards are written. */
export interface PartitionFlush {
  part: ManifestPart;
  deadLetters: Message[];
  shardsWritten: number;
}

export interface PartitionsOptions {
  config: PipelineConfig;
  out: string;
  pseudonymKey: string;
  registry: Registry;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface PartitionsSummary {
  records_in: number;
  dead_letters: number;
  replay_skipped: number;
  episodes_written: number;
}

class PartitionRun {
  readonly devices = new Map<string, DeviceRun>();
  readonly writer: ShardWriter;
  readonly counters: ShellCounters = { records_in: 0, dead_letters: 0 };
  /** what this run read, whoever counted it first (the run's summary, not the dataset's). */
  readonly reads = { records: 0, replay_skipped: 0 };
  /** next offset after the last record handled. */
  next: number;
  /** the partition's end as of the last fetch: while `next` is below it, records are waiting. */
  highWatermark = -1;
  deadLetters: Message[] = [];
  /** true once the end of input closed every open episode; new records clear it. */
  ended = false;
  /** something to write or commit since the last flush. */
  dirty = false;
  /** resume points inherited from the newest part of the partition, by device pseudonym. */
  private readonly inherited: Map<string, number>;
  /** records below this were handled by an earlier writer (dead letters sent, devices per `inherited`). */
  readonly handledBefore: number;
  /**
   * true once the run reads at or past `handledBefore`. What the devices counted until then
   * (records read again, and the gate's view rebuilt from them) was counted by the writer before,
   * so each device's counts at that moment are its baseline; what it counts after (its pending
   * events finalized, its episodes closed, new records) is this writer's.
   */
  crossed: boolean;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly startOffset: number,
    out: string,
    config: PipelineConfig,
    parts: readonly ManifestPart[],
  ) {
    this.next = startOffset;
    const writerId = writerIdFor(partition, startOffset, randomBytes(3).toString('hex'));
    const latest = latestPartOf(parts, topic, partition);
    this.inherited = new Map(Object.entries(latest?.resume ?? {}));
    this.handledBefore = latest?.processed_through ?? -1;
    this.crossed = startOffset >= this.handledBefore;
    this.writer = new ShardWriter({
      dir: out,
      writerId,
      formats: config.output.formats,
      shardTargetBytes: config.output.shard_target_bytes,
      rowGroupBytes: config.output.row_group_bytes,
      resume: true,
    });
  }

  /** Takes every device's counts as its baseline: the run now reads records no writer counted. */
  cross(): void {
    this.crossed = true;
    for (const device of this.devices.values()) device.baseline = countsOf(device.pipeline);
  }

  /** Records of the device below this offset are done; -1 when nothing is known. */
  inheritedResume(devicePseudonym: string): number {
    return this.inherited.get(devicePseudonym) ?? -1;
  }

  /**
   * The part this partition's state amounts to, taken right after `writer.flush()` was called:
   * commit offset, resume points of the devices whose done records reach past it, counters. Its
   * shards are listed by `listWrittenShards` once the flush resolves.
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

    // Each record is counted once across restarts, rebalances and instances: by the writer that
    // first handled it. A device's counts from records an earlier writer handled are taken off.
    const counters: Record<string, number> = {};
    const privacy: Counts = {};
    for (const device of this.devices.values()) {
      const now = countsOf(device.pipeline);
      // not yet past handledBefore: everything it counted was counted before; past it, a device
      // first seen since starts from nothing
      const base = device.baseline ?? (this.crossed ? undefined : now);
      if (base === undefined) {
        for (const [name, value] of Object.entries(now.counters)) if (!SHELL_COUNTERS.includes(name)) counters[name] = (counters[name] ?? 0) + value;
        addPrivacyCounts(privacy, now.privacy);
        continue;
      }
      for (const [name, value] of Object.entries(now.counters)) {
        if (!SHELL_COUNTERS.includes(name)) counters[name] = (counters[name] ?? 0) + value - (base.counters[name] ?? 0);
      }
      addPrivacyCounts(privacy, now.privacy);
      addPrivacyCounts(privacy, base.privacy, -1);
    }
    // the shell sees every record (the pipelines only those that decoded) and sends every dead letter
    for (const name of SHELL_COUNTERS) counters[name] = this.counters[name as keyof ShellCounters];
    return {
      version: 1,
      writer: this.writer.writerId,
      topic: this.topic,
      partition: this.partition,
      start_offset: this.startOffset,
      processed_through: Math.max(this.next, processedThroughBefore),
      committed: commit,
      resume: kept,
      shards: [],
      counters,
      privacy,
    };
  }

  /** After the flush that `part` was taken with has resolved: the writer lists what was closed before it. */
  listWrittenShards(part: ManifestPart): void {
    part.shards.push(...this.writer.shards);
  }
}

export class Partitions {
  private readonly config: PipelineConfig;
  private readonly pseudonyms: Pseudonymizer;
  private readonly runs = new Map<number, PartitionRun>();
  /** per partition, the `processed_through` of the newest part written for it. */
  private readonly processedThrough = new Map<number, number>();
  private readonly maxFutureMs: number;
  private readonly idleCloseMs: number;
  private generation = 0;
  private episodesWritten = 0;
  private readonly record = new KafkaRecord();
  /** a batch of exactly one record (`this.record`), for the per-device pipelines' batch API without an array per record. */
  private readonly one: SourceRecord[] = [this.record];

  constructor(private readonly options: PartitionsOptions) {
    this.config = options.config;
    this.pseudonyms = new Pseudonymizer(options.pseudonymKey);
    const kafka = this.config.source.kafka;
    const session = this.config.session;
    this.maxFutureMs = kafka.max_future_ms;
    this.idleCloseMs = kafka.idle_close_ms ?? session.inactivity_gap_ms + session.grace_ms;
  }

  /**
   * A rebalance: kafkajs fetches every partition of the new assignment from its committed offset,
   * so whatever is in memory (open episodes, unflushed rows) is dropped and rebuilt from there.
   * Shards an earlier flush is writing still complete (a partition opened later reads its part
   * once that flush is done); the rest would only leave temp files behind.
   */
  assign(generation: number): void {
    this.generation = generation;
    this.discard();
    this.runs.clear();
  }

  /** The records of one fetched batch, in order. Returns false for a batch of an earlier assignment. */
  ingest(batch: FetchedBatch, now: number): boolean {
    if (batch.generation !== this.generation) return false;
    let run = this.runs.get(batch.partition);
    if (run === undefined) run = this.open(batch.topic, batch.partition, batch.firstOffset);
    run.highWatermark = batch.highWatermark;
    // the decoder reads Buffers: one view of the whole batch
    const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    for (let i = 0; i < batch.count; i++) this.processRecord(run, batch, bytes, i, now);
    // the record must not keep the batch's bytes alive until the next one
    this.record.event = undefined;
    this.record.batch = EMPTY_BATCH;
    if (batch.count > 0) {
      run.ended = false;
      run.dirty = true;
    }
    return true;
  }

  /** Resolves once every partition's encoder has caught up to a couple of batches. */
  async drained(): Promise<void> {
    for (const run of this.runs.values()) await run.writer.drained();
  }

  private open(topic: string, partition: number, startOffset: number): PartitionRun {
    const { out } = this.options;
    const parts = readParts(out);
    const removed = removeOrphanShards(out, partition, parts);
    if (removed.length) this.options.log(`partition ${partition}: removed ${removed.length} shard(s) a crashed writer left unlisted`, { partition, removed: removed.length });
    const run = new PartitionRun(topic, partition, startOffset, out, this.config, parts);
    this.processedThrough.set(partition, Math.max(this.processedThrough.get(partition) ?? -1, run.handledBefore));
    this.runs.set(partition, run);
    this.options.log(`partition ${partition}: resuming at offset ${startOffset} as writer ${run.writer.writerId}`, { partition, offset: startOffset, writer: run.writer.writerId });
    return run;
  }

  private processRecord(run: PartitionRun, batch: FetchedBatch, bytes: Buffer, index: number, now: number): void {
    const offset = batch.offsets[index];
    const counted = offset >= run.handledBefore;
    run.reads.records++;
    if (counted) run.counters.records_in++;
    run.next = offset + 1;
    const slot = index * SPAN_INTS;
    const start = batch.spans[slot];
    const end = batch.spans[slot + 1];
    if (start < 0 || end === start) {
      this.deadLetter(run, batch, index, 'empty message value');
      return;
    }
    let event: InputEvent;
    try {
      event = decodeEventSpan(bytes, start, end);
    } catch (error) {
      this.deadLetter(run, batch, index, `undecodable Avro: ${(error as Error).message}`);
      return;
    }
    const deviceId = typeof event.device_id === 'string' ? event.device_id : '';
    const alreadyWritten = offset < run.handledBefore && offset < run.inheritedResume(this.pseudonyms.of(deviceId));
    const brokerTs = batch.timestamps[index];
    if (typeof event.ts === 'number' && event.ts - brokerTs > this.maxFutureMs) {
      this.deadLetter(
        run,
        batch,
        index,
        `ts ${event.ts} lies ${event.ts - brokerTs} ms ahead of the broker timestamp ${brokerTs} (max_future_ms ${this.maxFutureMs})`,
      );
      return;
    }
    let device = run.devices.get(deviceId);
    if (device === undefined) {
      device = {
        pipeline: new Pipeline(this.config, this.options.pseudonymKey, this.options.registry, {
          episode: (row) => {
            run.writer.add(row);
            this.episodesWritten++;
          },
          deadLetter: (letter) => this.pipelineDeadLetter(run, letter),
        }),
        lastOffset: offset,
        maxTs: -Infinity,
        lastWall: now,
        baseline: undefined,
      };
      run.devices.set(deviceId, device);
    }
    if (counted && !run.crossed) run.cross();
    device.lastOffset = offset;
    device.lastWall = now;
    if (typeof event.ts === 'number' && event.ts > device.maxTs) device.maxTs = event.ts;
    const one = this.one;
    const record = this.record;
    record.event = event;
    record.batch = batch;
    record.index = index;
    record.offset = offset;
    if (alreadyWritten) {
      // in episodes an earlier writer wrote: read only to rebuild the privacy gate's view of the device
      run.reads.replay_skipped++;
      device.pipeline.restoreRecords(one);
    } else {
      device.pipeline.pushRecords(one);
    }
  }

  private pipelineDeadLetter(run: PartitionRun, letter: DeadLetter): void {
    const position = letter.position as KafkaPosition;
    this.deadLetter(run, position.batch, position.index, letter.reason);
  }

  private deadLetter(run: PartitionRun, batch: FetchedBatch, index: number, reason: string): void {
    const offset = batch.offsets[index];
    // sent by the writer that handled this offset before
    if (offset < run.handledBefore) return;
    run.counters.dead_letters++;
    const headers: IHeaders = { ...headersOf(batch, index) };
    headers[DEAD_LETTER_HEADERS.error] = reason;
    headers[DEAD_LETTER_HEADERS.topic] = run.topic;
    headers[DEAD_LETTER_HEADERS.partition] = String(run.partition);
    headers[DEAD_LETTER_HEADERS.offset] = String(offset);
    // copies: a view would keep the whole batch's bytes until the flush
    const key = viewOf(batch, index, true);
    const value = viewOf(batch, index, false);
    run.deadLetters.push({
      key: key && Buffer.from(key),
      value: value && Buffer.from(value),
      headers,
      timestamp: String(batch.timestamps[index]),
    });
  }

  /**
   * A device that sent nothing for the gap plus grace of wall-clock time closes its episode: its
   * stream time is moved on by that much, as if the quiet had been seen in its own events.
   */
  closeQuietDevices(now: number): void {
    const quietFor = this.config.session.inactivity_gap_ms + this.config.session.grace_ms;
    for (const run of this.runs.values()) {
      // records still waiting may hold the quiet device's next events: it is slow, not quiet
      if (run.next < run.highWatermark) continue;
      // read up to where the writer before stopped: what closes now was counted by nobody
      if (!run.crossed && run.next >= run.handledBefore) run.cross();
      for (const device of run.devices.values()) {
        if (now - device.lastWall < this.idleCloseMs || device.pipeline.openDevices === 0) continue;
        device.pipeline.closeQuietDevices(device.maxTs + Math.max(now - device.lastWall, quietFor + 1));
        run.dirty = true;
      }
    }
  }

  /** How far each partition has been read: the next offset after its last record. */
  positions(): Map<number, number> {
    return new Map([...this.runs].map(([partition, run]) => [partition, run.next]));
  }

  /**
   * The newest event time seen. Used only once every partition is read to its end: partitions are
   * consumed at different speeds, so earlier it would call a device quiet whose next events merely
   * have not been fetched yet. (Mid-stream a device's episode closes by its own next event or by
   * wall-clock quiet: the same episode a stream-time sweep would close.)
   */
  private streamTime(): number {
    let streamTime = -Infinity;
    for (const run of this.runs.values()) for (const device of run.devices.values()) if (device.maxTs > streamTime) streamTime = device.maxTs;
    return streamTime;
  }

  /**
   * End of input (exit-when-idle): closes every open episode of the partitions not ended yet and
   * hands them to the writers. Returns how many partitions it ended (0: nothing left to end).
   */
  async end(): Promise<number> {
    const generation = this.generation;
    const toEnd = [...this.runs.values()].filter((run) => !run.ended);
    if (toEnd.length === 0) return 0;
    const streamTime = this.streamTime();
    for (const run of toEnd) {
      if (!run.crossed && run.next >= run.handledBefore) run.cross();
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
          // a rebalance meanwhile discarded this writer: the partition is read again
          if (generation !== this.generation) return toEnd.length;
        }
      }
    }
    return toEnd.length;
  }

  /**
   * Closes the shards of every partition with something new and takes its part at that instant:
   * records that arrive while the shards are written (the caller goes on) go to later shards and
   * commits. Resolves once the shards are written. A part is durable only once the caller has
   * written it (`partWritten`).
   */
  flush(): Promise<PartitionFlush[]> {
    const pending: { run: PartitionRun; part: ManifestPart; deadLetters: Message[]; written: Promise<ShardInfo[]> }[] = [];
    for (const run of this.runs.values()) {
      if (!run.dirty) continue;
      run.dirty = false;
      const written = run.writer.flush();
      const part = run.snapshot(this.pseudonyms, this.processedThrough.get(run.partition) ?? -1);
      pending.push({ run, part, deadLetters: run.deadLetters, written });
      run.deadLetters = [];
    }
    return Promise.all(pending.map((p) => p.written)).then((written) =>
      pending.map(({ run, part, deadLetters }, i) => {
        run.listWrittenShards(part);
        return { part, deadLetters, shardsWritten: written[i].length };
      }),
    );
  }

  /** The caller wrote this part: the next part of its partition accounts for at least as much. */
  partWritten(partition: number, processedThrough: number): void {
    this.processedThrough.set(partition, processedThrough);
  }

  /** Drops what no flush has taken (temp files removed); the writers take no rows afterwards. */
  discard(): void {
    for (const run of this.runs.values()) run.writer.discard();
  }

  summary(): PartitionsSummary {
    const summary: PartitionsSummary = { records_in: 0, dead_letters: 0, replay_skipped: 0, episodes_written: this.episodesWritten };
    for (const run of this.runs.values()) {
      summary.records_in += run.reads.records;
      summary.dead_letters += run.counters.dead_letters;
      summary.replay_skipped += run.reads.replay_skipped;
    }
    return summary;
  }
}

const EMPTY_BATCH: FetchedBatch = {
  generation: -1,
  topic: '',
  partition: -1,
  firstOffset: 0,
  highWatermark: 0,
  count: 0,
  bytes: new Uint8Array(0),
  spans: new Int32Array(0),
  offsets: new Float64Array(0),
  timestamps: new Float64Array(0),
  headers: [],
};
