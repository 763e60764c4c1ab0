// Logs as an operator reads them: JSON lines with time and level off a terminal, the level flag,
// kafkajs' rebalance chatter kept out of ERROR, and no raw id or captured content in any line.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { kafkajs } from '../src/kafka/kafkajs.ts';
import { createLogger, kafkaLine, kafkaLogLevel } from '../src/observability/log.ts';
import { takeGlobalOptions } from '../src/cli.ts';
import { FIXTURE_KEY } from './helpers/fixtures.ts';
import { logLeaks } from './helpers/canaries.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CANARIES = join(ROOT, 'fixtures', 'privacy-canaries');

function episodic(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: FIXTURE_KEY, EPISODIC_DEBUG: '', ...env },
  });
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('episodic --version prints the package version', (t) => {
  const r = episodic(['--version']);
  t.is(r.status, 0);
  t.is(r.stdout.trim(), `episodic ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
});

test('off a terminal, replay logs JSON lines with time, level and the settings that matter; --log-level warn keeps them out', (t) => {
  const out = join(tempDir('log'), 'ds');
  const args = ['replay', '--input', join(CANARIES, 'events.jsonl'), '--registry', join(CANARIES, 'registry.jsonl'), '--config', join(CANARIES, 'pipeline.yaml'), '--out', out];
  const r = episodic(args);
  t.is(r.status, 0, r.stderr);
  const lines = jsonLines(r.stderr);
  const start = lines.find((l) => l.msg === 'episodic replay starting')!;
  t.truthy(start);
  t.is(start.level, 'info');
  t.false(Number.isNaN(Date.parse(String(start.time))));
  t.regex(String(start.config_hash), /^[0-9a-f]{16}$/);
  t.is(start.version, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  const done = lines.find((l) => l.msg === 'episodic replay done')!;
  t.is(done.episodes_written, JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).totals.episodes_written);
  // stdout keeps the summary for people; the log never mixes into it
  t.regex(r.stdout, /^dataset: /);

  const quiet = episodic([...args, '--log-level', 'warn']);
  t.is(quiet.status, 0, quiet.stderr);
  t.is(quiet.stderr, '');
  t.is(episodic([...args, '--log-level=loud']).status, 2);
});

test('no log line of a replay at the most verbose level holds a canary, a raw id or an absent person\'s pseudonym', (t) => {
  const out = join(tempDir('log'), 'ds');
  const r = episodic(
    ['replay', '--log-level', 'trace', '--log-format', 'json', '--input', join(CANARIES, 'events.jsonl'), '--registry', join(CANARIES, 'registry.jsonl'), '--config', join(CANARIES, 'pipeline.yaml'), '--out', out],
  );
  t.is(r.status, 0, r.stderr);
  t.true(jsonLines(r.stderr).length >= 2);
  t.deepEqual(logLeaks(r.stderr), []);
});

test('a failing run says why as a JSON log line, so a JSON log stays JSON', (t) => {
  const r = episodic(['run', '--config', join(ROOT, 'pipelines', 'default.yaml'), '--log-format', 'json']);
  t.is(r.status, 2);
  const [line] = jsonLines(r.stderr);
  t.is(line.level, 'fatal');
  t.regex(String(line.msg), /source\.kind is 'file'/);
});

test('--log-level and --log-format are taken wherever they stand, and only they', (t) => {
  const options = takeGlobalOptions(['--config', 'c.yaml', '--log-level', 'debug', '--out', 'x', '--log-format=json'], {});
  t.deepEqual(options, { logLevel: 'debug', logFormat: 'json', rest: ['--config', 'c.yaml', '--out', 'x'] });
  t.is(takeGlobalOptions([], { EPISODIC_DEBUG: '1' }).logLevel, 'debug');
  t.is(takeGlobalOptions([], {}).logLevel, 'info');
  t.throws(() => takeGlobalOptions(['--log-format', 'xml'], {}), { message: /--log-format must be one of/ });
});

test('kafkajs: a routine rebalance is info, a real error stays error, and the level follows ours unless EPISODIC_KAFKA_LOG_LEVEL says otherwise', (t) => {
  const { logLevel } = kafkajs();
  const rebalance = kafkaLine('Runner', logLevel.ERROR, { message: 'The group is rebalancing, re-joining', timestamp: 'x', logger: 'kafkajs', groupId: 'g', memberId: 'm', error: 'The group is rebalancing, so a rejoin is needed' } as never, logLevel);
  t.is(rebalance.level, 'info');
  t.is(rebalance.fields.groupId, 'g');
  t.false('timestamp' in rebalance.fields);
  const heartbeat = kafkaLine('Connection', logLevel.ERROR, { message: 'Response Heartbeat(key: 12, version: 3)', error: 'The group is rebalancing, so a rejoin is needed', timestamp: 'x', logger: 'kafkajs' } as never, logLevel);
  t.is(heartbeat.level, 'info');
  const refused = kafkaLine('Connection', logLevel.ERROR, { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1', timestamp: 'x', logger: 'kafkajs', stack: 'Error: ...' } as never, logLevel);
  t.is(refused.level, 'error');
  t.false('stack' in refused.fields);
  t.is(kafkaLogLevel('info', {}, logLevel), logLevel.WARN);
  t.is(kafkaLogLevel('debug', {}, logLevel), logLevel.DEBUG);
  t.is(kafkaLogLevel('info', { EPISODIC_KAFKA_LOG_LEVEL: 'debug' }, logLevel), logLevel.DEBUG);
  t.is(kafkaLogLevel('debug', { EPISODIC_KAFKA_LOG_LEVEL: 'nothing' }, logLevel), logLevel.NOTHING);
});

test('a logger writes one JSON object per line with an ISO time and the level by name', (t) => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', stream });
  logger.debug('hidden');
  logger.info({ partition: 3, offset: 42 }, 'committed');
  const lines = jsonLines(chunks.join(''));
  t.is(lines.length, 1);
  t.like(lines[0], { level: 'info', partition: 3, offset: 42, msg: 'committed' });
  t.regex(String(lines[0].time), /^\d{4}-\d\d-\d\dT/);
});
