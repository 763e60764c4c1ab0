// The CLI runs from one bundle of src/ (dist/episodic.mjs) rather than through a TypeScript loader:
// tsx in the process costs about 35 MiB of memory and a transpile of every module at each start.
// The bundle is built by esbuild (tsx's own dependency) whenever a source is newer than it, so a
// fresh clone, `npm ci` and an edited checkout all run current code; written to a temp file and
// renamed, so CLIs started at once may build it side by side.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = new URL('../', import.meta.url);
export const BUNDLE = fileURLToPath(new URL('dist/episodic.mjs', ROOT));
const SOURCES = fileURLToPath(new URL('src/', ROOT));
const ENTRY = fileURLToPath(new URL('src/index.ts', ROOT));

function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    const ms = entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs;
    if (ms > newest) newest = ms;
  }
  return newest;
}

function bundleIsCurrent() {
  let bundleMs;
  try {
    bundleMs = statSync(BUNDLE).mtimeMs;
  } catch {
    return false;
  }
  try {
    return bundleMs >= newestSourceMs(SOURCES);
  } catch {
    // no sources beside it (a packed install): the bundle is all there is
    return true;
  }
}

/** Builds dist/episodic.mjs from src/ (dependencies stay imports of node_modules). */
export async function buildBundle() {
  const esbuild = await import('esbuild');
  const temp = `${BUNDLE}.tmp-${process.pid}`;
  mkdirSync(fileURLToPath(new URL('dist/', ROOT)), { recursive: true });
  try {
    await esbuild.build({
      entryPoints: [ENTRY],
      outfile: temp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    renameSync(temp, BUNDLE);
  } finally {
    rmSync(temp, { force: true });
    await esbuild.stop();
  }
}

/**
 * The exports of src/index.ts: from the bundle, built first if a source is newer; through tsx when
 * it cannot be built (a read-only install, no esbuild).
 */
export async function loadEpisodic() {
  let built = bundleIsCurrent();
  if (!built) {
    try {
      await buildBundle();
      built = true;
    } catch (error) {
      if (process.env.EPISODIC_DEBUG) console.error('episodic: could not build dist/episodic.mjs, running the sources through tsx:', error);
    }
  }
  if (built) return import(BUNDLE);
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/index.ts');
}
