// Where replay allocates: V8's sampling heap profiler over one replay, counting what the young
// generation collected too (node's --heap-prof keeps only what is still alive at the end), as bytes
// per replayed event by the function that allocated them. Allocation is what the collector and the
// caches pay for, and `npm run bench:instructions` does not see it: fewer bytes per event can buy
// a quarter more events per CPU-second at an unchanged instruction count.
//   npm run bench:allocations                                # a generated stream of 1M events (seed 5, 32 devices)
//   npm run bench:allocations -- EVENTS.avro REGISTRY.jsonl [TOP]
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../src/config.ts';
import { replay } from '../src/replay.ts';
import { generateEvents, generateRegistry } from '../src/generate/generator.ts';
import { writeEventsAvro, writeRegistryJsonl } from '../src/sources/file.ts';

interface SampledNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampledNode[];
}

const work = mkdtempSync(join(tmpdir(), 'episodic-allocations-'));
let [input, registry] = process.argv.slice(2);
const top = process.argv[4] ?? '20';
if (!input || !registry) {
  // the bench's throughput stream, smaller
  const options = { seed: 5, devices: 32, events: 1_000_000 };
  input = join(work, 'events.avro');
  registry = join(work, 'registry.jsonl');
  await writeRegistryJsonl(registry, generateRegistry(options));
  await writeEventsAvro(input, generateEvents(options), 'deflate');
}
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
// one sample per 4 KiB allocated on average: enough for a few million events
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const out = join(work, 'out');
const summary = await replay({ config: loadConfig(DEFAULT_CONFIG_PATH), input, registry, out, pseudonymKey: 'profile-key-profile-key-profile-key-0000' });
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SampledNode } };
rmSync(work, { recursive: true, force: true });

const bytesBySite = new Map<string, number>();
let total = 0;
const walk = (node: SampledNode): void => {
  if (node.selfSize > 0) {
    const { functionName, url, lineNumber } = node.callFrame;
    // tsx maps every function of a source to line 1: the function and the file name it
    const site = `${functionName || '(anonymous)'} ${url.split('/').pop()}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}`;
    bytesBySite.set(site, (bytesBySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
  }
  for (const child of node.children) walk(child);
};
walk(profile.head);
const events = summary.counters.records_in;
console.log(`${events.toLocaleString('en-US')} events: ${(total / events).toFixed(0)} bytes allocated per event (sampled), by where`);
for (const [site, bytes] of [...bytesBySite].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
  console.log(`${(bytes / events).toFixed(1).padStart(8)}  ${site}`);
}
