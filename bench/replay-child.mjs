// The bench's replay measurements (replay throughput, memory, scaling) run here, in a child that
// runs the product as it ships: the bundle bin/episodic.js runs (dist/episodic.mjs), with no
// TypeScript loader in the process, so peak RSS is what an operator's `episodic replay` would show.
// Usage: node bench/replay-child.mjs '{"input": ..., "registry": ..., "out": ..., "key": ..., "sampleOpenDevices": bool}'
//        node bench/replay-child.mjs '{"baseline": true}'   (the modules loaded, nothing run)
import { readFileSync } from 'node:fs';
import { wasmMemory } from 'parquet-wasm';
import { loadEpisodic } from '../bin/bundle.js';

const task = JSON.parse(process.argv[2]);
const { loadConfig, replay, tuneHeapForStreaming } = await loadEpisodic();
// the process settings `episodic` (bin/episodic.js) starts with
tuneHeapForStreaming();
const mib = (bytes) => bytes / (1024 * 1024);
if (task.baseline) {
  console.log(JSON.stringify({ peak_rss_mib: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

let sampledAt = 0;
let openDevicesPeak = 0;
// where the memory is while reading: the JS heap (open state as objects) and array buffers
// (packed actions, batches); the wasm memory the encoder grew to is read at the end
let heapUsedPeak = 0;
let arrayBuffersPeak = 0;
// counting open devices walks all of them, and memoryUsage the heap's spaces: every ~32k records
const onProgress = task.sampleOpenDevices
  ? (records, pipeline) => {
      if (records - sampledAt < 32_768 && sampledAt > 0) return;
      sampledAt = records;
      openDevicesPeak = Math.max(openDevicesPeak, pipeline.openDevices);
      const memory = process.memoryUsage();
      heapUsedPeak = Math.max(heapUsedPeak, memory.heapUsed);
      arrayBuffersPeak = Math.max(arrayBuffersPeak, memory.arrayBuffers);
    }
  : undefined;
const config = loadConfig();
const start = performance.now();
const summary = await replay({ config, input: task.input, registry: task.registry, out: task.out, pseudonymKey: task.key, onProgress });
const seconds = (performance.now() - start) / 1000;
const events = summary.counters.records_in;
const manifest = JSON.parse(readFileSync(summary.manifestPath, 'utf8'));
console.log(
  JSON.stringify({
    events,
    seconds,
    events_per_s: events / seconds,
    // maxRSS is in KiB
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    open_devices_peak: openDevicesPeak,
    reading_heap_used_peak_mib: mib(heapUsedPeak),
    reading_array_buffers_peak_mib: mib(arrayBuffersPeak),
    wasm_memory_mib: mib(wasmMemory().buffer.byteLength),
    counters: summary.counters,
    parquet_mib: mib((manifest.shards ?? []).reduce((n, s) => n + s.bytes, 0)),
  }),
);
