// The broker the Kafka tests rely on: started by scripts/kafka/start.sh (or given by KAFKA_BROKERS),
// it must take produced messages and hand every one of them to a consumer group, the way the
// pipeline's Kafka source reads input-events, through kafkajs with episodic's record decoder.
import test from 'ava';
import type { KafkaMessage } from 'kafkajs';
import { kafkajs } from '../src/kafka/kafkajs.ts';
import { leanRecordsState } from '../src/kafka/lean-records.ts';
import { createTopic, ensureBroker, uniqueName } from './helpers/kafka.ts';

const MESSAGES = 100;

test('a consumer group reads back all 100 messages produced to a 3-partition topic', async (t) => {
  const broker = await ensureBroker();
  t.teardown(broker.stop);
  const topic = uniqueName('broker-check');
  await createTopic(broker.brokers, topic, 3);

  const { Kafka, Partitioners, logLevel } = kafkajs();
  const kafka = new Kafka({ clientId: 'kafka-broker-test', brokers: broker.brokers, logLevel: logLevel.WARN });
  const sent = Array.from({ length: MESSAGES }, (_, i) => ({ key: `device-${i % 10}`, value: `event-${i}` }));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, messages: sent, acks: -1 });
  await producer.disconnect();

  const received: { partition: number; message: KafkaMessage }[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('broker-check-group') });
  t.teardown(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    // a guard, not an assertion: without it a lost message would hang the run until ava's 5 min timeout
    const guard = setTimeout(
      () => reject(new Error(`only ${received.length} of ${MESSAGES} messages arrived within 60 s`)),
      60_000,
    );
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, message });
          if (received.length === MESSAGES) {
            clearTimeout(guard);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  const values = received.map(({ message }) => message.value?.toString() ?? '');
  t.deepEqual(values.sort(), sent.map((m) => m.value).sort());
  const partitionsUsed = [...new Set(received.map(({ partition }) => partition))].sort();
  t.deepEqual(partitionsUsed, [0, 1, 2], 'all 3 partitions carry data');
  const partitionsPerKey = new Map<string, Set<number>>();
  for (const { partition, message } of received) {
    const key = message.key?.toString() ?? '';
    partitionsPerKey.set(key, (partitionsPerKey.get(key) ?? new Set()).add(partition));
  }
  for (const [key, partitions] of partitionsPerKey) t.is(partitions.size, 1, `${key} stays on one partition`);
});

test('a gzip batch read from an offset inside it: the records before it are dropped, the rest come with their keys, headers, offsets and broker timestamps', async (t) => {
  const broker = await ensureBroker();
  t.teardown(broker.stop);
  const topic = uniqueName('broker-gzip');
  await createTopic(broker.brokers, topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
  const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs();
  // what is checked is kafkajs with episodic's record decoder in its place, as `episodic run` reads
  t.is(leanRecordsState(), 'installed');
  const kafka = new Kafka({ clientId: 'kafka-broker-test', brokers: broker.brokers, logLevel: logLevel.WARN });
  const sent = Array.from({ length: 50 }, (_, i) => ({ key: i % 7 === 0 ? null : `device-${i % 5}`, value: `event-${i}`, headers: i % 10 === 3 ? { trace: `t-${i}`, tag: ['a', 'b'] } : undefined }));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // one send: one compressed record batch on the broker
  const before = Date.now();
  await producer.send({ topic, messages: sent, acks: -1, compression: CompressionTypes.GZIP });
  await producer.disconnect();

  const groupId = uniqueName('broker-gzip-group');
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '20' }] });
  await admin.disconnect();

  const received: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId });
  t.teardown(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic });
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`only ${received.length} of 30 messages arrived within 60 s`)), 60_000);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          received.push(...batch.messages);
          if (received.length >= 30) {
            clearTimeout(guard);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  t.deepEqual(
    received.map((m) => m.offset),
    sent.slice(20).map((_, i) => String(20 + i)),
  );
  t.deepEqual(
    received.map((m) => [m.key?.toString() ?? null, m.value?.toString()]),
    sent.slice(20).map((m) => [m.key, m.value]),
  );
  const withHeaders = received.filter((m) => Object.keys(m.headers ?? {}).length > 0);
  t.deepEqual(
    withHeaders.map((m) => [m.offset, m.headers!.trace!.toString(), (m.headers!.tag as Buffer[]).map(String)]),
    [['23', 't-23', ['a', 'b']], ['33', 't-33', ['a', 'b']], ['43', 't-43', ['a', 'b']]],
  );
  // the broker's append time, one for the whole batch
  const stamps = new Set(received.map((m) => m.timestamp));
  t.is(stamps.size, 1);
  t.true(Number([...stamps][0]) >= before - 1000 && Number([...stamps][0]) <= Date.now() + 1000);
});
