// Who owns a Kafka dataset: the consumer group, the events topic and the pseudonym key it is
// written with, in DIR/manifests/owner.json. It is the first thing written into a new dataset
// directory, so a directory a crash left at any later moment is recognised as this dataset and
// resumed, and any instance of the owning group may join at any time. A run of another group,
// topic or key would write every episode a second time (or under other pseudonyms): it is refused
// before it writes anything, by a message that says who owns the dataset and what to do.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../shards/atomic.ts';
import { PARTS_DIR } from './parts.ts';

export const OWNER_FILE = 'owner.json';

export interface DatasetOwner {
  group_id: string;
  /** the events topic. */
  topic: string;
  /** `keyFingerprint` of the pseudonym key: tells keys apart, reveals nothing of them. */
  key_fingerprint: string;
}

/** A short keyed digest of the pseudonym key: equal for the same key, and no help in guessing it. */
export function keyFingerprint(pseudonymKey: string): string {
  return createHmac('sha256', pseudonymKey).update('episodic pseudonym key fingerprint').digest('hex').slice(0, 16);
}

function ownerPath(out: string): string {
  return join(out, PARTS_DIR, OWNER_FILE);
}

export function readOwner(out: string): DatasetOwner | undefined {
  if (!existsSync(ownerPath(out))) return undefined;
  const owner = JSON.parse(readFileSync(ownerPath(out), 'utf8')) as Partial<DatasetOwner>;
  if (typeof owner.group_id !== 'string' || typeof owner.topic !== 'string' || typeof owner.key_fingerprint !== 'string') {
    throw new Error(`${ownerPath(out)} is not an owner record (group_id, topic, key_fingerprint); restore it from a backup of the dataset`);
  }
  return owner as DatasetOwner;
}

function describe(owner: DatasetOwner): string {
  return `consumer group '${owner.group_id}' reading topic '${owner.topic}' with the pseudonym key of fingerprint ${owner.key_fingerprint}`;
}

/**
 * Makes `out` this owner's dataset, or checks that it is: a dataset without an owner record yet
 * (new, or written before owners were recorded) gets this one; a dataset of another owner is
 * refused. Read back after writing: of two runs that claim one new directory at once, the claim
 * that stayed wins and the other is refused.
 */
export function claimDataset(out: string, owner: DatasetOwner, keyEnv: string): void {
  let recorded = readOwner(out);
  if (recorded === undefined) {
    ensureDir(join(out, PARTS_DIR));
    writeFileAtomic(ownerPath(out), `${JSON.stringify(owner)}\n`);
    recorded = readOwner(out)!;
  }
  if ((['group_id', 'topic', 'key_fingerprint'] as const).every((k) => recorded[k] === owner[k])) return;
  throw new Error(
    `--out ${out} is the dataset of ${describe(recorded)} (${PARTS_DIR}/${OWNER_FILE}); this run is ${describe(owner)}. ` +
      'A dataset has one owner, or its episodes would be written twice. Run with that group, topic and key ' +
      `(source.kafka.group_id, source.kafka.topics.events, ${keyEnv}), or give this run a dataset directory of its own (--out).`,
  );
}
