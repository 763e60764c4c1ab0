// Reads a dataset back the way a user would (every shard the manifest lists) and condenses it
// into a summary that fixture expectations are compared against.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readShardTable } from '../../src/inspect.ts';

export type Row = Record<string, unknown>;

function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'object') {
    const v = value as { toArray?: () => unknown[]; toJSON?: () => unknown; [Symbol.iterator]?: unknown };
    if (typeof v.toJSON === 'function' && !Array.isArray(value)) {
      const json = v.toJSON();
      if (Array.isArray(json)) return json.map(plain);
      if (json && typeof json === 'object') return Object.fromEntries(Object.entries(json).map(([k, x]) => [k, plain(x)]));
      return json;
    }
    if (Array.isArray(value)) return value.map(plain);
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, plain(x)]));
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return Math.round(value * 1e6) / 1e6;
  return value;
}

/** Every row of every Parquet shard of the dataset, as plain JSON values, sorted by episode id. */
export function readDatasetRows(dir: string): Row[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const rows: Row[] = [];
  for (const shard of manifest.shards as { path: string; format?: string }[]) {
    if (shard.format && shard.format !== 'parquet') continue;
    const table = readShardTable(join(dir, shard.path));
    for (const row of table) rows.push(plain(row) as Row);
  }
  return rows.sort((a, b) => String(a.episode_id).localeCompare(String(b.episode_id)));
}

export function rowDigest(row: Row): string {
  return createHash('sha256').update(JSON.stringify(row)).digest('hex').slice(0, 16);
}

export interface DatasetSummary {
  episodes: {
    episode_id: string;
    split: string;
    end_reason: string;
    n_events: number;
    n_actions: number;
    kinds: string;
    digest: string;
  }[];
  dropped: Record<string, number>;
  privacy: unknown;
}

const KIND_LETTER: Record<string, string> = {
  click: 'c', double_click: 'C', triple_click: 'T', right_click: 'r', middle_click: 'm',
  drag: 'd', scroll: 's', type: 't', key: 'k', hotkey: 'h',
};

export function summarizeDataset(dir: string): DatasetSummary {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return {
    episodes: readDatasetRows(dir).map((row) => ({
      episode_id: row.episode_id as string,
      split: row.split as string,
      end_reason: row.end_reason as string,
      n_events: row.n_events as number,
      n_actions: row.n_actions as number,
      kinds: (row.actions as { kind: string }[]).map((a) => KIND_LETTER[a.kind] ?? '?').join(''),
      digest: rowDigest(row),
    })),
    dropped: manifest.dropped,
    privacy: manifest.privacy,
  };
}
