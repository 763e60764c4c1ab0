// Fixtures: small recorded streams in fixtures/<name>/ with the results a replay must give.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, DEFAULT_CONFIG_PATH } from '../../src/config.ts';
import { replay } from '../../src/replay.ts';
import { summarizeDataset, type DatasetSummary } from './dataset.ts';
import { tempDir } from './temp.ts';

export const FIXTURES_DIR = resolve(import.meta.dirname, '../../fixtures');
/** A key for fixtures only, so expected results are stable. Never use it for real data. */
export const FIXTURE_KEY = 'episodic-fixture-key-not-a-secret-0123456789';

export interface FixtureSpec {
  name: string;
  dir: string;
  description: string;
  input: string;
  registry?: string;
  config?: string;
  expected: string;
}

export function listFixtures(): FixtureSpec[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES_DIR, d.name, 'fixture.json')))
    .map((d) => {
      const dir = join(FIXTURES_DIR, d.name);
      const spec = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
      return { name: d.name, dir, expected: 'expected.json', ...spec };
    });
}

export interface FixtureResult {
  summary: DatasetSummary;
  deadLetters: { reason: string; offset: number }[];
  out: string;
}

export async function replayFixture(spec: FixtureSpec, out = tempDir(spec.name)): Promise<FixtureResult> {
  const config = loadConfig(spec.config ? join(spec.dir, spec.config) : DEFAULT_CONFIG_PATH);
  const deadLetterPath = join(out, 'dead-letter.jsonl');
  const dataset = join(out, 'dataset');
  await replay({
    config,
    input: join(spec.dir, spec.input),
    registry: spec.registry ? join(spec.dir, spec.registry) : undefined,
    out: dataset,
    deadLetterPath,
    pseudonymKey: FIXTURE_KEY,
  });
  const deadLetters = existsSync(deadLetterPath)
    ? readFileSync(deadLetterPath, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((d) => ({ reason: d.reason, offset: d.position.offset }))
    : [];
  return { summary: summarizeDataset(dataset), deadLetters, out: dataset };
}
