// The pipeline config as an operator writes it: environment references, the JSON Schema editors
// read, the checks `validate` makes across keys, and its messages for files that are not there.
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { ConfigError, didYouMean, knownKeysAt, loadConfig, parseConfig } from '../src/config.ts';
import { interpolate } from '../src/config-env.ts';
import { PIPELINE_SCHEMA_FILE } from '../src/config-schema.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PIPELINES = join(ROOT, 'pipelines');

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

test('every shipped pipeline names the schema for editors and passes it; the schema rejects an unknown key and a wrong type', (t) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, PIPELINE_SCHEMA_FILE), 'utf8')));
  const files = readdirSync(PIPELINES).filter((f) => f.endsWith('.yaml'));
  t.true(files.length >= 2);
  for (const file of files) {
    const text = readFileSync(join(PIPELINES, file), 'utf8');
    t.is(text.split('\n')[0], '# yaml-language-server: $schema=../schemas/pipeline.schema.json', file);
    t.true(validate(parseYaml(text)), `${file}: ${ajv.errorsText(validate.errors)}`);
  }
  t.false(validate({ version: 1, session: { gap: 5 } }));
  t.false(validate({ version: 1, session: { inactivity_gap_ms: 'five minutes' } }));
  t.false(validate({ version: 1, capture: { regions: ['UK'] } }));
  t.true(validate({ version: 1, observability: { http: '127.0.0.1:9464' } }));
});

test('${VAR}, ${VAR:-default} and ${VAR:?message} are read from the environment; plain values keep their YAML type, quoted ones stay strings', (t) => {
  const text = [
    'version: 1',
    'name: "${NAME:-episodic}"',
    'source:',
    '  kind: kafka',
    '  kafka:',
    '    brokers: ["${BROKER:?set BROKER to host:port}", "${SECOND-b2:9092}"]',
    '    group_id: ${GROUP}',
    '    commit_interval_ms: ${INTERVAL:-2500}',
    '    from_beginning: ${FROM_START:-false}',
    'output:',
    '  dir: out/$${literal}',
  ].join('\n');
  const config = parseConfig(text, 'env.yaml', { BROKER: 'kafka-1:9092', GROUP: 'g-7', INTERVAL: '' });
  t.is(config.name, 'episodic');
  t.deepEqual(config.source.kafka.brokers, ['kafka-1:9092', 'b2:9092']);
  t.is(config.source.kafka.group_id, 'g-7');
  t.is(config.source.kafka.commit_interval_ms, 2500, ':- also covers a variable set to the empty string');
  t.is(config.source.kafka.from_beginning, false);
  t.is(config.output.dir, 'out/${literal}');
  // a quoted number stays a string, which the schema then refuses by name
  t.regex(problems('version: 1\nsession:\n  min_actions: "${N}"\n', { N: '4' }).join('\n'), /session\.min_actions \(line 3\): Invalid input: expected number/);
  t.is(parseConfig('version: 1\nsession:\n  min_actions: ${N}\n', 'n.yaml', { N: '4' }).session.min_actions, 4);
});

test('a missing variable stops the config with the key, the line and the message the file gives', (t) => {
  const text = 'version: 1\nsource:\n  kafka:\n    group_id: ${GROUP}\n    client_id: ${CLIENT:?set CLIENT to this instance\'s name}\n    brokers: ["${B:?}"]\n';
  const found = problems(text, { B: '' });
  t.deepEqual(found, [
    'source.kafka.group_id (line 4): environment variable GROUP is not set (give a default with ${GROUP:-default})',
    "source.kafka.client_id (line 5): CLIENT: set CLIENT to this instance's name",
    'source.kafka.brokers (line 6): environment variable B is empty',
  ]);
  t.regex(problems('version: 1\nname: ${oops\n').join(), /not a variable reference/);
});

test('interpolation: text without references is unchanged, $$ is one $, and a value is never read again as a reference', (t) => {
  const check = (property: fc.IPropertyWithHooks<[string]> | fc.IPropertyWithHooks<[string, string]>) =>
    t.notThrows(() => fc.assert(property as fc.IProperty<unknown[]>, { seed: 24, numRuns: 300 }));
  check(
    fc.property(fc.string(), (text) => {
      const plain = text.replaceAll('$', '');
      return interpolate(plain, {}).value === plain && interpolate(text.replaceAll('$', '$$$$'), {}).value === text;
    }),
  );
  check(
    fc.property(fc.string(), fc.string(), (value, around) => {
      const safeAround = around.replaceAll('$', '');
      const result = interpolate(`${safeAround}\${V}${safeAround}`, { V: value });
      return result.problems.length === 0 && result.value === `${safeAround}${value}${safeAround}`;
    }),
  );
});

test('an episode length not above the gap and a grace not below it are refused, each at its own key', (t) => {
  const at = (gap: number, max: number, grace: number) =>
    problems(`version: 1\nsession:\n  inactivity_gap_ms: ${gap}\n  max_duration_ms: ${max}\n  grace_ms: ${grace}\n`);
  t.deepEqual(at(300_000, 3_600_000, 30_000), []);
  const short = at(300_000, 300_000, 30_000);
  t.is(short.length, 1);
  t.regex(short[0], /^session\.max_duration_ms \(line 4\): 300000 is not above inactivity_gap_ms \(300000\)/);
  const late = at(60_000, 3_600_000, 60_000);
  t.is(late.length, 1);
  t.regex(late[0], /^session\.grace_ms \(line 5\): 60000 is not below inactivity_gap_ms \(60000\)/);
  t.deepEqual(at(60_000, 3_600_000, 59_999), []);
});

test('region codes must be ISO 3166-1 alpha-2, with a hint for lower case and for UK', (t) => {
  const found = problems('version: 1\ncapture:\n  regions: [US, us, UK, XX]\nprivacy:\n  eu_regions: [DE, EU]\n');
  t.deepEqual(found, [
    "capture.regions.1 (line 3): 'us' is not an ISO 3166-1 alpha-2 code: write it in capitals, 'US'",
    "capture.regions.2 (line 3): 'UK' is reserved in ISO 3166-1 (United Kingdom), not a country's code; the United Kingdom is GB",
    "capture.regions.3 (line 3): 'XX' is not an ISO 3166-1 alpha-2 region code (two capital letters such as US, DE, GB)",
    "privacy.eu_regions.1 (line 5): 'EU' is reserved in ISO 3166-1 (European Union), not a country's code",
  ]);
  t.deepEqual(problems('version: 1\ncapture:\n  regions: [GB, DE, JP]\n'), []);
});

test('an unknown key gets the known key it most likely meant, or the list of keys there', (t) => {
  t.deepEqual(problems('version: 1\nsource:\n  kafka:\n    brokrs: [a:1]\n    ssl: { ca_fle: x }\noutput:\n  zzz: 1\n'), [
    "source.kafka.ssl.ca_fle (line 5): unknown key 'ca_fle'; did you mean 'ca_file'?",
    "source.kafka.brokrs (line 4): unknown key 'brokrs'; did you mean 'brokers'?",
    'output.zzz (line 7): unknown key \'zzz\'; known keys here: dir, formats, shard_target_bytes, row_group_bytes, splits, dead_letter, s3',
  ]);
  t.deepEqual(knownKeysAt(['session']), ['inactivity_gap_ms', 'max_duration_ms', 'grace_ms', 'min_actions']);
  t.is(didYouMean('inactivity_gap', knownKeysAt(['session'])), 'inactivity_gap_ms');
  t.is(didYouMean('colour', knownKeysAt(['session'])), undefined);
});

test('an empty file, a comments-only file and a missing file each get a message that says so', (t) => {
  const dir = tempDir('config');
  writeFileSync(join(dir, 'empty.yaml'), '');
  writeFileSync(join(dir, 'comments.yaml'), '# nothing yet\n');
  t.throws(() => loadConfig(join(dir, 'empty.yaml')), { message: /empty\.yaml: invalid pipeline config\n {2}- the file is empty/ });
  t.throws(() => loadConfig(join(dir, 'comments.yaml')), { message: /holds only comments/ });
  t.throws(() => loadConfig(join(dir, 'missing.yaml')), { message: /missing\.yaml: invalid pipeline config\n {2}- no such file/ });
  t.throws(() => loadConfig(dir), { message: /is a directory/ });
  const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), 'validate', join(dir, 'missing.yaml'), join(PIPELINES, 'default.yaml')], {
    encoding: 'utf8',
  });
  t.is(cli.status, 1);
  t.notRegex(cli.stderr, /ENOENT/);
  t.regex(cli.stderr, /no such file/);
  t.regex(cli.stdout, /default\.yaml: ok/);
});

test('observability.http takes host:port and nothing else', (t) => {
  t.is(parseConfig('version: 1\nobservability:\n  http: "127.0.0.1:9464"\n').observability.http, '127.0.0.1:9464');
  t.is(parseConfig('version: 1\n').observability.http, undefined);
  t.regex(problems('version: 1\nobservability:\n  http: 9464\n').join(), /observability\.http \(line 3\)/);
  t.regex(problems('version: 1\nobservability:\n  http: "localhost:70000"\n').join(), /above 65535/);
  t.regex(problems('version: 1\nobservability:\n  http: "http://x:1/"\n').join(), /expected host:port/);
});
