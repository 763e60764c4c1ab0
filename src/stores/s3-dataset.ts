// A dataset on S3-compatible storage: the same files as on disk, under a key prefix. Writers
// work on a local copy (the same code as on disk) and publish it: shards first, streamed, then the
// card and the other files beside data/, then manifest.json last with a conditional write, so a reader that follows the manifest
// finds every shard it lists. Writers of one prefix take turns through a lease object.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TEMP_PREFIX } from '../shards/atomic.ts';
import { MANIFEST_FILE } from '../shards/manifest.ts';
import { objectKey } from './location.ts';
import type { S3Store } from './s3.ts';

/** The lease writers of one dataset prefix take turns with (never part of the dataset: a dot name). */
export const LEASE_OBJECT = '.episodic-writer.lease';
const LEASE_TTL_MS = 10 * 60_000;
const LEASE_WAIT_MS = 10 * 60_000;

interface ManifestShards {
  created_by?: string;
  shards?: { path: string }[];
}

/** The version of the remote manifest a local copy was made from ('' when there was none). */
export interface RemoteVersion {
  etag: string;
}

/** Holds the dataset's lease while `work` runs. */
export async function withDatasetLease<T>(store: S3Store, prefix: string, work: () => Promise<T>): Promise<T> {
  const lease = await store.lease(objectKey(prefix, LEASE_OBJECT), LEASE_TTL_MS, LEASE_WAIT_MS);
  try {
    return await work();
  } finally {
    await lease.release();
  }
}

/**
 * Copies the dataset under `prefix` into `dir` (manifest, card, every shard the manifest lists);
 * undefined when the prefix holds no manifest. Refuses a prefix that holds objects but no episodic
 * dataset, so a typo never overwrites someone else's data.
 */
export async function downloadDataset(store: S3Store, prefix: string, dir: string): Promise<RemoteVersion | undefined> {
  const manifest = await store.get(objectKey(prefix, MANIFEST_FILE));
  if (!manifest) {
    const keys = (await store.list(prefix)).filter((k) => !k.endsWith(`/${LEASE_OBJECT}`) && k !== LEASE_OBJECT);
    if (keys.length > 0) throw new Error(`s3://${store.bucket}/${prefix} holds objects but no episodic dataset (no ${MANIFEST_FILE}); refusing to use it`);
    return undefined;
  }
  const parsed = JSON.parse(manifest.body.toString('utf8')) as ManifestShards;
  if (parsed.created_by !== 'episodic') throw new Error(`s3://${store.bucket}/${objectKey(prefix, MANIFEST_FILE)} is not an episodic manifest`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MANIFEST_FILE), manifest.body);
  // the dataset's own files beside data/ (card, erasure log, identity), then every listed shard
  const base = prefix ? `${prefix}/` : '';
  const metadata = (await store.list(prefix))
    .map((key) => key.slice(base.length))
    .filter((rel) => !rel.startsWith('data/') && rel !== MANIFEST_FILE && rel !== LEASE_OBJECT && !rel.includes('/'));
  for (const rel of [...metadata, ...(parsed.shards ?? []).map((s) => s.path)]) {
    const object = await store.get(objectKey(prefix, rel));
    if (!object) throw new Error(`s3://${store.bucket}/${objectKey(prefix, rel)} is listed in the manifest but missing`);
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), object.body);
  }
  return { etag: manifest.etag };
}

/**
 * Publishes the dataset in `dir` to `prefix`: every shard its manifest lists (multipart, streamed
 * from the file), the card, then the manifest, written only over the version `from` names (or only
 * when there is none), and last the objects under `data/` that the new manifest no longer lists.
 * Returns the keys written.
 */
export async function publishDataset(store: S3Store, prefix: string, dir: string, from: RemoteVersion | undefined): Promise<string[]> {
  await store.abortIncompleteUploads(prefix);
  const manifestBytes = readFileSync(join(dir, MANIFEST_FILE));
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ManifestShards;
  const shardPaths = (manifest.shards ?? []).map((s) => s.path);
  for (const rel of shardPaths) await store.uploadFile(objectKey(prefix, rel), join(dir, rel));
  // the dataset's own files beside data/: the card, and an erasure log or identity where there is one
  const metadata = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== MANIFEST_FILE && !e.name.startsWith(TEMP_PREFIX))
    .map((e) => e.name);
  for (const rel of metadata) await store.put(objectKey(prefix, rel), readFileSync(join(dir, rel)));
  await store.put(objectKey(prefix, MANIFEST_FILE), manifestBytes, from ? { ifMatch: from.etag } : { ifNoneMatch: true });
  const listed = new Set(shardPaths.map((rel) => objectKey(prefix, rel)));
  const dataPrefix = objectKey(prefix, 'data');
  const stale = (await store.list(dataPrefix)).filter((key) => !listed.has(key));
  await store.delete(stale);
  return [...listed, ...metadata.map((rel) => objectKey(prefix, rel)), objectKey(prefix, MANIFEST_FILE)];
}
