// Mouse paths: moves are buffered as numbers (no object per move) and only the vertices that
// survive Ramer-Douglas-Peucker simplification become PathPoint objects.
import type { PathPoint } from '../contract/episode.ts';

// Scratch for the simplification, shared by all buffers: reducing is synchronous, so one set of
// arrays serves every episode and grows to the longest path seen.
let keepScratch = new Uint8Array(256);
let stackScratch = new Int32Array(512);

function ensureScratch(n: number): void {
  if (keepScratch.length < n) keepScratch = new Uint8Array(Math.max(n, keepScratch.length * 2));
  if (stackScratch.length < 2 * n) stackScratch = new Int32Array(Math.max(2 * n, stackScratch.length * 2));
}

/** Squared distance from point i to the segment a-b (to the segment, so an out-and-back path keeps its turn); points are x, y, t triples. */
function distanceToSegment2(p: readonly number[], i: number, a: number, b: number): number {
  const ax = p[3 * a];
  const ay = p[3 * a + 1];
  const vx = p[3 * b] - ax;
  const vy = p[3 * b + 1] - ay;
  const wx = p[3 * i] - ax;
  const wy = p[3 * i + 1] - ay;
  const len2 = vx * vx + vy * vy;
  let t = len2 === 0 ? 0 : (wx * vx + wy * vy) / len2;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const dx = wx - t * vx;
  const dy = wy - t * vy;
  return dx * dx + dy * dy;
}

/**
 * Points arrays of paths taken whole, for the next paths to fill: a path grown by `push` from an
 * empty array left about 60 bytes of outgrown arrays behind per move, a tenth of what replay
 * allocated per event. They all have their room as their length (shrinking `length` would free
 * the room) and hold doubles only, so every path reads one kind of array.
 */
const spareArrays: number[][] = [];
/** paths end about as often as others begin, so a few spares serve them all; more would only hold memory. */
const MAX_SPARE_ARRAYS = 64;
/** room a path starts with: most paths between two actions are shorter. */
const FIRST_ROOM_DOUBLES = 3 * 16;
/** a longer path's array is let go rather than kept, so a spare never holds much. */
const MAX_SPARE_DOUBLES = 3 * 256;
const NO_POINTS: number[] = [];

function arrayWithRoom(doubles: number): number[] {
  // filled by push, so that it is a packed array of doubles (new Array(n) would be a holey one)
  const points: number[] = [];
  for (let i = 0; i < doubles; i++) points.push(0.5);
  return points;
}

function release(points: number[]): void {
  if (points !== NO_POINTS && points.length <= MAX_SPARE_DOUBLES && spareArrays.length < MAX_SPARE_ARRAYS) spareArrays.push(points);
}

export class PathBuffer {
  /**
   * x, y, t of each point, one after the other, in the first `3 * length` slots of a plain array
   * of doubles rather than a typed array: it is handed back whenever the path is taken whole (most
   * of 50k open devices are between actions with no moves pending), and a new typed array per
   * action cost more than the moves.
   */
  private points: number[] = NO_POINTS;
  length = 0;

  push(x: number, y: number, t: number): void {
    const at = 3 * this.length;
    let p = this.points;
    if (at + 3 > p.length) p = this.grow();
    p[at] = x;
    p[at + 1] = y;
    p[at + 2] = t;
    this.length++;
  }

  clear(): void {
    // every keystroke clears the path: most of the time there is none
    if (this.length === 0) return;
    this.length = 0;
    release(this.points);
    this.points = NO_POINTS;
  }

  /**
   * The first `end` points simplified with RDP at `epsilon` pixels (first and last always kept),
   * removed from the buffer; later points move to the front.
   */
  take(end: number, epsilon: number): PathPoint[] {
    const n = Math.min(end, this.length);
    const p = this.points;
    let out: PathPoint[] = [];
    if (n > 0) {
      const keep = this.simplify(n, epsilon);
      let kept = 0;
      for (let i = 0; i < n; i++) kept += keep[i];
      // sized once: an open episode holds its latest actions' paths, and a pushed array keeps room for 16 more
      out = new Array<PathPoint>(kept);
      for (let i = 0, k = 0; i < n; i++) {
        if (keep[i] === 1) out[k++] = { x: p[3 * i], y: p[3 * i + 1], t_ms: p[3 * i + 2] };
      }
    }
    const rest = this.length - n;
    if (rest > 0) {
      p.copyWithin(0, 3 * n, 3 * this.length);
    } else {
      release(p);
      this.points = NO_POINTS;
    }
    this.length = rest;
    return out;
  }

  private grow(): number[] {
    const old = this.points;
    let p: number[];
    if (old === NO_POINTS) {
      p = spareArrays.pop() ?? arrayWithRoom(FIRST_ROOM_DOUBLES);
    } else {
      p = arrayWithRoom(2 * old.length);
      for (let i = 0; i < old.length; i++) p[i] = old[i];
      release(old);
    }
    this.points = p;
    return p;
  }

  /** Marks the points to keep in the shared scratch; iterative, so long paths cannot overflow the call stack. */
  private simplify(n: number, epsilon: number): Uint8Array {
    ensureScratch(n);
    const keep = keepScratch;
    const stack = stackScratch;
    const p = this.points;
    keep.fill(0, 0, n);
    keep[0] = 1;
    keep[n - 1] = 1;
    const eps2 = epsilon * epsilon;
    // the open segments on the stack are disjoint, so there are fewer than n of them
    let top = 0;
    if (n > 2) {
      stack[top++] = 0;
      stack[top++] = n - 1;
    }
    while (top > 0) {
      const last = stack[--top];
      const first = stack[--top];
      let farthest = -1;
      let farthest2 = -1;
      for (let i = first + 1; i < last; i++) {
        const d2 = distanceToSegment2(p, i, first, last);
        if (d2 > farthest2) {
          farthest2 = d2;
          farthest = i;
        }
      }
      if (farthest !== -1 && farthest2 > eps2) {
        keep[farthest] = 1;
        if (farthest - first > 1) {
          stack[top++] = first;
          stack[top++] = farthest;
        }
        if (last - farthest > 1) {
          stack[top++] = farthest;
          stack[top++] = last;
        }
      }
    }
    return keep;
  }
}
