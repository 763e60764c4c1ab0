// Commands on a dataset at `s3://bucket/prefix`: each works on a local copy with the same code as
// on disk, then publishes it (see s3-dataset.ts). Replay builds the whole dataset locally first, so
// the remote one is replaced only once its replacement is complete.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineConfig } from '../config.ts';
import type { DatasetLocation } from './location.ts';
import { S3Store } from './s3.ts';
import { downloadDataset, publishDataset, withDatasetLease } from './s3-dataset.ts';

export type S3Location = Extract<DatasetLocation, { kind: 's3' }>;

export function storeFor(location: S3Location, config: PipelineConfig): S3Store {
  return new S3Store(location.bucket, config.output.s3);
}

async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const scratch = mkdtempSync(join(tmpdir(), 'episodic-s3-'));
  try {
    return await work(join(scratch, 'dataset'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A read-only look at a remote dataset: `read` gets a local copy that is removed afterwards. */
export async function readRemoteDataset<T>(location: S3Location, config: PipelineConfig, read: (dir: string) => Promise<T> | T): Promise<T> {
  const store = storeFor(location, config);
  return withScratch(async (dir) => {
    const version = await downloadDataset(store, location.prefix, dir);
    if (!version) throw new Error(`${location.uri} holds no episodic dataset`);
    return read(dir);
  });
}

/**
 * Builds a dataset locally with `build(dir)` and publishes it over whatever the prefix holds, while
 * holding the prefix's lease. The manifest is written only over the version seen when the lease was
 * taken, so no other writer's update is lost.
 */
export async function writeRemoteDataset<T>(location: S3Location, config: PipelineConfig, build: (dir: string) => Promise<T>): Promise<T> {
  const store = storeFor(location, config);
  return withScratch(async (dir) => {
    const result = await build(dir);
    await withDatasetLease(store, location.prefix, async () => {
      const current = await store.get(`${location.prefix ? `${location.prefix}/` : ''}manifest.json`);
      if (!current && (await store.list(location.prefix)).some((key) => !key.endsWith('.lease'))) {
        throw new Error(`${location.uri} holds objects but no episodic dataset; refusing to write over them`);
      }
      await publishDataset(store, location.prefix, dir, current ? { etag: current.etag } : undefined);
    });
    return result;
  });
}

/** Changes a remote dataset in place (erasure): copy down, `change(dir)`, publish, all under the lease. */
export async function changeRemoteDataset<T>(location: S3Location, config: PipelineConfig, change: (dir: string) => Promise<T>): Promise<T> {
  const store = storeFor(location, config);
  return withScratch((dir) =>
    withDatasetLease(store, location.prefix, async () => {
      const version = await downloadDataset(store, location.prefix, dir);
      if (!version) throw new Error(`${location.uri} holds no episodic dataset`);
      const result = await change(dir);
      await publishDataset(store, location.prefix, dir, version);
      return result;
    }),
  );
}
