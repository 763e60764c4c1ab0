// What makes a directory an episodic dataset, and the one check every writer makes before it
// writes into one. A dataset carries two marks:
// - DIR/.episodic-dataset.json, written first when the directory becomes a dataset, so even a
//   dataset with nothing else in it yet is recognised (dot files are skipped by pyarrow, Spark and
//   Hugging Face `datasets`);
// - `"format": "episodic-dataset"` in manifest.json, so a dataset copied without its dot files is
//   recognised too.
// A directory with neither is not touched: a typo in --out never writes into, or wipes, someone
// else's files (a web project's manifest.json is not ours).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from './atomic.ts';

export const DATASET_FORMAT = 'episodic-dataset';
export const IDENTITY_FILE = '.episodic-dataset.json';
/** Kafka writers' manifest parts (kafka/parts.ts); named here so a dataset made before the marker is still known. */
const LEGACY_PARTS_DIR = 'manifests';
/** a Kafka writer's manifest part (kafka/parts.ts: writerIdFor). */
const LEGACY_PART = /^p\d+-o\d+\.json$/;

/** Who writes the dataset: `replay` builds it whole and swaps it in; `kafka` (`episodic run`) adds to it. */
export type DatasetWriter = 'replay' | 'kafka';

/** The content of IDENTITY_FILE. Owners may add fields of their own; readers ignore what they do not know. */
export interface DatasetIdentity {
  format: typeof DATASET_FORMAT;
  version: 1;
  writer: DatasetWriter;
  [extra: string]: unknown;
}

/** A directory given as a dataset that is not one, or not one this writer may write: the message says what to do. */
export class DatasetDirError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'DatasetDirError';
  }
}

export function datasetIdentity(writer: DatasetWriter, extra: Record<string, unknown> = {}): DatasetIdentity {
  return { ...extra, format: DATASET_FORMAT, version: 1, writer };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The identity of the dataset in `dir`, or undefined when `dir` is not an episodic dataset (or does not exist). */
export function readDatasetIdentity(dir: string): DatasetIdentity | undefined {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  const marker = readJson(join(dir, IDENTITY_FILE));
  if (isRecord(marker) && marker.format === DATASET_FORMAT && (marker.writer === 'replay' || marker.writer === 'kafka')) {
    return marker as DatasetIdentity;
  }
  const manifest = readJson(join(dir, 'manifest.json'));
  // `created_by: 'episodic'` with a shard list: a manifest written before the format field
  const ours =
    isRecord(manifest) &&
    (manifest.format === DATASET_FORMAT || (manifest.created_by === 'episodic' && Array.isArray(manifest.shards)));
  const parts = join(dir, LEGACY_PARTS_DIR);
  const kafkaParts = existsSync(parts) && statSync(parts).isDirectory() && readdirSync(parts).some((name) => LEGACY_PART.test(name));
  if (!ours && !kafkaParts) return undefined;
  return datasetIdentity(kafkaParts || existsSync(parts) ? 'kafka' : 'replay');
}

/** True when `dir` is an episodic dataset. */
export function isDataset(dir: string): boolean {
  return readDatasetIdentity(dir) !== undefined;
}

/**
 * Checks `dir` before `writer` writes a dataset there: 'new' when it does not exist or is empty,
 * 'dataset' when it holds a dataset of this writer. Throws a DatasetDirError naming the directory
 * for anything else: a file, a non-empty directory that is not a dataset, or another writer's
 * dataset. `flag` is how the user named the directory (`--out`).
 */
export function checkDatasetDir(dir: string, writer: DatasetWriter, flag = '--out'): 'new' | 'dataset' {
  if (!existsSync(dir)) return 'new';
  if (!statSync(dir).isDirectory()) {
    throw new DatasetDirError(dir, `${flag} ${dir} is a file, not a directory; give a new or empty directory for the dataset`);
  }
  const identity = readDatasetIdentity(dir);
  if (identity === undefined) {
    if (readdirSync(dir).length === 0) return 'new';
    throw new DatasetDirError(
      dir,
      `${flag} ${dir} is not empty and is not an episodic dataset (it has no ${IDENTITY_FILE} and no episodic manifest.json); ` +
        'nothing was written or removed. Give a new or empty directory, or move its files elsewhere first.',
    );
  }
  if (identity.writer !== writer) {
    const other = identity.writer === 'kafka' ? 'episodic run (Kafka)' : 'episodic replay';
    const own = writer === 'kafka' ? 'episodic run' : 'episodic replay';
    throw new DatasetDirError(
      dir,
      `${flag} ${dir} is a dataset written by ${other}; ${own} needs a dataset directory of its own: give a new or empty directory`,
    );
  }
  return 'dataset';
}

/** Makes `dir` (new or empty) a dataset: creates it and writes the identity file before anything else. */
export function claimDatasetDir(dir: string, identity: DatasetIdentity): void {
  ensureDir(dir);
  writeFileAtomic(join(dir, IDENTITY_FILE), `${JSON.stringify(identity)}\n`);
}
