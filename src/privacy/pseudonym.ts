// Pseudonyms for user and device ids: HMAC-SHA256 under a key that lives only in the environment.
// A plain hash of an employee id or hostname could be reversed by hashing the directory; with the
// key kept out of the dataset, a pseudonym links rows of one person and nothing more.
import { createHmac } from 'node:crypto';

/** Shortest key accepted: 32 characters, e.g. `openssl rand -hex 32` gives 64. */
export const MIN_PSEUDONYM_KEY_LENGTH = 32;

export class Pseudonymizer {
  // Bounded by the number of people and devices in the fleet, not by the number of events.
  private readonly cache = new Map<string, string>();

  /** The key length is enforced where keys come from (pseudonymKeyFromEnv); tests may use short ones. */
  constructor(private readonly key: string) {
    if (typeof key !== 'string' || key.length === 0) throw new Error('pseudonym key is empty');
  }

  /** Hex HMAC-SHA256 of the raw id: deterministic for one key, unlinkable without it. */
  of(rawId: string): string {
    let pseudonym = this.cache.get(rawId);
    if (pseudonym === undefined) {
      pseudonym = createHmac('sha256', this.key).update(rawId, 'utf8').digest('hex');
      this.cache.set(rawId, pseudonym);
    }
    return pseudonym;
  }
}

/** The pseudonym key from `env[envName]`; throws, naming the variable and the fix, when missing or short. */
export function pseudonymKeyFromEnv(envName: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = env[envName];
  if (key === undefined || key.trim().length === 0) {
    throw new Error(
      `${envName} is not set: it holds the key for user and device pseudonyms and must stay the same across runs. ` +
        `Set it to a secret of at least ${MIN_PSEUDONYM_KEY_LENGTH} characters, e.g. export ${envName}=$(openssl rand -hex 32)`,
    );
  }
  if (key.length < MIN_PSEUDONYM_KEY_LENGTH) {
    throw new Error(
      `${envName} is too short (${key.length} characters): pseudonyms need a key of at least ${MIN_PSEUDONYM_KEY_LENGTH} characters, ` +
        `e.g. export ${envName}=$(openssl rand -hex 32)`,
    );
  }
  return key;
}
