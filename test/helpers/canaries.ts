// What no log line may hold, from fixtures/privacy-canaries: its canary strings, every raw id of
// the input (people, devices, chat participants), and anyone's pseudonym. Logs are stricter than
// the dataset, which keeps the pseudonyms of the people it captures: a log line needs none.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputEvent, RegistryRecord } from '../../src/contract/events.ts';
import { FIXTURES_DIR, FIXTURE_KEY } from './fixtures.ts';

export const CANARY_FIXTURE = join(FIXTURES_DIR, 'privacy-canaries');

const jsonl = <T>(file: string): T[] =>
  readFileSync(join(CANARY_FIXTURE, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);

function forbiddenInLogs(): string[] {
  const { canaries } = JSON.parse(readFileSync(join(CANARY_FIXTURE, 'canaries.json'), 'utf8')) as { canaries: string[] };
  const events = jsonl<InputEvent>('events.jsonl');
  const registry = jsonl<RegistryRecord>('registry.jsonl');
  const rawIds = new Set<string>([
    ...events.flatMap((e) => [e.user_id, e.device_id, ...(e.context?.participants ?? [])]),
    ...registry.map((r) => r.user_id),
  ]);
  const pseudonym = (rawId: string) => createHmac('sha256', FIXTURE_KEY).update(rawId, 'utf8').digest('hex');
  return [...canaries, ...rawIds, ...[...rawIds].map(pseudonym), ...[...rawIds].map((id) => pseudonym(id).slice(0, 16))].filter(Boolean);
}

const FORBIDDEN = forbiddenInLogs();
/** Lowercase letters and digits only: also finds a canary that lost its dashes on the way. */
const folded = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The forbidden strings that appear in `text`. */
export function logLeaks(text: string): string[] {
  const foldedText = folded(text);
  return FORBIDDEN.filter((needle) => text.includes(needle) || foldedText.includes(folded(needle)));
}
