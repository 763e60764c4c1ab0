// The version the CLI reports (`episodic --version`, the startup log line): package.json's, the one source of it.
import { readFileSync } from 'node:fs';
import { projectFile } from './project-files.ts';

let cached: string | undefined;

export function version(): string {
  cached ??= (JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
