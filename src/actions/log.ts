// The finished actions of an open episode, packed. An episode stays open for up to an hour and a
// consumer holds tens of thousands of them at once: as objects (each number boxed, a path array of
// point objects) an action costs about 600 bytes of heap. Here it is one variable-length record of
// doubles in one typed array per episode: the fields an action does not have take no room (a click
// has no drag end and no scroll amounts, a keystroke no coordinates), its path points follow it, and
// only actions that carry text, a key, a frame or key times use the reference list. The reducer moves
// an action here once nothing can change it any more; the objects are built again, unchanged, when
// the episode closes.
import { ACTION_KINDS, type Action, type ActionKind, type PathPoint } from '../contract/episode.ts';
import type { Redaction } from '../contract/events.ts';

// A record: header, t_ms, duration_ms, context, then each present nullable field in NULLABLE order,
// then x, y, t_ms per path point. The header packs (all exact in a double, below 2^53):
//   bits 0-3 kind, 4-5 redaction, 6-15 which nullable fields are present, 16 has references,
//   from bit 17 on (as a multiple of 2^17) the number of path points.
const NULLABLE = ['x', 'y', 'nx', 'ny', 'x2', 'y2', 'nx2', 'ny2', 'dx', 'dy'] as const;
const PRESENT_SHIFT = 6;
const HAS_REFS = 1 << 16;
const POINTS_UNIT = 1 << 17;
const FIXED_FIELDS = 4;

// references per action that has any: text, key, frame_uri, key_times_ms
const REF_STRIDE = 4;

const REDACTIONS: readonly (Redaction | null)[] = [null, 'eu_context', 'secure_input'];
const KIND_INDEX: ReadonlyMap<ActionKind, number> = new Map(ACTION_KINDS.map((kind, i) => [kind, i]));

// 32 doubles to start: one or two actions. 50k open devices each hold one of these.
const INITIAL_CAPACITY = 32;

export class ActionLog {
  private records: Float64Array<ArrayBuffer> | null = null;
  private used = 0;
  private refs: (string | number[] | null)[] | null = null;
  length = 0;

  append(action: Action): void {
    const path = action.path;
    const needed = FIXED_FIELDS + NULLABLE.length + 3 * path.length;
    let r = this.records;
    if (r === null || this.used + needed > r.length) r = this.records = grown(r, this.used + needed);
    const start = this.used;
    let at = start + FIXED_FIELDS;
    let present = 0;
    for (let f = 0; f < NULLABLE.length; f++) {
      const value = action[NULLABLE[f]];
      if (value !== null) {
        r[at++] = value;
        present |= 1 << f;
      }
    }
    for (let i = 0; i < path.length; i++) {
      const point = path[i];
      r[at++] = point.x;
      r[at++] = point.y;
      r[at++] = point.t_ms;
    }
    const times = action.key_times_ms;
    const hasRefs = action.text !== null || action.key !== null || action.frame_uri !== null || times !== null;
    if (hasRefs) {
      // an array grown by push keeps room for 16 more: the copy holds just the times
      (this.refs ??= []).push(action.text, action.key, action.frame_uri, times === null ? null : times.slice());
    }
    r[start] =
      KIND_INDEX.get(action.kind)! +
      (REDACTIONS.indexOf(action.redacted) << 4) +
      (present << PRESENT_SHIFT) +
      (hasRefs ? HAS_REFS : 0) +
      path.length * POINTS_UNIT;
    r[start + 1] = action.t_ms;
    r[start + 2] = action.duration_ms;
    r[start + 3] = action.context;
    this.used = at;
    this.length++;
  }

  /** Appends the actions, rebuilt as objects, to `out`; the log is empty afterwards. */
  drainInto(out: Action[]): void {
    const r = this.records;
    const refs = this.refs;
    let at = 0;
    let ref = 0;
    for (let i = 0; i < this.length; i++) {
      const header = r![at];
      const low = header % POINTS_UNIT;
      const nPoints = (header - low) / POINTS_UNIT;
      const present = low >>> PRESENT_SHIFT;
      const action: Action = {
        kind: ACTION_KINDS[low & 15],
        t_ms: r![at + 1],
        duration_ms: r![at + 2],
        x: null,
        y: null,
        nx: null,
        ny: null,
        x2: null,
        y2: null,
        nx2: null,
        ny2: null,
        dx: null,
        dy: null,
        text: null,
        key: null,
        key_times_ms: null,
        path: [],
        frame_uri: null,
        context: r![at + 3],
        redacted: REDACTIONS[(low >>> 4) & 3],
      };
      at += FIXED_FIELDS;
      for (let f = 0; f < NULLABLE.length; f++) if ((present & (1 << f)) !== 0) action[NULLABLE[f]] = r![at++];
      const path: PathPoint[] = action.path;
      for (let k = 0; k < nPoints; k++, at += 3) path.push({ x: r![at], y: r![at + 1], t_ms: r![at + 2] });
      if ((low & HAS_REFS) !== 0) {
        action.text = refs![ref] as string | null;
        action.key = refs![ref + 1] as string | null;
        action.frame_uri = refs![ref + 2] as string | null;
        action.key_times_ms = refs![ref + 3] as number[] | null;
        ref += REF_STRIDE;
      }
      out.push(action);
    }
    this.records = null;
    this.refs = null;
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
