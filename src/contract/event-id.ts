// What the pipeline keeps of an event's id. The id is read for one thing only: to tell a client's
// retry (same id, same place in the device's stream) from a different event. A 32-bit fingerprint
// of its UTF-8 bytes answers that as well as the string, and taking it from the bytes costs a few
// multiplications where making the string (a fresh one per event, never interned) was a tenth of
// replay's work. It is compared only between events of one device at the same (ts, seq), which
// only a retry or a broken agent sends; two different events there would be taken for one with a
// chance of 1 in 4 billion. 32 bits and signed, so V8 stores it in the event as a small integer:
// a wider one (a double) cost an allocation per event again. Every decoder takes the fingerprint
// of the same bytes, so a retry still matches when it comes in another encoding (JSON, Avro
// through a schema resolver, Avro read directly).
import type { InputEvent } from './events.ts';
import { tailWord } from '../bytes.ts';

/** The fingerprint of the empty id (which the contract forbids); no other id has it. */
export const EMPTY_ID_HASH = 0;

const MULTIPLIER = 0x9e3779b1;

/** murmur3's finaliser: every input bit reaches every output bit. */
function avalanche(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The fingerprint of the id whose UTF-8 bytes lie between `start` and `end` of the bytes `view`
 * shows. A DataView, not the bytes: its four-byte little-endian read is one load once compiled,
 * where assembling a word from four byte reads was most of this function's time.
 */
export function idHashOfBytes(view: DataView, start: number, end: number): number {
  const length = end - start;
  if (length <= 0) return EMPTY_ID_HASH;
  let h = length;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(h ^ view.getInt32(i, true), MULTIPLIER);
    h ^= h >>> 15;
  }
  if (i < end) {
    h = Math.imul(h ^ tailWord(view, i, end), MULTIPLIER);
    h ^= h >>> 15;
  }
  const hash = avalanche(h);
  return hash === EMPTY_ID_HASH ? 1 : hash;
}

const scratch = new Uint8Array(64);
const scratchView = new DataView(scratch.buffer);

/** The fingerprint of an id given as a string: that of its UTF-8 bytes. */
export function idHashOf(id: string): number {
  const length = id.length;
  // ASCII ids (UUIDs, counters) are their own bytes: no encoding, no allocation
  if (length <= scratch.length) {
    let ascii = true;
    for (let i = 0; i < length; i++) {
      const code = id.charCodeAt(i);
      if (code > 0x7f) {
        ascii = false;
        break;
      }
      scratch[i] = code;
    }
    if (ascii) return idHashOfBytes(scratchView, 0, length);
  }
  const bytes = Buffer.from(id, 'utf8');
  return idHashOfBytes(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0, bytes.length);
}

/**
 * The fingerprint of an event's id: `id_hash` as a decoder set it, or that of `event_id` for an
 * event built in its wire form (tests, generators).
 */
export function eventIdHash(e: InputEvent): number {
  const hash = e.id_hash;
  return hash !== undefined ? hash : e.event_id === undefined ? EMPTY_ID_HASH : idHashOf(e.event_id);
}
