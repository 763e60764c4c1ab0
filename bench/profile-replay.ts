// Driver for `node --cpu-prof`: one replay of an existing stream, timed, nothing else.
//   node --import tsx bench/profile-replay.ts EVENTS.avro REGISTRY.jsonl OUT_DIR
// For real line numbers bundle it first (tsx maps every function to line 1):
//   npx esbuild bench/profile-replay.ts --bundle --platform=node --format=esm --outfile=/tmp/p.mjs \
//     --external:parquet-wasm --external:apache-arrow --external:avsc --external:yaml --external:zod
//   node --cpu-prof --cpu-prof-dir=/tmp/prof /tmp/p.mjs EVENTS.avro REGISTRY.jsonl OUT_DIR
import { DEFAULT_CONFIG_PATH, loadConfig } from '../src/config.ts';
import { replay } from '../src/replay.ts';

const [input, registry, out] = process.argv.slice(2);
if (!input || !registry || !out) throw new Error('usage: profile-replay.ts EVENTS REGISTRY OUT');
const config = loadConfig(DEFAULT_CONFIG_PATH);
const started = performance.now();
const summary = await replay({ config, input, registry, out, pseudonymKey: 'profile-key-profile-key-profile-key-0000' });
const seconds = (performance.now() - started) / 1000;
const n = summary.counters.records_in;
console.log(`${n} events in ${seconds.toFixed(2)} s: ${Math.round(n / seconds).toLocaleString('en-US')} events/s; episodes ${summary.counters.episodes_written}, actions ${summary.counters.actions_written}`);
