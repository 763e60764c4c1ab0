#!/usr/bin/env node
// Instructions per replayed event, counted by valgrind (cachegrind without its cache simulation):
// a yardstick for changes smaller than the wall-clock noise of a shared machine. Replay's wall
// time moves 10-15% from run to run here; this count about 2% (V8's collector still takes some
// decisions by the clock). node runs with --single-threaded, so that when the JIT tiers up and
// when the collector runs do not depend on other threads' timing. The count for the smaller
// stream is taken from the larger one's, so startup and fixed costs (module loading, the
// manifest, the card) drop out. It counts work, not time: a change that trades instructions for
// cache misses shows up in `npm run bench` only.
//   npm run bench:instructions                       # 100k and 300k events, about 90 s
//   npm run bench:instructions -- --events 50000,150000
// It runs the same child as the bench's replay measurements (bench/replay-child.mjs, the bundle).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { events: { type: 'string', default: '100000,300000' }, keep: { type: 'boolean', default: false } } });
const sizes = values.events.split(',').map(Number);
if (sizes.length !== 2 || !sizes.every((n) => Number.isInteger(n) && n > 0) || sizes[0] >= sizes[1]) {
  console.error('bench:instructions: --events takes two stream sizes, smaller first, e.g. 100000,300000');
  process.exit(2);
}
if (spawnSync('valgrind', ['--version']).status !== 0) {
  console.error('bench:instructions: valgrind is needed (apt-get install valgrind)');
  process.exit(2);
}

const run = (cmd, args, options = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.status !== 0) {
    console.error(`bench:instructions: ${cmd} ${args.slice(0, 4).join(' ')} failed (${r.status}):\n${(r.stderr ?? '').slice(-2000)}`);
    process.exit(1);
  }
  return r;
};

// the bundle the child loads, built now so that building it is not counted
run(process.execPath, ['scripts/build.mjs']);
const work = mkdtempSync(join(tmpdir(), 'episodic-instructions-'));
const counts = [];
for (const events of sizes) {
  const dir = join(work, `s-${events}`);
  run(process.execPath, ['bin/episodic.js', 'generate', '--seed', '5', '--devices', '32', '--events', String(events), '--out', dir, '--format', 'avro']);
  const task = { input: join(dir, 'events.avro'), registry: join(dir, 'registry.jsonl'), out: join(dir, 'out'), key: 'instructions-key-instructions-key-0000000' };
  const started = performance.now();
  const r = run('valgrind', [
    '--tool=cachegrind',
    '--cache-sim=no',
    '--cachegrind-out-file=/dev/null',
    // V8 writes and rewrites machine code in memory
    '--smc-check=all-non-file',
    process.execPath,
    '--single-threaded',
    'bench/replay-child.mjs',
    JSON.stringify(task),
  ]);
  const refs = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (!refs) {
    console.error(`bench:instructions: no instruction count in valgrind's output:\n${r.stderr.slice(-2000)}`);
    process.exit(1);
  }
  const instructions = Number(refs[1].replaceAll(',', ''));
  const replayed = JSON.parse(r.stdout.trim().split('\n').pop()).events;
  if (replayed !== events) throw new Error(`replayed ${replayed} events, generated ${events}`);
  counts.push(instructions);
  console.log(`${events.toLocaleString('en-US')} events: ${instructions.toLocaleString('en-US')} instructions (${((performance.now() - started) / 1000).toFixed(0)} s under valgrind)`);
}
if (!values.keep) rmSync(work, { recursive: true, force: true });
const perEvent = (counts[1] - counts[0]) / (sizes[1] - sizes[0]);
console.log(`replay: ${Math.round(perEvent).toLocaleString('en-US')} instructions per event (the difference of the two streams)`);
