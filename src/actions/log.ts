// The finished actions of an open episode, packed. An episode stays open for up to an hour and a
// consumer holds tens of thousands of them at once: as objects (each number boxed, a path array of
// point objects, an array of key times) an action costs about 600 bytes of heap. Here it is one
// variable-length record of 32-bit words in one buffer per episode: the fields an action does not
// have take no room (a click has no drag end and no scroll amounts, a keystroke no coordinates), its
// path points and key times follow it, and only its strings (text, key, frame) go in a list of
// references. The reducer packs an action as soon as it is emitted (a click that then becomes a
// double click is changed in place, `remerge`); the objects are built again when the episode closes.
//
// Every number of an action is written to the dataset as an int32 or a float32 (see
// src/shards/schema.ts), so a record keeps each at that precision: what comes back is what the
// dataset holds, at half the memory of doubles. Integer fields are rounded as the episode columns
// round them; a value outside int32 is refused here, as the columns would refuse it.
import { ACTION_KINDS, blankAction, datasetInt32, type Action, type ActionKind, type PathPoint } from '../contract/episode.ts';
import type { Redaction } from '../contract/events.ts';
import { none, withRoom } from '../small-state.ts';

// A record, in words: flags, number of path points, t_ms, duration_ms, context, then each present
// nullable field in NULLABLE order (int32 or float32 as the dataset has it), the number of key
// times and the times (when key_times_ms is not null), then x, y, t_ms per path point, or (when
// every point's x and y fit in 16 bits, as screen pixels do) x and y in one word and t_ms. The
// flags: bits 0-3 kind, 4-5 redaction, 6-15 which nullable fields are present, 16-18 whether text,
// key and frame_uri are in the references (in that order), 19 whether key times follow, 20 whether
// the path points are in two words each.
const NULLABLE = ['x', 'y', 'nx', 'ny', 'x2', 'y2', 'nx2', 'ny2', 'dx', 'dy'] as const;
/** which of NULLABLE are float32 in the dataset (the others are int32). */
const NULLABLE_IS_FLOAT = [false, false, true, true, false, false, true, true, true, true] as const;
const PRESENT_SHIFT = 6;
const PRESENT_X = 1 << PRESENT_SHIFT;
const HAS_TEXT = 1 << 16;
const HAS_KEY = 1 << 17;
const HAS_FRAME = 1 << 18;
const HAS_KEY_TIMES = 1 << 19;
const POINTS_PACKED = 1 << 20;
const FIXED_WORDS = 5;

const REDACTIONS: readonly (Redaction | null)[] = [null, 'eu_context', 'secure_input'];
const KIND_INDEX: ReadonlyMap<ActionKind, number> = new Map(ACTION_KINDS.map((kind, i) => [kind, i]));

// 64 words to start: one or two actions. 50k open devices each hold one of these.
const INITIAL_WORDS = 64;

// float32 fields go in as their bits through this one shared pair of views: a second view per log
// would be one more object per open device
const FLOAT_BITS = new Float32Array(1);
const FLOAT_BITS_AS_INT = new Int32Array(FLOAT_BITS.buffer);

function float32Bits(value: number): number {
  FLOAT_BITS[0] = value;
  return FLOAT_BITS_AS_INT[0];
}

function float32OfBits(bits: number): number {
  FLOAT_BITS_AS_INT[0] = bits;
  return FLOAT_BITS[0];
}

/** whether the value, rounded as the columns round it, fits in 16 bits. */
function fitsInt16(value: number): boolean {
  return value >= -32768.5 && value < 32767.5;
}

/** an int32 field as the episode columns store it (rounded, refused outside int32). */
function int32(value: number, field: string): number {
  return datasetInt32(value, 'action field', field);
}

export class ActionLog {
  /** the records' words; float32 fields as their bits. */
  private ints: Int32Array<ArrayBuffer> | null = null;
  private used = 0;
  /** text, key and frame_uri of the records, in slots 0 to `stringCount` (a list sized by hand). */
  private strings: string[] = none();
  private stringCount = 0;
  length = 0;
  /** where the latest record starts (-1 when there is none): whether a record is still the latest. */
  lastRecord = -1;

  /** Packs the action; returns where its record starts, for `remerge`. */
  append(action: Action): number {
    const path = action.path;
    const times = action.key_times_ms;
    const needed = FIXED_WORDS + NULLABLE.length + (times === null ? 0 : 1 + times.length) + 3 * path.length;
    if (this.ints === null || this.used + needed > this.ints.length) this.grow(this.used + needed);
    const w = this.ints!;
    const start = this.used;
    let at = start + FIXED_WORDS;
    let flags = KIND_INDEX.get(action.kind)! + (REDACTIONS.indexOf(action.redacted) << 4);
    for (let k = 0; k < NULLABLE.length; k++) {
      const name = NULLABLE[k];
      const value = action[name];
      if (value === null) continue;
      w[at++] = NULLABLE_IS_FLOAT[k] ? float32Bits(value) : int32(value, name);
      flags |= PRESENT_X << k;
    }
    if (times !== null) {
      flags |= HAS_KEY_TIMES;
      w[at++] = times.length;
      for (let i = 0; i < times.length; i++) w[at++] = int32(times[i], 'key_times_ms');
    }
    let packed = true;
    for (let i = 0; i < path.length && packed; i++) packed = fitsInt16(path[i].x) && fitsInt16(path[i].y);
    if (packed) {
      flags |= POINTS_PACKED;
      for (let i = 0; i < path.length; i++) {
        const point = path[i];
        w[at++] = (Math.round(point.x) & 0xffff) | (Math.round(point.y) << 16);
        w[at++] = int32(point.t_ms, 'path.t_ms');
      }
    } else {
      for (let i = 0; i < path.length; i++) {
        const point = path[i];
        w[at++] = int32(point.x, 'path.x');
        w[at++] = int32(point.y, 'path.y');
        w[at++] = int32(point.t_ms, 'path.t_ms');
      }
    }
    if (action.text !== null) {
      flags |= HAS_TEXT;
      this.addString(action.text);
    }
    if (action.key !== null) {
      flags |= HAS_KEY;
      this.addString(action.key);
    }
    if (action.frame_uri !== null) {
      flags |= HAS_FRAME;
      this.addString(action.frame_uri);
    }
    w[start] = flags;
    w[start + 1] = path.length;
    w[start + 2] = int32(action.t_ms, 't_ms');
    w[start + 3] = int32(action.duration_ms, 'duration_ms');
    w[start + 4] = action.context;
    this.used = at;
    this.length++;
    this.lastRecord = start;
    return start;
  }

  /**
   * A click already packed became a double or triple click: its kind and duration change, and it
   * takes the redaction of the click merged into it if it had none.
   */
  remerge(record: number, kind: ActionKind, durationMs: number, redaction: Redaction | null): void {
    const w = this.ints!;
    let flags = (w[record] & ~15) | KIND_INDEX.get(kind)!;
    if (redaction !== null && (flags & (3 << 4)) === 0) flags |= REDACTIONS.indexOf(redaction) << 4;
    w[record] = flags;
    w[record + 3] = int32(durationMs, 'duration_ms');
  }

  /** Appends the actions, rebuilt as objects, to `out`; the log is empty afterwards. */
  drainInto(out: Action[]): void {
    const w = this.ints;
    if (w === null) return;
    const strings = this.strings;
    let at = 0;
    let next = 0;
    for (let i = 0; i < this.length; i++) {
      const flags = w[at];
      const nPoints = w[at + 1];
      const action = blankAction(ACTION_KINDS[flags & 15], w[at + 2]);
      action.duration_ms = w[at + 3];
      action.context = w[at + 4];
      action.redacted = REDACTIONS[(flags >>> 4) & 3];
      at += FIXED_WORDS;
      for (let k = 0; k < NULLABLE.length; k++) {
        if ((flags & (1 << (PRESENT_SHIFT + k))) !== 0) action[NULLABLE[k]] = NULLABLE_IS_FLOAT[k] ? float32OfBits(w[at++]) : w[at++];
      }
      if ((flags & HAS_KEY_TIMES) !== 0) {
        const n = w[at++];
        const times: number[] = [];
        for (let k = 0; k < n; k++) times.push(w[at++]);
        action.key_times_ms = times;
      }
      const path: PathPoint[] = action.path;
      if ((flags & POINTS_PACKED) !== 0) {
        for (let k = 0; k < nPoints; k++, at += 2) path.push({ x: (w[at] << 16) >> 16, y: w[at] >> 16, t_ms: w[at + 1] });
      } else {
        for (let k = 0; k < nPoints; k++, at += 3) path.push({ x: w[at], y: w[at + 1], t_ms: w[at + 2] });
      }
      if ((flags & HAS_TEXT) !== 0) action.text = strings[next++];
      if ((flags & HAS_KEY) !== 0) action.key = strings[next++];
      if ((flags & HAS_FRAME) !== 0) action.frame_uri = strings[next++];
      out.push(action);
    }
    this.ints = null;
    this.strings = none();
    this.stringCount = 0;
    this.used = 0;
    this.length = 0;
    this.lastRecord = -1;
  }

  private addString(value: string): void {
    const strings = (this.strings = withRoom(this.strings, this.stringCount));
    strings[this.stringCount++] = value;
  }

  // by a quarter, not double: the slack is per open episode (a fifth of the packed actions'
  // memory at 1.5x), and copying a few kilobytes now and then costs little
  private grow(atLeast: number): void {
    const length = this.ints === null ? 0 : this.ints.length;
    const bigger = new Int32Array(Math.max(atLeast, Math.ceil(length * 1.25), INITIAL_WORDS));
    if (this.ints !== null) bigger.set(this.ints.subarray(0, this.used));
    this.ints = bigger;
  }
}
