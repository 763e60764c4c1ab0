// Files that appear whole or not at all: written under a dot-prefixed temp name in the same
// directory (readers such as pyarrow and Spark skip dot files), fsynced, renamed over the final
// name, and the directory fsynced so the rename itself survives a crash.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const TEMP_PREFIX = '.tmp-';

export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${process.pid}`);
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  fsyncDir(dir);
}

/** mkdir -p that also fsyncs each directory it created and its parent, so new dirs survive a crash. */
export function ensureDir(dir: string): void {
  const created = mkdirSync(dir, { recursive: true });
  if (created === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    fsyncDir(dirname(d));
    if (d === created || dirname(d) === d) break;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
