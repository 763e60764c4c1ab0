// Mouse paths: moves are buffered in typed arrays (no object per move) and only the vertices that
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

/** Squared distance from point i to the segment a-b (to the segment, so an out-and-back path keeps its turn). */
function distanceToSegment2(xs: Float64Array, ys: Float64Array, i: number, a: number, b: number): number {
  const ax = xs[a];
  const ay = ys[a];
  const vx = xs[b] - ax;
  const vy = ys[b] - ay;
  const wx = xs[i] - ax;
  const wy = ys[i] - ay;
  const len2 = vx * vx + vy * vy;
  let t = len2 === 0 ? 0 : (wx * vx + wy * vy) / len2;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const dx = wx - t * vx;
  const dy = wy - t * vy;
  return dx * dx + dy * dy;
}

export class PathBuffer {
  private xs: Float64Array;
  private ys: Float64Array;
  private ts: Float64Array;
  length = 0;

  // small to start: 50k devices open at once each hold one; a long path grows it by doubling
  constructor(capacity = 16) {
    this.xs = new Float64Array(capacity);
    this.ys = new Float64Array(capacity);
    this.ts = new Float64Array(capacity);
  }

  push(x: number, y: number, t: number): void {
    if (this.length === this.xs.length) this.grow();
    this.xs[this.length] = x;
    this.ys[this.length] = y;
    this.ts[this.length] = t;
    this.length++;
  }

  clear(): void {
    this.length = 0;
  }

  /**
   * The first `end` points simplified with RDP at `epsilon` pixels (first and last always kept),
   * removed from the buffer; later points move to the front.
   */
  take(end: number, epsilon: number): PathPoint[] {
    const n = Math.min(end, this.length);
    const out: PathPoint[] = [];
    if (n > 0) {
      const keep = this.simplify(n, epsilon);
      for (let i = 0; i < n; i++) {
        if (keep[i] === 1) out.push({ x: this.xs[i], y: this.ys[i], t_ms: this.ts[i] });
      }
    }
    const rest = this.length - n;
    if (rest > 0) {
      this.xs.copyWithin(0, n, this.length);
      this.ys.copyWithin(0, n, this.length);
      this.ts.copyWithin(0, n, this.length);
    }
    this.length = rest;
    return out;
  }

  /** Marks the points to keep in the shared scratch; iterative, so long paths cannot overflow the call stack. */
  private simplify(n: number, epsilon: number): Uint8Array {
    ensureScratch(n);
    const keep = keepScratch;
    const stack = stackScratch;
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
        const d2 = distanceToSegment2(this.xs, this.ys, i, first, last);
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

  private grow(): void {
    const capacity = this.xs.length * 2;
    const xs = new Float64Array(capacity);
    const ys = new Float64Array(capacity);
    const ts = new Float64Array(capacity);
    xs.set(this.xs);
    ys.set(this.ys);
    ts.set(this.ts);
    this.xs = xs;
    this.ys = ys;
    this.ts = ts;
  }
}
