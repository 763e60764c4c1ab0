// The finished actions of an open episode, packed. An episode stays open for up to an hour and a
// consumer holds tens of thousands of them at once: as objects (each number boxed, a path array of
// point objects, an array of key times) an action costs about 600 bytes of heap. Here it is one
// variable-length record of doubles in one typed array per episode: the fields an action does not
// have take no room (a click has no drag end and no scroll amounts, a keystroke no coordinates), its
// path points and key times follow it, and only its strings (text, key, frame) go in a list of
// references. The reducer moves an action here once nothing can change it any more; the objects are
// built again, unchanged, when the episode closes.
import { ACTION_KINDS, blankAction, type Action, type ActionKind, type PathPoint } from '../contract/episode.ts';
import type { Redaction } from '../contract/events.ts';

// A record: header, t_ms, duration_ms, context, then each present nullable field in NULLABLE order,
// the number of key times and the times (when key_times_ms is not null), then x, y, t_ms per path
// point. The header packs (all exact in a double, below 2^53): bits 0-3 kind, 4-5 redaction, 6-15
// which nullable fields are present, 16-18 whether text, key and frame_uri are in the references
// (in that order), 19 whether key times follow, and from bit 20 on (as a multiple of 2^20) the
// number of path points.
const NULLABLE = ['x', 'y', 'nx', 'ny', 'x2', 'y2', 'nx2', 'ny2', 'dx', 'dy'] as const;
const PRESENT_SHIFT = 6;
const PRESENT_X = 1 << PRESENT_SHIFT;
const HAS_TEXT = 1 << 16;
const HAS_KEY = 1 << 17;
const HAS_FRAME = 1 << 18;
const HAS_KEY_TIMES = 1 << 19;
const POINTS_UNIT = 1 << 20;
const FIXED_FIELDS = 4;

const REDACTIONS: readonly (Redaction | null)[] = [null, 'eu_context', 'secure_input'];
const KIND_INDEX: ReadonlyMap<ActionKind, number> = new Map(ACTION_KINDS.map((kind, i) => [kind, i]));

// 32 doubles to start: one or two actions. 50k open devices each hold one of these.
const INITIAL_CAPACITY = 32;

export class ActionLog {
  private records: Float64Array<ArrayBuffer> | null = null;
  private used = 0;
  private strings: string[] | null = null;
  length = 0;

  append(action: Action): void {
    const path = action.path;
    const times = action.key_times_ms;
    const needed = FIXED_FIELDS + NULLABLE.length + (times === null ? 0 : 1 + times.length) + 3 * path.length;
    let r = this.records;
    if (r === null || this.used + needed > r.length) r = this.records = grown(r, this.used + needed);
    const start = this.used;
    let at = start + FIXED_FIELDS;
    let flags = KIND_INDEX.get(action.kind)! + (REDACTIONS.indexOf(action.redacted) << 4);
    // one named read per field (in NULLABLE order): a loop over the names is a keyed load each
    if (action.x !== null) {
      r[at++] = action.x;
      flags |= PRESENT_X;
    }
    if (action.y !== null) {
      r[at++] = action.y;
      flags |= PRESENT_X << 1;
    }
    if (action.nx !== null) {
      r[at++] = action.nx;
      flags |= PRESENT_X << 2;
    }
    if (action.ny !== null) {
      r[at++] = action.ny;
      flags |= PRESENT_X << 3;
    }
    if (action.x2 !== null) {
      r[at++] = action.x2;
      flags |= PRESENT_X << 4;
    }
    if (action.y2 !== null) {
      r[at++] = action.y2;
      flags |= PRESENT_X << 5;
    }
    if (action.nx2 !== null) {
      r[at++] = action.nx2;
      flags |= PRESENT_X << 6;
    }
    if (action.ny2 !== null) {
      r[at++] = action.ny2;
      flags |= PRESENT_X << 7;
    }
    if (action.dx !== null) {
      r[at++] = action.dx;
      flags |= PRESENT_X << 8;
    }
    if (action.dy !== null) {
      r[at++] = action.dy;
      flags |= PRESENT_X << 9;
    }
    if (times !== null) {
      flags |= HAS_KEY_TIMES;
      r[at++] = times.length;
      for (let i = 0; i < times.length; i++) r[at++] = times[i];
    }
    for (let i = 0; i < path.length; i++) {
      const point = path[i];
      r[at++] = point.x;
      r[at++] = point.y;
      r[at++] = point.t_ms;
    }
    if (action.text !== null) {
      flags |= HAS_TEXT;
      (this.strings ??= []).push(action.text);
    }
    if (action.key !== null) {
      flags |= HAS_KEY;
      (this.strings ??= []).push(action.key);
    }
    if (action.frame_uri !== null) {
      flags |= HAS_FRAME;
      (this.strings ??= []).push(action.frame_uri);
    }
    r[start] = flags + path.length * POINTS_UNIT;
    r[start + 1] = action.t_ms;
    r[start + 2] = action.duration_ms;
    r[start + 3] = action.context;
    this.used = at;
    this.length++;
  }

  /** Appends the actions, rebuilt as objects, to `out`; the log is empty afterwards. */
  drainInto(out: Action[]): void {
    const r = this.records;
    const strings = this.strings;
    let at = 0;
    let next = 0;
    for (let i = 0; i < this.length; i++) {
      const header = r![at];
      const flags = header % POINTS_UNIT;
      const nPoints = (header - flags) / POINTS_UNIT;
      const action = blankAction(ACTION_KINDS[flags & 15], r![at + 1]);
      action.duration_ms = r![at + 2];
      action.context = r![at + 3];
      action.redacted = REDACTIONS[(flags >>> 4) & 3];
      at += FIXED_FIELDS;
      for (let f = 0; f < NULLABLE.length; f++) if ((flags & (1 << (PRESENT_SHIFT + f))) !== 0) action[NULLABLE[f]] = r![at++];
      if ((flags & HAS_KEY_TIMES) !== 0) {
        const n = r![at++];
        const times: number[] = [];
        for (let k = 0; k < n; k++) times.push(r![at++]);
        action.key_times_ms = times;
      }
      const path: PathPoint[] = action.path;
      for (let k = 0; k < nPoints; k++, at += 3) path.push({ x: r![at], y: r![at + 1], t_ms: r![at + 2] });
      if ((flags & HAS_TEXT) !== 0) action.text = strings![next++];
      if ((flags & HAS_KEY) !== 0) action.key = strings![next++];
      if ((flags & HAS_FRAME) !== 0) action.frame_uri = strings![next++];
      out.push(action);
    }
    this.records = null;
    this.strings = null;
    this.used = 0;
    this.length = 0;
  }
}

// by half again, not double: an open episode's log is read once, and the slack is per device
function grown(array: Float64Array<ArrayBuffer> | null, atLeast: number): Float64Array<ArrayBuffer> {
  const length = array === null ? 0 : array.length;
  const bigger = new Float64Array(Math.max(atLeast, Math.ceil(length * 1.5), INITIAL_CAPACITY));
  if (array !== null) bigger.set(array);
  return bigger;
}
