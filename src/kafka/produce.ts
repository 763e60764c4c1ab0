// `episodic produce`: loads a recording into the pipeline's topics the way the capture agents and
// the people directory would: events keyed by device_id, registry records keyed by what they replace
// (`registryRecordKey`: person:<id>, exemption:<id>:<from>, erasure:<id>), both
// as Avro binary in the Confluent framing (schema id 1 = schemas/*.avsc). Missing topics are created.
import type { Admin, ITopicConfig, Kafka, Message, Producer } from 'kafkajs';
import type { KafkaSettings } from '../config.ts';
import type { InputEvent } from '../contract/events.ts';
import { encodeEvent, encodeRegistryRecord, frameConfluent } from '../contract/avro.ts';
import { readEventFile, readRegistryFile } from '../sources/file.ts';
import { registryRecordKey } from '../privacy/registry.ts';
import { createKafka, explainConnectionFailure } from './client.ts';
import { sinkOf, type Logger, type LogLevel } from '../observability/log.ts';
import { kafkajs } from './kafkajs.ts';

export const SCHEMA_ID = 1;
export const DEFAULT_EVENT_PARTITIONS = 6;
const SEND_BATCH = 2_000;

export interface ProduceOptions {
  settings: KafkaSettings;
  input: string;
  registry?: string;
  /** partitions of the events topic when it has to be created. */
  partitions?: number;
  replicationFactor?: number;
  kafka?: Kafka;
  /** where kafkajs' log lines go, at this level. */
  logger?: Logger;
  logLevel?: LogLevel;
}

export interface ProduceSummary {
  events: number;
  registry_records: number;
  /** lines or records of the input that could not be read or encoded: not produced. */
  skipped: number;
  created_topics: string[];
}

/** Topic layout: the events topic's partition count caps how many instances share the work. */
export function topicLayout(settings: KafkaSettings, partitions: number, replicationFactor: number): ITopicConfig[] {
  return [
    {
      topic: settings.topics.events,
      numPartitions: partitions,
      replicationFactor,
      // the broker's clock stamps each record, so max_future_ms is judged against it and not
      // against the clock of the laptop that sent the event
      configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
    },
    {
      topic: settings.topics.registry,
      numPartitions: 1,
      replicationFactor,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    { topic: settings.topics.dead_letter, numPartitions: 1, replicationFactor },
  ];
}

export async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({ topics: missing, waitForLeaders: true });
  return missing.map((t) => t.topic);
}

export async function produceFixture(options: ProduceOptions): Promise<ProduceSummary> {
  const { settings } = options;
  const kafka = options.kafka ?? createKafka(settings, process.env, options.logger && { sink: sinkOf(options.logger), level: options.logLevel ?? 'info' });
  const summary: ProduceSummary = { events: 0, registry_records: 0, skipped: 0, created_topics: [] };
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw explainConnectionFailure(error, settings);
  }
  try {
    summary.created_topics = await ensureTopics(
      admin,
      topicLayout(settings, options.partitions ?? DEFAULT_EVENT_PARTITIONS, options.replicationFactor ?? 1),
    );
  } finally {
    await admin.disconnect();
  }

  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1, createPartitioner: kafkajs().Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    if (options.registry) {
      const { records, dead } = await readRegistryFile(options.registry);
      summary.skipped += dead.length;
      const messages: Message[] = records.map((r) => ({ key: registryRecordKey(r), value: frameConfluent(SCHEMA_ID, encodeRegistryRecord(r)) }));
      for (let i = 0; i < messages.length; i += SEND_BATCH) {
        await send(producer, settings.topics.registry, messages.slice(i, i + SEND_BATCH));
      }
      summary.registry_records = records.length;
    }
    let messages: Message[] = [];
    for await (const batch of readEventFile(options.input, undefined, 'wire')) {
      for (const record of batch) {
        const event = record.value as InputEvent | undefined;
        let value: Buffer;
        try {
          if (record.error !== undefined || event === undefined) throw new Error(record.error);
          value = frameConfluent(SCHEMA_ID, encodeEvent(event));
        } catch {
          // the agents' encoder would not have sent it either
          summary.skipped++;
          continue;
        }
        messages.push({ key: typeof event.device_id === 'string' ? event.device_id : null, value });
        if (messages.length >= SEND_BATCH) {
          await send(producer, settings.topics.events, messages);
          summary.events += messages.length;
          messages = [];
        }
      }
    }
    if (messages.length) {
      await send(producer, settings.topics.events, messages);
      summary.events += messages.length;
    }
  } finally {
    await producer.disconnect();
  }
  return summary;
}

// one request at a time: a device's events land on its partition in file order
async function send(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  await producer.send({ topic, messages, acks: -1 });
}
