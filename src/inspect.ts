// `episodic inspect`: what a dataset or a shard holds, in aggregate only (no per-person figures:
// the data is for agent training, never for watching people).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { IDENTITY_FILE, isDataset } from './shards/dataset-identity.ts';

export interface ShardSummary {
  rows: number;
  actions: number;
  action_kinds: Record<string, number>;
  end_reasons: Record<string, number>;
  apps: Record<string, number>;
  redacted_actions: Record<string, number>;
  columns: string[];
}

export interface Inspection {
  path: string;
  kind: 'dataset' | 'shard';
  manifest?: Record<string, any>;
  summary: ShardSummary;
}

function emptySummary(): ShardSummary {
  return { rows: 0, actions: 0, action_kinds: {}, end_reasons: {}, apps: {}, redacted_actions: {}, columns: [] };
}

function bump(counts: Record<string, number>, key: string | null | undefined, n = 1): void {
  if (key === null || key === undefined) return;
  counts[key] = (counts[key] ?? 0) + n;
}

export function readShardTable(path: string): Table {
  const bytes = new Uint8Array(readFileSync(path));
  if (path.endsWith('.arrow')) return tableFromIPC(bytes);
  return tableFromIPC(readParquet(bytes).intoIPCStream());
}

/** A file given to inspect as a shard: read, or refused with what it is not. */
function readGivenShard(path: string): Table {
  const problem = `${path} is not an episodic shard or dataset: inspect takes a dataset directory, or one .parquet or .arrow shard file`;
  if (!path.endsWith('.parquet') && !path.endsWith('.arrow')) throw new Error(problem);
  let table: Table;
  try {
    table = readShardTable(path);
  } catch (error) {
    throw new Error(`${problem} (${(error as Error).message})`);
  }
  if (table.schema.fields.length === 0 || !table.schema.fields.some((f) => f.name === 'episode_id')) throw new Error(`${problem} (it has no episode_id column)`);
  return table;
}

function summarizeInto(summary: ShardSummary, table: Table): void {
  summary.rows += table.numRows;
  summary.columns = table.schema.fields.map((f) => f.name);
  const endReasons = table.getChild('end_reason');
  const apps = table.getChild('apps');
  const actions = table.getChild('actions');
  for (let i = 0; i < table.numRows; i++) {
    bump(summary.end_reasons, endReasons?.get(i));
    const appList = apps?.get(i);
    if (appList) for (const app of appList) bump(summary.apps, app);
    const list = actions?.get(i);
    if (!list) continue;
    const kinds = list.getChild('kind');
    const redacted = list.getChild('redacted');
    summary.actions += list.length;
    for (let j = 0; j < list.length; j++) {
      bump(summary.action_kinds, kinds.get(j));
      bump(summary.redacted_actions, redacted?.get(j));
    }
  }
}

export function inspectPath(path: string): Inspection {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  const summary = emptySummary();
  if (statSync(path).isDirectory()) {
    const manifestPath = join(path, 'manifest.json');
    if (!isDataset(path) || !existsSync(manifestPath)) {
      throw new Error(`${path} is not an episodic dataset (no ${IDENTITY_FILE} or episodic manifest.json), or one that has no manifest yet`);
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const shard of manifest.shards as { path: string; format?: string }[]) {
      if (shard.format && shard.format !== 'parquet') continue;
      summarizeInto(summary, readShardTable(join(path, shard.path)));
    }
    return { path, kind: 'dataset', manifest, summary };
  }
  summarizeInto(summary, readGivenShard(path));
  return { path, kind: 'shard', summary };
}

function table(counts: Record<string, number>, indent = '  '): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return `${indent}(none)`;
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${indent}${k.padEnd(width)}  ${v.toLocaleString('en-US')}`).join('\n');
}

export function formatInspection(inspection: Inspection, options: { privacy?: boolean } = {}): string {
  const { summary, manifest } = inspection;
  const lines: string[] = [];
  if (inspection.kind === 'dataset' && manifest) {
    lines.push(`dataset ${inspection.path}`);
    if (manifest.purpose) lines.push(`purpose: ${manifest.purpose}`);
    lines.push(`schema version ${manifest.schema_version}, config ${manifest.config_hash}`);
    lines.push('splits:');
    for (const [split, s] of Object.entries(manifest.splits ?? {}) as [string, any][]) {
      lines.push(`  ${split.padEnd(10)} ${String(s.rows).padStart(8)} episodes in ${s.shards} shard(s), ${s.bytes.toLocaleString('en-US')} bytes`);
    }
    if (manifest.dropped) lines.push('dropped:', table(manifest.dropped));
  } else {
    lines.push(`shard ${inspection.path}`);
    lines.push(`columns: ${summary.columns.join(', ')}`);
  }
  lines.push(`episodes: ${summary.rows.toLocaleString('en-US')}, actions: ${summary.actions.toLocaleString('en-US')}`);
  lines.push('actions by kind:', table(summary.action_kinds));
  lines.push('episodes by end reason:', table(summary.end_reasons));
  lines.push('episodes by app:', table(summary.apps));
  if (options.privacy || inspection.kind === 'shard') lines.push('actions with content removed:', table(summary.redacted_actions));
  if (options.privacy && manifest?.privacy) {
    lines.push('privacy audit (aggregate):');
    for (const [section, counts] of Object.entries(manifest.privacy) as [string, any][]) {
      if (counts && typeof counts === 'object') lines.push(`  ${section}:`, table(counts, '    '));
      else lines.push(`  ${section}: ${counts}`);
    }
  }
  return lines.join('\n');
}
