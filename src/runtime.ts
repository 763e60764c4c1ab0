// Process-wide settings for a long-running stream job, applied by the CLI before any work starts.
import v8 from 'node:v8';

/** The smallest step the old generation grows by after a full collection, unless the operator sets one. */
export const DEFAULT_HEAP_GROWING_PERCENT = 20;
/** The largest step the adaptive one takes (a heap of a few MiB), and the largest EPISODIC_HEAP_GROWING_PERCENT. */
export const MAX_HEAP_GROWING_PERCENT = 1000;
/** The old generation may fill to this size before a full collection, however small it is. */
export const HEAP_FLOOR_BYTES = 96 * 1024 * 1024;
/**
 * The floor where two heaps share the process-wide step (`episodic run`: kafkajs' thread and the
 * pipeline thread, which follows its own heap): each may fill towards it.
 */
export const SHARED_HEAP_FLOOR_BYTES = 64 * 1024 * 1024;
const FOLLOW_EVERY_MS = 250;

/**
 * How the growth step is chosen: `adaptive` (the default, below), `node` when
 * `--heap-growing-percent` is on node's command line (it holds; node refuses that flag in
 * NODE_OPTIONS, so the environment's way is EPISODIC_HEAP_GROWING_PERCENT), or the percent that
 * variable fixes. Throws on a value that is not a whole number from 1 to 1000.
 */
export function heapGrowthSetting(execArgv: readonly string[], env: NodeJS.ProcessEnv): 'adaptive' | 'node' | number {
  if (execArgv.some((arg) => arg.includes('heap-growing-percent'))) return 'node';
  const requested = env.EPISODIC_HEAP_GROWING_PERCENT;
  if (requested === undefined || requested.trim() === '') return 'adaptive';
  const percent = Number(requested);
  if (!Number.isInteger(percent) || percent < 1 || percent > MAX_HEAP_GROWING_PERCENT) {
    throw new Error(`EPISODIC_HEAP_GROWING_PERCENT must be a whole number from 1 to ${MAX_HEAP_GROWING_PERCENT} (V8's own default is 100), not ${JSON.stringify(requested)}`);
  }
  return percent;
}

/**
 * The step for an old generation that holds `oldGenerationBytes`: the one that lets it fill to
 * `floorBytes`, or 20% once it is past five sixths of that. The limit it sets is never above
 * the larger of the floor and 1.2 times the heap, so a heap that grows through the middle sizes on
 * its way to tens of thousands of open devices takes no larger room with it (a 100% step below
 * 64 MiB would raise the 50k-device peak by about 7%). `oldGenerationBytes` is read between
 * collections, garbage included, so the live size V8 applies the step to is smaller and the
 * limit lower than the floor: erring that way costs a collection, the other way memory. That holds
 * only while the heap is read often enough that it cannot grow much before V8 applies the step (a
 * step read off a 20 MiB heap and applied to a 45 MiB one would allow 216): see `followHeap`.
 */
export function adaptiveGrowingPercent(oldGenerationBytes: number, floorBytes = HEAP_FLOOR_BYTES): number {
  // in whole tens, rounded down, so the flag is not set again for every few kB the heap grows
  const toFloor = Math.floor((floorBytes / Math.max(oldGenerationBytes, 1) - 1) * 10) * 10;
  return Math.min(MAX_HEAP_GROWING_PERCENT, Math.max(DEFAULT_HEAP_GROWING_PERCENT, toFloor));
}

function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) bytes += space.space_used_size;
  return bytes;
}

let follower: ReturnType<typeof setInterval> | undefined;
let currentPercent = 0;
let followedFloor = HEAP_FLOOR_BYTES;

function followOldGeneration(): void {
  const percent = adaptiveGrowingPercent(oldGenerationBytes(), followedFloor);
  if (percent === currentPercent) return;
  currentPercent = percent;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * V8 grows the old generation after each full collection by a factor sized for short web
 * workloads: a consumer holding tens of thousands of open episodes then sat at about three times
 * its live heap, so a large old generation grows in 20% steps. On a small heap (a few dozen
 * devices) such steps make V8 collect every few MB, and even V8's own step collects every ~30 MB
 * promoted, a tenth of a replay's CPU (docs/PERFORMANCE.md, "Memory"). So the step follows the heap, checked four times a second
 * and at every `followHeap`: room up to `floorBytes` of old generation while it is small, 20%
 * past that (the flag is process-wide, and V8 reads it at every full collection). It follows the
 * isolate this is called in; `episodic run` hands it to the pipeline thread, where the open
 * episodes are (`stopFollowingHeap` on the main thread), with SHARED_HEAP_FLOOR_BYTES since
 * kafkajs' heap takes the same step. An operator's EPISODIC_HEAP_GROWING_PERCENT, or node's own
 * flag, fixes the step instead.
 */
export function tuneHeapForStreaming(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
  floorBytes: number = HEAP_FLOOR_BYTES,
): void {
  const setting = heapGrowthSetting(execArgv, env);
  if (typeof setting === 'number') v8.setFlagsFromString(`--heap-growing-percent=${setting}`);
  if (setting !== 'adaptive' || follower !== undefined) return;
  followedFloor = floorBytes;
  followOldGeneration();
  follower = setInterval(followOldGeneration, FOLLOW_EVERY_MS);
  follower.unref();
}

/**
 * Sets the growth step for the heap as it is now, if `tuneHeapForStreaming` follows it here. The
 * loops that feed a pipeline call it once per input batch: the timer fires only when the event
 * loop turns, and a heap filling with open devices grows a lot in between (with the timer alone,
 * 10k devices more than double the heap's peak). A few microseconds per call.
 */
export function followHeap(): void {
  if (follower !== undefined) followOldGeneration();
}

/** Leaves the growth step to another isolate of the process (the pipeline thread). */
export function stopFollowingHeap(): void {
  if (follower !== undefined) clearInterval(follower);
  follower = undefined;
}
