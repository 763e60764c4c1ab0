// CI's check of the whole pipeline: every recorded fixture is replayed through the same code the
// product runs and must give exactly the expected episodes, dead letters and counts.
// After a deliberate change of behaviour: `npm run fixtures:update` and review the diff.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listFixtures, replayFixture } from './helpers/fixtures.ts';

const fixtures = listFixtures();

test('there are fixtures in JSON Lines and in Avro', (t) => {
  t.true(fixtures.some((f) => f.input.endsWith('.jsonl')));
  t.true(fixtures.some((f) => f.input.endsWith('.avro')));
});

for (const spec of fixtures) {
  test(`fixture ${spec.name}: replay gives the expected episodes (${spec.description})`, async (t) => {
    const expected = JSON.parse(readFileSync(join(spec.dir, spec.expected), 'utf8'));
    const { summary, deadLetters } = await replayFixture(spec);
    t.deepEqual(summary.episodes, expected.episodes);
    t.deepEqual(summary.dropped, expected.dropped);
    t.deepEqual(summary.privacy, expected.privacy);
    t.deepEqual(deadLetters, expected.dead_letters);
  });
}

test('the same stream as JSON Lines and as Avro gives the same dataset', (t) => {
  const read = (name: string) => JSON.parse(readFileSync(join(fixtures.find((f) => f.name === name)!.dir, 'expected.json'), 'utf8'));
  t.deepEqual(read('office-avro'), read('office-jsonl'));
});

test('bad input lines become dead letters with their reason and never stop the run', async (t) => {
  const spec = fixtures.find((f) => f.name === 'bad-input')!;
  const { summary, deadLetters } = await replayFixture(spec);
  t.is(summary.episodes.length, 1, 'the valid events around the bad lines still make their episode');
  t.is(summary.episodes[0].kinds, 'ccctk');
  const reasons = deadLetters.map((d) => d.reason).join('\n');
  t.regex(reasons, /invalid JSON/);
  t.regex(reasons, /field 'ts'/);
  t.regex(reasons, /unknown type 'mouse_teleport'/);
  t.regex(reasons, /unknown button 'thumb'/);
  t.is(summary.dropped.dead_letters, deadLetters.length, 'every dead letter is counted in the manifest');
});
