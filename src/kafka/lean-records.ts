// kafkajs' record batch decoder, replaced by one that makes less garbage per record.
//
// kafkajs 2.2.4 (its last release) decodes every record of a fetch into a Buffer slice and a
// `Decoder` for the record, 64-bit varints as BigInt-backed `Long`s, offset and timestamp as
// decimal strings built by BigInt arithmetic, a header object through a spread per header, and
// then parses each offset again to filter the batch. Half of a consume-only consumer's CPU went to
// that and to collecting it (docs/PERFORMANCE.md, "Kafka"). The records made here have the same
// fields, read the same way (`offset`, `timestamp`, `key`, `value`, `headers`, ...), but they are
// one small object each: the 64-bit arithmetic is done in doubles when it is exact, the strings
// and Buffer views are made only when someone reads them, and `packBatch` reads the numbers and
// byte positions straight from the record.
//
// It replaces kafkajs' `protocol/recordBatch/v0/decoder.js` and the constructor of
// `consumer/batch.js` in the module cache before kafkajs is first loaded; kafkajs' other modules
// require them from there. Only kafkajs 2.2.4 is patched (checked by version), and
// EPISODIC_KAFKAJS_RECORDS=stock keeps kafkajs' own decoder (the bench's consume-only ceiling).
import { createRequire } from 'node:module';

/* eslint-disable @typescript-eslint/no-explicit-any */
type KafkaJsDecoder = { buffer: Buffer; offset: number; readInt8(): number; readInt16(): number; readInt32(): number; readInt64(): bigint; slice(size: number): KafkaJsDecoder; forward(size: number): void; readAll(): Buffer };

/** The kafkajs version whose internals this file was written against. */
const PATCHED_VERSION = '2.2.4';

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const LOG_APPEND_TIME = 1;
const CREATE_TIME = 0;
/** a first offset up to here plus any 32-bit delta is still an exact double. */
const SAFE_BASE = Number.MAX_SAFE_INTEGER - 2 ** 32;
const NO_HEADERS: Record<string, never> = Object.freeze({}) as Record<string, never>;

interface KafkaJsInternals {
  Long: { fromValue(v: unknown): { add(n: number | bigint): { toString(): string }; gte(o: unknown): boolean } };
  /** kafkajs' own decoder of a record batch and its Batch, kept for tests that compare the two. */
  stockDecodeRecordBatch: (decoder: KafkaJsDecoder) => Promise<Record<string, unknown>>;
  StockBatch: any;
  lookupCodecByAttributes(attributes: number): { decompress(buffer: Buffer): Promise<Buffer> } | null;
  PartialMessageError: new (message: string) => Error;
}

/** What the records of one record batch share: kafkajs' batch context, plus its bases as doubles. */
interface BatchBase {
  context: Record<string, unknown> & { firstOffset: string; firstTimestamp: string; maxTimestamp: string; timestampType: number };
  /** NaN when it is not exact as a double: the record then does kafkajs' BigInt arithmetic. */
  firstOffset: number;
  firstTimestamp: number;
  /** the broker's append time, which every record of the batch takes (LOG_APPEND_TIME), or null. */
  appendTime: string | null;
  appendTimeNumber: number;
}

let internals: KafkaJsInternals | undefined;

/**
 * A record as kafkajs' consumer hands it on. `offset`, `timestamp`, `key` and `value` are made
 * when read, from the numbers and byte positions kept here; `packBatch` reads those directly.
 */
export class LeanRecord {
  readonly isControlRecord: boolean;
  constructor(
    private readonly base: BatchBase,
    readonly attributes: number,
    readonly magicByte: number,
    /** the bytes the key and value lie in (the record batch, or its decompressed records). */
    readonly bytes: Buffer,
    /** -1 for a null key or value. */
    readonly keyStart: number,
    readonly keyEnd: number,
    readonly valueStart: number,
    readonly valueEnd: number,
    readonly offsetDelta: number,
    readonly timestampDelta: number,
    readonly headers: Record<string, Buffer | null | (Buffer | null)[]>,
  ) {
    this.isControlRecord = base.context.isControlBatch === true;
  }

  get batchContext(): BatchBase['context'] {
    return this.base.context;
  }

  /** the offset as a double, NaN when it is past 2^53 (then only `offset`, the string, is exact). */
  get offsetNumber(): number {
    return this.base.firstOffset + this.offsetDelta;
  }

  /** the timestamp as a double (epoch ms), NaN when it is not exact as one. */
  get timestampNumber(): number {
    const base = this.base;
    if (base.appendTime !== null) return base.appendTimeNumber;
    const t = base.firstTimestamp + this.timestampDelta;
    return Number.isSafeInteger(t) ? t : NaN;
  }

  get offset(): string {
    const n = this.offsetNumber;
    if (n === n) return String(n);
    return internals!.Long.fromValue(this.base.context.firstOffset).add(this.offsetDelta).toString();
  }

  get timestamp(): string {
    const base = this.base;
    if (base.appendTime !== null) return base.appendTime;
    const t = base.firstTimestamp + this.timestampDelta;
    if (Number.isSafeInteger(t)) return String(t);
    if (Number.isNaN(this.timestampDelta)) return 'NaN';
    return internals!.Long.fromValue(base.context.firstTimestamp).add(BigInt(this.timestampDelta)).toString();
  }

  get key(): Buffer | null {
    return this.keyStart < 0 ? null : this.bytes.subarray(this.keyStart, this.keyEnd);
  }

  get value(): Buffer | null {
    return this.valueStart < 0 ? null : this.bytes.subarray(this.valueStart, this.valueEnd);
  }

  /** a plain object of the fields kafkajs' own decoder gives (tests compare the two). */
  toJSON(): Record<string, unknown> {
    return {
      magicByte: this.magicByte,
      attributes: this.attributes,
      timestamp: this.timestamp,
      offset: this.offset,
      key: this.key,
      value: this.value,
      headers: this.headers,
      isControlRecord: this.isControlRecord,
      batchContext: this.batchContext,
    };
  }
}

// Kafka's zig-zag varints, read at `at` (module state, like the Avro reader: no object per call).
let at = 0;

function readVarInt(b: Buffer): number {
  let result = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = b[at++];
    result |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte >= 0x80 && shift < 35);
  if (byte === undefined) throw new RangeError('record truncated');
  return (result >>> 1) ^ -(result & 1);
}

/**
 * A zig-zag varlong as a double: exact up to 2^53, which covers any timestamp delta a producer
 * writes (2^53 ms is 285,000 years); NaN past that.
 */
function readVarLong(b: Buffer): number {
  const first = b[at];
  let unsigned = 0;
  let scale = 1;
  let byte: number;
  do {
    byte = b[at++];
    unsigned += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte >= 0x80 && scale < 2 ** 70);
  if (byte === undefined) throw new RangeError('record truncated');
  if (unsigned > Number.MAX_SAFE_INTEGER) return NaN;
  return (first & 1) === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
}

function readHeaders(b: Buffer): LeanRecord['headers'] {
  const count = readVarInt(b);
  if (count <= 0) return NO_HEADERS;
  const headers: LeanRecord['headers'] = {};
  for (let i = 0; i < count; i++) {
    const keyLength = readVarInt(b);
    const key = String(keyLength === -1 ? null : b.toString('utf8', at, (at += keyLength)));
    const valueLength = readVarInt(b);
    const value = valueLength === -1 ? null : b.subarray(at, (at += valueLength));
    // kafkajs' rule: a repeated key collects its values in an array, in order
    const seen = Object.prototype.hasOwnProperty.call(headers, key) ? headers[key] : undefined;
    const merged = seen === undefined ? value : Array.isArray(seen) ? seen.concat([value]) : [seen, value];
    Object.defineProperty(headers, key, { value: merged, writable: true, enumerable: true, configurable: true });
  }
  return headers;
}

/** Reads `count` records from `b` at `start` (each framed by its varint length, as kafkajs reads them). */
function readRecords(b: Buffer, start: number, count: number, base: BatchBase, magicByte: number): LeanRecord[] {
  const records = new Array<LeanRecord>(count);
  at = start;
  for (let i = 0; i < count; i++) {
    const length = readVarInt(b);
    const end = at + length;
    if (length < 0 || end > b.length) throw new RangeError(`record ${i} of a batch of ${count} is truncated`);
    const attributes = (b[at++] << 24) >> 24;
    const timestampDelta = readVarLong(b);
    const offsetDelta = readVarInt(b);
    const keyLength = readVarInt(b);
    const keyStart = keyLength === -1 ? -1 : at;
    if (keyLength !== -1) at += keyLength;
    const valueLength = readVarInt(b);
    const valueStart = valueLength === -1 ? -1 : at;
    if (valueLength !== -1) at += valueLength;
    const headers = readHeaders(b);
    if (at > end) throw new RangeError(`record ${i} of a batch of ${count} overruns its length`);
    records[i] = new LeanRecord(
      base,
      attributes,
      magicByte,
      b,
      keyStart,
      keyStart < 0 ? -1 : keyStart + keyLength,
      valueStart,
      valueStart < 0 ? -1 : valueStart + valueLength,
      offsetDelta,
      timestampDelta,
      headers,
    );
    at = end;
  }
  return records;
}

function exactNumber(text: string): number {
  const n = Number(text);
  return Number.isSafeInteger(n) && Math.abs(n) <= SAFE_BASE ? n : NaN;
}

/** kafkajs' `recordBatch/v0/decoder.js`, field for field, with the records read by `readRecords`. */
async function decodeRecordBatch(fetchDecoder: KafkaJsDecoder): Promise<Record<string, unknown>> {
  const { lookupCodecByAttributes, PartialMessageError } = internals!;
  const firstOffset = fetchDecoder.readInt64().toString();
  const length = fetchDecoder.readInt32();
  const decoder = fetchDecoder.slice(length);
  fetchDecoder.forward(length);
  const remainingBytes = Buffer.byteLength(decoder.buffer);
  if (remainingBytes < length) {
    throw new PartialMessageError(`Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < recordBatchLength(${length})`);
  }
  const partitionLeaderEpoch = decoder.readInt32();
  const magicByte = decoder.readInt8();
  decoder.readInt32(); // CRC: kafkajs does not check it either
  const attributes = decoder.readInt16();
  const lastOffsetDelta = decoder.readInt32();
  const firstTimestamp = decoder.readInt64().toString();
  const maxTimestamp = decoder.readInt64().toString();
  const producerId = decoder.readInt64().toString();
  const producerEpoch = decoder.readInt16();
  const firstSequence = decoder.readInt32();
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
  };
  const context = { ...recordContext, magicByte };
  const base: BatchBase = {
    context,
    firstOffset: exactNumber(firstOffset),
    firstTimestamp: exactNumber(firstTimestamp),
    appendTime: context.timestampType === LOG_APPEND_TIME && maxTimestamp ? maxTimestamp : null,
    appendTimeNumber: exactNumber(maxTimestamp),
  };
  const count = decoder.readInt32();
  let records: LeanRecord[];
  const codec = lookupCodecByAttributes(attributes);
  if (codec === null) {
    records = count === -1 ? [] : readRecords(decoder.buffer, decoder.offset, count, base, magicByte);
  } else if (count <= 0) {
    records = [];
  } else {
    const decompressed = await codec.decompress(decoder.readAll());
    records = readRecords(decompressed, 0, count, base, magicByte);
  }
  return { ...recordContext, records };
}

/**
 * kafkajs' Batch constructor, with the filter of records below the fetched offset done on
 * doubles for lean records (kafkajs parses each record's offset string into a BigInt for it).
 */
function leanBatchClass(StockBatch: any, filterAbortedMessages: (args: { messages: unknown[]; abortedTransactions: unknown }) => unknown[]): any {
  const { Long } = internals!;
  function Batch(this: any, topic: string, fetchedOffset: string, partitionData: any) {
    this.fetchedOffset = fetchedOffset;
    const fetched = Number(fetchedOffset);
    const { abortedTransactions, messages } = partitionData;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = messages;
    const exact = Number.isSafeInteger(fetched);
    let longFetched: unknown;
    this.messagesWithinOffset = messages.filter((message: any) => {
      if (exact && message instanceof LeanRecord) {
        const offset = message.offsetNumber;
        if (offset === offset) return offset >= fetched;
      }
      longFetched ??= Long.fromValue(fetchedOffset);
      return Long.fromValue(message.offset).gte(longFetched);
    });
    this.messages = filterAbortedMessages({ messages: this.messagesWithinOffset, abortedTransactions }).filter((message: any) => !message.isControlRecord);
  }
  Batch.prototype = StockBatch.prototype;
  return Batch;
}

/** Which decoder EPISODIC_KAFKAJS_RECORDS asks for (lean unless it says stock); throws on anything else. */
export function requestedRecords(env: NodeJS.ProcessEnv): 'lean' | 'stock' {
  const requested = env.EPISODIC_KAFKAJS_RECORDS?.trim().toLowerCase();
  if (requested === undefined || requested === '' || requested === 'lean') return 'lean';
  if (requested === 'stock') return 'stock';
  throw new Error(`EPISODIC_KAFKAJS_RECORDS must be 'lean' (the default) or 'stock', not ${JSON.stringify(env.EPISODIC_KAFKAJS_RECORDS)}`);
}

export type LeanRecordsState = 'installed' | 'stock: EPISODIC_KAFKAJS_RECORDS=stock' | `stock: ${string}`;

let state: LeanRecordsState | undefined;

/**
 * Puts the lean decoder in place of kafkajs' own, once, before kafkajs is loaded; says what it did.
 * It leaves kafkajs as it is when asked to (EPISODIC_KAFKAJS_RECORDS=stock), when kafkajs is not
 * the version this was written for, or when kafkajs was already loaded (then its modules hold the
 * stock decoder already).
 */
export function installLeanRecords(env: NodeJS.ProcessEnv = process.env): LeanRecordsState {
  if (state !== undefined) return state;
  if (requestedRecords(env) === 'stock') return (state = 'stock: EPISODIC_KAFKAJS_RECORDS=stock');
  try {
    return (state = patchKafkaJs());
  } catch (error) {
    // a kafkajs that says it is 2.2.4 but whose files are not where 2.2.4 has them: nothing patched
    internals = undefined;
    return (state = `stock: kafkajs' internals are not where ${PATCHED_VERSION} has them (${(error as Error).message.split('\n')[0]})`);
  }
}

function patchKafkaJs(): LeanRecordsState {
  const require = createRequire(import.meta.url);
  const src = (path: string) => require.resolve(`kafkajs/src/${path}`);
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== PATCHED_VERSION) return `stock: kafkajs ${version} is not ${PATCHED_VERSION}`;
  if (require.cache[src('protocol/requests/fetch/v4/decodeMessages.js')] !== undefined || require.cache[src('consumer/consumerGroup.js')] !== undefined) {
    return 'stock: kafkajs was loaded before the lean decoder could be put in';
  }
  const errors = require(src('errors.js'));
  const batchDecoderPath = src('protocol/recordBatch/v0/decoder.js');
  const batchPath = src('consumer/batch.js');
  const found: KafkaJsInternals = {
    Long: require(src('utils/long.js')),
    stockDecodeRecordBatch: require(batchDecoderPath),
    StockBatch: require(batchPath),
    lookupCodecByAttributes: require(src('protocol/message/compression/index.js')).lookupCodecByAttributes,
    PartialMessageError: errors.KafkaJSPartialMessageError,
  };
  internals = found;
  const leanBatch = leanBatchClass(found.StockBatch, require(src('consumer/filterAbortedMessages.js')));
  require.cache[batchDecoderPath]!.exports = decodeRecordBatch;
  require.cache[batchPath]!.exports = leanBatch;
  return 'installed';
}

/** What `installLeanRecords` did, if it ran. */
export function leanRecordsState(): LeanRecordsState | undefined {
  return state;
}

/** kafkajs' record batch decoder and Batch beside the lean ones, once installed (tests compare them); undefined otherwise. */
export function stockAndLean(): { stock: { decode: KafkaJsInternals['stockDecodeRecordBatch']; Batch: any }; lean: { decode: typeof decodeRecordBatch; Batch: any } } | undefined {
  if (internals === undefined) return undefined;
  const require = createRequire(import.meta.url);
  return {
    stock: { decode: internals.stockDecodeRecordBatch, Batch: internals.StockBatch },
    lean: { decode: decodeRecordBatch, Batch: require('kafkajs/src/consumer/batch.js') },
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
