// The broker the Kafka tests rely on: started by scripts/kafka/start.sh (or given by KAFKA_BROKERS),
// it must take produced messages and hand every one of them to a consumer group, the way the
// pipeline's Kafka source reads input-events.
import test from 'ava';
import type { KafkaMessage } from 'kafkajs';
import { kafkajs } from '../src/kafka/kafkajs.ts';
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
