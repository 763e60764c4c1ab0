// Files that appear whole or not at all: written under a dot-prefixed temp name in the same
// directory (readers such as pyarrow and Spark skip dot files), fsynced, renamed over the final
// name, and the directory fsynced so the rename itself survives a crash.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const TEMP_PREFIX = '.tmp-';

export function writeFileAtomic(path: string, bytes: Uint8Array | string, mode = 0o644): void {
  const file = new AtomicFile(path, mode);
  try {
    file.append(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes);
  } catch (error) {
    file.discard();
    throw error;
  }
  file.commit();
}

/**
 * A file written in pieces under its temp name; `commit` makes it appear whole under its final
 * name, `discard` leaves nothing behind. Also what a streamed shard is written through.
 */
export class AtomicFile {
  readonly tempPath: string;
  private fd: number | null;

  /** `mode`: the new file's permissions (0600 for raw input such as dead letters). */
  constructor(
    readonly path: string,
    mode = 0o644,
  ) {
    this.tempPath = join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${process.pid}`);
    this.fd = openSync(this.tempPath, 'w', mode);
  }

  append(bytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path} is already committed or discarded`);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
  }

  commit(): void {
    if (this.fd === null) throw new Error(`${this.path} is already committed or discarded`);
    const fd = this.fd;
    this.fd = null;
    try {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.tempPath, this.path);
    } catch (error) {
      rmSync(this.tempPath, { force: true });
      throw error;
    }
    fsyncDir(dirname(this.path));
  }

  discard(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      rmSync(this.tempPath, { force: true });
    }
  }
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

/** Makes a directory's entries (a rename, a new file) durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
