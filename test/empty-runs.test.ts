// A run that drops everything must not look like success: it warns before it starts, names the
// rule that dropped most events, and its empty dataset does not load as something else.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { dominantDrop } from '../src/drop-summary.ts';
import { tempDir } from './helpers/temp.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'fixtures', 'office-jsonl');
const KEY = 'empty-runs-test-key-0123456789abcdef0123';

function episodic(args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'episodic.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, EPISODIC_PSEUDONYM_KEY: KEY },
  });
}

test('the rule that dropped most of the records is named with its count and what to check', (t) => {
  const privacy = { dropped_events: { unknown_person: 900, exempt: 50 } };
  t.regex(dominantDrop({ records_in: 1000, dead_letters: 10, duplicate: 0, late: 0 }, privacy)!, /^90% of the records read \(900 of 1,000\) were dropped as unknown_person: .*--registry/);
  t.is(dominantDrop({ records_in: 2000, dead_letters: 10, duplicate: 0, late: 0 }, privacy), undefined);
  t.regex(dominantDrop({ records_in: 10, dead_letters: 10, duplicate: 0, late: 0 }, {})!, /^all of the records read .* dead_letters: .*dead-letter file/);
});

test('replay without a registry warns before it starts and says why nothing was written; the empty dataset does not load as a manifest row', (t) => {
  const out = join(tempDir('empty-runs'), 'ds');
  const r = episodic(['replay', '--input', join(FIXTURE, 'events.jsonl'), '--out', out]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /WARNING: no registry given \(--registry\): people unknown to the registry are never captured/);
  t.regex(r.stderr, /WARNING: all of the records read \(15,000 of 15,000\) were dropped as unknown_person/);
  t.regex(r.stdout, /episodes: {5}0 written/);
  const python = spawnSync(
    'python3',
    ['-c', ['import sys, datasets', 'try:', '    print(datasets.load_dataset(sys.argv[1]))', 'except Exception as e:', '    print(type(e).__name__, e)'].join('\n'), out],
    { encoding: 'utf8', env: { ...process.env, HF_DATASETS_OFFLINE: '1', HF_HOME: join(tempDir('hf'), 'home') } },
  );
  t.is(python.status, 0, python.stderr);
  t.notRegex(python.stdout, /manifest|num_rows: 1\b/, python.stdout);
  t.regex(python.stdout, /DataFilesNotFoundError|num_rows: 0/);
});
