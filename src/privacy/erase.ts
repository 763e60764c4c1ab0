// `episodic erase`: removes every episode of one person from a written dataset (imperative shell).
//
// Each shard holding the person's pseudonym is decoded, re-encoded without those rows through the
// writer's own ShardFile (same batches, same row groups for the configured `row_group_bytes`, so
// the bytes the writer would have written for the remaining rows) and rewritten atomically under
// the same name (a shard left empty is removed); then the card and the manifest are rewritten and
// one line is appended to DIR/erasure-log.jsonl: the pseudonym, the time and the counts, never the
// raw id.
//
// Crash safety: shards change before the manifest, so after a crash the data is already erased
// and only the manifest is stale. A rerun repairs it: a listed shard whose bytes no longer match
// its sha256 is re-read and its entry recomputed, and a listed shard that is gone is unlisted.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { makeVector, tableFromIPC, type Table, type Vector } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { configFrom, parseFlags } from '../flags.ts';
import { IDENTITY_FILE, isDataset, readDatasetIdentity } from '../shards/dataset-identity.ts';
import { defaultDeadLetterPath } from '../replay.ts';
import { eraseDeadLetters } from './dead-letters.ts';
import { withDatasetLock } from '../shards/dataset-lock.ts';
import type { Action, EndReason, EpisodeContext, EpisodeRow, PathPoint, Split } from '../contract/episode.ts';
import { buildManifest, MANIFEST_FILE, writeManifestAtomic, type Manifest } from '../shards/manifest.ts';
import { CARD_FILE, writeDatasetCardAtomic } from '../shards/card.ts';
import { DEFAULT_ROW_GROUP_BYTES, ShardFile, type ShardInfo } from '../shards/writer.ts';
import { Pseudonymizer, pseudonymKeyFromEnv } from './pseudonym.ts';
import { parseDatasetLocation } from '../stores/location.ts';
import { changeRemoteDataset } from '../stores/remote-dataset.ts';

export const ERASURE_LOG_FILE = 'erasure-log.jsonl';

/** One line of DIR/erasure-log.jsonl. */
export interface ErasureLogEntry {
  /** the person's pseudonym, as in the `user` column. */
  user: string;
  erased_at: string;
  /** rows removed, counted in the primary format (Parquet when written). */
  episodes_removed: number;
  /** shard files rewritten or removed, all formats. */
  shards_rewritten: number;
}

interface ListParts {
  offsets: Int32Array;
  values: Vector;
}

/** A batch-level list vector's offsets and its values as one vector. */
function listParts(vector: Vector | null): ListParts {
  if (vector === null || vector.data.length !== 1) throw new Error('expected a list column with one chunk per batch');
  const data = vector.data[0];
  return { offsets: data.valueOffsets as Int32Array, values: makeVector(data.children[0]) };
}

function child(vector: Vector, name: string): Vector {
  const found = (vector as Vector & { getChild(name: string): Vector | null }).getChild(name);
  if (found === null) throw new Error(`shard has no column ${name}`);
  return found;
}

function utcDayOf(value: unknown): string {
  const ms = value instanceof Date ? value.getTime() : Number(value);
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The rows of a shard table as the writer took them: encodeEpisodes(rowsFromTable(t)) gives t's
 * values back. Reads column by column (row proxies are far slower on nested lists).
 */
export function rowsFromTable(table: Table): EpisodeRow[] {
  const rows: EpisodeRow[] = [];
  for (const batch of table.batches) {
    const col = (name: string): Vector => {
      const vector = batch.getChild(name);
      if (vector === null) throw new Error(`shard has no column ${name}`);
      return vector;
    };
    const [episodeId, user, device, split, startDay, durationMs, endReason, continues, screenWidth, screenHeight, nEvents, nActions] = [
      'episode_id', 'user', 'device', 'split', 'start_day', 'duration_ms', 'end_reason', 'continues', 'screen_width', 'screen_height', 'n_events', 'n_actions',
    ].map(col);
    const apps = listParts(col('apps'));
    const contexts = listParts(col('contexts'));
    const ctx = ['app', 'title', 'url', 'eu_linked'].map((name) => child(contexts.values, name));
    const actions = listParts(col('actions'));
    const act = (name: string) => child(actions.values, name);
    const [kind, tMs, actDuration, x, y, nx, ny, x2, y2, nx2, ny2, dx, dy, text, key, frameUri, context, redacted] = [
      'kind', 't_ms', 'duration_ms', 'x', 'y', 'nx', 'ny', 'x2', 'y2', 'nx2', 'ny2', 'dx', 'dy', 'text', 'key', 'frame_uri', 'context', 'redacted',
    ].map(act);
    const keyTimesVector = act('key_times_ms');
    const keyTimes = listParts(keyTimesVector);
    const path = listParts(act('path'));
    const [px, py, pt] = ['x', 'y', 't_ms'].map((name) => child(path.values, name));

    for (let i = 0; i < batch.numRows; i++) {
      const rowApps: string[] = [];
      for (let j = apps.offsets[i]; j < apps.offsets[i + 1]; j++) rowApps.push(apps.values.get(j));
      const rowContexts: EpisodeContext[] = [];
      for (let j = contexts.offsets[i]; j < contexts.offsets[i + 1]; j++) {
        rowContexts.push({ app: ctx[0].get(j), title: ctx[1].get(j), url: ctx[2].get(j), eu_linked: ctx[3].get(j) === true });
      }
      const rowActions: Action[] = [];
      for (let j = actions.offsets[i]; j < actions.offsets[i + 1]; j++) {
        let times: number[] | null = null;
        if (keyTimesVector.isValid(j)) {
          times = [];
          for (let k = keyTimes.offsets[j]; k < keyTimes.offsets[j + 1]; k++) times.push(keyTimes.values.get(k));
        }
        const points: PathPoint[] = [];
        for (let k = path.offsets[j]; k < path.offsets[j + 1]; k++) points.push({ x: px.get(k), y: py.get(k), t_ms: pt.get(k) });
        rowActions.push({
          kind: kind.get(j),
          t_ms: tMs.get(j),
          duration_ms: actDuration.get(j),
          x: x.get(j),
          y: y.get(j),
          nx: nx.get(j),
          ny: ny.get(j),
          x2: x2.get(j),
          y2: y2.get(j),
          nx2: nx2.get(j),
          ny2: ny2.get(j),
          dx: dx.get(j),
          dy: dy.get(j),
          text: text.get(j),
          key: key.get(j),
          key_times_ms: times,
          path: points,
          frame_uri: frameUri.get(j),
          context: context.get(j),
          redacted: redacted.get(j),
        });
      }
      rows.push({
        episode_id: episodeId.get(i),
        user: user.get(i),
        device: device.get(i),
        split: split.get(i) as Split,
        start_day: utcDayOf(startDay.get(i)),
        duration_ms: durationMs.get(i),
        end_reason: endReason.get(i) as EndReason,
        continues: continues.get(i),
        screen_width: screenWidth.get(i),
        screen_height: screenHeight.get(i),
        apps: rowApps,
        contexts: rowContexts,
        n_events: nEvents.get(i),
        n_actions: nActions.get(i),
        actions: rowActions,
      });
    }
  }
  return rows;
}

function decodeShard(bytes: Uint8Array, format: ShardInfo['format']): Table {
  return format === 'arrow' ? tableFromIPC(bytes) : tableFromIPC(readParquet(bytes).intoIPCStream());
}

function countUser(table: Table, pseudonym: string): number {
  const users = table.getChild('user');
  if (users === null) throw new Error('shard has no user column');
  let n = 0;
  for (let i = 0; i < users.length; i++) if (users.get(i) === pseudonym) n++;
  return n;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Writes `rows` over the shard (same name, same format) as the writer would, and returns its new entry. */
async function rewriteShard(dir: string, info: ShardInfo, rows: EpisodeRow[], rowGroupBytes: number): Promise<ShardInfo> {
  const shard = new ShardFile({ dir, split: info.split, writerId: info.writer, index: info.index, formats: [info.format], rowGroupBytes });
  try {
    for (const row of rows) shard.add(row);
    const [updated] = await shard.close();
    return updated;
  } catch (error) {
    shard.discard();
    throw error;
  }
}

function appendLine(path: string, line: string): void {
  const fd = openSync(path, 'a', 0o644);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The card's licence, kept across the rewrite (it is not in the manifest). */
function cardLicense(dir: string): string | undefined {
  const path = join(dir, CARD_FILE);
  if (!existsSync(path)) return undefined;
  return /^license: (.+)$/m.exec(readFileSync(path, 'utf8'))?.[1]?.trim();
}

export interface EraseOptions {
  /** called once when another writer holds the dataset's lock and this erasure waits for it. */
  onLockWait?: (lockPath: string) => void;
  /** the `output.row_group_bytes` the dataset was written with; rewritten shards get the same row groups. */
  rowGroupBytes?: number;
  now?: Date;
}

/**
 * Removes every episode whose `user` is `userPseudonym` from the dataset in `dir`; logs and returns
 * what it did. Holds the dataset's writer lock throughout, so concurrent erasures (and replays)
 * apply one after another and none undoes another.
 */
export async function eraseUser(dir: string, userPseudonym: string, options: EraseOptions = {}): Promise<ErasureLogEntry> {
  return withDatasetLock(dir, () => eraseUserLocked(dir, userPseudonym, options), { onWait: options.onLockWait });
}

async function eraseUserLocked(dir: string, userPseudonym: string, options: EraseOptions): Promise<ErasureLogEntry> {
  const now = options.now ?? new Date();
  const rowGroupBytes = options.rowGroupBytes ?? DEFAULT_ROW_GROUP_BYTES;
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new Error(`${dir} holds no ${MANIFEST_FILE}: not an episodic dataset`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const primary = manifest.formats[0] ?? 'parquet';

  const shards: ShardInfo[] = [];
  let episodesRemoved = 0;
  let filesChanged = 0;
  let manifestStale = false;
  for (const info of manifest.shards) {
    const path = join(dir, info.path);
    if (!existsSync(path)) {
      // removed by an earlier erasure that crashed before its manifest was written
      manifestStale = true;
      continue;
    }
    const bytes = new Uint8Array(readFileSync(path));
    const table = decodeShard(bytes, info.format);
    const matches = countUser(table, userPseudonym);
    const stale = sha256(bytes) !== info.sha256;
    if (matches === 0 && !stale) {
      shards.push(info);
      continue;
    }
    manifestStale ||= stale;
    if (info.format === primary) episodesRemoved += matches;
    const kept = rowsFromTable(table).filter((row) => row.user !== userPseudonym);
    if (matches > 0) filesChanged++;
    if (kept.length === 0) {
      rmSync(path, { force: true });
      continue;
    }
    shards.push(await rewriteShard(dir, info, kept, rowGroupBytes));
  }

  if (filesChanged > 0 || manifestStale) {
    const updated = buildManifest({
      name: manifest.dataset,
      configHash: manifest.config_hash,
      shards,
      totals: manifest.totals,
      dropped: manifest.dropped,
      privacy: manifest.privacy,
      createdAt: manifest.created_at,
    });
    // card first, manifest last, as when the dataset was written: a listed file is complete
    const license = cardLicense(dir);
    writeDatasetCardAtomic(dir, updated, license ? { license } : undefined);
    writeManifestAtomic(dir, updated);
  }

  const entry: ErasureLogEntry = {
    user: userPseudonym,
    erased_at: now.toISOString(),
    episodes_removed: episodesRemoved,
    shards_rewritten: filesChanged,
  };
  appendLine(join(dir, ERASURE_LOG_FILE), `${JSON.stringify(entry)}\n`);
  return entry;
}

const ERASE_USAGE = 'usage: episodic erase --dataset DIR --user RAW_ID [--config C] [--dead-letter FILE]   (needs the pseudonym key in the environment)';

/** `episodic erase --dataset DIR --user RAW_ID [--config C] [--dead-letter FILE]`: the episodes, then the dead letters beside the dataset. */
export async function eraseCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    dataset: { type: 'string' },
    user: { type: 'string' },
    config: { type: 'string' },
    'dead-letter': { type: 'string' },
  });
  if (!values.dataset || !values.user) {
    console.error(ERASE_USAGE);
    return 2;
  }
  const config = configFrom(values.config);
  const key = pseudonymKeyFromEnv(config.privacy.pseudonym_key_env);
  const location = parseDatasetLocation(values.dataset);
  const dir = location.kind === 's3' ? location.uri : resolve(location.path);
  if (location.kind === 'disk' && !isDataset(dir)) {
    throw new Error(`--dataset ${values.dataset}: not an episodic dataset (no ${IDENTITY_FILE} or episodic ${MANIFEST_FILE})`);
  }
  const erase = (localDir: string) =>
    eraseUser(localDir, new Pseudonymizer(key).of(values.user!), {
      rowGroupBytes: config.output.row_group_bytes,
      onLockWait: (lock) => console.error(`waiting for another writer of ${dir} to finish (${lock})`),
    });
  const entry = location.kind === 's3' ? await changeRemoteDataset(location, config, erase) : await erase(dir);
  console.log(`user ${entry.user}: ${entry.episodes_removed} episodes removed, ${entry.shards_rewritten} shard files rewritten or removed`);
  if (entry.episodes_removed === 0) {
    console.log(`no episodes found: check that ${config.privacy.pseudonym_key_env} is the key this dataset was written with`);
  }
  // dead letters stay on the machine that wrote them: beside a disk dataset, or where --dead-letter says
  const deadLetterPath =
    values['dead-letter'] ?? config.output.dead_letter ?? (location.kind === 'disk' ? defaultDeadLetterPath(dir) : undefined);
  if (deadLetterPath !== undefined) {
    const path = resolve(deadLetterPath);
    const lettersRemoved = location.kind === 'disk' ? await withDatasetLock(dir, () => eraseDeadLetters(path, values.user!)) : eraseDeadLetters(path, values.user!);
    console.log(`dead letters: ${lettersRemoved} removed from ${path}${existsSync(path) ? '' : ' (no such file)'}`);
  } else {
    console.log('dead letters: none named for a dataset in object storage (pass --dead-letter FILE to erase them there)');
  }
  if (config.source.kind === 'kafka' || (location.kind === 'disk' && readDatasetIdentity(dir)?.writer === 'kafka')) {
    console.error(
      `WARNING: the Kafka dead-letter topic ${config.source.kafka.topics.dead_letter} may hold this person's raw records, and erase cannot remove them: ` +
        'Kafka cannot delete single records. They are gone only when the topic\'s retention (retention.ms) expires them; ' +
        'see docs/operations/kafka.md (dead-letter topic: retention and ACLs).',
    );
  }
  console.log(`logged in ${location.kind === 's3' ? `${dir}/${ERASURE_LOG_FILE}` : join(dir, ERASURE_LOG_FILE)}`);
  console.log('Also add an erasure record for this person to the registry, so no later run writes them again,');
  console.log('and expire copies of the old shard files kept elsewhere (backups, downstream caches).');
  return 0;
}
