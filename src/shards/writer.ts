// The imperative shell around the encoder: batches rows per split, streams each split's shard to
// its temp file as the batches fill, rotates shards by uncompressed size, and renames a shard into
// place only once it is complete, under a deterministic name. For Parquet, memory is bounded by
// the batches (a few MiB per split) and the encoder's row group in progress, not by the shard size
// (an Arrow copy is held whole, see ShardFile). The same rows added in the same order give the
// same files, byte for byte, so a replay rewrites what it wrote.
import { createHash, type Hash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { SPLITS, type EpisodeRow, type Split } from '../contract/episode.ts';
import { EpisodeColumns } from './columns.ts';
import { ParquetStreamWriter } from './parquet.ts';
import { AtomicFile, ensureDir, writeFileAtomic } from './atomic.ts';

const MiB = 1024 * 1024;
export const DEFAULT_ROW_GROUP_BYTES = 64 * MiB;

export const SHARD_FORMATS = ['parquet', 'arrow'] as const;
export type ShardFormat = (typeof SHARD_FORMATS)[number];

export interface ShardInfo {
  /** relative to the dataset dir, `/`-separated: `data/train/train-p0-00000.parquet`. */
  path: string;
  split: Split;
  format: ShardFormat;
  writer: string;
  index: number;
  rows: number;
  actions: number;
  /** file size. */
  bytes: number;
  /** the Arrow buffers' size before compression; what rotation is measured against. */
  uncompressed_bytes: number;
  /** parquet only. */
  row_groups?: number;
  sha256: string;
  first_episode_id?: string;
  last_episode_id?: string;
}

export interface ShardWriterOptions {
  /** dataset dir; shards go to DIR/data/{split}/. */
  dir: string;
  /**
   * distinguishes writers sharing one dataset (`p0` per Kafka partition, `replay`); it is part
   * of every file name, so it must not carry raw ids: letters, digits, `_` and `-` only.
   */
  writerId: string;
  formats?: readonly ShardFormat[];
  /** close a split's shard (and start the next) once its rows reach this many uncompressed bytes. */
  shardTargetBytes?: number;
  /** Parquet row groups hold at most about this many uncompressed bytes. */
  rowGroupBytes?: number;
  /**
   * continue numbering after this writer's highest existing shard in each split, so a restarted
   * writer never overwrites what it wrote before. Off by default: a replay into the same dir
   * then rewrites the same names with the same bytes.
   */
  resume?: boolean;
}

const WRITER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
// a 32-hex run or a UUID is what a raw device or user id looks like; refuse it in file names
const LOOKS_LIKE_RAW_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{24,}/i;

export function validateWriterId(writerId: string): void {
  if (!WRITER_ID_PATTERN.test(writerId) || LOOKS_LIKE_RAW_ID.test(writerId)) {
    throw new Error(
      `writerId ${JSON.stringify(writerId)} must be 1-40 letters, digits, '_' or '-' and not an id (e.g. 'p0', 'replay')`,
    );
  }
}

/** `{split}-{writerId}-{index:05d}.{ext}` */
export function shardFileName(split: Split, writerId: string, index: number, format: ShardFormat): string {
  return `${split}-${writerId}-${String(index).padStart(5, '0')}.${format}`;
}

/** the largest batch of rows held as JS columns before it goes to the encoder (smaller when row groups are). */
export const MAX_BATCH_BYTES = 4 * MiB;
/** batches a shard's encoder may have waiting before `drained()` holds the producer back. */
const MAX_QUEUED_BATCHES = 2;

export interface ShardFileOptions {
  dir: string;
  split: Split;
  writerId: string;
  index: number;
  formats: readonly ShardFormat[];
  rowGroupBytes: number;
  /** told of a failure on the asynchronous side (wasm, disk) as soon as it happens. */
  onError?: (error: Error) => void;
}

interface ParquetOutput {
  file: AtomicFile;
  stream: ParquetStreamWriter;
  hash: Hash;
  bytes: number;
}

/**
 * One shard being written, in each format. Rows collect in a batch; a full batch goes to the
 * Parquet encoder, whose output is appended to the temp file and hashed as it comes. The batch
 * boundaries (every `batchBytes` of rows) and the row group size (from the first batch's average
 * row) depend only on the rows, so the same rows give the same bytes: the writer and the erase
 * command both write shards through this class for that reason.
 */
export class ShardFile {
  readonly batchBytes: number;
  private readonly batch: EpisodeColumns;
  private batchByteLength = 0;
  private rows = 0;
  private actions = 0;
  private uncompressed = 0;
  private firstEpisodeId: string | undefined;
  private lastEpisodeId: string | undefined;
  private rowsPerGroup = 0;
  private parquet: ParquetOutput | undefined;
  // the Arrow IPC file, the optional second format, is written whole at close rather than through
  // a second streaming path, so an Arrow shard's batches stay in memory until then
  private arrowBatches: RecordBatch[] | undefined;
  private arrowBytes = 0;
  private discarded = false;

  constructor(private readonly options: ShardFileOptions) {
    if (options.formats.length === 0) throw new Error('a shard needs at least one format');
    this.batchBytes = Math.min(options.rowGroupBytes, MAX_BATCH_BYTES);
    if (options.formats.includes('arrow')) this.arrowBatches = [];
    // the Parquet encoder takes a batch's bytes at once; an Arrow shard keeps its batches until close
    this.batch = new EpisodeColumns(this.arrowBatches === undefined);
  }

  /** the Arrow buffers' size of every row added; what rotation is measured against. */
  get uncompressedBytes(): number {
    return this.uncompressed + this.batchByteLength;
  }

  /** uncompressed bytes held as JS columns: the batch being filled, and an Arrow shard's batches. */
  get bufferedBytes(): number {
    return this.batchByteLength + this.arrowBytes;
  }

  /** batches handed to the encoder that it has not taken yet. */
  get queuedBatches(): number {
    return this.parquet?.stream.queuedBatches ?? 0;
  }

  /** Resolves once the encoder has taken every batch handed to it so far. */
  taken(): Promise<void> {
    return this.parquet?.stream.taken() ?? Promise.resolve();
  }

  /** Adds the row whole or, if it breaks the contract, throws and adds nothing. */
  add(row: EpisodeRow): void {
    this.batch.append(row);
    this.batchByteLength = this.batch.byteLength;
    this.firstEpisodeId ??= row.episode_id;
    this.lastEpisodeId = row.episode_id;
    if (this.batchByteLength >= this.batchBytes) this.writeBatch();
  }

  /**
   * Ends the shard: the last batch goes out at once (rows added from now on belong elsewhere);
   * resolves once the files are complete and renamed into place, one ShardInfo per format.
   */
  async close(): Promise<ShardInfo[]> {
    if (this.discarded) throw new Error(`${this.relativePath(this.options.formats[0])} was discarded`);
    this.writeBatch();
    if (this.rows === 0) throw new Error('a shard needs at least one row');
    const infos: ShardInfo[] = [];
    if (this.parquet) {
      await this.parquet.stream.close();
      if (this.discarded) throw new Error(`${this.relativePath('parquet')} was discarded`);
      this.parquet.file.commit();
      const info = this.info('parquet', this.parquet.bytes, this.parquet.hash.digest('hex'));
      info.row_groups = Math.ceil(this.rows / this.rowsPerGroup);
      infos.push(info);
    }
    if (this.arrowBatches) {
      if (this.discarded) throw new Error(`${this.relativePath('arrow')} was discarded`);
      const bytes = tableToIPC(new Table(this.arrowBatches), 'file');
      this.arrowBatches = [];
      this.arrowBytes = 0;
      writeFileAtomic(this.path('arrow'), bytes);
      infos.push(this.info('arrow', bytes.length, createHash('sha256').update(bytes).digest('hex')));
    }
    return infos;
  }

  /** Gives the shard up: temp files are removed and nothing is renamed; a pending close() rejects. */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.parquet?.stream.abort();
    this.parquet?.file.discard();
    this.arrowBatches = [];
    this.arrowBytes = 0;
  }

  private writeBatch(): void {
    const rows = this.batch.rowCount;
    if (rows === 0 || this.discarded) return;
    const bytes = this.batchByteLength;
    this.actions += this.batch.actionsCount;
    const table = this.batch.finish();
    // from the first batch only, so the row groups of a shard do not depend on where it ends
    if (this.rows === 0) this.rowsPerGroup = Math.max(1, Math.floor(this.options.rowGroupBytes / (bytes / rows)));
    this.rows += rows;
    this.uncompressed += bytes;
    this.batchByteLength = 0;
    if (this.options.formats.includes('parquet')) {
      this.parquet ??= this.openParquet();
      this.parquet.stream.write(table);
    }
    if (this.arrowBatches) {
      this.arrowBatches.push(...table.batches);
      this.arrowBytes += bytes;
    }
  }

  private openParquet(): ParquetOutput {
    const file = new AtomicFile(this.path('parquet'));
    const output: ParquetOutput = { file, hash: createHash('sha256'), bytes: 0, stream: undefined as never };
    output.stream = new ParquetStreamWriter(this.rowsPerGroup, (bytes) => {
      if (this.discarded) return;
      file.append(bytes);
      output.hash.update(bytes);
      output.bytes += bytes.length;
    });
    output.stream.done.catch((error: Error) => {
      if (this.discarded) return;
      this.discard();
      this.options.onError?.(error);
    });
    return output;
  }

  private path(format: ShardFormat): string {
    return join(this.options.dir, ...this.relativePath(format).split('/'));
  }

  private relativePath(format: ShardFormat): string {
    const { split, writerId, index } = this.options;
    return `data/${split}/${shardFileName(split, writerId, index, format)}`;
  }

  private info(format: ShardFormat, bytes: number, sha256: string): ShardInfo {
    const { split, writerId, index } = this.options;
    const info: ShardInfo = {
      path: this.relativePath(format),
      split,
      format,
      writer: writerId,
      index,
      rows: this.rows,
      actions: this.actions,
      bytes,
      uncompressed_bytes: this.uncompressed,
      sha256,
    };
    if (this.firstEpisodeId !== undefined) info.first_episode_id = this.firstEpisodeId;
    if (this.lastEpisodeId !== undefined) info.last_episode_id = this.lastEpisodeId;
    return info;
  }
}

interface SplitState {
  shard: ShardFile | undefined;
  nextIndex: number;
}

/** A shard that was closed: being written until `infos` is set. */
interface ClosedShard {
  readonly done: Promise<ShardInfo[]>;
  /** while it is being written. */
  file: ShardFile | undefined;
  infos: ShardInfo[] | undefined;
}

export class ShardWriter {
  readonly dir: string;
  readonly writerId: string;
  readonly formats: readonly ShardFormat[];
  readonly shardTargetBytes: number;
  readonly rowGroupBytes: number;
  private readonly splits = new Map<Split, SplitState>();
  /** every shard closed so far, in close order. */
  private readonly closed: ClosedShard[] = [];
  /** `closed` up to here belongs to a flush() that has been called. */
  private claimed = 0;
  /** `closed` up to here is complete and listed in `shards`. */
  private listed = 0;
  private failure: Error | undefined;
  private readonly resume: boolean;

  constructor(options: ShardWriterOptions) {
    validateWriterId(options.writerId);
    const formats = [...new Set(options.formats ?? ['parquet'])];
    if (formats.length === 0 || formats.some((f) => !(SHARD_FORMATS as readonly string[]).includes(f))) {
      throw new Error(`formats must be a non-empty list of ${SHARD_FORMATS.join(', ')}`);
    }
    this.dir = options.dir;
    this.writerId = options.writerId;
    // parquet first whatever the order given, so the write order (and ShardInfo order) is fixed
    this.formats = SHARD_FORMATS.filter((f) => formats.includes(f));
    this.shardTargetBytes = positive(options.shardTargetBytes ?? 128 * MiB, 'shardTargetBytes');
    this.rowGroupBytes = positive(options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES, 'rowGroupBytes');
    this.resume = options.resume ?? false;
  }

  /**
   * The shards written by the time the last flush() resolved, in the order they were closed: a
   * flush lists exactly the shards closed before it was called, so what is listed matches the
   * state the caller saw then, even while rows keep arriving during the write.
   */
  get shards(): readonly ShardInfo[] {
    return this.closed.slice(0, this.listed).flatMap((c) => c.infos ?? []);
  }

  /** uncompressed bytes of rows held as JS columns, every split; at most about one batch per split for Parquet. */
  get bufferedBytes(): number {
    let bytes = 0;
    for (const state of this.splits.values()) bytes += state.shard?.bufferedBytes ?? 0;
    return bytes;
  }

  /**
   * Adds the row to its split's open shard (opened on first use). A shard whose rows reach
   * `shardTargetBytes` is closed and written in the background; a failure there is thrown here or
   * from flush().
   */
  add(row: EpisodeRow): void {
    this.throwIfFailed();
    const state = this.split(row.split);
    const shard = state.shard ?? this.newShard(row.split, state.nextIndex);
    // a refused first row leaves the new shard unused (it has nothing on disk yet)
    shard.add(row);
    if (!state.shard) {
      state.shard = shard;
      state.nextIndex++;
    }
    if (shard.uncompressedBytes >= this.shardTargetBytes) this.closeShard(state);
  }

  /**
   * Resolves once no split's encoder has more than a couple of batches waiting. The encoder runs
   * only when the caller yields: a producer that awaits this between input batches keeps wasm
   * memory (which never shrinks) at a few batches.
   */
  async drained(): Promise<void> {
    for (const state of this.splits.values()) {
      if (state.shard && state.shard.queuedBatches > MAX_QUEUED_BATCHES) await state.shard.taken();
    }
  }

  /**
   * Closes every split's open shard (splits in a fixed order) and resolves with them once they,
   * and every shard closed before, are written. Rows added meanwhile go to new shards.
   */
  async flush(): Promise<ShardInfo[]> {
    this.throwIfFailed();
    const mine: ClosedShard[] = [];
    for (const split of SPLITS) {
      const state = this.splits.get(split);
      if (state?.shard) mine.push(this.closeShard(state));
    }
    const through = this.closed.length;
    this.claimed = through;
    await Promise.all(this.closed.slice(this.listed, through).map((c) => c.done));
    this.listed = Math.max(this.listed, through);
    return mine.flatMap((c) => c.infos!);
  }

  /**
   * Drops what is not yet handed to a flush(): the open shards and those rotated since, their temp
   * files removed and nothing renamed (a revoked Kafka partition). Shards a pending flush() waits
   * for are still written. The writer takes no rows afterwards.
   */
  discard(): void {
    this.failure ??= new Error(`shard writer ${this.writerId} was discarded`);
    for (const state of this.splits.values()) {
      state.shard?.discard();
      state.shard = undefined;
    }
    for (const unclaimed of this.closed.splice(this.claimed)) unclaimed.file?.discard();
  }

  private split(split: Split): SplitState {
    let state = this.splits.get(split);
    if (!state) {
      if (!SPLITS.includes(split)) throw new Error(`unknown split ${JSON.stringify(split)}`);
      ensureDir(this.splitDir(split));
      state = { shard: undefined, nextIndex: this.resume ? this.nextExistingIndex(split) : 0 };
      this.splits.set(split, state);
    }
    return state;
  }

  private newShard(split: Split, index: number): ShardFile {
    return new ShardFile({
      dir: this.dir,
      split,
      writerId: this.writerId,
      index,
      formats: this.formats,
      rowGroupBytes: this.rowGroupBytes,
      onError: (error) => (this.failure ??= error),
    });
  }

  private closeShard(state: SplitState): ClosedShard {
    const file = state.shard!;
    state.shard = undefined;
    const closed: ClosedShard = { file, infos: undefined, done: file.close() };
    closed.done.then(
      (infos) => {
        closed.infos = infos;
        closed.file = undefined;
      },
      (error: Error) => {
        this.failure ??= error;
        closed.file = undefined;
      },
    );
    this.closed.push(closed);
    return closed;
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  private splitDir(split: Split): string {
    return join(this.dir, 'data', split);
  }

  private nextExistingIndex(split: Split): number {
    const prefix = `${split}-${this.writerId}-`;
    let next = 0;
    for (const name of readdirSync(this.splitDir(split))) {
      if (!name.startsWith(prefix)) continue;
      const match = /^(\d{5,})\.(parquet|arrow)$/.exec(name.slice(prefix.length));
      if (match) next = Math.max(next, Number(match[1]) + 1);
    }
    return next;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
