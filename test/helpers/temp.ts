// Temporary directories for the tests of one file, removed when its process exits: ava runs each
// test file in a process of its own (workerThreads: false).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory under the system's temp dir, named `episodic-<name>-XXXXXX`. */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `episodic-${name}-`));
  made.push(dir);
  return dir;
}
