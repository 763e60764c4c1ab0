// Every command reads its flags one strict way: numbers that are not numbers, missing files and
// things that are not datasets are refused up front with a message that names the flag and the path.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { numberFlag } from '../src/flags.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures', 'office-jsonl');

function episodic(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: 'flags-test-key-0123456789abcdef0123456789' },
  });
}

test('numbers are read whole or refused by flag name', (t) => {
  t.is(numberFlag('--events', '250', { integer: true, min: 1 }), 250);
  t.is(numberFlag('--events', undefined, { integer: true, min: 1 }, 7), 7);
  t.is(numberFlag('--exit-when-idle', '0.5', { positive: true }), 0.5);
  for (const bad of ['abc', '', ' ', '10k', '1e3', '0x10', '1.5', '-3', '0', 'Infinity', 'NaN', '99999999999999999999']) {
    t.throws(() => numberFlag('--events', bad, { integer: true, min: 1 }), { message: new RegExp(`^--events must be a whole number of at least 1, not '`) }, bad);
  }
  t.throws(() => numberFlag('--exit-when-idle', '0', { positive: true }), { message: /--exit-when-idle must be a positive number/ });
});

test('generate and demo refuse a count that is not a number, with a usage error, before writing anything', (t) => {
  const out = join(tempDir('flags'), 'stream');
  for (const args of [
    ['generate', '--events', 'abc', '--out', out],
    ['generate', '--devices', 'many', '--out', out],
    ['generate', '--seed', '1.5', '--out', out],
    ['demo', '--events', 'abc', '--out', out],
  ]) {
    const r = episodic(args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, new RegExp(`${args[1]} must be a whole number`));
    t.false(existsSync(out), args.join(' '));
  }
  const kafka = episodic(['produce', '--input', join(FIXTURE, 'events.jsonl'), '--partitions', 'two']);
  t.is(kafka.status, 2, kafka.stderr);
  t.regex(kafka.stderr, /--partitions must be a whole number/);
});

test('a missing --config, --input or --registry is named with its path', (t) => {
  const missing = join(tempDir('flags'), 'nowhere.jsonl');
  const out = join(tempDir('flags'), 'ds');
  const cases: [string[], string][] = [
    [['replay', '--input', missing, '--out', out], `--input ${missing}: no such file`],
    [['replay', '--input', join(FIXTURE, 'events.jsonl'), '--registry', missing, '--out', out], `--registry ${missing}: no such file`],
    [['replay', '--input', join(FIXTURE, 'events.jsonl'), '--config', missing, '--out', out], `--config ${missing}: no such file`],
    [['replay', '--input', FIXTURE, '--out', out], `--input ${FIXTURE}: not a file`],
    [['produce', '--input', missing], `--input ${missing}: no such file`],
    [['run', '--config', missing], `--config ${missing}: no such file`],
    [['erase', '--dataset', out, '--user', 'u', '--config', missing], `--config ${missing}: no such file`],
  ];
  for (const [args, message] of cases) {
    const r = episodic(args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.true(r.stderr.includes(message), `${args.join(' ')}: ${r.stderr}`);
    t.notRegex(r.stderr, /ENOENT/);
  }
  t.false(existsSync(out));
  const erase = episodic(['erase', '--dataset', out, '--user', 'u']);
  t.is(erase.status, 1);
  t.true(erase.stderr.includes(`--dataset ${out}: not an episodic dataset`), erase.stderr);
  const validate = episodic(['validate', missing]);
  t.is(validate.status, 1);
  t.true(validate.stderr.includes(`${missing}: no such file`), validate.stderr);
});

test('inspect says when a file or directory is not a dataset or a shard', (t) => {
  const dir = tempDir('flags');
  const notes = join(dir, 'notes.txt');
  writeFileSync(notes, 'hello');
  const fake = join(dir, 'fake.parquet');
  writeFileSync(fake, 'PAR1 not really');
  const web = join(dir, 'web');
  mkdirSync(web);
  writeFileSync(join(web, 'manifest.json'), '{"name":"app"}');
  for (const path of [notes, fake]) {
    const r = episodic(['inspect', path]);
    t.is(r.status, 1, r.stderr);
    t.true(r.stderr.includes(`${path} is not an episodic shard or dataset`), r.stderr);
  }
  const r = episodic(['inspect', web]);
  t.is(r.status, 1);
  t.true(r.stderr.includes(`${web} is not an episodic dataset`), r.stderr);
  t.deepEqual(readdirSync(web), ['manifest.json']);
});
