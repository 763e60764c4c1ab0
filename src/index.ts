// The entry of the bundle the CLI runs (dist/episodic.mjs, see bin/episodic.js), and what a
// program that embeds episodic imports: the CLI, a file replay, the config and the process tuning.
export { main } from './cli.ts';
export { replay, type ReplayOptions, type ReplaySummary } from './replay.ts';
export { loadConfig, parseConfig, DEFAULT_CONFIG_PATH } from './config.ts';
export { tuneHeapForStreaming } from './runtime.ts';
