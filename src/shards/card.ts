// The dataset card (README.md beside data/): a Hugging Face YAML header that maps splits to files,
// then what an ML engineer needs to use the data without asking anyone: purpose, schema, loading
// snippets for the usual tools, split sizes, and what was dropped or redacted, in aggregate only.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SPLITS } from '../contract/episode.ts';
import { describeSchema, SCHEMA_VERSION_KEY } from './schema.ts';
import { writeFileAtomic } from './atomic.ts';
import type { Counts, Manifest } from './manifest.ts';

export const CARD_FILE = 'README.md';

export interface CardOptions {
  /** SPDX id or `other`; the data's licence is the operator's call. */
  license?: string;
}

export function renderDatasetCard(manifest: Manifest, options: CardOptions = {}): string {
  const format = manifest.formats[0] ?? 'parquet';
  const splits = SPLITS.filter((s) => manifest.splits[s].shards > 0);
  const bothFormats = manifest.formats.length > 1;
  const header = {
    pretty_name: manifest.dataset,
    license: options.license ?? 'other',
    task_categories: ['reinforcement-learning'],
    tags: ['computer-use', 'gui-agents', 'human-demonstrations', 'mouse-and-keyboard', 'episodic'],
    size_categories: [sizeCategory(manifest.totals.episodes ?? 0)],
    // Only splits with files: a pattern that matches nothing makes `load_dataset` fail. A dataset
    // with no episodes lists every split all the same, so `load_dataset(DIR)` says it found no data
    // files instead of reading manifest.json as a one-row train split.
    configs: [
      {
        config_name: 'default',
        data_files: (splits.length > 0 ? splits : SPLITS).map((split) => ({ split, path: `data/${split}/*.${format}` })),
      },
    ],
  };

  const splitRows = splits.map((s) => {
    const summary = manifest.splits[s];
    return [s, count(summary.rows), count(summary.actions), count(summary.shards), bytesText(summary.bytes)];
  });
  const schemaRows = describeSchema().map((c) => [
    `\`${c.path}\``,
    c.type,
    c.nullable ? 'yes' : 'no',
    c.description ?? '',
  ]);
  const dataFiles = splits.map((s) => `"${s}": "data/${s}/*.parquet"`).join(', ');
  const pyarrowRead = bothFormats
    ? [
        '# the split folders also hold .arrow files, so hand pyarrow the .parquet ones',
        'train = pq.read_table(sorted(glob.glob("data/train/*.parquet")))',
        'everything = pq.read_table(sorted(glob.glob("data/*/*.parquet")))',
      ]
    : ['train = pq.read_table("data/train")', 'everything = pq.read_table("data")  # all splits'];

  const lines = [
    '---',
    stringify(header).trimEnd(),
    '---',
    '',
    `# ${manifest.dataset}`,
    '',
    'Recordings of people operating their computers, reduced to the actions a computer-use agent',
    'would take (click, drag, scroll, type, key, hotkey), grouped into task episodes. One row per',
    'episode; its actions are a nested list in time order, with the simplified mouse path that led to',
    'each one. Every identifier is a pseudonym and every time is an offset from the episode start or',
    'a UTC day.',
    '',
    '## Purpose',
    '',
    `**${manifest.purpose}**`,
    '',
    'The people recorded are colleagues, not subjects: do not try to re-identify anyone, link',
    'episodes to people, or measure anyone\'s work with this data.',
    '',
    '## Splits',
    '',
    ...(splitRows.length
      ? table(['split', 'episodes', 'actions', 'shards', 'size'], splitRows)
      : ['This dataset has no episodes yet.']),
    '',
    'Splits are assigned by a hash of the user pseudonym, so no person appears in two splits.',
    '',
    '## Files',
    '',
    '```',
    'README.md          this card',
    'manifest.json      every shard with its rows, bytes and sha256; per-split sums; counters',
    ...splits.map((s) => `data/${s}/${s}-<writer>-<index>.${manifest.formats.join('|')}`),
    '```',
    '',
    `Parquet files are ${manifest.compression.parquet.toUpperCase()}-compressed.` +
      (manifest.formats.includes('arrow') ? ' The `.arrow` files are Arrow IPC files with the same rows.' : ''),
    `The schema version is in the file metadata under \`${SCHEMA_VERSION_KEY}\` (now ${manifest.schema_version}).`,
    'Files appear atomically: a file that is listed is complete.',
    '',
    '## Schema',
    '',
    'Nested fields are written with dots: `actions.path.x` is `x` of each point of each action\'s `path`.',
    '',
    ...table(['column', 'type', 'nullable', 'description'], schemaRows),
    '',
    '## Loading',
    '',
    'Paths are relative to this folder.',
    '',
    'pyarrow:',
    '',
    '```python',
    ...(bothFormats ? ['import glob', ''] : []),
    'import pyarrow.parquet as pq',
    '',
    ...pyarrowRead,
    'print(train.num_rows, train.schema)',
    '```',
    '',
    'Hugging Face `datasets` (the header of this card already maps the splits, so',
    '`load_dataset("path/to/this/folder")` works too):',
    '',
    '```python',
    'from datasets import load_dataset',
    '',
    `ds = load_dataset("parquet", data_files={${dataFiles}})`,
    '```',
    '',
    'DuckDB:',
    '',
    '```sql',
    'SELECT split, count(*) AS episodes, sum(n_actions) AS actions',
    "FROM read_parquet('data/*/*.parquet')",
    'GROUP BY split ORDER BY split;',
    '',
    '-- one row per action',
    'SELECT episode_id, a.kind, a.t_ms, a.x, a.y, a.text, a.key',
    "FROM (SELECT episode_id, unnest(actions) AS a FROM read_parquet('data/*/*.parquet'))",
    'LIMIT 20;',
    '```',
    '',
    'Polars:',
    '',
    '```python',
    'import polars as pl',
    '',
    'episodes = pl.read_parquet("data/train/*.parquet")',
    'actions = episodes.select("episode_id", "actions").explode("actions").unnest("actions")',
    '```',
    '',
    '## How it was made',
    '',
    'Built by `episodic` from captured input events: events were deduplicated and ordered per device,',
    'passed through a privacy gate (secure-input text removed, EU-linked and sensitive contexts',
    'redacted or excluded, exempt people left out), split into episodes at inactivity gaps, locks',
    'and pauses, and reduced to actions.',
    `Config hash: \`${manifest.config_hash}\`.`,
    '',
    ...countsSection('Totals', manifest.totals),
    ...countsSection('Dropped', manifest.dropped, 'What was left out, by reason (counts only).'),
    ...countsSection('Privacy', manifest.privacy, 'What the privacy gate did, by kind (counts only).'),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

export function writeDatasetCardAtomic(dir: string, manifest: Manifest, options?: CardOptions): string {
  const path = join(dir, CARD_FILE);
  writeFileAtomic(path, renderDatasetCard(manifest, options));
  return path;
}

function countsSection(title: string, counts: Counts, intro?: string): string[] {
  const rows: string[][] = [];
  for (const [key, value] of Object.entries(counts)) {
    if (typeof value === 'number') rows.push([key, count(value)]);
    else for (const [inner, n] of Object.entries(value)) rows.push([`${key}: ${inner}`, count(n)]);
  }
  if (rows.length === 0) return [];
  return [`### ${title}`, '', ...(intro ? [intro, ''] : []), ...table(['', 'count'], rows), ''];
}

function table(head: string[], rows: string[][]): string[] {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

const count = (n: number) => n.toLocaleString('en-US');

function bytesText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Hugging Face's size buckets. */
function sizeCategory(rows: number): string {
  const buckets: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
    [1e10, '1B<n<10B'],
    [1e11, '10B<n<100B'],
    [1e12, '100B<n<1T'],
  ];
  for (const [limit, name] of buckets) if (rows < limit) return name;
  return 'n>1T';
}
