// The finished actions of an open episode, packed. An episode stays open for up to an hour and a
// consumer holds tens of thousands of them at once: as objects (each number boxed, a path array of
// point objects) an action costs about 600 bytes of heap, packed here about 150. The reducer moves
// an action here once nothing can change it any more, and the objects are built again, unchanged,
// when the episode closes.
import { ACTION_KINDS, type Action, type ActionKind, type PathPoint } from '../contract/episode.ts';
import type { Redaction } from '../contract/events.ts';

// one record of numbers per action; null is NaN (no field of a finished action is NaN)
const KIND = 0;
const T_MS = 1;
const DURATION_MS = 2;
const X = 3;
const Y = 4;
const NX = 5;
const NY = 6;
const X2 = 7;
const Y2 = 8;
const NX2 = 9;
const NY2 = 10;
const DX = 11;
const DY = 12;
const CONTEXT = 13;
const REDACTED = 14;
const PATH_END = 15;
const STRIDE = 16;

// and one of references: text, key, frame_uri, key_times_ms
const REF_STRIDE = 4;

const REDACTIONS: readonly (Redaction | null)[] = [null, 'eu_context', 'secure_input'];
const KIND_INDEX: ReadonlyMap<ActionKind, number> = new Map(ACTION_KINDS.map((kind, i) => [kind, i]));

function packed(value: number | null): number {
  return value === null ? NaN : value;
}

function unpacked(value: number): number | null {
  return value !== value ? null : value;
}

export class ActionLog {
  private numbers: Float64Array<ArrayBuffer> = new Float64Array(0);
  private refs: (string | number[] | null)[] = [];
  /** path points as x, y, t_ms triples, all actions' one after the other. */
  private points: Float64Array<ArrayBuffer> = new Float64Array(0);
  private nPoints = 0;
  length = 0;

  append(action: Action): void {
    const at = this.length * STRIDE;
    if (at + STRIDE > this.numbers.length) this.numbers = grown(this.numbers, at + STRIDE);
    const n = this.numbers;
    n[at + KIND] = KIND_INDEX.get(action.kind)!;
    n[at + T_MS] = action.t_ms;
    n[at + DURATION_MS] = action.duration_ms;
    n[at + X] = packed(action.x);
    n[at + Y] = packed(action.y);
    n[at + NX] = packed(action.nx);
    n[at + NY] = packed(action.ny);
    n[at + X2] = packed(action.x2);
    n[at + Y2] = packed(action.y2);
    n[at + NX2] = packed(action.nx2);
    n[at + NY2] = packed(action.ny2);
    n[at + DX] = packed(action.dx);
    n[at + DY] = packed(action.dy);
    n[at + CONTEXT] = action.context;
    n[at + REDACTED] = REDACTIONS.indexOf(action.redacted);
    const path = action.path;
    const end = (this.nPoints + path.length) * 3;
    if (end > this.points.length) this.points = grown(this.points, end);
    const p = this.points;
    let k = this.nPoints * 3;
    for (let i = 0; i < path.length; i++) {
      p[k++] = path[i].x;
      p[k++] = path[i].y;
      p[k++] = path[i].t_ms;
    }
    this.nPoints += path.length;
    n[at + PATH_END] = this.nPoints;
    // an array grown by push keeps room for 16 more: the copy holds just the times
    const times = action.key_times_ms;
    this.refs.push(action.text, action.key, action.frame_uri, times === null ? null : times.slice());
    this.length++;
  }

  /** Appends the actions, rebuilt as objects, to `out`; the log is empty afterwards. */
  drainInto(out: Action[]): void {
    const n = this.numbers;
    const p = this.points;
    const refs = this.refs;
    let pathStart = 0;
    for (let i = 0; i < this.length; i++) {
      const at = i * STRIDE;
      const r = i * REF_STRIDE;
      const pathEnd = n[at + PATH_END];
      const path: PathPoint[] = [];
      for (let k = pathStart; k < pathEnd; k++) path.push({ x: p[3 * k], y: p[3 * k + 1], t_ms: p[3 * k + 2] });
      pathStart = pathEnd;
      out.push({
        kind: ACTION_KINDS[n[at + KIND]],
        t_ms: n[at + T_MS],
        duration_ms: n[at + DURATION_MS],
        x: unpacked(n[at + X]),
        y: unpacked(n[at + Y]),
        nx: unpacked(n[at + NX]),
        ny: unpacked(n[at + NY]),
        x2: unpacked(n[at + X2]),
        y2: unpacked(n[at + Y2]),
        nx2: unpacked(n[at + NX2]),
        ny2: unpacked(n[at + NY2]),
        dx: unpacked(n[at + DX]),
        dy: unpacked(n[at + DY]),
        text: refs[r] as string | null,
        key: refs[r + 1] as string | null,
        key_times_ms: refs[r + 3] as number[] | null,
        path,
        frame_uri: refs[r + 2] as string | null,
        context: n[at + CONTEXT],
        redacted: REDACTIONS[n[at + REDACTED]],
      });
    }
    this.numbers = new Float64Array(0);
    this.points = new Float64Array(0);
    this.refs = [];
    this.nPoints = 0;
    this.length = 0;
  }
}

// by half again, not double: an open episode's log is read once, and the slack is per device
function grown(array: Float64Array<ArrayBuffer>, atLeast: number): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(Math.max(atLeast, Math.ceil(array.length * 1.5), 8 * STRIDE));
  bigger.set(array);
  return bigger;
}
