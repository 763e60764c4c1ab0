// The lean record batch decoder in kafkajs' place: for record batches kafkajs' own encoder writes
// (keys, null keys and values, headers repeated or not, gzip, offsets and timestamps past what a
// double holds, control and append-time batches), every field a consumer reads is what kafkajs'
// decoder gives, the Batch keeps and drops the same records, and the packed batch the pipeline
// thread gets is the same.
import test from 'ava';
import { createRequire } from 'node:module';
import type { Batch } from 'kafkajs';
import { kafkajs } from '../src/kafka/kafkajs.ts';
import { installLeanRecords, LeanRecord, requestedRecords, stockAndLean } from '../src/kafka/lean-records.ts';
import { packBatch } from '../src/kafka/fetched.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
kafkajs();
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');
const Long = require('kafkajs/src/utils/long.js');
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js');
const decoders = stockAndLean()!;

interface RecordSpec {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | string[]>;
  offsetDelta: number;
  timestampDelta: number;
}

const ATTRIBUTES_AT = 8 + 4 + 4 + 1 + 4;

/** A record batch as the broker sends it (kafkajs' encoder), with attribute bits set afterwards (the CRC is not checked). */
async function encodedBatch(records: RecordSpec[], options: { firstOffset?: string; firstTimestamp?: string; compression?: number; setAttributes?: number } = {}): Promise<Buffer> {
  const encoder = await RecordBatch({
    compression: options.compression ?? Compression.None,
    firstOffset: Long.fromValue(options.firstOffset ?? '4100'),
    firstTimestamp: options.firstTimestamp ?? '1780000000000',
    maxTimestamp: '1780000009999',
    lastOffsetDelta: records.length === 0 ? 0 : records[records.length - 1].offsetDelta,
    records: records.map((r) => Record(r)),
  });
  const bytes: Buffer = Buffer.from(encoder.buffer);
  if (options.setAttributes) bytes.writeInt16BE(bytes.readInt16BE(ATTRIBUTES_AT) | options.setAttributes, ATTRIBUTES_AT);
  return bytes;
}

function plain(record: any): Record<string, unknown> {
  const r = record instanceof LeanRecord ? record.toJSON() : record;
  return { ...r, key: r.key === null ? null : Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value) };
}

async function decodeBoth(bytes: Buffer): Promise<{ stock: any; lean: any }> {
  // each decoder reads its own copy: the lean one keeps positions into the bytes it was given
  const stock = await decoders.stock.decode(new Decoder(Buffer.from(bytes)));
  const lean = await decoders.lean.decode(new Decoder(Buffer.from(bytes)));
  return { stock, lean };
}

async function assertSame(t: any, bytes: Buffer): Promise<{ stock: any; lean: any }> {
  const both = await decodeBoth(bytes);
  const { records: stockRecords, ...stockBatch } = both.stock;
  const { records: leanRecords, ...leanBatch } = both.lean;
  t.deepEqual(leanBatch, stockBatch);
  t.is(leanRecords.length, stockRecords.length);
  t.true(leanRecords.every((r: unknown) => r instanceof LeanRecord));
  t.deepEqual(leanRecords.map(plain), stockRecords.map(plain));
  return both;
}

const mixed: RecordSpec[] = [
  { key: 'dev-a', value: 'first', offsetDelta: 0, timestampDelta: 0 },
  { key: null, value: 'no key', offsetDelta: 1, timestampDelta: 17 },
  { key: 'dev-b', value: null, offsetDelta: 2, timestampDelta: 300_000 },
  { key: 'dev-a', value: '', offsetDelta: 3, timestampDelta: -5, headers: { trace: 'abc' } },
  { key: 'dev-c', value: 'ünïcödé ✓', offsetDelta: 7, timestampDelta: 2 ** 40, headers: { tags: ['x', 'y', 'z'], one: '1' } },
];

test('kafkajs is loaded with the lean decoder in place', (t) => {
  const state = installLeanRecords();
  t.is(
    state,
    'installed',
    `kafkajs changed under src/kafka/lean-records.ts, which patches the internals of kafkajs 2.2.4 through the module cache (${state}). ` +
      "episodic run still works on kafkajs' own decoder, slower: port the lean decoder to the new kafkajs, or drop it.",
  );
  t.true(new decoders.lean.Batch('t', '0', { partition: 0, highWatermark: '1', messages: [] }) instanceof decoders.stock.Batch);
});

test('EPISODIC_KAFKAJS_RECORDS chooses kafkajs\' own decoder with stock, and a value it does not know is refused by name', (t) => {
  t.is(requestedRecords({}), 'lean');
  t.is(requestedRecords({ EPISODIC_KAFKAJS_RECORDS: ' Stock ' }), 'stock');
  t.is(requestedRecords({ EPISODIC_KAFKAJS_RECORDS: 'lean' }), 'lean');
  t.throws(() => requestedRecords({ EPISODIC_KAFKAJS_RECORDS: 'fast' }), { message: /EPISODIC_KAFKAJS_RECORDS must be 'lean' \(the default\) or 'stock', not "fast"/ });
});

test('an uncompressed batch: keys, null keys and values, empty values, headers, negative and large timestamp deltas', async (t) => {
  const { lean } = await assertSame(t, await encodedBatch(mixed));
  t.is(lean.records[4].offset, '4107');
  t.is(lean.records[4].timestamp, String(1_780_000_000_000 + 2 ** 40));
  t.deepEqual(lean.records[4].headers.tags.map(String), ['x', 'y', 'z']);
});

test('a gzip-compressed batch', async (t) => {
  await assertSame(t, await encodedBatch(mixed, { compression: Compression.GZIP }));
});

test('offsets and timestamps past 2^53 come out exact, as kafkajs gives them', async (t) => {
  const { lean } = await assertSame(t, await encodedBatch(mixed, { firstOffset: '9007199254740993', firstTimestamp: '9007199254740000' }));
  t.is(lean.records[1].offset, '9007199254740994');
  t.true(Number.isNaN(lean.records[1].offsetNumber));
});

test('control batches and broker append time', async (t) => {
  const { lean } = await assertSame(t, await encodedBatch(mixed, { setAttributes: 0x20 | 0x08 }));
  t.true(lean.records.every((r: LeanRecord) => r.isControlRecord && r.timestamp === '1780000009999'));
});

test('an empty batch', async (t) => {
  await assertSame(t, await encodedBatch([]));
});

test('a batch cut short by the fetch size is a partial message, as kafkajs reports it', async (t) => {
  const bytes = await encodedBatch(mixed);
  const cut = bytes.subarray(0, bytes.length - 10);
  const stock = await t.throwsAsync(() => decoders.stock.decode(new Decoder(Buffer.from(cut))));
  const lean = await t.throwsAsync(() => decoders.lean.decode(new Decoder(Buffer.from(cut))));
  t.is(lean?.name, 'KafkaJSPartialMessageError');
  t.is(lean?.name, stock?.name);
});

async function batchesOf(fetchedOffset: string, bytes: Buffer, abortedTransactions: unknown[] = []): Promise<{ stock: Batch; lean: Batch }> {
  const { stock, lean } = await decodeBoth(bytes);
  const partition = (records: unknown[]) => ({ partition: 2, highWatermark: '4200', abortedTransactions, messages: records });
  return {
    stock: new decoders.stock.Batch('events', fetchedOffset, partition(stock.records)),
    lean: new decoders.lean.Batch('events', fetchedOffset, partition(lean.records)),
  };
}

test('the Batch drops the records before the fetched offset and keeps the same ones', async (t) => {
  for (const fetched of ['4100', '4102', '4104', '4108']) {
    const { stock, lean } = await batchesOf(fetched, await encodedBatch(mixed));
    t.deepEqual(lean.messages.map(plain), stock.messages.map(plain), fetched);
    t.is(lean.firstOffset(), stock.firstOffset());
    t.is(lean.lastOffset(), stock.lastOffset());
    t.is(lean.offsetLag(), stock.offsetLag());
    t.is(lean.isEmpty(), stock.isEmpty());
  }
});

test('the Batch drops the records of aborted transactions like kafkajs', async (t) => {
  const aborted = [{ producerId: '-1', firstOffset: '4102' }];
  const { stock, lean } = await batchesOf('4100', await encodedBatch(mixed, { setAttributes: 0x10 }), aborted);
  t.true(stock.messages.length < mixed.length);
  t.deepEqual(lean.messages.map(plain), stock.messages.map(plain));
});

test('the pipeline thread gets the same packed batch from lean records as from kafkajs ones', async (t) => {
  for (const compression of [Compression.None, Compression.GZIP]) {
    const { stock, lean } = await batchesOf('4100', await encodedBatch(mixed, { compression }));
    const a = packBatch(stock, 3);
    const b = packBatch(lean, 3);
    t.deepEqual([...b.offsets], [...a.offsets]);
    t.deepEqual([...b.timestamps], [...a.timestamps]);
    t.deepEqual(b.headers.map(([i, h]) => [i, JSON.stringify(h)]), a.headers.map(([i, h]) => [i, JSON.stringify(h)]));
    for (let i = 0; i < a.count; i++) {
      for (const key of [false, true]) {
        const slot = i * 4 + (key ? 2 : 0);
        const view = (p: typeof a) => (p.spans[slot] < 0 ? null : Buffer.from(p.bytes.subarray(p.spans[slot], p.spans[slot + 1])).toString());
        t.is(view(b), view(a), `record ${i} ${key ? 'key' : 'value'}`);
      }
    }
  }
});
/* eslint-enable @typescript-eslint/no-explicit-any */
