// `episodic run` against a real broker: the dataset it writes from a topic is the one replay writes
// from the same recording, also when an instance is stopped or killed mid-stream, and records that
// cannot be used go to the dead-letter topic without stopping anything.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { parse as parseYaml } from 'yaml';
import { kafkajs } from '../src/kafka/kafkajs.ts';
import { parseConfig } from '../src/config.ts';
import type { InputEvent } from '../src/contract/events.ts';
import { encodeEvent, frameConfluent } from '../src/contract/avro.ts';
import { generateEvents, generateRegistry } from '../src/generate/generator.ts';
import { writeEventsJsonl, writeRegistryJsonl } from '../src/sources/file.ts';
import { replay } from '../src/replay.ts';
import { prepareDatasetDir } from '../src/kafka/run.ts';
import { readShardTable } from '../src/inspect.ts';
import type { Manifest } from '../src/shards/manifest.ts';
import { createTopic, ensureBroker, uniqueName, type Broker } from './helpers/kafka.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'episodic.js');
const PSEUDONYM_KEY = 'kafka-test-pseudonym-key-0123456789abcdef';
const GENERATE = { seed: 11, devices: 6, events: 20_000 };
// short gaps so 20k events make dozens of episodes, and a crash lands between many of them
const SESSION = { inactivity_gap_ms: 4000, grace_ms: 1000, max_duration_ms: 20000, min_actions: 3 };

const work = tempDir('kafka-test');
let broker: Broker;
let events: InputEvent[];
const files = { all: join(work, 'events.jsonl'), first: join(work, 'first.jsonl'), second: join(work, 'second.jsonl'), registry: join(work, 'registry.jsonl') };
let expected: Map<string, string>;
let expectedCounts: DatasetCounts;

test.before(async () => {
  broker = await ensureBroker();
  events = [...generateEvents(GENERATE)];
  const half = Math.floor(events.length / 2);
  await writeEventsJsonl(files.all, events);
  await writeEventsJsonl(files.first, events.slice(0, half));
  await writeEventsJsonl(files.second, events.slice(half));
  await writeRegistryJsonl(files.registry, generateRegistry(GENERATE));
  const config = parseConfig(configText({ events: 'unused', registry: 'unused', dead_letter: 'unused', group: 'unused', out: 'unused' }));
  const out = join(work, 'replay');
  await replay({ config, input: files.all, registry: files.registry, out, pseudonymKey: PSEUDONYM_KEY, deadLetterPath: join(work, 'replay-dead.jsonl') });
  expected = datasetRows(out);
  expectedCounts = datasetCounts(out);
  if (expected.size < 30) throw new Error(`fixture too small: replay wrote ${expected.size} episodes`);
});

test.after.always(async () => {
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Names {
  events: string;
  registry: string;
  dead_letter: string;
  group: string;
  out: string;
}

function configText(names: Names): string {
  return `version: 1
name: kafka-test
source:
  kind: kafka
  kafka:
    brokers: ${JSON.stringify(broker?.brokers ?? ['127.0.0.1:9092'])}
    group_id: ${names.group}
    topics: { events: ${names.events}, registry: ${names.registry}, dead_letter: ${names.dead_letter} }
    # the fixture's gap is 4 s: a slow machine or a rebalance may leave a device without records
    # for longer mid-stream, and closing it by wall clock then would split an episode replay keeps whole
    idle_close_ms: 120000
session: ${JSON.stringify(SESSION)}
output:
  dir: ${names.out}
`;
}

function setup(label: string): { names: Names; config: string } {
  const names: Names = {
    events: uniqueName(`${label}-events`),
    registry: uniqueName(`${label}-registry`),
    dead_letter: uniqueName(`${label}-dlq`),
    group: uniqueName(`${label}-group`),
    out: join(work, uniqueName(label)),
  };
  const config = join(work, `${uniqueName(label)}.yaml`);
  writeFileSync(config, configText(names));
  return { names, config };
}

interface Child {
  process: ChildProcess;
  /** resolves with the exit code (or the signal's name). */
  exit: Promise<number | string>;
  stderr: () => string;
  /** resolves when stderr satisfies `ready`; rejects after 90 s so a hang fails the test instead of timing out the file. */
  waitFor: (ready: RegExp | ((stderr: string) => boolean)) => Promise<void>;
}

function episodic(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: PSEUDONYM_KEY, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const waiters: { ready: (stderr: string) => boolean; resolve: () => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of [...waiters]) if (w.ready(stderr)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  child.stdout!.resume();
  const exit = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  // a failed test must not leave an instance running: it would keep the test worker alive
  children.add(child);
  void exit.then(() => children.delete(child));
  return {
    process: child,
    exit,
    stderr: () => stderr,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const ready = typeof pattern === 'function' ? pattern : (text: string) => pattern.test(text);
        if (ready(stderr)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within 90 s; stderr:\n${stderr}`)), 90_000);
        waiters.push({ ready, resolve: () => (clearTimeout(timer), resolve()) });
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${pattern}; stderr:\n${stderr}`)), 100));
      }),
  };
}

const children = new Set<ReturnType<typeof spawn>>();
test.afterEach.always(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

async function succeeds(child: Child): Promise<void> {
  const code = await child.exit;
  if (code !== 0) throw new Error(`episodic exited with ${code}:\n${child.stderr()}`);
}

function produce(config: string, input: string, withRegistry: boolean): Promise<void> {
  const args = ['produce', '--config', config, '--input', input, '--partitions', '3'];
  if (withRegistry) args.push('--registry', files.registry);
  return succeeds(episodic(args));
}

/** An instance that follows the topic until it is stopped. */
function follow(config: string): Child {
  return episodic(['run', '--config', config, '--commit-interval-ms', '300', '--session-timeout-ms', '6000']);
}

/** An instance that ends once every partition is done and the input has been quiet for 2 s. */
function run(config: string): Child {
  return episodic(['run', '--config', config, '--exit-when-idle', '2', '--commit-interval-ms', '300', '--session-timeout-ms', '6000']);
}

/** Every row of the dataset by episode id, as JSON; throws on a duplicate id or a shard the manifest and the disk disagree on. */
function datasetRows(dir: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { shards: { path: string; format: string }[] };
  const listed = manifest.shards.filter((s) => s.format === 'parquet').map((s) => s.path).sort();
  const onDisk = readdirSync(join(dir, 'data'), { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('.parquet') && !p.split('/').pop()!.startsWith('.'))
    .map((p) => `data/${p}`)
    .sort();
  if (JSON.stringify(listed) !== JSON.stringify(onDisk)) throw new Error(`manifest lists ${listed.join(', ')} but data/ holds ${onDisk.join(', ')}`);
  const rows = new Map<string, string>();
  for (const path of listed) {
    for (const row of readShardTable(join(dir, path)).toArray()) {
      const json = row.toJSON() as { episode_id: string };
      if (rows.has(json.episode_id)) throw new Error(`episode ${json.episode_id} written twice`);
      rows.set(json.episode_id, JSON.stringify(json));
    }
  }
  return rows;
}

type DatasetCounts = Pick<Manifest, 'totals' | 'dropped' | 'privacy'>;

/** What the manifest counts: records and events read, what was dropped and why, what the privacy stages did. */
function datasetCounts(dir: string): DatasetCounts {
  const { totals, dropped, privacy } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  return { totals, dropped, privacy };
}

const sortedIds = (rows: Map<string, string>) => [...rows.keys()].sort();

test.serial('run until idle on a 3-partition topic writes the episodes replay writes, row for row', async (t) => {
  const { names, config } = setup('same');
  await produce(config, files.all, true);
  await succeeds(run(config));
  const rows = datasetRows(names.out);
  t.deepEqual(sortedIds(rows), sortedIds(expected));
  for (const [id, row] of expected) t.is(rows.get(id), row, `episode ${id}`);
  t.deepEqual(datasetCounts(names.out), expectedCounts);
});

test.serial('control records later than the grace period (fixtures/late-control) through produce and run: the dataset replay writes', async (t) => {
  const fixture = join(ROOT, 'fixtures', 'late-control');
  const input = join(fixture, 'events.jsonl');
  const registry = join(fixture, 'registry.jsonl');
  const { names, config } = setup('late');
  // the fixture's own privacy settings, the default session: late records are late by its grace period
  const privacy = parseYaml(readFileSync(join(fixture, 'pipeline.yaml'), 'utf8')).privacy;
  const text = readFileSync(config, 'utf8').replace(/^session: .*$/m, `privacy: ${JSON.stringify(privacy)}`);
  writeFileSync(config, text);
  const replayOut = join(work, 'late-replay');
  await replay({ config: parseConfig(text), input, registry, out: replayOut, pseudonymKey: PSEUDONYM_KEY, deadLetterPath: join(work, 'late-dead.jsonl') });
  const want = datasetRows(replayOut);
  await succeeds(episodic(['produce', '--config', config, '--input', input, '--registry', registry, '--partitions', '3']));
  await succeeds(run(config));
  const rows = datasetRows(names.out);
  t.true(want.size > 5);
  t.deepEqual(sortedIds(rows), sortedIds(want));
  for (const [id, row] of want) t.is(rows.get(id), row, `episode ${id}`);
});

test.serial('run until idle ends the devices still open at the end in steps, waiting for the encoder after each 64, and writes what replay writes', async (t) => {
  // 300 people, 134 of them at work in these 40 s: most still have an episode open when the input ends
  const many = { seed: 12, devices: 300, events: 40_000 };
  const input = join(work, 'many.jsonl');
  const registry = join(work, 'many-registry.jsonl');
  await writeEventsJsonl(input, generateEvents(many));
  await writeRegistryJsonl(registry, generateRegistry(many));
  const { names, config } = setup('many');
  const replayOut = join(work, 'many-replay');
  await replay({ config: parseConfig(readFileSync(config, 'utf8')), input, registry, out: replayOut, pseudonymKey: PSEUDONYM_KEY, deadLetterPath: join(work, 'many-dead.jsonl') });
  const want = datasetRows(replayOut);
  // one partition: its run holds every device, so its end waits for the encoder more than once
  await succeeds(episodic(['produce', '--config', config, '--input', input, '--registry', registry, '--partitions', '1']));
  await succeeds(run(config));
  const rows = datasetRows(names.out);
  // the end waits for the encoder after every 64 devices: episodes of devices on both sides of a wait
  const endedByTheEnd = new Set([...rows.values()].map((row) => JSON.parse(row) as { device: string; end_reason: string }).filter((row) => row.end_reason === 'end_of_stream').map((row) => row.device));
  t.true(endedByTheEnd.size > 64, `${endedByTheEnd.size} devices had an episode open at the end`);
  t.deepEqual(sortedIds(rows), sortedIds(want));
  for (const [id, row] of want) t.is(rows.get(id), row, `episode ${id}`);
});

test.serial('an instance stopped with SIGTERM mid-stream hands over: the group writes every episode once', async (t) => {
  const { names, config } = setup('handover');
  await produce(config, files.first, true);
  // A follows the topic until it is stopped, B ends once the whole topic is done; B joins only
  // when all of the input is in, or it would take a pause in producing for the end of the stream
  const a = follow(config);
  await a.waitFor(/committed/);
  await produce(config, files.second, false);
  const b = run(config);
  await b.waitFor(/assigned partitions \[\d/);
  // both own partitions: A is stopped while it may still hold open episodes (on a slow machine it
  // may already have read its share to the end; the dataset must be the same either way)
  await a.waitFor((stderr) => /^assigned partitions \[\d(, \d)?\]/.test(stderr.slice(stderr.lastIndexOf('assigned partitions'))));
  a.process.kill('SIGTERM');
  t.is(await a.exit, 0, a.stderr());
  await succeeds(b);
  t.deepEqual(sortedIds(datasetRows(names.out)), sortedIds(expected));
});

test.serial('an instance killed with SIGKILL mid-stream and restarted writes every episode once and counts every record once', async (t) => {
  const { names, config } = setup('crash');
  await produce(config, files.first, true);
  const first = follow(config);
  await first.waitFor(/committed/);
  await produce(config, files.second, false);
  first.process.kill('SIGKILL');
  t.is(await first.exit, 'SIGKILL');
  const second = run(config);
  await succeeds(second);
  t.regex(second.stderr(), /resuming at offset [1-9]/, 'the restart read again what the first instance had handled');
  t.deepEqual(sortedIds(datasetRows(names.out)), sortedIds(expected));
  // records the restart read again were counted by the first instance, not twice
  t.deepEqual(datasetCounts(names.out), expectedCounts);
});

test.serial('a dataset has one owner: a run of another consumer group or with another pseudonym key is refused, saying who owns it', async (t) => {
  const { names, config } = setup('owned');
  await produce(config, files.first, true);
  await succeeds(run(config));
  const written = datasetRows(names.out);
  const otherGroup = join(work, `${uniqueName('owned-other')}.yaml`);
  writeFileSync(otherGroup, readFileSync(config, 'utf8').replace(`group_id: ${names.group}`, `group_id: ${names.group}-other`));
  const byOtherGroup = run(otherGroup);
  t.not(await byOtherGroup.exit, 0);
  t.regex(byOtherGroup.stderr(), new RegExp(`dataset of consumer group '${names.group}' reading topic '${names.events}'`));
  t.regex(byOtherGroup.stderr(), /give this run a dataset directory of its own/);
  const withOtherKey = episodic(['run', '--config', config, '--exit-when-idle', '2'], { EPISODIC_PSEUDONYM_KEY: `${PSEUDONYM_KEY}-other` });
  t.not(await withOtherKey.exit, 0);
  t.regex(withOtherKey.stderr(), /with the pseudonym key of fingerprint [0-9a-f]{16}.*EPISODIC_PSEUDONYM_KEY/s);
  // nothing was written twice or under other pseudonyms
  t.deepEqual(datasetRows(names.out), written);
});

test.serial('an instance of the group joins a dataset dir at any time; one stalled past its session timeout, whose partitions another took over, writes nothing for them when it wakes', async (t) => {
  const { names, config } = setup('fenced');
  await produce(config, files.all, true);
  // A flushes only every 15 s: when it is stopped, it holds closed episodes it has not written
  const started = Date.now();
  const a = episodic(['run', '--config', config, '--commit-interval-ms', '15000', '--session-timeout-ms', '6000']);
  await a.waitFor((stderr) => (stderr.match(/resuming at offset/g) ?? []).length >= 3);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  a.process.kill('SIGSTOP');
  // B joins a dataset dir A has not flushed into yet, is given every partition once A's session
  // has expired, writes the whole topic and ends
  await succeeds(run(config));
  const datasetB = datasetRows(names.out);
  t.deepEqual(sortedIds(datasetB), sortedIds(expected));
  // A wakes with its flush overdue and its partitions gone
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 16_000 - Date.now())));
  const before = a.stderr().length;
  a.process.kill('SIGCONT');
  await a.waitFor((stderr) => /assigned partitions/.test(stderr.slice(before)));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  a.process.kill('SIGTERM');
  t.is(await a.exit, 0, a.stderr());
  // nothing duplicated, nothing listed that is not there, nothing there that is not listed
  t.deepEqual(sortedIds(datasetRows(names.out)), sortedIds(expected));
});

test.serial('garbage, events that break the contract and events from the future go to the dead-letter topic with their bytes and headers; the rest is written', async (t) => {
  const { names, config } = setup('dlq');
  await produce(config, files.first, true);
  const { Kafka, Partitioners, logLevel } = kafkajs();
  const kafka = new Kafka({ clientId: 'kafka-test', brokers: broker.brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const device = events[0].device_id;
  const garbage = Buffer.from([0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xfe, 0x07]);
  const future = frameConfluent(1, encodeEvent({ ...events[0], event_id: 'from-the-future', ts: Date.now() + 86_400_000 }));
  // decodes, but breaks a value rule of the contract: the pipeline's own dead letter
  const keyless = encodeEvent({ ...events[0], event_id: 'no-key', type: 'key_down', key: undefined, char: undefined });
  await producer.send({
    topic: names.events,
    messages: [
      { key: device, value: garbage, headers: { agent: 'test' } },
      { key: device, value: future },
      { key: device, value: keyless },
    ],
  });
  await producer.disconnect();
  await produce(config, files.second, false);
  await succeeds(run(config));
  t.deepEqual(sortedIds(datasetRows(names.out)), sortedIds(expected));

  const letters = await readTopic(kafka, names.dead_letter, 3);
  const byOffset = (m: KafkaMessage) => Number(m.headers?.['episodic.source.offset']?.toString());
  letters.sort((x, y) => byOffset(x) - byOffset(y));
  t.deepEqual(letters.map((m) => m.value), [garbage, future, keyless]);
  t.is(letters[2].headers!['episodic.error']!.toString(), "field 'key': required for key_down events");
  t.regex(letters[0].headers!['episodic.error']!.toString(), /undecodable/);
  t.is(letters[0].headers!.agent!.toString(), 'test', 'original headers are kept');
  t.regex(letters[1].headers!['episodic.error']!.toString(), /ahead of the broker timestamp/);
  for (const letter of letters) {
    t.is(letter.headers!['episodic.source.topic']!.toString(), names.events);
    t.regex(letter.headers!['episodic.source.partition']!.toString(), /^[0-2]$/);
  }
});

test.serial('a failure on the pipeline thread stops the run with its error; once the cause is gone, a restart writes every episode once', async (t) => {
  const { names, config } = setup('thread-failure');
  await produce(config, files.all, true);
  // a dataset dir whose split directories cannot be made: the pipeline thread fails on its first batch
  prepareDatasetDir(names.out);
  mkdirSync(join(names.out, 'data'));
  const blockers = ['train', 'validation', 'test'].map((split) => join(names.out, 'data', split));
  for (const blocker of blockers) writeFileSync(blocker, 'not a directory');
  const failed = run(config);
  const code = await failed.exit;
  t.not(code, 0);
  t.regex(failed.stderr(), /ENOTDIR|EEXIST|not a directory/);
  for (const blocker of blockers) rmSync(blocker);
  await succeeds(run(config));
  t.deepEqual(sortedIds(datasetRows(names.out)), sortedIds(expected));
});

test.serial('a registry topic the broker has compacted gives the dataset replay gives with every registry record', async (t) => {
  const { names, config } = setup('compacted');
  // two people with episodes: one erased, one exempt for a while; each then sent again as a person
  // record (a directory sync), which under a per-person key would be all compaction keeps of them
  const byUser = new Map<string, InputEvent[]>();
  for (const e of events) byUser.set(e.user_id, [...(byUser.get(e.user_id) ?? []), e]);
  const [erased, exempt] = [...byUser.entries()].sort((a, b) => b[1].length - a[1].length).map(([user]) => user);
  const exemptTs = byUser.get(exempt)!.map((e) => e.ts);
  const from = exemptTs[Math.floor(exemptTs.length * 0.3)];
  const until = exemptTs[Math.floor(exemptTs.length * 0.7)];
  const registry = [
    ...generateRegistry(GENERATE),
    { kind: 'erasure' as const, user_id: erased, ts: events[0].ts },
    { kind: 'exemption' as const, user_id: exempt, from, until: null, reason: 'power' as const },
    // closes the open-ended exemption: the same key, so compaction keeps this one
    { kind: 'exemption' as const, user_id: exempt, from, until, reason: 'power' as const },
    { kind: 'person' as const, user_id: erased, region: 'US' },
    { kind: 'person' as const, user_id: exempt, region: 'US' },
  ];
  const registryFile = join(work, 'compacted-registry.jsonl');
  await writeRegistryJsonl(registryFile, registry);
  const replayOut = join(work, 'compacted-replay');
  await replay({ config: parseConfig(readFileSync(config, 'utf8')), input: files.all, registry: registryFile, out: replayOut, pseudonymKey: PSEUDONYM_KEY, deadLetterPath: join(work, 'compacted-dead.jsonl') });
  const want = datasetRows(replayOut);
  t.true(want.size < expected.size, 'the erasure and the exemption take episodes out');

  // segments roll after 100 ms and are cleaned as soon as anything in them is superseded
  await createTopic(broker.brokers, names.registry, 1, {
    'cleanup.policy': 'compact',
    'segment.ms': '100',
    'min.cleanable.dirty.ratio': '0.01',
    'min.compaction.lag.ms': '0',
  });
  await succeeds(episodic(['produce', '--config', config, '--input', files.all, '--registry', registryFile, '--partitions', '3']));
  // the active segment is never cleaned: one more record after segment.ms rolls the registry's
  await new Promise((resolve) => setTimeout(resolve, 300));
  const filler = join(work, 'compacted-filler.jsonl');
  await writeRegistryJsonl(filler, [{ kind: 'person', user_id: 'nobody-in-the-stream', region: 'US' }]);
  const empty = join(work, 'empty.jsonl');
  writeFileSync(empty, '');
  await succeeds(episodic(['produce', '--config', config, '--input', empty, '--registry', filler]));
  const kept = await waitForCompaction(names.registry, registry.length + 1);
  t.true(kept < registry.length + 1, `the cleaner removed superseded records (${kept} of ${registry.length + 1} left)`);

  await succeeds(run(config));
  const rows = datasetRows(names.out);
  t.deepEqual(sortedIds(rows), sortedIds(want));
  for (const [id, row] of want) t.is(rows.get(id), row, `episode ${id}`);
});

/** Reads the topic until the broker's log cleaner has removed records from it; returns how many are left. */
async function waitForCompaction(topic: string, produced: number): Promise<number> {
  const { Kafka, logLevel } = kafkajs();
  const kafka = new Kafka({ clientId: 'kafka-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const deadline = Date.now() + 90_000;
  for (;;) {
    const consumer = kafka.consumer({ groupId: uniqueName('compaction-check'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let count = 0;
    let last = -1;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          count += batch.messages.length;
          last = Math.max(last, Number(batch.lastOffset()));
          if (last + 1 >= produced) resolve();
        },
      });
    });
    await consumer.disconnect();
    if (count < produced || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function readTopic(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: KafkaMessage[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error(`only ${messages.length} of ${count} dead letters within 30 s`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (messages.length >= count) (clearTimeout(guard), resolve());
        },
      });
    });
    // anything beyond the expected letters would be a duplicate
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
