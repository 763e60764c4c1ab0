// Absurd input never ends a run: valid events with one value at a time made huge, negative,
// fractional, non-finite, out of range, of the wrong type, or unicode, replayed end to end. Every
// run completes, and every record is either an event or a dead letter.
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { generateToFiles } from '../src/generate/files.ts';
import { replay } from '../src/replay.ts';
import { tempDir } from './helpers/temp.ts';

const KEY = 'fuzz-replay-test-key-0123456789abcdef';
const config = loadConfig();

/** JSON text a JSON.stringify of a JS value cannot give: it parses to a non-finite or odd number. */
const RAW_NUMBER = ['1e999', '-1e999', '1e-400', '-0', '123456789012345678901234567890'];

const hugeOrOdd = fc.constantFrom(
  2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE,
  253_402_300_800_000, // 10000-01-01T00:00:00Z
  8.64e15, 8.64e15 + 1, -8.64e15 - 1, -1, 0, 0.5, 1.5, -0.5, 1e21,
);
const numberValue = fc.oneof(
  hugeOrOdd.map((n) => ({ json: n })),
  fc.double().map((n) => ({ json: n })),
  fc.integer().map((n) => ({ json: n })),
  fc.constantFrom(...RAW_NUMBER).map((raw) => ({ raw })),
);
const unicodeString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', '\u0000', '\ud800', '\udfff\ud800', '\u202e\u200b', 'ß'.repeat(5000), '👩‍👩‍👧‍👦', 'NaN', '1e3'),
);
const wrongType = fc.constantFrom(null, true, false, {}, [], [1, 'a'], { nested: { deep: 1 } }, 'text', 42).map((v) => ({ json: v }));
const valueFor = (current: unknown) =>
  typeof current === 'number'
    ? fc.oneof({ weight: 4, arbitrary: numberValue }, { weight: 1, arbitrary: wrongType }, { weight: 1, arbitrary: unicodeString.map((s) => ({ json: s })) })
    : typeof current === 'string'
      ? fc.oneof({ weight: 4, arbitrary: unicodeString.map((s) => ({ json: s })) }, { weight: 1, arbitrary: numberValue }, { weight: 1, arbitrary: wrongType })
      : fc.oneof(wrongType, numberValue, unicodeString.map((s) => ({ json: s })));

/** Every path to a leaf of the event (numbers and strings in nested objects and arrays too). */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const paths: (string | number)[][] = prefix.length ? [prefix] : [];
  for (const [key, inner] of Object.entries(value)) paths.push(...leafPaths(inner, [...prefix, Array.isArray(value) ? Number(key) : key]));
  return paths;
}

function getAt(value: any, path: (string | number)[]): unknown {
  for (const key of path) value = value?.[key];
  return value;
}

const PLACEHOLDER = '"\u0000raw-number\u0000"';

/** The event's JSON line with the value at `path` replaced. */
function mutatedLine(event: Record<string, unknown>, path: (string | number)[], replacement: { json?: unknown; raw?: string }): string {
  const copy = structuredClone(event);
  let target: any = copy;
  for (const key of path.slice(0, -1)) target = target[key];
  target[path[path.length - 1]] = replacement.raw !== undefined ? '\u0000raw-number\u0000' : replacement.json;
  const line = JSON.stringify(copy);
  return replacement.raw !== undefined ? line.replace(JSON.stringify('\u0000raw-number\u0000'), replacement.raw) : line;
}

test('replay completes on type-aware mutations of valid events, and every record is an event or a dead letter', async (t) => {
  const dir = tempDir('fuzz');
  const stream = await generateToFiles({ out: join(dir, 'stream'), seed: 3, devices: 3, events: 1500, format: 'jsonl' });
  const base = readFileSync(stream.eventsPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const mutation = fc
    .nat({ max: base.length - 1 })
    .chain((index) => fc.constantFrom(...leafPaths(base[index]).filter((p) => p.length > 0)).map((path) => ({ index, path })))
    .chain(({ index, path }) => valueFor(getAt(base[index], path)).map((value) => ({ index, path, value })));
  // one field of a run of consecutive events: a capture agent whose clock (or counter) ran away
  // makes whole episodes of absurd values, which a single odd event (too short to keep) does not
  const block = fc.record({
    start: fc.nat({ max: base.length - 1 }),
    length: fc.integer({ min: 20, max: 400 }),
    field: fc.constantFrom<string[][]>(['ts'], ['seq'], ['x'], ['y'], ['dx'], ['dy'], ['duration_ms'], ['screen', 'width'], ['screen', 'height'], ['screen', 'scale']),
    value: fc.oneof(hugeOrOdd, fc.double({ noNaN: true }), fc.integer()),
    step: fc.constantFrom(0, 1, 40),
  }) as fc.Arbitrary<Block>;
  type Block = { start: number; length: number; field: string[]; value: number; step: number };
  const yearTenThousand: Block = { start: 0, length: 1500, field: ['ts'], value: 253_402_300_800_000, step: 40 };
  const wideScreens: Block = { start: 0, length: 1500, field: ['screen', 'width'], value: 2 ** 40, step: 0 };
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 40 }), fc.array(block, { maxLength: 2 }), async (mutations, blocks) => {
      const lines = base.map((event) => JSON.stringify(event));
      for (const { start, length, field, value, step } of blocks) {
        for (let i = start; i < Math.min(base.length, start + length); i++) {
          const event = JSON.parse(lines[i]);
          const parent = field.length === 1 ? event : getAt(event, field.slice(0, -1));
          if (parent !== null && typeof parent === 'object' && (field.length === 1 ? ['ts', 'seq'].includes(field[0]) || field[0] in event : true)) {
            lines[i] = mutatedLine(event, field, { json: value + (i - start) * step });
          }
        }
      }
      for (const { index, path, value } of mutations) lines[index] = mutatedLine(JSON.parse(lines[index]), path, value);
      const input = join(dir, `events-${run}.jsonl`);
      writeFileSync(input, `${lines.join('\n')}\n`);
      const out = join(dir, `ds-${run++}`);
      const { counters } = await replay({ config, input, registry: stream.registryPath, out, pseudonymKey: KEY, deadLetterPath: `${out}.dlq.jsonl` });
      return counters.records_in === base.length && counters.records_in === counters.events_in + counters.dead_letters;
    }),
    { numRuns: 30, seed: 20261207, endOnFailure: true, examples: [
        [[{ index: 0, path: ['seq'], value: { json: 0 } }], [yearTenThousand]],
        [[{ index: 0, path: ['seq'], value: { json: 0 } }], [wideScreens]],
      ] },
  );
  t.pass();
});
