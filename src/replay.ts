// Replay: the imperative shell around the pipeline for a recorded stream in a file.
// Reads the registry and the events, feeds the pipeline, writes shards, the manifest and the card.
import { mkdirSync, rmSync, openSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { configHash, type PipelineConfig } from './config.ts';
import { sourceBatchLength, type DeadLetter } from './contract/events.ts';
import { Pipeline, type PipelineCounters } from './pipeline.ts';
import { followHeap } from './runtime.ts';
import { Registry } from './privacy/registry.ts';
import { readEventBatches, readRegistryFile } from './sources/file.ts';
import { ShardWriter } from './shards/writer.ts';
import { MANIFEST_FILE, type Counts } from './shards/manifest.ts';
import { writeDatasetFiles } from './shards/dataset.ts';
import { checkDatasetDir } from './shards/dataset-identity.ts';
import { withDatasetLock } from './shards/dataset-lock.ts';
import { discardStaging, startStaging, swapIn } from './shards/swap.ts';

export interface ReplayOptions {
  config: PipelineConfig;
  input: string;
  registry?: string;
  out: string;
  deadLetterPath?: string;
  pseudonymKey: string;
  /** called before the run starts with what is likely to make it write nothing (an empty registry). */
  onWarning?: (message: string) => void;
  /** called once when another writer holds the dataset's lock and this replay waits for it. */
  onLockWait?: (lockPath: string) => void;
  /** called after every batch with the number of records read so far, and the pipeline (how many devices are open). */
  onProgress?: (recordsRead: number, pipeline: { readonly openDevices: number }) => void;
}

export interface ReplaySummary {
  out: string;
  deadLetterPath: string;
  counters: PipelineCounters;
  /** the privacy audit's counts, as in the manifest. */
  privacy: Counts;
  manifestPath: string;
}

/** Where dead letters go by default: beside the dataset, never inside it (they hold raw input). */
export function defaultDeadLetterPath(out: string): string {
  return `${resolve(out)}.dead-letter.jsonl`;
}

/** Appends dead letters as JSON Lines; opened lazily so a clean run leaves no empty file behind. */
export class DeadLetterFile {
  private fd: number | null = null;
  count = 0;
  constructor(readonly path: string) {
    rmSync(path, { force: true });
  }
  write(letter: DeadLetter): void {
    if (this.fd === null) {
      // raw input, possibly what someone typed into a secure field: the owner's alone
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      this.fd = openSync(this.path, 'w', 0o600);
    }
    this.count++;
    writeSync(this.fd, JSON.stringify(letter) + '\n');
  }
  close(): void {
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/** Replays into `options.out` holding its writer lock: an erasure waits for the new dataset, then applies to it. */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  return withDatasetLock(options.out, () => replayLocked(options), { onWait: options.onLockWait });
}

async function replayLocked(options: ReplayOptions): Promise<ReplaySummary> {
  const { config, out } = options;
  const registry = new Registry();
  const deadLetters = new DeadLetterFile(options.deadLetterPath ?? config.output.dead_letter ?? defaultDeadLetterPath(out));
  if (options.registry) {
    const { records, dead } = await readRegistryFile(options.registry);
    for (const record of records) registry.apply(record);
    for (const letter of dead) deadLetters.write(letter);
  }
  if (registry.size.people === 0) {
    options.onWarning?.(
      `${options.registry ? `the registry ${options.registry} holds no person record` : 'no registry given (--registry)'}: ` +
        'people unknown to the registry are never captured, so every event will be dropped',
    );
  }

  // refused before anything is read or written: a directory that is not an episodic dataset
  checkDatasetDir(out, 'replay');
  // the new dataset is built beside the old one and swapped in once complete
  const staging = startStaging(out);
  const writer = new ShardWriter({
    dir: staging,
    writerId: 'replay',
    formats: config.output.formats,
    shardTargetBytes: config.output.shard_target_bytes,
    rowGroupBytes: config.output.row_group_bytes,
  });
  const pipeline = new Pipeline(config, options.pseudonymKey, registry, {
    episode: (row) => writer.add(row),
    deadLetter: (letter) => deadLetters.write(letter),
  });

  let recordsRead = 0;
  let manifestPath: string;
  let counters: PipelineCounters;
  try {
    for await (const batch of readEventBatches(options.input)) {
      pipeline.pushBatch(batch);
      followHeap();
      recordsRead += sourceBatchLength(batch);
      options.onProgress?.(recordsRead, pipeline);
      // the Parquet encoder works while this waits; without it, batches would pile up in wasm memory
      await writer.drained();
    }
    // the episodes still open close a few dozen at a time, the encoder catching up in between
    for (const _ of pipeline.endInSteps()) await writer.drained();
    await writer.flush();
    // registry lines that could not be read are dead letters too
    counters = { ...pipeline.counters, dead_letters: deadLetters.count };
    writeDatasetFiles(staging, {
      name: config.name,
      configHash: configHash(config),
      shards: writer.shards,
      counters,
      audit: pipeline.audit,
    });
    checkDatasetDir(out, 'replay');
    swapIn(staging, out);
    manifestPath = join(out, MANIFEST_FILE);
  } catch (error) {
    // no half-written shard is left behind, and the previous dataset stays as it was
    writer.discard();
    discardStaging(staging);
    throw error;
  } finally {
    deadLetters.close();
  }
  return { out, deadLetterPath: deadLetters.path, counters, privacy: pipeline.audit.toJSON(), manifestPath };
}
