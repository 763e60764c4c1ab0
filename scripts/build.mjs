#!/usr/bin/env node
// `npm run build`: bundles src/ into dist/episodic.mjs, what bin/episodic.js runs. Optional: the
// CLI builds the bundle itself whenever a source is newer.
import { BUNDLE, buildBundle } from '../bin/bundle.js';

await buildBundle();
console.log(`built ${BUNDLE}`);
