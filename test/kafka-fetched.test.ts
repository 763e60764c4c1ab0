// The hop from the fetch loop to the pipeline thread: every record's bytes, key, offset, broker
// timestamp and headers arrive as kafkajs gave them, whether its views share one buffer or not.
import test from 'ava';
import type { Batch, KafkaMessage } from 'kafkajs';
import { decimal, headersOf, packBatch, viewOf } from '../src/kafka/fetched.ts';

function message(offset: string, timestamp: string, value: Buffer | null, key: Buffer | null, headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return { offset, timestamp, value, key, headers, attributes: 0 } as unknown as KafkaMessage;
}

function batchOf(messages: KafkaMessage[]): Batch {
  return {
    topic: 'events',
    partition: 3,
    highWatermark: '1000',
    messages,
    firstOffset: () => messages[0]?.offset ?? null,
    lastOffset: () => messages[messages.length - 1]?.offset ?? '-1',
  } as unknown as Batch;
}

/** A fetch response: records framed by a few bytes, their keys and values views into it. */
function response(records: [string | null, string | null][]): { key: Buffer | null; value: Buffer | null }[] {
  const parts: Buffer[] = [];
  const at: [number, number, number, number][] = [];
  let length = 0;
  for (const [key, value] of records) {
    const frame = Buffer.from([0xee, 0xee, 0xee]);
    const k = key === null ? null : Buffer.from(key);
    const v = value === null ? null : Buffer.from(value);
    parts.push(frame);
    length += frame.length;
    const keyAt = k ? length : -1;
    if (k) parts.push(k), (length += k.length);
    const valueAt = v ? length : -1;
    if (v) parts.push(v), (length += v.length);
    at.push([keyAt, k?.length ?? 0, valueAt, v?.length ?? 0]);
  }
  // a buffer of its own, as a fetch response is (Buffer.concat may share its pool between calls)
  const whole = Buffer.alloc(length);
  Buffer.concat(parts).copy(whole);
  return at.map(([keyAt, keyLength, valueAt, valueLength]) => ({
    key: keyAt < 0 ? null : whole.subarray(keyAt, keyAt + keyLength),
    value: valueAt < 0 ? null : whole.subarray(valueAt, valueAt + valueLength),
  }));
}

function unpacked(batch: Batch) {
  const packed = packBatch(batch, 7);
  return {
    packed,
    records: Array.from({ length: packed.count }, (_, i) => ({
      offset: packed.offsets[i],
      timestamp: packed.timestamps[i],
      key: viewOf(packed, i, true)?.toString() ?? null,
      value: viewOf(packed, i, false)?.toString() ?? null,
      headers: headersOf(packed, i),
    })),
  };
}

test('records whose views share one fetch response keep their bytes, keys, offsets and timestamps', (t) => {
  const views = response([
    ['dev-a', 'first value'],
    [null, 'no key'],
    ['dev-b', null],
    ['dev-a', ''],
  ]);
  const messages = views.map((v, i) => message(String(41 + i), String(1_780_000_000_123 + i), v.value, v.key));
  const { packed, records } = unpacked(batchOf(messages));
  t.is(packed.generation, 7);
  t.is(packed.partition, 3);
  t.is(packed.firstOffset, 41);
  t.is(packed.highWatermark, 1000);
  // the span between the first and the last view was copied, not each record
  t.true(packed.bytes.byteLength < views.reduce((n, v) => n + (v.key?.length ?? 0) + (v.value?.length ?? 0), 0) + 4 * 3 + 1);
  t.deepEqual(
    records.map(({ offset, timestamp, key, value }) => [offset, timestamp, key, value]),
    [
      [41, 1_780_000_000_123, 'dev-a', 'first value'],
      [42, 1_780_000_000_124, null, 'no key'],
      [43, 1_780_000_000_125, 'dev-b', null],
      [44, 1_780_000_000_126, 'dev-a', ''],
    ],
  );
});

test('gaps in the offsets (compaction, transaction markers) and headers come through', (t) => {
  const views = response([
    ['k1', 'v1'],
    ['k2', 'v2'],
    ['k3', 'v3'],
  ]);
  const headers = { trace: Buffer.from('abc'), tags: [Buffer.from('x'), Buffer.from('y')] };
  const messages = [
    message('100', '5', views[0].value, views[0].key),
    message('103', '6', views[1].value, views[1].key, headers),
    message('104', '7', views[2].value, views[2].key),
  ];
  const { records } = unpacked(batchOf(messages));
  t.deepEqual(
    records.map((r) => r.offset),
    [100, 103, 104],
  );
  t.deepEqual(records[1].headers, headers);
  t.deepEqual(records[0].headers, {});
});

test('views into different buffers are copied one by one', (t) => {
  const a = response([['ka', 'value in the first response']]);
  const b = response([['kb', 'value in the second']]);
  const { records } = unpacked(batchOf([message('0', '1', a[0].value, a[0].key), message('1', '2', b[0].value, b[0].key)]));
  t.deepEqual(
    records.map((r) => [r.key, r.value]),
    [
      ['ka', 'value in the first response'],
      ['kb', 'value in the second'],
    ],
  );
});

test('views far apart in one buffer are copied one by one, not with everything between them', (t) => {
  const huge = Buffer.alloc(1 << 20);
  huge.write('near', 10);
  huge.write('far', huge.length - 3);
  const messages = [message('0', '1', huge.subarray(10, 14), null), message('1', '2', huge.subarray(huge.length - 3), null)];
  const { packed, records } = unpacked(batchOf(messages));
  t.is(packed.bytes.byteLength, 7);
  t.deepEqual(
    records.map((r) => r.value),
    ['near', 'far'],
  );
});

test('an empty batch packs to nothing', (t) => {
  const { packed } = unpacked(batchOf([]));
  t.is(packed.count, 0);
  t.is(packed.bytes.byteLength, 0);
});

test('decimal reads what Number reads, plain digits without it', (t) => {
  for (const text of ['0', '7', '123456789', '1234567890', '1780000000123', '999999999999999', '9007199254740991', '-1', '1e3', ' 12', '']) {
    t.is(decimal(text), Number(text), text);
  }
});
