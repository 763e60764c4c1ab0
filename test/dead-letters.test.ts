// Dead letters are raw input: readable by their owner only, and part of what erase removes.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isPersonsDeadLetter } from '../src/privacy/dead-letters.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures', 'office-jsonl');
const KEY = 'dead-letters-test-key-0123456789abcdef0123';

function episodic(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: KEY },
  });
}

const letter = (raw: string) => JSON.stringify({ reason: 'x', position: { source: 'f', offset: 1 }, raw });

test('a dead letter is the person\'s by its user_id, or, where it cannot be read, by their id anywhere in it', (t) => {
  t.true(isPersonsDeadLetter(letter('{"user_id":"u-1","ts":"bad"}'), 'u-1'));
  t.false(isPersonsDeadLetter(letter('{"user_id":"u-10","ts":"bad"}'), 'u-1'));
  t.true(isPersonsDeadLetter(letter('{"user_id":"u-1","ts":'), 'u-1'), 'an unparsable line');
  t.true(isPersonsDeadLetter(letter(Buffer.from('\u0006u-1\u0002xyz').toString('base64')), 'u-1'), 'a binary record');
  t.false(isPersonsDeadLetter(letter(Buffer.from('\u0006u-2\u0002xyz').toString('base64')), 'u-1'));
  t.true(isPersonsDeadLetter('not json u-1', 'u-1'));
});

test('dead letters are written 0600 in a folder made 0700, and erase --user removes the person\'s', (t) => {
  const dir = tempDir('dead-letters');
  const lines = readFileSync(join(FIXTURE, 'events.jsonl'), 'utf8').trim().split('\n');
  const people = ['u-00001', 'u-00002'];
  const bad = people.flatMap((user, i) => [
    JSON.stringify({ event_id: `bad-${i}`, device_id: 'd', user_id: user, seq: 1, ts: 'soon', type: 'key_down', key: 'KeyA' }),
    `{"user_id":"${user}", "typed": "hunter2`,
  ]);
  const input = join(dir, 'events.jsonl');
  writeFileSync(input, `${[...lines, ...bad].join('\n')}\n`);
  const out = join(dir, 'ds');
  const deadLetters = join(dir, 'private', 'dlq.jsonl');
  const r = episodic(['replay', '--input', input, '--registry', join(FIXTURE, 'registry.jsonl'), '--out', out, '--dead-letter', deadLetters]);
  t.is(r.status, 0, r.stderr);
  t.is(statSync(deadLetters).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'private')).mode & 0o777, 0o700);
  t.is(readFileSync(deadLetters, 'utf8').trim().split('\n').length, 4);

  const erase = episodic(['erase', '--dataset', out, '--user', 'u-00001', '--dead-letter', deadLetters]);
  t.is(erase.status, 0, erase.stderr);
  t.regex(erase.stdout, /dead letters: 2 removed/);
  const left = readFileSync(deadLetters, 'utf8');
  t.false(left.includes('u-00001'));
  t.is(left.trim().split('\n').length, 2);
  t.true(left.includes('u-00002'));
  t.is(statSync(deadLetters).mode & 0o777, 0o600);
});

test('erase on a Kafka dataset says loudly that the dead-letter topic keeps the person\'s records', (t) => {
  const dir = tempDir('dead-letters');
  const out = join(dir, 'kafka-ds');
  t.is(episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--out', out]).status, 0);
  // as `episodic run` marks its dataset
  writeFileSync(join(out, '.episodic-dataset.json'), '{"format":"episodic-dataset","version":1,"writer":"kafka"}\n');
  const erase = episodic(['erase', '--dataset', out, '--user', 'u-00001']);
  t.is(erase.status, 0, erase.stderr);
  t.regex(erase.stderr, /WARNING: the Kafka dead-letter topic input-events-dlq may hold this person's raw records, and erase cannot remove them/);
});
