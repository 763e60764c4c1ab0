// A batch of Kafka records as it crosses from the thread that fetches to the thread that runs the
// pipelines: the keys and values packed into one transferable buffer, offsets and timestamps as
// numbers. kafkajs hands each record over as an object of strings and Buffer views into its fetch
// response; none of those may cross a thread cheaply, and the pipeline reads only the bytes.
import type { Batch, IHeaders } from 'kafkajs';
import { LeanRecord } from './lean-records.ts';

export interface FetchedBatch {
  /** the assignment it was fetched under; batches of an older one are dropped. */
  generation: number;
  topic: string;
  partition: number;
  /** offset of the batch's first record: where a partition that starts here resumed. */
  firstOffset: number;
  /** the partition's end as of this fetch. */
  highWatermark: number;
  count: number;
  bytes: Uint8Array;
  /** per record, four entries into `bytes`: value start, value end, key start, key end; a start of -1 is null. */
  spans: Int32Array;
  offsets: Float64Array;
  /** the broker's timestamps (epoch ms). */
  timestamps: Float64Array;
  /** the records that carry headers: index in the batch, then the headers (only a dead letter reads them). */
  headers: [number, IHeaders][];
}

export const SPAN_INTS = 4;

/**
 * A decimal string (kafkajs gives offsets and timestamps as strings) read digit by digit: `Number()`
 * calls into the runtime's general conversion twice per record. Anything but plain digits (a sign,
 * an exponent, more than 15 digits) goes to `Number()`.
 */
export function decimal(text: string): number {
  const length = text.length;
  if (length === 0 || length > 15) return Number(text);
  // two runs of at most 9 digits each stay small integers (a timestamp has 13)
  const split = length > 9 ? length - 9 : 0;
  let high = 0;
  for (let i = 0; i < split; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text);
    high = high * 10 + digit;
  }
  let low = 0;
  for (let i = split; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text);
    low = low * 10 + digit;
  }
  return split === 0 ? low : high * 1e9 + low;
}

function hasHeaders(headers: IHeaders | undefined): headers is IHeaders {
  if (headers === undefined) return false;
  for (const _ in headers) return true;
  return false;
}

/**
 * Packs kafkajs' batch. Its keys and values are views into one fetch response, usually in record
 * order: the span from the first to the last is copied in one go (the record framing between them
 * comes along, a few bytes each). Views that are not into one buffer are copied one by one.
 * This runs on the fetch loop's thread for every record, so it is one pass of plain loads (no
 * closures: variables they share live in a heap context), and consecutive offsets are not parsed.
 * Records of the lean decoder (lean-records.ts) give their offsets, timestamps and byte positions
 * as numbers; no string or Buffer view is made for them.
 */
export function packBatch(batch: Batch, generation: number): FetchedBatch {
  const messages = batch.messages;
  const count = messages.length;
  const spans = new Int32Array(count * SPAN_INTS);
  const offsets = new Float64Array(count);
  const timestamps = new Float64Array(count);
  const headers: [number, IHeaders][] = [];
  const lean = count > 0 && allLean(messages);
  const firstOffset = count === 0 ? 0 : offsetOf(messages[0], lean);
  const consecutive = count > 0 && offsetOf(messages[count - 1], lean) === firstOffset + count - 1;
  let source: ArrayBufferLike | undefined;
  let low = Infinity;
  let high = 0;
  let payload = 0;
  let shared = true;
  for (let i = 0; i < count; i++) {
    const message = messages[i];
    const record = lean ? (message as unknown as LeanRecord) : undefined;
    offsets[i] = consecutive ? firstOffset + i : offsetOf(message, lean);
    const timestamp = record === undefined ? NaN : record.timestampNumber;
    timestamps[i] = timestamp === timestamp ? timestamp : decimal(message.timestamp);
    if (hasHeaders(message.headers)) headers.push([i, message.headers]);
    // the value's span, then the key's: a loop, not a helper, so the running bounds stay locals
    for (let part = 0; part < 2; part++) {
      const slot = i * SPAN_INTS + 2 * part;
      let buffer: ArrayBufferLike;
      let start: number;
      let end: number;
      if (record !== undefined) {
        const at = part === 0 ? record.valueStart : record.keyStart;
        if (at < 0) {
          spans[slot] = -1;
          spans[slot + 1] = -1;
          continue;
        }
        const bytes = record.bytes;
        buffer = bytes.buffer;
        start = bytes.byteOffset + at;
        end = bytes.byteOffset + (part === 0 ? record.valueEnd : record.keyEnd);
      } else {
        const view = part === 0 ? message.value : message.key;
        if (view === null || view === undefined) {
          spans[slot] = -1;
          spans[slot + 1] = -1;
          continue;
        }
        buffer = view.buffer;
        start = view.byteOffset;
        end = start + view.length;
      }
      spans[slot] = start;
      spans[slot + 1] = end;
      payload += end - start;
      if (source === undefined) source = buffer;
      else if (buffer !== source) shared = false;
      if (start < low) low = start;
      if (end > high) high = end;
    }
  }
  let bytes: Uint8Array;
  if (source === undefined) {
    bytes = new Uint8Array(0);
  } else if (shared && high - low <= 2 * payload + 4096) {
    // not `source.slice()`: that zero-fills its new buffer before copying into it
    bytes = Buffer.allocUnsafeSlow(high - low);
    bytes.set(new Uint8Array(source, low, high - low));
    for (let i = 0; i < spans.length; i++) if (spans[i] >= 0) spans[i] -= low;
  } else {
    bytes = Buffer.allocUnsafeSlow(payload);
    let at = 0;
    for (let i = 0; i < count; i++) {
      const message = messages[i];
      for (let part = 0; part < 2; part++) {
        const view = part === 0 ? message.value : message.key;
        if (view === null || view === undefined) continue;
        const slot = i * SPAN_INTS + 2 * part;
        bytes.set(view, at);
        spans[slot] = at;
        at += view.length;
        spans[slot + 1] = at;
      }
    }
  }
  return {
    generation,
    topic: batch.topic,
    partition: batch.partition,
    firstOffset: count > 0 ? firstOffset : decimal(batch.firstOffset() ?? '0'),
    highWatermark: decimal(batch.highWatermark),
    count,
    bytes,
    spans,
    offsets,
    timestamps,
    headers,
  };
}

/** True when every record came from the lean decoder, which gives offsets, timestamps and byte positions as numbers. */
function allLean(messages: Batch['messages']): boolean {
  for (let i = 0; i < messages.length; i++) if (!((messages[i] as unknown) instanceof LeanRecord)) return false;
  return true;
}

/** The record's offset as a double; from its string when the lean record's is not exact (past 2^53). */
function offsetOf(message: Batch['messages'][number], lean: boolean): number {
  const offset = lean ? (message as unknown as LeanRecord).offsetNumber : NaN;
  return offset === offset ? offset : decimal(message.offset);
}

/** The record's bytes, a view into the batch (null when the record has none). */
export function viewOf(batch: FetchedBatch, index: number, key: boolean): Buffer | null {
  const slot = index * SPAN_INTS + (key ? 2 : 0);
  const start = batch.spans[slot];
  if (start < 0) return null;
  return Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset + start, batch.spans[slot + 1] - start);
}

export function headersOf(batch: FetchedBatch, index: number): IHeaders {
  for (const [at, headers] of batch.headers) if (at === index) return headers;
  return {};
}

/** The shape kafkajs' producer takes back: Buffers, not the Uint8Arrays a thread hop turns them into. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function headersAsBuffers(headers: IHeaders): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value)
      ? value.map((v) => (typeof v === 'string' ? v : asBuffer(v)))
      : typeof value === 'string'
        ? value
        : asBuffer(value);
  }
  return out;
}
