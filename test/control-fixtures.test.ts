// The fixtures that try to switch protection off through control records (scripts/make-control-fixtures.ts):
// replayed by the product, no planted canary may reach any file of the dataset, and every survivor
// word must, so a fixture that drops everything does not pass for a safe one.
import test from 'ava';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { listFixtures, replayFixture } from './helpers/fixtures.ts';
import { readDatasetRows } from './helpers/dataset.ts';

/** Lowercase letters and digits only: finds a canary rebuilt from key codes or typed with separators. */
const folded = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const planted = listFixtures().filter((f) => existsSync(join(f.dir, 'canaries.json')) && f.name !== 'privacy-canaries');

test('there are control-record fixtures with canaries', (t) => {
  t.true(planted.length >= 3);
});

for (const spec of planted) {
  test(`fixture ${spec.name}: no canary reaches the dataset, every survivor does`, async (t) => {
    const { canaries, survivors } = JSON.parse(readFileSync(join(spec.dir, 'canaries.json'), 'utf8')) as { canaries: string[]; survivors: string[] };
    const { out } = await replayFixture(spec);
    const rows = JSON.stringify(readDatasetRows(out));
    // the text of every file as well: manifest, card, and the shards' bytes (ZSTD-compressed, so mostly the rows above)
    const files = walk(out).map((p) => readFileSync(p, 'latin1')).join('\n');
    const haystack = folded(rows) + '\n' + folded(files);
    for (const canary of canaries) t.false(haystack.includes(folded(canary)), `canary ${canary} leaked`);
    for (const word of survivors) t.true(rows.includes(word), `survivor ${word} missing`);
  });
}
