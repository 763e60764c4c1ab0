// Hot path: reading events written with exactly our schema straight into contract objects.
// avsc would build a record instance per event that then has to be copied into a plain object;
// here an event is one object of the one shape, and the strings that repeat are interned. The
// readers share one read position (`at`) and the interning tables, so they stay in one module.
// Any other writer schema goes through avsc and its resolver (../avro.ts).
import { latin1Slice, tailWord, utf8Slice } from '../../bytes.ts';
import { none } from '../../small-state.ts';
import { EVENT_TYPES, MODIFIERS, MOUSE_BUTTONS, newInputEvent } from '../events.ts';
import { idHashOfBytes } from '../event-id.ts';
import type { InputEvent, Modifier } from '../events.ts';
import { inputEventType } from './schemas.ts';

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

export function readEventFast(b: Buffer, cursor: AvroCursor): InputEvent {
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
