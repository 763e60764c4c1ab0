// `episodic run` against a broker that accepts clients only over TLS with SASL (SCRAM-SHA-256), its
// certificate made by the test: the dataset is the one replay writes, and a config without the
// SASL settings the broker wants stops with a message that says so.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config.ts';
import { generateEvents, generateRegistry } from '../src/generate/generator.ts';
import { writeEventsJsonl, writeRegistryJsonl } from '../src/sources/file.ts';
import { replay } from '../src/replay.ts';
import { summarizeDataset } from './helpers/dataset.ts';
import { startSecuredBroker, uniqueName, type SecuredBroker } from './helpers/kafka.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'episodic.js');
const PSEUDONYM_KEY = 'kafka-secured-test-key-0123456789abcdef';
const GENERATE = { seed: 7, devices: 3, events: 4_000 };
const PASSWORD_ENV = 'EPISODIC_TEST_KAFKA_PASSWORD';

const work = tempDir('kafka-secured');
let broker: SecuredBroker;
const files = { events: join(work, 'events.jsonl'), registry: join(work, 'registry.jsonl') };

test.before(async () => {
  broker = await startSecuredBroker(work);
  await writeEventsJsonl(files.events, generateEvents(GENERATE));
  await writeRegistryJsonl(files.registry, generateRegistry(GENERATE));
});

test.after.always(async () => {
  await broker?.stop();
  rmSync(work, { recursive: true, force: true });
});

function configFile(label: string, security: string): { path: string; out: string } {
  const out = join(work, uniqueName(label));
  const path = join(work, `${uniqueName(label)}.yaml`);
  writeFileSync(
    path,
    `version: 1
name: kafka-secured
source:
  kind: kafka
  kafka:
    brokers: ${JSON.stringify(broker.brokers)}
    group_id: ${uniqueName(`${label}-group`)}
    topics: { events: ${uniqueName(`${label}-events`)}, registry: ${uniqueName(`${label}-registry`)}, dead_letter: ${uniqueName(`${label}-dlq`)} }
${security}
session: { inactivity_gap_ms: 4000, grace_ms: 1000, max_duration_ms: 20000, min_actions: 3 }
output:
  dir: ${out}
`,
  );
  return { path, out };
}

const TLS = `    ssl: { ca_file: ${JSON.stringify(join(work, 'ca.pem'))} }`;
const SASL = `    sasl: { mechanism: scram-sha-256, username: episodic, password_env: ${PASSWORD_ENV} }`;

function episodic(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: PSEUDONYM_KEY, [PASSWORD_ENV]: broker.password, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

test.serial('produce and run over SASL_SSL write the dataset replay writes', async (t) => {
  const { path, out } = configFile('secured', `${TLS}\n${SASL}`);
  const produced = await episodic(['produce', '--config', path, '--input', files.events, '--registry', files.registry, '--partitions', '2']);
  t.is(produced.code, 0, produced.stderr);
  const ran = await episodic(['run', '--config', path, '--exit-when-idle', '2', '--commit-interval-ms', '300']);
  t.is(ran.code, 0, ran.stderr);
  const replayOut = join(work, 'replay');
  await replay({ config: parseConfig(readFileSync(path, 'utf8')), input: files.events, registry: files.registry, out: replayOut, pseudonymKey: PSEUDONYM_KEY, deadLetterPath: join(work, 'replay-dead.jsonl') });
  const want = summarizeDataset(replayOut).episodes;
  t.true(want.length > 5, `${want.length} episodes`);
  t.deepEqual(summarizeDataset(out).episodes, want);
});

test.serial('a config without the SASL the broker wants stops with a message naming source.kafka.sasl', async (t) => {
  const { path } = configFile('no-sasl', TLS);
  const ran = await episodic(['run', '--config', path, '--exit-when-idle', '2']);
  t.not(ran.code, 0);
  t.regex(ran.stderr, /SASL/);
  t.regex(ran.stderr, /source\.kafka\.sasl/);
  t.notRegex(ran.stderr, /^.*Closed connection\s*$/m, 'not only kafkajs\' own words');
});

test.serial('a config without TLS for a TLS listener stops with a message naming source.kafka.ssl', async (t) => {
  const { path } = configFile('no-tls', SASL);
  const ran = await episodic(['run', '--config', path, '--exit-when-idle', '2']);
  t.not(ran.code, 0);
  t.regex(ran.stderr, /source\.kafka\.ssl/);
});
