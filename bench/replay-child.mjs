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
/** CPU seconds of this thread (utime + stime from /proc, in clock ticks of 10 ms); null off Linux. */
function threadCpuSeconds() {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    // after the command name: state is field 3 of stat(5), utime and stime are 14 and 15
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
const config = loadConfig();
const cpuAtStart = process.cpuUsage();
const mainCpuAtStart = threadCpuSeconds();
const start = performance.now();
const summary = await replay({ config, input: task.input, registry: task.registry, out: task.out, pseudonymKey: task.key, onProgress });
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const mainCpuAtEnd = threadCpuSeconds();
const events = summary.counters.records_in;
const manifest = JSON.parse(readFileSync(summary.manifestPath, 'utf8'));
console.log(
  JSON.stringify({
    events,
    seconds,
    events_per_s: events / seconds,
    // "per core": the CPU the process spent, V8's collector and compiler threads included, and
    // the main thread's own (the one that runs the pipeline)
    cpu_s: cpuSeconds,
    events_per_cpu_s: events / cpuSeconds,
    main_thread_cpu_s: mainCpuAtStart === null ? null : mainCpuAtEnd - mainCpuAtStart,
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
