#!/usr/bin/env node
// `npx episodic` from a fresh clone, no build step: runs the bundle of src/, built on first use
// and whenever a source changed (see bin/bundle.js).
import { loadEpisodic } from './bundle.js';

const { main, tuneHeapForStreaming } = await loadEpisodic();
try {
  tuneHeapForStreaming();
} catch (error) {
  process.stderr.write(`episodic: ${error.message}\n`);
  process.exit(2);
}
const code = await main(process.argv.slice(2));
process.exit(code);
