// The Avro form of the contract (schemas/*.avsc): what the capture agents put on Kafka and what
// recordings are archived as. Decoding gives the event `decodeEvent` gives for the same JSON (the
// `newInputEvent` shape, nulls as undefined), so everything after the source is blind to the encoding.
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { latin1Slice, tailWord, utf8Slice } from '../bytes.ts';
import { projectFile } from '../project-files.ts';
import { none } from '../small-state.ts';
import { EVENT_TYPES, MODIFIERS, MOUSE_BUTTONS, newInputEvent } from './events.ts';
import { idHashOf, idHashOfBytes } from './event-id.ts';
import type { InputEvent, Modifier, RegistryRecord, Screen, WindowContext } from './events.ts';

type AvroType = avro.Type;
type AvroResolver = ReturnType<AvroType['createResolver']>;

function loadSchema(fileName: string): AvroType {
  const text = readFileSync(projectFile(`schemas/${fileName}`), 'utf8');
  return avro.Type.forSchema(JSON.parse(text));
}

/** Reader schema of `InputEvent` (schemas/input-event.avsc). */
export const inputEventType: AvroType = loadSchema('input-event.avsc');
/** Reader schema of `RegistryRecord` (schemas/registry-record.avsc). */
export const registryRecordType: AvroType = loadSchema('registry-record.avsc');

// ---------------------------------------------------------------------------------------------
// Confluent wire framing: magic byte 0, schema id as a 4-byte big-endian integer, Avro payload.

const CONFLUENT_MAGIC = 0;
const CONFLUENT_HEADER_BYTES = 5;

/** The schema id of a Confluent-framed message; null for a buffer without the magic byte (plain payload). */
function frameSchemaId(buf: Buffer, start = 0, end = buf.length): number | null {
  if (end - start < CONFLUENT_HEADER_BYTES || buf[start] !== CONFLUENT_MAGIC) return null;
  // not `readUInt32BE`: it checks its argument and is not inlined, for every Kafka message
  return ((buf[start + 1] << 24) | (buf[start + 2] << 16) | (buf[start + 3] << 8) | buf[start + 4]) >>> 0;
}

/** Splits a Confluent-framed message; a buffer without the magic byte is returned as plain payload. */
export function stripConfluentFraming(buf: Buffer): { schemaId: number | null; payload: Buffer } {
  const schemaId = frameSchemaId(buf);
  return { schemaId, payload: schemaId === null ? buf : buf.subarray(CONFLUENT_HEADER_BYTES) };
}

export function frameConfluent(schemaId: number, payload: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + payload.length);
  framed[0] = CONFLUENT_MAGIC;
  framed.writeUInt32BE(schemaId >>> 0, 1);
  payload.copy(framed, CONFLUENT_HEADER_BYTES);
  return framed;
}

// ---------------------------------------------------------------------------------------------
// Schema evolution: data written with another (older or newer) schema is read through a resolver
// to our reader schema. Resolvers are costly to build, so there is one per writer schema.

/** How to read bytes written with some writer schema: `resolver` is undefined when it equals ours. */
interface WriterReading {
  readonly resolver: AvroResolver | undefined;
}

function readingFor(reader: AvroType, writer: AvroType): WriterReading {
  return { resolver: writer.equals(reader) ? undefined : reader.createResolver(writer) };
}

class WriterSchemas {
  private readonly byType = new WeakMap<AvroType, WriterReading>();
  private readonly byCanonical = new Map<string, WriterReading>();
  private readonly byId = new Map<number, WriterReading>();
  private readonly same: WriterReading = { resolver: undefined };

  constructor(private readonly reader: AvroType) {}

  forType(writer: AvroType | undefined): WriterReading {
    if (writer === undefined || writer === this.reader) return this.same;
    let reading = this.byType.get(writer);
    if (reading === undefined) {
      reading = this.forSchemaText(JSON.stringify(writer.schema()));
      this.byType.set(writer, reading);
    }
    return reading;
  }

  /** A writer schema as JSON text (an Avro file header, a schema-registry answer). */
  forSchemaText(schemaJson: string): WriterReading {
    const writer = avro.Type.forSchema(JSON.parse(schemaJson));
    const canonical = writer.fingerprint('sha256').toString('hex');
    let reading = this.byCanonical.get(canonical);
    if (reading === undefined) {
      reading = readingFor(this.reader, writer);
      this.byCanonical.set(canonical, reading);
    }
    return reading;
  }

  register(schemaId: number, writer: AvroType | string | object): void {
    const text = typeof writer === 'string' ? writer : JSON.stringify(writer instanceof avro.Type ? writer.schema() : writer);
    this.byId.set(schemaId, this.forSchemaText(text));
  }

  forId(schemaId: number): WriterReading | undefined {
    return this.byId.get(schemaId);
  }
}

const eventWriters = new WriterSchemas(inputEventType);
const registryWriters = new WriterSchemas(registryRecordType);

/**
 * Tells the decoders which writer schema a Confluent schema id stands for (from the schema
 * registry). Messages with an unregistered id are read as written with our own schema.
 */
export function registerEventWriterSchema(schemaId: number, writer: AvroType | string | object): void {
  eventWriters.register(schemaId, writer);
}

export function registerRegistryWriterSchema(schemaId: number, writer: AvroType | string | object): void {
  registryWriters.register(schemaId, writer);
}

/** The resolver that reads records written with `writerSchemaJson` as `InputEvent`s (undefined: same schema). */
export function eventResolverForSchemaText(writerSchemaJson: string): AvroResolver | undefined {
  return eventWriters.forSchemaText(writerSchemaJson).resolver;
}

export function registryResolverForSchemaText(writerSchemaJson: string): AvroResolver | undefined {
  return registryWriters.forSchemaText(writerSchemaJson).resolver;
}

// ---------------------------------------------------------------------------------------------
// Avro value <-> contract object. avsc gives class instances with every field (null when absent);
// the contract wants plain objects with absent fields left out.

/* eslint-disable @typescript-eslint/no-explicit-any */
function contextFromAvro(c: any): WindowContext {
  return { app: c.app, title: c.title, url: c.url, participants: c.participants, tags: c.tags };
}

function screenFromAvro(s: any): Screen {
  return { width: s.width, height: s.height, scale: s.scale };
}

/** An avsc-decoded InputEvent (reader schema) as the contract object (the `newInputEvent` shape). */
export function eventFromAvro(r: any): InputEvent {
  const e = newInputEvent(idHashOf(r.event_id), r.device_id, r.user_id, r.seq, r.ts, r.type);
  if (r.x !== null) e.x = r.x;
  if (r.y !== null) e.y = r.y;
  if (r.button !== null) e.button = r.button;
  if (r.dx !== null) e.dx = r.dx;
  if (r.dy !== null) e.dy = r.dy;
  if (r.key !== null) e.key = r.key;
  if (r.char !== null) e.char = r.char;
  if (r.modifiers !== null) e.modifiers = r.modifiers;
  if (r.secure !== null) e.secure = r.secure;
  if (r.text !== null) e.text = r.text;
  if (r.frame_uri !== null) e.frame_uri = r.frame_uri;
  if (r.context !== null) e.context = contextFromAvro(r.context);
  if (r.screen !== null) e.screen = screenFromAvro(r.screen);
  if (r.geo !== null) e.geo = r.geo;
  if (r.duration_ms !== null) e.duration_ms = r.duration_ms;
  return e;
}

function orNull<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}

/**
 * The Avro value of an event in its wire form (with `event_id`): every reader field present, null
 * where absent. Gate-only fields are not part of the wire form.
 */
export function eventToAvro(e: InputEvent): Record<string, unknown> {
  const c = e.context;
  const s = e.screen;
  if (e.event_id === undefined) throw new Error('an event without event_id (decoded events keep only its fingerprint) has no wire form');
  return {
    event_id: e.event_id,
    device_id: e.device_id,
    user_id: e.user_id,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    x: orNull(e.x),
    y: orNull(e.y),
    button: orNull(e.button),
    dx: orNull(e.dx),
    dy: orNull(e.dy),
    key: orNull(e.key),
    char: orNull(e.char),
    modifiers: orNull(e.modifiers),
    secure: orNull(e.secure),
    text: orNull(e.text),
    frame_uri: orNull(e.frame_uri),
    context:
      c === undefined || c === null
        ? null
        : { app: c.app, title: orNull(c.title), url: orNull(c.url), participants: c.participants ?? [], tags: c.tags ?? [] },
    screen: s === undefined || s === null ? null : { width: s.width, height: s.height, scale: s.scale },
    geo: orNull(e.geo),
    duration_ms: orNull(e.duration_ms),
  };
}

/** An avsc-decoded RegistryRecord (reader schema) as the contract's wire-shaped object (nulls left out). */
export function registryValueFromAvro(r: any): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: r.kind, user_id: r.user_id };
  if (r.region !== null) out.region = r.region;
  if (r.from !== null) out.from = r.from;
  if (r.until !== null) out.until = r.until;
  if (r.reason !== null) out.reason = r.reason;
  if (r.ts !== null) out.ts = r.ts;
  return out;
}

export function registryToAvro(r: RegistryRecord): Record<string, unknown> {
  return {
    kind: r.kind,
    user_id: r.user_id,
    region: r.kind === 'person' ? r.region : null,
    from: r.kind === 'exemption' ? r.from : null,
    until: r.kind === 'exemption' ? r.until : null,
    reason: r.kind === 'exemption' ? r.reason : null,
    ts: r.kind === 'erasure' ? r.ts : null,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------------------------------------
// Hot path: reading events written with exactly our schema straight into contract objects.
// avsc would build a record instance per event that then has to be copied into a plain object;
// here an event is one object of the one shape, and the strings that repeat are interned.
// Any other writer schema goes through avsc and its resolver.

/** Canonical-form fingerprint of the schema the reader below was written for. */
const FAST_READER_FINGERPRINT = '5b6aa762fabf700608012e2cd12c1ed90246508da0e6e0f40c7de0a230be1960';
/** False when schemas/input-event.avsc changed without `readEventFast` following: decoding falls back to avsc. */
export const fastEventReaderActive = inputEventType.fingerprint('sha256').toString('hex') === FAST_READER_FINGERPRINT;

/** Read position shared by the calls that decode one record; a mutable holder so nothing is allocated per record. */
export interface AvroCursor {
  pos: number;
}

let at = 0;

/** A long; the small values (lengths, indices, seq) decoded here, the wider ones by `readWideLong`. */
function readLong(b: Buffer): number {
  const start = at;
  let x = b[at++];
  if (x < 0x80) return (x >>> 1) ^ -(x & 1);
  let n = x & 0x7f;
  let k = 7;
  do {
    x = b[at++];
    n |= (x & 0x7f) << k;
    k += 7;
  } while (x >= 0x80 && k < 28);
  if (x < 0x80) return (n >>> 1) ^ -(n & 1);
  at = start;
  readWideLong(b);
  return wideLong[0];
}

// A double returned from a call the compiler did not inline is a heap number, allocated: for the
// timestamp of every event (a long past 2^31, never a small integer) that was one more object per
// event. Left in a Float64Array instead, it stays a plain double on its way into the event.
const wideLong = new Float64Array(1);

/** Reads a long of any size (timestamps) into `wideLong[0]`; beyond 28 bits in float arithmetic, exact up to 2^53. */
function readWideLong(b: Buffer): void {
  let x = b[at++];
  let n = x & 0x7f;
  for (let k = 7; x >= 0x80 && k < 28; k += 7) {
    x = b[at++];
    n |= (x & 0x7f) << k;
  }
  if (x < 0x80) {
    wideLong[0] = (n >>> 1) ^ -(n & 1);
    return;
  }
  let f = n;
  let scale = 268435456;
  do {
    x = b[at++];
    f += (x & 0x7f) * scale;
    scale *= 128;
  } while (x >= 0x80 && scale < 2 ** 70);
  // The zig-zag sign is the lowest bit, still in `n` (`f % 2` is a floating-point modulo call). Past
  // 2^53 a double has no odd values, and the sign bit is lost as it always was here (such a value
  // fails the contract's safe-integer rules either way).
  wideLong[0] = (n & 1) === 0 || f > Number.MAX_SAFE_INTEGER ? f / 2 : -(f + 1) / 2;
}

// Doubles and the four-byte words of strings are read through a DataView, which the compiler turns
// into one load, where `readDoubleLE` or four byte reads assemble them byte by byte. One view per
// Buffer read, checked by identity: asking a Buffer for its `.buffer` is a call the compiler does
// not inline, and was half of `readDouble`'s time. The sources read many records from one Buffer
// (an Avro block, a Kafka fetch's packed batch).
let viewed: Buffer | undefined;
let view: DataView = new DataView(new ArrayBuffer(0));

function viewOf(b: Buffer): DataView {
  if (b !== viewed) {
    viewed = b;
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return view;
}

/** The fingerprint of the id string at the cursor (see event-id.ts): the string itself is never made. */
function readIdHash(b: Buffer): number {
  const len = readLong(b);
  const start = at;
  at += len;
  if (len < 0 || at > b.length) throw new Error('invalid or truncated string');
  return idHashOfBytes(viewOf(b), start, at);
}

/** Reads a string that is new almost every time (text, titles): decoded straight from the bytes. */
function readString(b: Buffer): string {
  const len = readLong(b);
  const start = at;
  at += len;
  if (len < 0 || at > b.length) throw new Error('invalid or truncated string');
  return utf8Slice.call(b, start, at);
}

// Strings that repeat (device and user ids, key codes, typed characters, app names, regions) are
// interned: the bytes are hashed four at a time while they are checked for ASCII, and the length
// and words are compared with those of the string last seen in that hash slot, kept in one cache
// line per slot (neither the string nor a `charCodeAt` per character is touched). A hit allocates
// nothing, and the string it returns already carries its hash, so the Map lookups of the stages
// downstream (devices, registry) do not compute it again.
// Sized for a partition's worth of devices and people (tens of thousands): a slot lost to a
// collision only costs an allocation.
const INTERN_MAX_BYTES = 48;
const INTERN_WORDS = INTERN_MAX_BYTES / 4;
/** per slot: the byte length of `interned[slot]` (-1: empty), then its bytes as words; 64 bytes. */
const INTERN_SLOT_INTS = 16;
const INTERN_SLOTS = 1 << 16;
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
/** little-endian words, the last one zero-padded, after the length at `slot * INTERN_SLOT_INTS`. */
const internedBytes = new Int32Array(INTERN_SLOTS * INTERN_SLOT_INTS);
for (let slot = 0; slot < INTERN_SLOTS; slot++) internedBytes[slot * INTERN_SLOT_INTS] = -1;
const wordsRead = new Int32Array(INTERN_WORDS);

function readRepeatedString(b: Buffer): string {
  const len = readLong(b);
  const start = at;
  const end = start + len;
  at = end;
  if (len < 0 || end > b.length) throw new Error('invalid or truncated string');
  if (len > INTERN_MAX_BYTES) return utf8Slice.call(b, start, end);
  const bytes = viewOf(b);
  let hash = len;
  let bits = 0;
  let words = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const word = bytes.getInt32(i, true);
    bits |= word;
    wordsRead[words++] = word;
    hash = Math.imul(hash ^ word, 0x9e3779b1);
    // the multiplication carries low bits upwards only: fold the high ones back into the slot bits
    hash ^= hash >>> 16;
  }
  if (i < end) {
    const word = tailWord(bytes, i, end);
    bits |= word;
    wordsRead[words++] = word;
    hash = Math.imul(hash ^ word, 0x9e3779b1);
    hash ^= hash >>> 16;
  }
  if ((bits & 0x80808080) !== 0) return utf8Slice.call(b, start, end);
  const slot = hash & (INTERN_SLOTS - 1);
  const base = slot * INTERN_SLOT_INTS;
  if (internedBytes[base] === len) {
    let k = 0;
    while (k < words && internedBytes[base + 1 + k] === wordsRead[k]) k++;
    if (k === words) return interned[slot] as string;
  }
  const fresh = latin1Slice.call(b, start, end);
  interned[slot] = fresh;
  internedBytes[base] = len;
  for (let k = 0; k < words; k++) internedBytes[base + 1 + k] = wordsRead[k];
  return fresh;
}

function readDouble(b: Buffer): number {
  // past the end, `readDoubleLE` throws the error a truncated record has always reported
  if (at + 8 > b.length) return b.readDoubleLE(at);
  const v = viewOf(b).getFloat64(at, true);
  at += 8;
  return v;
}

/** Union with null as branch 0: true when the value branch follows. */
function present(b: Buffer): boolean {
  const branch = b[at++];
  if (branch === 0) return false;
  if (branch === 2) return true;
  throw new Error(`invalid union branch byte ${branch}`);
}

function symbol<T>(symbols: readonly T[], b: Buffer, what: string): T {
  const i = readLong(b);
  const s = symbols[i];
  if (s === undefined) throw new Error(`invalid ${what} index ${i}`);
  return s;
}

/** Array block header: item count of the next block (0 ends the array); a negative count carries a byte size. */
function blockCount(b: Buffer): number {
  let n = readLong(b);
  if (n < 0) {
    n = -n;
    readLong(b);
  }
  if (at > b.length || Number.isNaN(n)) throw new Error('truncated array');
  return n;
}

function readStringArray(b: Buffer): string[] {
  let n = blockCount(b);
  // shared: a focus event is kept as long as its window is, and two empty arrays were 64 B of it
  if (n === 0) return none();
  const out: string[] = [];
  for (; n !== 0; n = blockCount(b)) for (let i = 0; i < n; i++) out.push(readRepeatedString(b));
  return out;
}

// Modifier lists are only ever read (as bits), and nearly every one is one of a few: each list of up
// to four is made once, frozen, and shared by the events that carry it, keyed by its symbols' indices.
const SHARED_MODIFIER_LISTS = 4;
const sharedModifierLists: (readonly Modifier[] | undefined)[] = new Array((MODIFIERS.length + 1) ** SHARED_MODIFIER_LISTS).fill(undefined);

const modifiersRead = new Int32Array(SHARED_MODIFIER_LISTS);

function readModifiers(b: Buffer): readonly Modifier[] {
  let count = 0;
  let key = 0;
  let unshared: Modifier[] | undefined;
  for (let n = blockCount(b); n !== 0; n = blockCount(b)) {
    for (let i = 0; i < n; i++, count++) {
      const index = readLong(b);
      const modifier = MODIFIERS[index];
      if (modifier === undefined) throw new Error(`invalid modifier index ${index}`);
      if (count < SHARED_MODIFIER_LISTS) {
        modifiersRead[count] = index;
        key = key * (MODIFIERS.length + 1) + index + 1;
      } else {
        unshared ??= modifiersReadAsList(SHARED_MODIFIER_LISTS);
        unshared.push(modifier);
      }
    }
  }
  if (unshared !== undefined) return unshared;
  return (sharedModifierLists[key] ??= Object.freeze(modifiersReadAsList(count)));
}

/** The first `count` modifiers read, as a new list. */
function modifiersReadAsList(count: number): Modifier[] {
  return Array.from(modifiersRead.subarray(0, count), (index) => MODIFIERS[index]);
}

function readEventFast(b: Buffer, cursor: AvroCursor): InputEvent {
  at = cursor.pos;
  const idHash = readIdHash(b);
  const deviceId = readRepeatedString(b);
  const userId = readRepeatedString(b);
  const seq = readLong(b);
  readWideLong(b);
  const ts = wideLong[0];
  // ts set after: passed to a call as a double, it would be boxed on the way (see wideLong)
  const e = newInputEvent(idHash, deviceId, userId, seq, 0, symbol(EVENT_TYPES, b, 'event type'));
  e.ts = ts;
  if (present(b)) e.x = readDouble(b);
  if (present(b)) e.y = readDouble(b);
  if (present(b)) e.button = symbol(MOUSE_BUTTONS, b, 'button');
  if (present(b)) e.dx = readDouble(b);
  if (present(b)) e.dy = readDouble(b);
  if (present(b)) e.key = readRepeatedString(b);
  if (present(b)) e.char = readRepeatedString(b);
  if (present(b)) {
    e.modifiers = readModifiers(b);
  }
  if (present(b)) e.secure = b[at++] !== 0;
  if (present(b)) e.text = readString(b);
  if (present(b)) e.frame_uri = readString(b);
  if (present(b)) {
    const app = readRepeatedString(b);
    const title = present(b) ? readString(b) : null;
    const url = present(b) ? readString(b) : null;
    const participants = readStringArray(b);
    e.context = { app, title, url, participants, tags: readStringArray(b) };
  }
  if (present(b)) e.screen = { width: readLong(b), height: readLong(b), scale: readDouble(b) };
  if (present(b)) e.geo = readRepeatedString(b);
  if (present(b)) e.duration_ms = readLong(b);
  if (at > b.length) throw new Error('truncated record');
  cursor.pos = at;
  return e;
}

/**
 * Reads one event at `cursor.pos` and moves the cursor past it. `resolver` undefined means the bytes
 * were written with our schema. Throws on bytes that do not decode.
 */
export function readEvent(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): InputEvent {
  if (resolver === undefined && fastEventReaderActive) return readEventFast(buf, cursor);
  const { value, offset } = inputEventType.decode(buf, cursor.pos, resolver);
  if (offset < 0) throw new Error('truncated record');
  cursor.pos = offset;
  return eventFromAvro(value);
}

/**
 * Reads one event in its wire form, `event_id` included (re-encoding a recording, as `produce`
 * does): through avsc, since the hot path's reader keeps only the id's fingerprint.
 */
export function readWireEvent(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): InputEvent {
  const { value, offset } = inputEventType.decode(buf, cursor.pos, resolver);
  if (offset < 0) throw new Error('truncated record');
  cursor.pos = offset;
  const e = eventFromAvro(value);
  e.id_hash = undefined;
  e.event_id = (value as { event_id: string }).event_id;
  return e;
}

/** Reads one registry record (wire-shaped, nulls left out) at `cursor.pos` and moves the cursor past it. */
export function readRegistryValue(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): Record<string, unknown> {
  const { value, offset } = registryRecordType.decode(buf, cursor.pos, resolver);
  if (offset < 0) throw new Error('truncated record');
  cursor.pos = offset;
  return registryValueFromAvro(value);
}

// ---------------------------------------------------------------------------------------------
// Single messages (Kafka values).

/** Plain Avro binary of one event (no framing); throws on a value the schema cannot hold. */
export function encodeEvent(e: InputEvent): Buffer {
  return inputEventType.toBuffer(eventToAvro(e));
}

export function encodeRegistryRecord(r: RegistryRecord): Buffer {
  return registryRecordType.toBuffer(registryToAvro(r));
}

const wholeCursor: AvroCursor = { pos: 0 };

/** Reads one value from `start` to `end` of `buf`; no cursor or payload copy per message. */
function readWhole<T>(
  read: (buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined) => T,
  buf: Buffer,
  start: number,
  end: number,
  resolver: AvroResolver | undefined,
  what: string,
): T {
  const cursor = wholeCursor;
  cursor.pos = start;
  const value = read(buf, cursor, resolver);
  // a value inside a larger buffer (messages packed together) may read past its own end
  if (cursor.pos > end) throw new Error(`truncated ${what}`);
  if (cursor.pos !== end) throw new Error(`Avro ${what} has ${end - cursor.pos} trailing bytes (wrong writer schema?)`);
  return value;
}

/**
 * Decodes one event from plain Avro binary or a Confluent-framed message. A leading zero byte is
 * unambiguous here: in plain binary it would be an empty `event_id`, which the contract forbids.
 * The writer schema is `writerType` if given, else the one registered for the frame's schema id,
 * else ours. Throws on bytes that do not decode; the caller turns that into a dead letter.
 * The result is in the `newInputEvent` shape with the contract's field types; its values are not
 * checked yet (run `checkEventValues`).
 */
export function decodeEventBytes(buf: Buffer, writerType?: AvroType): InputEvent {
  return decodeEventSpan(buf, 0, buf.length, writerType);
}

/** `decodeEventBytes` of the message that lies between `start` and `end` of `buf` (messages packed into one buffer). */
export function decodeEventSpan(buf: Buffer, start: number, end: number, writerType?: AvroType): InputEvent {
  const schemaId = frameSchemaId(buf, start, end);
  const reading = writerType !== undefined ? eventWriters.forType(writerType) : schemaId === null ? undefined : eventWriters.forId(schemaId);
  return readWhole(readEvent, buf, schemaId === null ? start : start + CONFLUENT_HEADER_BYTES, end, reading?.resolver, 'event');
}

/**
 * Decodes one registry record (wire-shaped object, nulls left out; run `decodeRegistryRecord`).
 * Plain binary of a `person` record also starts with a zero byte, so framing is recognised only when
 * the frame's schema id is registered or when the bytes do not decode as plain binary.
 */
export function decodeRegistryRecordBytes(buf: Buffer, writerType?: AvroType): Record<string, unknown> {
  const schemaId = frameSchemaId(buf);
  const registered = schemaId === null ? undefined : registryWriters.forId(schemaId);
  const resolver = writerType !== undefined ? registryWriters.forType(writerType).resolver : registered?.resolver;
  const read = (start: number) => readWhole(readRegistryValue, buf, start, buf.length, resolver, 'registry record');
  if (schemaId === null) return read(0);
  if (registered !== undefined) return read(CONFLUENT_HEADER_BYTES);
  try {
    return read(0);
  } catch {
    return read(CONFLUENT_HEADER_BYTES);
  }
}
