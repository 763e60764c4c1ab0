// The imperative shell around the encoder: buffers rows per split, rotates shards by estimated
// uncompressed size, and writes each shard atomically under a deterministic name. The same rows
// added in the same order give the same files, byte for byte, so a replay rewrites what it wrote.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { SPLITS, type EpisodeRow, type Split } from '../contract/episode.ts';
import { EpisodeColumns } from './columns.ts';
import { tableToParquet } from './parquet.ts';
import { ensureDir, writeFileAtomic } from './atomic.ts';

const MiB = 1024 * 1024;

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
  /** rotate once a split's buffered rows reach this many uncompressed bytes. */
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

interface SplitBuffer {
  columns: EpisodeColumns;
  nextIndex: number;
  firstEpisodeId: string | undefined;
  lastEpisodeId: string | undefined;
}

export class ShardWriter {
  readonly dir: string;
  readonly writerId: string;
  readonly formats: readonly ShardFormat[];
  readonly shardTargetBytes: number;
  readonly rowGroupBytes: number;
  private readonly buffers = new Map<Split, SplitBuffer>();
  private readonly written: ShardInfo[] = [];
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
    this.rowGroupBytes = positive(options.rowGroupBytes ?? 64 * MiB, 'rowGroupBytes');
    this.resume = options.resume ?? false;
  }

  /** every shard file written so far, in write order. */
  get shards(): readonly ShardInfo[] {
    return this.written;
  }

  /** rows added but not yet in a written shard. */
  get bufferedRows(): number {
    let rows = 0;
    for (const buffer of this.buffers.values()) rows += buffer.columns.rowCount;
    return rows;
  }

  /** Buffers the row; returns the shard files this add completed (empty unless its split rotated). */
  add(row: EpisodeRow): ShardInfo[] {
    const buffer = this.buffer(row.split);
    buffer.columns.append(row);
    buffer.firstEpisodeId ??= row.episode_id;
    buffer.lastEpisodeId = row.episode_id;
    if (buffer.columns.byteLength < this.shardTargetBytes) return [];
    return this.writeShard(row.split, buffer);
  }

  /** Writes every split's buffered rows as a (possibly small) shard; splits in a fixed order. */
  flush(): ShardInfo[] {
    const completed: ShardInfo[] = [];
    for (const split of SPLITS) {
      const buffer = this.buffers.get(split);
      if (buffer && buffer.columns.rowCount > 0) completed.push(...this.writeShard(split, buffer));
    }
    return completed;
  }

  private buffer(split: Split): SplitBuffer {
    let buffer = this.buffers.get(split);
    if (!buffer) {
      if (!SPLITS.includes(split)) throw new Error(`unknown split ${JSON.stringify(split)}`);
      ensureDir(this.splitDir(split));
      buffer = {
        columns: new EpisodeColumns(),
        nextIndex: this.resume ? this.nextExistingIndex(split) : 0,
        firstEpisodeId: undefined,
        lastEpisodeId: undefined,
      };
      this.buffers.set(split, buffer);
    }
    return buffer;
  }

  private writeShard(split: Split, buffer: SplitBuffer): ShardInfo[] {
    const rows = buffer.columns.rowCount;
    const actions = buffer.columns.actionsCount;
    const uncompressedBytes = buffer.columns.byteLength;
    const rowsPerGroup = Math.max(1, Math.floor(this.rowGroupBytes / (uncompressedBytes / rows)));
    const table = buffer.columns.finish();
    const index = buffer.nextIndex++;
    const firstEpisodeId = buffer.firstEpisodeId;
    const lastEpisodeId = buffer.lastEpisodeId;
    buffer.firstEpisodeId = buffer.lastEpisodeId = undefined;

    const infos: ShardInfo[] = [];
    for (const format of this.formats) {
      const bytes = format === 'parquet' ? tableToParquet(table, rowsPerGroup) : tableToIPC(table, 'file');
      const name = shardFileName(split, this.writerId, index, format);
      writeFileAtomic(join(this.splitDir(split), name), bytes);
      const info: ShardInfo = {
        path: `data/${split}/${name}`,
        split,
        format,
        writer: this.writerId,
        index,
        rows,
        actions,
        bytes: bytes.length,
        uncompressed_bytes: uncompressedBytes,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
      if (format === 'parquet') info.row_groups = Math.ceil(rows / rowsPerGroup);
      if (firstEpisodeId !== undefined) info.first_episode_id = firstEpisodeId;
      if (lastEpisodeId !== undefined) info.last_episode_id = lastEpisodeId;
      infos.push(info);
    }
    this.written.push(...infos);
    return infos;
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
