// The file source (imperative shell): replays a recording from disk as batches of raw records, and
// writes recordings for the generator and the fixtures. Files are streamed in chunks, never held
// whole, and a record that cannot be parsed becomes an error record with its position: the run
// goes on and the pipeline turns it into a dead letter.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { utf8Slice } from '../bytes.ts';
import type { DeadLetter, DecodedEvents, InputEvent, RegistryRecord, SourceBatch, SourcePosition, SourceRecord } from '../contract/events.ts';
import { decodeRegistryRecord } from '../contract/decode.ts';
import {
  eventResolverForSchemaText,
  eventToAvro,
  inputEventType,
  readEvent,
  readRegistryValue,
  readWireEvent,
  registryResolverForSchemaText,
  type AvroCursor,
} from '../contract/avro.ts';

/** One record as read: `value` is the parsed JSON / decoded Avro, unvalidated; `error` when it could not be parsed. */
export type RawRecord = SourceRecord;

/**
 * Records per batch handed to the pipeline. Small enough that the batch's records and events (about
 * 400 B each) are still in the core's cache when the pipeline reads them right after decoding:
 * 256 replayed 2-8% faster than 4096 in interleaved runs of the 5M-event stream.
 */
export const DEFAULT_BATCH_SIZE = 256;
const READ_CHUNK_BYTES = 1 << 20;

type FileFormat = 'jsonl' | 'avro';

function formatOf(path: string): FileFormat {
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  if (/\.avro$/i.test(path)) return 'avro';
  throw new Error(`${path}: unknown file type (expected .jsonl or .avro)`);
}

/**
 * How Avro events are handed on: `decoded`, for the pipeline (`SourceRecord.event`, the id kept
 * only as its fingerprint), or `wire`, for re-encoding a recording (`SourceRecord.value`, in the
 * wire form with `event_id`). JSON Lines records are parsed JSON either way.
 */
export type EventForm = 'decoded' | 'wire';

/**
 * Reads an event recording (.jsonl or .avro object container) as the pipeline takes it: records,
 * and for Avro the decoded events of each block in stretches of up to `batchSize`, with no record
 * object per event (`DecodedEvents`; records with errors come as records, in file order).
 */
export function readEventBatches(path: string, batchSize = DEFAULT_BATCH_SIZE): AsyncIterable<SourceBatch> {
  return formatOf(path) === 'jsonl' ? readJsonl(path, batchSize) : readAvroContainer(path, batchSize, avroEventReading);
}

/** Reads an event recording (.jsonl or .avro object container) as batches of raw records, one object each. */
export function readEventFile(path: string, batchSize = DEFAULT_BATCH_SIZE, form: EventForm = 'decoded'): AsyncIterable<RawRecord[]> {
  if (formatOf(path) === 'jsonl') return readJsonl(path, batchSize);
  return asRecords(readAvroContainer(path, batchSize, form === 'decoded' ? avroEventReading : avroWireEventReading));
}

/** Batches as records: decoded events get a record each. */
async function* asRecords(batches: AsyncIterable<SourceBatch>): AsyncGenerator<RawRecord[]> {
  for await (const batch of batches) {
    if (Array.isArray(batch)) yield batch as RawRecord[];
    else {
      const decoded = batch as DecodedEvents;
      yield decoded.events.map((_, i) => decoded.record(i));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON Lines

/** True for a line of only spaces, tabs and a trailing CR. */
function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

async function* readJsonl(path: string, batchSize: number): AsyncGenerator<RawRecord[]> {
  let batch: RawRecord[] = [];
  let lineNumber = 0;
  // Lines are cut on the newline byte, which never occurs inside a multi-byte UTF-8 sequence, so a
  // chunk boundary can fall anywhere; only the unfinished last line is carried to the next chunk.
  let carry: Buffer | undefined;
  const parseLine = (buf: Buffer, start: number, end: number): void => {
    lineNumber++;
    // a UTF-8 byte-order mark some editors and Windows tools put before the first line is not part of the record
    if (lineNumber === 1 && end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (isBlank(buf, start, end)) return;
    const raw = utf8Slice.call(buf, start, end);
    const position: SourcePosition = { source: path, offset: lineNumber };
    try {
      batch.push({ value: JSON.parse(raw), position, offset: lineNumber, raw });
    } catch (err) {
      batch.push({ value: undefined, error: `invalid JSON: ${(err as Error).message}`, position, offset: lineNumber, raw });
    }
  };
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    let buf = chunk;
    if (carry !== undefined) {
      buf = Buffer.concat([carry, chunk]);
      carry = undefined;
    }
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      parseLine(buf, start, nl);
      start = nl + 1;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (start < buf.length) carry = buf.subarray(start);
  }
  if (carry !== undefined) parseLine(carry, 0, carry.length);
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------------------------------------
// Avro object container files: header (magic, metadata with the writer schema and codec, sync
// marker), then blocks of (record count, byte size, records, sync marker).

const AVRO_MAGIC = Buffer.from('Obj\x01', 'latin1');
const SYNC_BYTES = 16;
const headerType = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: SYNC_BYTES } },
  ],
});
const longType = avro.Type.forSchema('long');

type AvroResolver = ReturnType<avro.Type['createResolver']>;

/** How to turn one container's records into values: the resolver from its writer schema, and the reader. */
interface AvroReading {
  resolverFor(writerSchemaJson: string): AvroResolver | undefined;
  read(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): unknown;
  /** the reader gives events with the contract's field types (see SourceRecord.event). */
  typed: boolean;
}

const avroEventReading: AvroReading = { resolverFor: eventResolverForSchemaText, read: readEvent, typed: true };
const avroWireEventReading: AvroReading = { resolverFor: eventResolverForSchemaText, read: readWireEvent, typed: false };
const avroRegistryReading: AvroReading = { resolverFor: registryResolverForSchemaText, read: readRegistryValue, typed: false };

/** What the records of one block share: the file, the block's bytes, and how they were read. */
class AvroBlock {
  constructor(
    readonly source: string,
    readonly bytes: Buffer,
    readonly typed: boolean,
  ) {}
}

/**
 * A decoded Avro record. Its position and bytes are only built if somebody asks (a dead letter):
 * base64 of every record would cost more than decoding it. What its block's records share is in
 * the block: readEventFile and the untyped readings make one of these per record.
 */
class AvroFileRecord implements RawRecord {
  constructor(
    readonly value: unknown,
    readonly offset: number,
    private readonly block: AvroBlock,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get event(): InputEvent | undefined {
    return this.block.typed ? (this.value as InputEvent) : undefined;
  }

  get position(): SourcePosition {
    return { source: this.block.source, offset: this.offset };
  }

  get raw(): string {
    return this.block.bytes.toString('base64', this.start, this.end);
  }
}

/** Decoded events of one block, up to a batch of them: where each one's bytes start, for its record. */
class AvroEventRun implements DecodedEvents {
  /** made at its full size and filled by index, like a batch of records (see readAvroContainer). */
  readonly events: InputEvent[];
  private added = 0;
  /** the byte position of each event in the block, and where the last one ends. */
  private readonly starts: Int32Array;

  constructor(
    readonly firstOffset: number,
    private readonly block: AvroBlock,
    capacity: number,
    firstStart: number,
  ) {
    this.events = new Array<InputEvent>(capacity);
    this.starts = new Int32Array(capacity + 1);
    this.starts[0] = firstStart;
  }

  get full(): boolean {
    return this.added === this.events.length;
  }

  add(event: InputEvent, end: number): void {
    this.events[this.added++] = event;
    this.starts[this.added] = end;
  }

  /** The run as read so far (its events cut to those added), to be handed on. */
  done(): this {
    this.events.length = this.added;
    return this;
  }

  record(index: number): SourceRecord {
    return new AvroFileRecord(this.events[index], this.firstOffset + index, this.block, this.starts[index], this.starts[index + 1]);
  }
}

/** Zig-zag varint long at `pos`; `next` is -1 when the buffer ends first. */
function readLong(buf: Buffer, pos: number): { value: number; next: number } {
  let result = 0;
  let shift = 1;
  for (let i = pos; i < buf.length; i++) {
    const b = buf[i];
    result += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) {
      const value = result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      return { value, next: i + 1 };
    }
    shift *= 128;
    if (i - pos >= 9) return { value: NaN, next: i + 1 };
  }
  return { value: NaN, next: -1 };
}

const MAX_BLOCK_BYTES = 256 << 20;
// zlib's default 16 KiB output buffer takes several passes and a concatenation per block; one
// buffer that holds a whole 64 KiB block (our writer's and Java Avro's default) inflates it in one.
// A larger block still inflates, in more passes.
const INFLATE_OPTIONS = { chunkSize: 128 * 1024 };

async function* readAvroContainer(path: string, batchSize: number, reading: AvroReading): AsyncGenerator<SourceBatch> {
  const file = await open(path, 'r');
  try {
    yield* readAvroBlocks(path, file, batchSize, reading);
  } finally {
    await file.close();
  }
}

async function* readAvroBlocks(path: string, file: FileHandle, batchSize: number, reading: AvroReading): AsyncGenerator<SourceBatch> {
  // The file is read into one buffer again and again, the unread rest of a block moved to its
  // front: a stream's fresh megabyte per read, and a copy of it joined to that rest, were twice
  // the file in buffers that often lived long enough to die in the old generation, where V8
  // counts their bytes towards the next full collection. So nothing read may be kept past the
  // next `more()`: blocks are inflated (or, uncompressed, copied) out of it, dead letters take
  // their bytes as text at once, and the header's sync marker is copied.
  let storage = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  let buf: Buffer = storage.subarray(0, 0);
  let pos = 0;
  let ended = false;
  /** Reads more after the unread rest (a block larger than the buffer doubles it); false at end of file. */
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const rest = buf.length - pos;
    if (rest === storage.length) {
      const bigger = Buffer.allocUnsafe(2 * storage.length);
      buf.copy(bigger, 0, pos);
      storage = bigger;
    } else if (rest > 0) {
      storage.copyWithin(0, pos, buf.length);
    }
    const { bytesRead } = await file.read(storage, rest, storage.length - rest, null);
    buf = storage.subarray(0, rest + bytesRead);
    pos = 0;
    if (bytesRead === 0) ended = true;
    return !ended;
  };

  // Header: read until it decodes whole.
  let header: { magic: Buffer; meta: Record<string, Buffer>; sync: Buffer } | undefined;
  while (header === undefined) {
    if (buf.length >= AVRO_MAGIC.length && !buf.subarray(0, AVRO_MAGIC.length).equals(AVRO_MAGIC)) {
      throw new Error(`${path}: not an Avro object container file`);
    }
    const decoded = buf.length >= AVRO_MAGIC.length ? headerType.decode(buf, 0) : { value: undefined, offset: -1 };
    if (decoded.offset >= 0) {
      header = decoded.value;
      pos = decoded.offset;
    } else if (!(await more())) {
      throw new Error(`${path}: truncated Avro header`);
    }
  }
  const codec = header.meta['avro.codec']?.toString() || 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`${path}: unsupported Avro codec '${codec}' (null and deflate are supported)`);
  const writerSchema = header.meta['avro.schema']?.toString();
  if (writerSchema === undefined) throw new Error(`${path}: Avro header has no avro.schema`);
  const resolver = reading.resolverFor(writerSchema);
  const sync = Buffer.from(header.sync);
  const cursor: AvroCursor = { pos: 0 };
  const typed = reading.typed;

  // A batch is made at its full size and filled by index (cut to length if the file ends first):
  // grown by push from empty, its backing store was copied six times on the way to 256 records.
  let batch: RawRecord[] = new Array<RawRecord>(batchSize);
  let filled = 0;
  let recordIndex = 0;
  const errorRecord = (reason: string, raw: Buffer): void => {
    batch[filled++] = { value: undefined, error: reason, position: { source: path, offset: recordIndex }, offset: recordIndex, raw: raw.toString('base64') };
  };
  /** the records so far, cut to length; the next ones go to a new batch. */
  const takeRecords = (): RawRecord[] => {
    const taken = batch;
    taken.length = filled;
    batch = new Array<RawRecord>(batchSize);
    filled = 0;
    return taken;
  };

  for (;;) {
    // Block frame: count, size, data, sync. All of it must be in `buf` before it is decoded.
    const count = readLong(buf, pos);
    const size = count.next < 0 ? count : readLong(buf, count.next);
    if (size.next < 0) {
      if (await more()) continue;
      if (pos < buf.length) errorRecord(`truncated Avro file: ${buf.length - pos} bytes after the last whole block`, buf.subarray(pos));
      break;
    }
    const blockStart = size.next;
    const frameOk = count.value >= 0 && size.value >= 0 && size.value <= MAX_BLOCK_BYTES; // false for NaN too
    if (frameOk && buf.length < blockStart + size.value + SYNC_BYTES) {
      if (await more()) continue;
      errorRecord(`truncated Avro file: last block of ${count.value} records is incomplete`, buf.subarray(pos));
      recordIndex += count.value;
      break;
    }
    if (!frameOk || !buf.subarray(blockStart + size.value, blockStart + size.value + SYNC_BYTES).equals(sync)) {
      // Corrupt framing: skip to the next sync marker and read on from there. Record offsets after
      // this point count the records read, which may be fewer than those written.
      const nextSync = buf.indexOf(sync, pos + 1);
      if (nextSync === -1) {
        // keep a tail in case the marker straddles the chunk boundary
        const keep = Math.max(pos, buf.length - SYNC_BYTES + 1);
        errorRecord('corrupt Avro block: sync marker not found where expected; skipping to the next one', buf.subarray(pos, keep));
        pos = keep;
        if (!(await more())) break;
        continue;
      }
      errorRecord('corrupt Avro block: sync marker not found where expected; skipped to the next one', buf.subarray(pos, nextSync));
      pos = nextSync + SYNC_BYTES;
      continue;
    }
    const stored = buf.subarray(blockStart, blockStart + size.value);
    pos = blockStart + size.value + SYNC_BYTES;
    let block: Buffer;
    try {
      block = codec === 'deflate' ? inflateRawSync(stored, INFLATE_OPTIONS) : Buffer.from(stored);
    } catch (err) {
      errorRecord(`Avro block of ${count.value} records does not inflate: ${(err as Error).message}`, stored);
      recordIndex += count.value;
      continue;
    }
    const shared = new AvroBlock(path, block, typed);
    // typed events go on in runs of their own: the error records before them go first
    if (typed && filled > 0) yield takeRecords();
    let run: AvroEventRun | undefined;
    cursor.pos = 0;
    for (let i = 0; i < count.value; i++) {
      const start = cursor.pos;
      let value: unknown;
      try {
        value = reading.read(block, cursor, resolver);
      } catch (err) {
        if (run !== undefined) yield run.done();
        run = undefined;
        // Records in a block have no framing of their own: after a bad one the rest cannot be found.
        const lost = count.value - i;
        errorRecord(`undecodable Avro record: ${(err as Error).message}; ${lost} record(s) of the block lost`, block.subarray(start));
        recordIndex += lost;
        break;
      }
      const offset = recordIndex++;
      if (typed) {
        run ??= new AvroEventRun(offset, shared, Math.min(batchSize, count.value - i), start);
        run.add(value as InputEvent, cursor.pos);
        if (run.full) {
          yield run.done();
          run = undefined;
        }
        continue;
      }
      batch[filled++] = new AvroFileRecord(value, offset, shared, start, cursor.pos);
      if (filled >= batchSize) yield takeRecords();
    }
    if (run !== undefined) yield run.done();
  }
  if (filled > 0) yield takeRecords();
}

// ---------------------------------------------------------------------------------------------
// Registry

/** Reads the people registry (.jsonl or .avro); records that do not validate become dead letters. */
export async function readRegistryFile(path: string): Promise<{ records: RegistryRecord[]; dead: DeadLetter[] }> {
  const records: RegistryRecord[] = [];
  const dead: DeadLetter[] = [];
  const batches = formatOf(path) === 'jsonl' ? readJsonl(path, DEFAULT_BATCH_SIZE) : asRecords(readAvroContainer(path, DEFAULT_BATCH_SIZE, avroRegistryReading));
  for await (const batch of batches) {
    for (const r of batch) {
      if (r.error !== undefined) {
        dead.push({ reason: r.error, position: r.position, raw: r.raw });
        continue;
      }
      const decoded = decodeRegistryRecord(r.value);
      if (decoded.ok) records.push(decoded.record);
      else dead.push({ reason: decoded.reason, position: r.position, raw: r.raw });
    }
  }
  return { records, dead };
}

// ---------------------------------------------------------------------------------------------
// Writers

const WRITE_CHUNK_BYTES = 1 << 20;

/** Writes chunks with backpressure, so a generator of millions of events never piles up in memory. */
async function writeChunks(path: string, chunks: Iterable<Buffer | string>): Promise<void> {
  const out = createWriteStream(path);
  const failed = once(out, 'error').then(([err]) => {
    throw err;
  });
  failed.catch(() => {});
  for (const chunk of chunks) {
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
  }
  out.end();
  await Promise.race([finished(out), failed]);
}

function* jsonLines(values: Iterable<unknown>): Generator<string> {
  let pending = '';
  for (const value of values) {
    pending += JSON.stringify(value) + '\n';
    if (pending.length >= WRITE_CHUNK_BYTES) {
      yield pending;
      pending = '';
    }
  }
  if (pending.length > 0) yield pending;
}

export function writeEventsJsonl(path: string, events: Iterable<InputEvent>): Promise<void> {
  return writeChunks(path, jsonLines(events));
}

export function writeRegistryJsonl(path: string, records: Iterable<RegistryRecord>): Promise<void> {
  return writeChunks(path, jsonLines(records));
}

const AVRO_BLOCK_BYTES = 64 * 1024;

function* avroContainer(type: avro.Type, values: Iterable<unknown>, codec: 'null' | 'deflate'): Generator<Buffer> {
  const sync = randomBytes(SYNC_BYTES);
  yield headerType.toBuffer({
    magic: AVRO_MAGIC,
    meta: {
      'avro.schema': Buffer.from(JSON.stringify(type.schema({ exportAttrs: true }))),
      'avro.codec': Buffer.from(codec),
    },
    sync,
  });
  let block = Buffer.allocUnsafe(AVRO_BLOCK_BYTES * 2);
  let used = 0;
  let count = 0;
  const flush = (): Buffer => {
    const data = codec === 'deflate' ? deflateRawSync(block.subarray(0, used)) : block.subarray(0, used);
    const framed = Buffer.concat([longType.toBuffer(count), longType.toBuffer(data.length), data, sync]);
    used = 0;
    count = 0;
    return framed;
  };
  for (const value of values) {
    let next = type.encode(value, block, used);
    while (next < 0) {
      // Did not fit: flush what is there, or grow for a single record larger than the block.
      if (count > 0) yield flush();
      else block = Buffer.allocUnsafe(block.length * 2);
      next = type.encode(value, block, used);
    }
    used = next;
    count++;
    if (used >= AVRO_BLOCK_BYTES) yield flush();
  }
  if (count > 0) yield flush();
}

function* mapped<T, U>(values: Iterable<T>, f: (v: T) => U): Generator<U> {
  for (const v of values) yield f(v);
}

/** Writes events as an Avro object container file with our schema in the header. */
export function writeEventsAvro(path: string, events: Iterable<InputEvent>, codec: 'null' | 'deflate' = 'null'): Promise<void> {
  return writeChunks(path, avroContainer(inputEventType, mapped(events, eventToAvro), codec));
}

/** Writes values that already have the Avro shape of `type` (tests of other writer schemas, fixtures). */
export function writeAvroContainer(path: string, type: avro.Type, values: Iterable<unknown>, codec: 'null' | 'deflate' = 'null'): Promise<void> {
  return writeChunks(path, avroContainer(type, values, codec));
}
