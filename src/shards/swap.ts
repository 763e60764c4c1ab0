// A dataset that is rebuilt whole (replay) is written beside the one it replaces, in a staging
// directory of the same parent, and swapped in only once it is complete: a run that fails leaves
// the previous dataset as it was, and a reader never sees half of each.
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDir, TEMP_PREFIX } from './atomic.ts';
import { claimDatasetDir, datasetIdentity, IDENTITY_FILE } from './dataset-identity.ts';
import { CARD_FILE } from './card.ts';
import { MANIFEST_FILE } from './manifest.ts';

/** What a rebuild replaces; anything else in the old dataset (the erasure log, an operator's notes) is carried over. */
const REBUILT = new Set(['data', MANIFEST_FILE, CARD_FILE, IDENTITY_FILE]);

/** The staging directory of a rebuild of `out`: a dot directory beside it, so it is on the same file system. */
export function stagingDirOf(out: string): string {
  return join(dirname(out), `.${basename(out)}${TEMP_PREFIX}${process.pid}`);
}

/** Creates an empty staging directory for a rebuild of `out`, marked as a replay dataset; returns its path. */
export function startStaging(out: string): string {
  const staging = stagingDirOf(out);
  rmSync(staging, { recursive: true, force: true });
  claimDatasetDir(staging, datasetIdentity('replay'));
  return staging;
}

/** Removes a staging directory whose run failed. */
export function discardStaging(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
}

/**
 * Puts the complete dataset in `staging` in the place of `out`. Whatever the old dataset holds
 * beyond what a rebuild makes is copied over first. Between the two renames `out` is briefly
 * absent, never partial; if the second rename fails, the old dataset is put back.
 */
export function swapIn(staging: string, out: string): void {
  if (existsSync(out)) {
    for (const name of readdirSync(out)) {
      if (REBUILT.has(name) || name.startsWith(TEMP_PREFIX) || existsSync(join(staging, name))) continue;
      cpSync(join(out, name), join(staging, name), { recursive: true, preserveTimestamps: true });
    }
    const old = join(dirname(out), `.${basename(out)}.old-${process.pid}`);
    rmSync(old, { recursive: true, force: true });
    renameSync(out, old);
    try {
      renameSync(staging, out);
    } catch (error) {
      renameSync(old, out);
      throw error;
    }
    fsyncDir(dirname(out));
    rmSync(old, { recursive: true, force: true });
  } else {
    renameSync(staging, out);
    fsyncDir(dirname(out));
  }
}
