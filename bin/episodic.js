#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so `npx episodic` works from a fresh clone without a build step.
import { register } from 'tsx/esm/api';

register();
const { tuneHeapForStreaming } = await import('../src/runtime.ts');
tuneHeapForStreaming();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
process.exit(code);
