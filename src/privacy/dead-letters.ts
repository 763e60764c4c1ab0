// Dead letters hold raw input (an event that did not decode may still carry what someone typed),
// so they are the person's data too: an erasure removes theirs. The file beside the dataset is
// rewritten without them; the Kafka dead-letter topic cannot be rewritten (see erase.ts).
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../shards/atomic.ts';

/**
 * Whether the dead letter (one JSON line of a dead-letter file) may be the person's. A record
 * that parses as an object with a string `user_id` is theirs when that id is theirs; anything
 * else (an unparsable line, a binary record kept as base64, a record whose user_id is broken) is
 * taken as theirs when their raw id appears anywhere in it: what cannot be read is read the
 * restrictive way.
 */
export function isPersonsDeadLetter(line: string, rawUserId: string): boolean {
  let raw: unknown;
  try {
    raw = (JSON.parse(line) as { raw?: unknown }).raw;
  } catch {
    return line.includes(rawUserId);
  }
  if (typeof raw !== 'string') return line.includes(rawUserId);
  try {
    const record = JSON.parse(raw) as { user_id?: unknown } | null;
    if (record !== null && typeof record === 'object' && typeof record.user_id === 'string') return record.user_id === rawUserId;
  } catch {
    // not JSON: a binary record (base64) or a line that did not parse
  }
  if (raw.includes(rawUserId)) return true;
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : undefined;
  return bytes !== undefined && bytes.includes(Buffer.from(rawUserId, 'utf8'));
}

/** Rewrites the dead-letter file at `path` without the person's letters (0600, atomically); returns how many were removed. */
export function eraseDeadLetters(path: string, rawUserId: string): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
  const kept = lines.filter((line) => !isPersonsDeadLetter(line, rawUserId));
  const removed = lines.length - kept.length;
  if (removed > 0) writeFileAtomic(path, kept.map((line) => `${line}\n`).join(''), 0o600);
  return removed;
}
