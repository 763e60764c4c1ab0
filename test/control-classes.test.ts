// The control-record fixtures (scripts/make-late-fixtures.ts), read back as a user would: no
// word typed where nothing may be written reaches the dataset, the words typed elsewhere do, and
// each class behaves as the privacy rules say (docs/PRIVACY.md).
import test from 'ava';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eraseUser } from '../src/privacy/erase.ts';
import { FIXTURE_KEY, listFixtures, replayFixture, type FixtureSpec } from './helpers/fixtures.ts';
import { readDatasetRows, type Row } from './helpers/dataset.ts';

const pseudonym = (rawId: string) => createHmac('sha256', FIXTURE_KEY).update(rawId, 'utf8').digest('hex');
/** Lowercase letters and digits only: a word typed key by key comes out without separators. */
const folded = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
const text = (rows: readonly Row[]) => folded(JSON.stringify(rows));

const withCanaries = listFixtures().filter((f) => existsSync(join(f.dir, 'canaries.json')));
const spec = (name: string): FixtureSpec => withCanaries.find((f) => f.name === name)!;

for (const fixture of withCanaries) {
  test(`fixture ${fixture.name}: no canary reaches the dataset, every survivor does`, async (t) => {
    const { canaries, survivors } = JSON.parse(readFileSync(join(fixture.dir, 'canaries.json'), 'utf8')) as { canaries: string[]; survivors: string[] };
    const { out } = await replayFixture(fixture);
    const written = text(readDatasetRows(out));
    t.deepEqual(canaries.filter((c) => written.includes(folded(c))), []);
    t.deepEqual(survivors.filter((s) => !written.includes(folded(s))), []);
  });
}

test('a device that changes hands: each person has their own episodes under their own pseudonym, and erasure finds them', async (t) => {
  const { out } = await replayFixture(spec('device-changes-hands'));
  const rows = readDatasetRows(out);
  const of = (user: string) => rows.filter((r) => r.user === pseudonym(user));
  t.is(of('emp-0101-alice').length, 1);
  t.is(of('emp-0101-alice')[0].end_reason, 'user_change');
  t.false(text(of('emp-0101-alice')).includes('bobwrites'));
  t.true(text(of('emp-0102-bob')).includes('bobwrites'));
  t.true(text(of('emp-0103-carol')).includes('carolwrites'));
  t.is(of('emp-0104-raj').length, 0, 'a person who is not captured has no episode, before or after someone else used the device');

  const entry = await eraseUser(out, pseudonym('emp-0102-bob'));
  t.is(entry.episodes_removed, 1);
  const after = readDatasetRows(out);
  t.false(text(after).includes('bobwrites'));
  t.true(text(after).includes('alicewrites'));
});

test('ids reused or colliding: only the identical record counts as a retry', async (t) => {
  const { summary } = await replayFixture(spec('retry-reused-id'));
  t.is(summary.dropped.duplicate, 1, 'the one record sent twice');
});
