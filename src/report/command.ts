// `episodic report DATASET [--out FILE]`: reads a dataset shard by shard and writes the HTML report
// beside it (or to --out), atomically.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readShardTable } from '../inspect.ts';
import { writeFileAtomic } from '../shards/atomic.ts';
import { MANIFEST_FILE } from '../shards/manifest.ts';
import { ruleText } from '../privacy/rule-text.ts';
import { UsageError } from '../usage-error.ts';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config.ts';
import { parseDatasetLocation } from '../stores/location.ts';
import { readRemoteDataset } from '../stores/remote-dataset.ts';
import { ReportBuilder, type ReportData } from './data.ts';
import { renderReport, type ChartLibrary } from './html.ts';

export const DEFAULT_SAMPLE_SIZE = 12;
const TOP_APPS = 15;
const FRAME_TYPES: Readonly<Record<string, string>> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

/** A file of an installed package, found from its entry point (the packages do not export their browser builds). */
function packageFile(name: string, file: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package folder of ${name}`);
    dir = parent;
  }
  return readFileSync(join(dir, file), 'utf8');
}

/** Observable Plot and the d3 build it runs on, read from node_modules to be inlined. */
export function chartLibrary(): ChartLibrary {
  return { scripts: [packageFile('d3', 'dist/d3.min.js'), packageFile('@observablehq/plot', 'dist/plot.umd.min.js')] };
}

/**
 * A frame the dataset holds, as a data: URI. Frames are only ever read from inside the dataset
 * (its `frames/` folder, by the opaque id the `frame_uri` column gives), never from a path or URL
 * an action names.
 */
export function datasetFrames(dataset: string): (frameUri: string) => string | undefined {
  const folder = join(dataset, 'frames');
  if (!existsSync(folder)) return () => undefined;
  return (id) => {
    if (!/^[A-Za-z0-9_-]{1,128}(\.[a-z]{3,4})?$/.test(id)) return undefined;
    const candidates = extname(id) ? [id] : Object.keys(FRAME_TYPES).map((ext) => id + ext);
    for (const name of candidates) {
      const path = join(folder, name);
      if (existsSync(path)) return `data:${FRAME_TYPES[extname(name)] ?? 'application/octet-stream'};base64,${readFileSync(path).toString('base64')}`;
    }
    return undefined;
  };
}

export interface ReportSettings {
  sampleSize?: number;
  seed?: string;
}

/** Aggregates and the sample of one dataset directory. */
export function buildReportData(dataset: string, settings: ReportSettings = {}): ReportData {
  const manifestPath = join(dataset, MANIFEST_FILE);
  if (!existsSync(dataset) || !statSync(dataset).isDirectory()) throw new UsageError(`${dataset} is not a directory: report needs a dataset directory`);
  if (!existsSync(manifestPath)) throw new UsageError(`${dataset} holds no ${MANIFEST_FILE}: not an episodic dataset`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.created_by !== 'episodic' || !Array.isArray(manifest.shards)) {
    throw new UsageError(`${manifestPath} is not an episodic manifest`);
  }
  const builder = new ReportBuilder({
    sampleSize: settings.sampleSize ?? DEFAULT_SAMPLE_SIZE,
    seed: settings.seed ?? 'episodic-report',
    topApps: TOP_APPS,
    frameDataUri: datasetFrames(dataset),
    ruleText,
  });
  for (const shard of manifest.shards as { path: string; split: string; format?: string }[]) {
    if (shard.format && shard.format !== 'parquet') continue;
    builder.addTable(readShardTable(join(dataset, shard.path)), shard.split);
  }
  return builder.finish(manifest);
}

/** Writes the report of `dataset` to `out`; returns the path written. */
export function writeReport(dataset: string, out: string, settings: ReportSettings = {}): string {
  const html = renderReport(buildReportData(dataset, settings), chartLibrary(), basename(dataset));
  writeFileAtomic(out, html);
  return out;
}

/** Where the report goes by default: beside the dataset, never inside it. */
export function defaultReportPath(dataset: string): string {
  return join(dirname(dataset), `${basename(dataset)}.report.html`);
}

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, sample: { type: 'string' }, seed: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('report needs one dataset directory');
  let sampleSize = DEFAULT_SAMPLE_SIZE;
  if (values.sample !== undefined) {
    if (!/^\d+$/.test(values.sample) || Number(values.sample) > 1000) throw new UsageError(`--sample must be a whole number from 0 to 1000, not '${values.sample}'`);
    sampleSize = Number(values.sample);
  }
  const location = parseDatasetLocation(positionals[0]);
  if (location.kind === 's3') {
    const out = resolve(values.out ?? `${location.prefix.split('/').pop() || location.bucket}.report.html`);
    const config = loadConfig(DEFAULT_CONFIG_PATH);
    await readRemoteDataset(location, config, (dir) => {
      writeFileAtomic(out, renderReport(buildReportData(dir, { sampleSize, seed: values.seed }), chartLibrary(), location.uri));
    });
    console.log(`report:       ${out}`);
    return 0;
  }
  const dataset = resolve(location.path);
  const out = resolve(values.out ?? defaultReportPath(dataset));
  writeReport(dataset, out, { sampleSize, seed: values.seed });
  console.log(`report:       ${out}`);
  return 0;
}
