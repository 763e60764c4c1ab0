// One writer of a dataset at a time: `erase`, `replay` into a dataset and `run`'s manifest commits
// hold DIR.lock (beside the dataset, so it outlives a replay's swap of DIR) while they change it.
// Two erasures at once would otherwise each rewrite the shards they read, and the last rename
// would put back the episodes the other one removed.
//
// proper-lockfile: the lock is a directory made with mkdir (atomic on local and network file
// systems) whose mtime the holder refreshes; a holder that died leaves a lock that goes stale and
// is taken over. A waiter retries until the holder is done.
import { dirname, resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { ensureDir } from './atomic.ts';

/** A holder that has not refreshed the lock for this long is taken to be dead (a sync step may hold the event loop for seconds). */
const STALE_MS = 60_000;

export function datasetLockPath(dir: string): string {
  return `${resolve(dir)}.lock`;
}

export interface LockOptions {
  /** called once if the lock is held by another writer and this one waits. */
  onWait?: (lockPath: string) => void;
}

/** Runs `work` while holding the dataset's writer lock; waits for another writer to finish first. */
export async function withDatasetLock<T>(dir: string, work: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const target = resolve(dir);
  const lockPath = datasetLockPath(target);
  ensureDir(dirname(target));
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, { realpath: false, lockfilePath: lockPath, stale: STALE_MS });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    options.onWait?.(lockPath);
    release = await lockfile.lock(target, {
      realpath: false,
      lockfilePath: lockPath,
      stale: STALE_MS,
      retries: { forever: true, minTimeout: 50, maxTimeout: 1000, factor: 1.5, randomize: true },
    });
  }
  try {
    return await work();
  } finally {
    await release();
  }
}
