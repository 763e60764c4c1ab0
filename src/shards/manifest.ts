// The dataset's index (manifest.json): every shard with its size, row count and hash, per-split
// sums, and the pipeline's counters in aggregate. Built by a pure function from plain records so
// the caller decides which counters exist; deterministic unless a creation time is asked for.
import { join } from 'node:path';
import { SPLITS, type Split } from '../contract/episode.ts';
import { SCHEMA_VERSION } from './schema.ts';
import { PARQUET_COMPRESSION } from './parquet.ts';
import { writeFileAtomic } from './atomic.ts';
import { DATASET_FORMAT } from './dataset-identity.ts';
import type { ShardFormat, ShardInfo } from './writer.ts';

export const MANIFEST_FILE = 'manifest.json';
export const DATASET_PURPOSE =
  'Training computer-use agents only. Not for surveillance or performance evaluation of people.';

/** counts by name, optionally one level of sections (`{ redacted: { secure_input: 3 } }`). */
export type Counts = Record<string, number | Record<string, number>>;

export interface SplitSummary {
  rows: number;
  actions: number;
  shards: number;
  bytes: number;
}

export interface Manifest {
  /** marks the directory as an episodic dataset (see dataset-identity.ts). */
  format: typeof DATASET_FORMAT;
  schema_version: string;
  dataset: string;
  purpose: string;
  created_by: 'episodic';
  config_hash: string;
  /** every format written; the split sums count the first one (parquet when written). */
  formats: ShardFormat[];
  compression: { parquet: string };
  splits: Record<Split, SplitSummary>;
  /** sorted by path. */
  shards: ShardInfo[];
  /** episodes and actions summed from the shards, plus the caller's counters (events_in, ...). */
  totals: Record<string, number>;
  /** rows or events left out, by reason. */
  dropped: Record<string, number>;
  /** privacy gate actions, by kind; counts only. */
  privacy: Counts;
  /** only when asked for: it makes the manifest differ between otherwise identical runs. */
  created_at?: string;
}

export interface ManifestInput {
  name: string;
  configHash: string;
  /** shard files of every writer of this dataset. */
  shards: readonly ShardInfo[];
  totals?: Readonly<Record<string, number>>;
  dropped?: Readonly<Record<string, number>>;
  privacy?: Readonly<Counts>;
  /** ISO time; leave out for a byte-identical manifest on replay. */
  createdAt?: string;
}

export function buildManifest(input: ManifestInput): Manifest {
  const shards = [...input.shards].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let i = 1; i < shards.length; i++) {
    if (shards[i].path === shards[i - 1].path) throw new Error(`shard ${shards[i].path} is listed twice`);
  }
  const formats = (['parquet', 'arrow'] as const).filter((f) => shards.some((s) => s.format === f));
  const primary = formats[0] ?? 'parquet';

  const splits = Object.fromEntries(
    SPLITS.map((split) => [split, { rows: 0, actions: 0, shards: 0, bytes: 0 }]),
  ) as Record<Split, SplitSummary>;
  for (const shard of shards) {
    if (shard.format !== primary) continue;
    const summary = splits[shard.split];
    summary.rows += shard.rows;
    summary.actions += shard.actions;
    summary.shards += 1;
    summary.bytes += shard.bytes;
  }
  const episodes = SPLITS.reduce((n, s) => n + splits[s].rows, 0);
  const actions = SPLITS.reduce((n, s) => n + splits[s].actions, 0);

  const manifest: Manifest = {
    format: DATASET_FORMAT,
    schema_version: SCHEMA_VERSION,
    dataset: input.name,
    purpose: DATASET_PURPOSE,
    created_by: 'episodic',
    config_hash: input.configHash,
    formats: [...formats],
    compression: { parquet: PARQUET_COMPRESSION },
    splits,
    shards,
    // the shards are the truth about what was written; a caller's own count does not override it
    totals: sortedCounts({ ...input.totals, episodes, actions }, 'totals'),
    dropped: sortedCounts(input.dropped ?? {}, 'dropped'),
    privacy: sortedSections(input.privacy ?? {}, 'privacy'),
  };
  if (input.createdAt !== undefined) manifest.created_at = input.createdAt;
  return manifest;
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function writeManifestAtomic(dir: string, manifest: Manifest): string {
  const path = join(dir, MANIFEST_FILE);
  writeFileAtomic(path, serializeManifest(manifest));
  return path;
}

function sortedSections(counts: Readonly<Counts>, what: string): Counts {
  const sorted: Counts = {};
  for (const key of Object.keys(counts).sort()) {
    const value = counts[key];
    sorted[key] = typeof value === 'object' ? sortedCounts(value, `${what}.${key}`) : sortedCounts({ [key]: value }, what)[key];
  }
  return sorted;
}

function sortedCounts(counts: Readonly<Record<string, number>>, what: string): Record<string, number> {
  const sorted: Record<string, number> = {};
  for (const key of Object.keys(counts).sort()) {
    const value = counts[key];
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what}.${key} must be a count, got ${value}`);
    sorted[key] = value;
  }
  return sorted;
}
