// Micro-benchmark of the shard stage: encode synthetic episodes to Arrow columns, then write
// Parquet shards with ShardWriter. Prints throughput in actions/s for each step.
//   npx tsx bench/encode.ts [episodes=200000] [actionsPerEpisode=5]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blankAction, type Action, type EpisodeRow } from '../src/contract/episode.ts';
import { encodeEpisodes } from '../src/shards/columns.ts';
import { ShardWriter } from '../src/shards/writer.ts';

const episodes = Number(process.argv[2] ?? 200_000);
const actionsPerEpisode = Number(process.argv[3] ?? 5);

function syntheticRow(i: number): EpisodeRow {
  const actions: Action[] = [];
  for (let j = 0; j < actionsPerEpisode; j++) {
    const typing = j % 3 === 2;
    actions.push({
      ...blankAction(typing ? 'type' : 'click', j * 700),
      duration_ms: 90,
      x: typing ? null : 100 + j,
      y: typing ? null : 200 + j,
      nx: typing ? null : 0.1,
      ny: typing ? null : 0.2,
      text: typing ? `hello world ${i}` : null,
      key_times_ms: typing ? [0, 80, 160, 240] : null,
      path: typing ? [] : [{ x: 90, y: 190, t_ms: j * 700 - 200 }, { x: 100 + j, y: 200 + j, t_ms: j * 700 - 20 }],
      context: 0,
    });
  }
  return {
    episode_id: `ep-${i.toString(16).padStart(12, '0')}`,
    user: `u-${i % 1000}`,
    device: `d-${i % 1500}`,
    split: i % 20 === 0 ? 'validation' : i % 20 === 1 ? 'test' : 'train',
    start_day: '2024-06-01',
    duration_ms: 60_000,
    end_reason: 'gap',
    continues: null,
    screen_width: 1920,
    screen_height: 1080,
    apps: ['Code', 'Firefox'],
    contexts: [{ app: 'Code', title: 'main.ts — episodic', url: null, eu_linked: false }],
    n_events: 40 * actionsPerEpisode,
    n_actions: actionsPerEpisode,
    actions,
  };
}

// Rows share their action lists among 1024 templates: a heap holding a million distinct action
// objects would make the run measure V8's full GCs of the fixture, not the encoder. Every row
// is still encoded field by field.
const templates = Array.from({ length: 1024 }, (_, i) => syntheticRow(i));
const rows = Array.from({ length: episodes }, (_, i) => ({ ...templates[i & 1023], episode_id: `ep-${i.toString(16).padStart(12, '0')}` }));
const totalActions = episodes * actionsPerEpisode;
const rate = (ms: number) => `${Math.round(totalActions / (ms / 1000)).toLocaleString('en-US')} actions/s`;

let start = performance.now();
const table = encodeEpisodes(rows);
const encodeMs = performance.now() - start;
console.log(`encode  ${episodes} episodes, ${totalActions} actions: ${encodeMs.toFixed(0)} ms, ${rate(encodeMs)} (${table.numRows} rows)`);

const dir = mkdtempSync(join(tmpdir(), 'episodic-bench-'));
try {
  start = performance.now();
  const writer = new ShardWriter({ dir, writerId: 'bench', formats: ['parquet'] });
  for (const row of rows) writer.add(row);
  await writer.flush();
  const writeMs = performance.now() - start;
  const bytes = writer.shards.reduce((n, s) => n + s.bytes, 0);
  const raw = writer.shards.reduce((n, s) => n + s.uncompressed_bytes, 0);
  console.log(
    `write   ${writer.shards.length} parquet shards, ${(bytes / 1048576).toFixed(1)} MiB (${(raw / 1048576).toFixed(1)} MiB uncompressed): ${writeMs.toFixed(0)} ms, ${rate(writeMs)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
