// Process-wide settings for a long-running stream job, applied by the CLI before any work starts.
import v8 from 'node:v8';

/** How far V8 grows the old generation after a full collection, unless the operator says otherwise. */
export const DEFAULT_HEAP_GROWING_PERCENT = 20;

/**
 * The growth step to set, or undefined when `--heap-growing-percent` is on node's command line
 * (node refuses that flag in NODE_OPTIONS, so the environment's way is
 * EPISODIC_HEAP_GROWING_PERCENT). Throws on a value that is not a whole number from 1 to 1000.
 */
export function heapGrowingPercent(execArgv: readonly string[], env: NodeJS.ProcessEnv): number | undefined {
  if (execArgv.some((arg) => arg.includes('heap-growing-percent'))) return undefined;
  const requested = env.EPISODIC_HEAP_GROWING_PERCENT;
  if (requested === undefined || requested.trim() === '') return DEFAULT_HEAP_GROWING_PERCENT;
  const percent = Number(requested);
  if (!Number.isInteger(percent) || percent < 1 || percent > 1000) {
    throw new Error(`EPISODIC_HEAP_GROWING_PERCENT must be a whole number from 1 to 1000 (V8's own default is 100), not ${JSON.stringify(requested)}`);
  }
  return percent;
}

/**
 * V8 grows the old generation by a large factor after each full collection, sized for short web
 * workloads; a consumer holding tens of thousands of open episodes then sits at about three times
 * its live heap. A 20% step keeps peak RSS about a quarter lower at no measurable cost in replay's
 * throughput (docs/PERFORMANCE.md). `episodic run` pays for it: its collector competes with its
 * two threads for the cores, and it read 12-25% faster at V8's default (100) for about 10% more
 * peak memory; EPISODIC_HEAP_GROWING_PERCENT=100 chooses that.
 */
export function tuneHeapForStreaming(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): void {
  const percent = heapGrowingPercent(execArgv, env);
  if (percent !== undefined) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
