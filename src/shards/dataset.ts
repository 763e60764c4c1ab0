// Finishing a dataset: the manifest and the card, written after every shard is in place, so a
// reader that finds manifest.json finds every file it lists.
import { buildManifest, writeManifestAtomic, type Counts } from './manifest.ts';
import { writeDatasetCardAtomic, type CardOptions } from './card.ts';
import type { ShardInfo } from './writer.ts';

/** Pipeline counters that count what was left out; every other numeric counter is a total. */
export const DROP_COUNTERS = ['dead_letters', 'duplicate', 'late', 'too_few_actions', 'unwritable_episodes'] as const;

export interface DatasetFilesInput {
  name: string;
  configHash: string;
  shards: readonly ShardInfo[];
  /** the pipeline's counters (numeric fields only are used). */
  counters: object;
  /** privacy counts, or an object whose toJSON() gives them (the privacy audit). */
  audit?: Counts | { toJSON(): Counts };
  card?: CardOptions;
  createdAt?: string;
}

/** Writes manifest.json and README.md into `dir`; returns the manifest's path. */
export function writeDatasetFiles(dir: string, input: DatasetFilesInput): string {
  const totals: Record<string, number> = {};
  const dropped: Record<string, number> = {};
  for (const [key, value] of Object.entries(input.counters)) {
    if (typeof value !== 'number') continue;
    if ((DROP_COUNTERS as readonly string[]).includes(key)) dropped[key] = value;
    else totals[key] = value;
  }
  const audit = input.audit;
  const privacy = audit && typeof audit.toJSON === 'function' ? (audit.toJSON as () => Counts)() : (audit as Counts | undefined);
  const manifest = buildManifest({
    name: input.name,
    configHash: input.configHash,
    shards: input.shards,
    totals,
    dropped,
    privacy: privacy ?? {},
    createdAt: input.createdAt,
  });
  writeDatasetCardAtomic(dir, manifest, input.card);
  return writeManifestAtomic(dir, manifest);
}
