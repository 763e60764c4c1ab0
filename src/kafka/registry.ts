// The people registry from its compacted topic: read in full (up to the high watermarks taken at
// start) before any event is processed, so no event is judged against a half-loaded registry; then
// followed for as long as the run lasts. Every instance reads every partition of it, so it uses a
// group of its own and never commits.
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { decodeRegistryRecordBytes } from '../contract/avro.ts';
import { decodeRegistryRecord } from '../contract/decode.ts';
import type { Registry } from '../privacy/registry.ts';

export interface RegistryFollowerOptions {
  kafka: Kafka;
  topic: string;
  registry: Registry;
  /** prefix of the private consumer group name. */
  groupPrefix: string;
  /** a record that does not decode or validate: reported, skipped (the registry topic is not ours to dead-letter). */
  onInvalid?: (reason: string, partition: number, offset: string) => void;
  /** how long to wait for the initial load before failing. */
  loadTimeoutMs?: number;
}

export class RegistryFollower {
  private consumer: Consumer | undefined;
  records = 0;
  invalid = 0;

  constructor(private readonly options: RegistryFollowerOptions) {}

  /** Resolves once every record up to the high watermarks at call time has been applied. */
  async start(): Promise<void> {
    const { kafka, topic, registry } = this.options;
    const admin = kafka.admin();
    await admin.connect();
    let targets: Map<number, number>;
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      targets = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }

    const consumer = kafka.consumer({
      groupId: `${this.options.groupPrefix}-${process.pid}-${randomBytes(4).toString('hex')}`,
      // disconnect waits for the fetch in flight: with kafkajs' default long poll (5 s) every stop of
      // the run took up to 5 s longer; new records still arrive as soon as the broker has them
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });

    let loaded!: () => void;
    const caughtUp = new Promise<void>((resolve) => (loaded = resolve));
    const checkLoaded = () => {
      if (targets.size === 0) loaded();
    };
    checkLoaded();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          this.apply(message.value, batch.partition, message.offset);
        }
        resolveOffset(batch.lastOffset());
        const target = targets.get(batch.partition);
        if (target !== undefined && Number(batch.lastOffset()) + 1 >= target) {
          targets.delete(batch.partition);
          checkLoaded();
        }
        await heartbeat();
      },
    });
    const timeoutMs = this.options.loadTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the registry topic ${topic} was not read up to its end within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([caughtUp, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private apply(value: Buffer | null, partition: number, offset: string): void {
    // a tombstone deletes a key from the compacted topic; the registry never forgets an erasure,
    // and a person who is gone is simply no longer refreshed
    if (value === null) return;
    let reason: string;
    try {
      const decoded = decodeRegistryRecord(decodeRegistryRecordBytes(value));
      if (decoded.ok) {
        this.options.registry.apply(decoded.record);
        this.records++;
        return;
      }
      reason = decoded.reason;
    } catch (error) {
      reason = `undecodable registry record: ${(error as Error).message}`;
    }
    this.invalid++;
    this.options.onInvalid?.(reason, partition, offset);
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (consumer) await consumer.disconnect();
  }
}
