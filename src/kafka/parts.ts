// One dataset, many writers: each partition writer (`p{partition}-o{resumeOffset}-{tag}`) keeps its own
// manifest part in DIR/manifests/<writerId>.json, written atomically after its shards. The part
// lists the writer's shards and says how far the partition is done (the resume points), so a
// writer that takes the partition over later (a restart, a rebalance, another instance) knows what
// not to write again. manifest.json and the card are rebuilt from all parts after every flush.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SPLITS } from '../contract/episode.ts';
import { writeDatasetFiles } from '../shards/dataset.ts';
import type { Counts } from '../shards/manifest.ts';
import type { ShardInfo } from '../shards/writer.ts';
import { TEMP_PREFIX, ensureDir, writeFileAtomic } from '../shards/atomic.ts';

export const PARTS_DIR = 'manifests';

export interface ManifestPart {
  version: 1;
  writer: string;
  topic: string;
  partition: number;
  /** the offset this writer's run of the partition started at. */
  start_offset: number;
  /** next offset after the last record this part accounts for: records before it were handled. */
  processed_through: number;
  /** the offset committed to the group after this part was written. */
  committed: number;
  /**
   * per device (keyed by its pseudonym, never the raw id): records of the device below this offset
   * are in written episodes, in episodes too short to keep, or in dead letters. Only devices whose
   * resume point lies above `committed` are listed: the others need nothing skipped.
   */
  resume: Record<string, number>;
  shards: ShardInfo[];
  counters: Record<string, number>;
  privacy: Counts;
}

/**
 * A partition writer's name: the partition, the offset it resumed at, and a tag of its own, so two
 * writers never share a file name, not even an instance that lost the partition while it was
 * stalled and a new owner that resumed at the same offset.
 */
export function writerIdFor(partition: number, startOffset: number, tag: string): string {
  return `p${partition}-o${startOffset}-${tag}`;
}

function partPath(dir: string, writerId: string): string {
  return join(dir, PARTS_DIR, `${writerId}.json`);
}

export function writePart(dir: string, part: ManifestPart): void {
  ensureDir(join(dir, PARTS_DIR));
  writeFileAtomic(partPath(dir, part.writer), `${JSON.stringify(part)}\n`);
}

/** Every part of the dataset with its file text (to notice when another instance rewrote one). */
function readPartTexts(dir: string): Map<string, string> {
  const texts = new Map<string, string>();
  const partsDir = join(dir, PARTS_DIR);
  if (!existsSync(partsDir)) return texts;
  for (const name of readdirSync(partsDir).sort()) {
    // the parts only: `<writer>.json`, a writer being `p{partition}-o{offset}...` (owner.json lives here too)
    if (!/^p\d+-o\d+[A-Za-z0-9_-]*\.json$/.test(name)) continue;
    try {
      texts.set(name, readFileSync(join(partsDir, name), 'utf8'));
    } catch (error) {
      // replaced by a rename between readdir and read: the next round picks the new one up
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return texts;
}

/**
 * Removes the shards of parts that were never written (a flush dropped because another member
 * owns the partition now): files no part on disk lists. Writer names are unique, so no other
 * writer's file has their names.
 */
export function removeUnlistedShards(dir: string, parts: readonly ManifestPart[]): number {
  const listed = new Set<string>();
  for (const part of readParts(dir)) for (const shard of part.shards) listed.add(shard.path);
  let removed = 0;
  for (const part of parts) {
    for (const shard of part.shards) {
      if (listed.has(shard.path)) continue;
      rmSync(join(dir, shard.path), { force: true });
      removed++;
    }
  }
  return removed;
}

export function readParts(dir: string): ManifestPart[] {
  return [...readPartTexts(dir).values()].map((text) => JSON.parse(text) as ManifestPart);
}

/** The part that got furthest into the partition: its resume points are the newest truth. */
export function latestPartOf(parts: readonly ManifestPart[], topic: string, partition: number): ManifestPart | undefined {
  let latest: ManifestPart | undefined;
  for (const part of parts) {
    if (part.topic !== topic || part.partition !== partition) continue;
    if (latest === undefined || part.processed_through > latest.processed_through) latest = part;
  }
  return latest;
}

/**
 * Deletes shard files of the partition's writers that no part lists: a crash between writing a
 * shard and writing its part leaves them behind, and their episodes are replayed from Kafka. Also
 * the temp files of shards a crashed writer was still streaming.
 */
export function removeOrphanShards(dir: string, partition: number, parts: readonly ManifestPart[]): string[] {
  const listed = new Set<string>();
  for (const part of parts) for (const shard of part.shards) listed.add(shard.path);
  const shardName = `(?:${SPLITS.join('|')})-p${partition}-o\\d+(?:-[0-9a-f]+)?-\\d{5,}\\.(?:parquet|arrow)`;
  const ownWriter = new RegExp(`^(?:${shardName}|${TEMP_PREFIX.replace('.', '\\.')}${shardName}-\\d+)$`);
  const removed: string[] = [];
  for (const split of SPLITS) {
    const splitDir = join(dir, 'data', split);
    if (!existsSync(splitDir)) continue;
    for (const name of readdirSync(splitDir)) {
      const path = `data/${split}/${name}`;
      if (ownWriter.test(name) && !listed.has(path)) {
        rmSync(join(splitDir, name), { force: true });
        removed.push(path);
      }
    }
  }
  return removed;
}

function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>, sign = 1): void {
  for (const [key, value] of Object.entries(counts)) if (typeof value === 'number') into[key] = (into[key] ?? 0) + sign * value;
}

/** Sums privacy counts, one level of sections deep (the shape PrivacyAudit.toJSON gives); sign -1 takes them off. */
export function addPrivacyCounts(into: Counts, counts: Readonly<Counts>, sign: 1 | -1 = 1): void {
  for (const [key, value] of Object.entries(counts)) {
    if (typeof value === 'number') into[key] = ((into[key] as number | undefined) ?? 0) + sign * value;
    else {
      const section = (into[key] ??= {}) as Record<string, number>;
      addCounts(section, value, sign);
    }
  }
}

/**
 * Rebuilds manifest.json and the card from every part. Instances flush independently, so it
 * repeats until the parts it read are the ones still on disk: whichever instance writes a part
 * last also writes a manifest that includes it.
 */
export function rebuildManifest(dir: string, name: string, configHash: string): void {
  for (let round = 0; round < 10; round++) {
    const texts = readPartTexts(dir);
    const parts = [...texts.values()].map((text) => JSON.parse(text) as ManifestPart);
    const shards: ShardInfo[] = [];
    const counters: Record<string, number> = {};
    const privacy: Counts = {};
    for (const part of parts) {
      shards.push(...part.shards);
      addCounts(counters, part.counters);
      addPrivacyCounts(privacy, part.privacy);
    }
    writeDatasetFiles(dir, { name, configHash, shards, counters, audit: privacy });
    const after = readPartTexts(dir);
    if (after.size === texts.size && [...after].every(([file, text]) => texts.get(file) === text)) return;
  }
}
