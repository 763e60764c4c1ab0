// The registry topic is compacted: the broker keeps only the newest record of each key. Keyed by
// `registryRecordKey`, the records compaction leaves must give the registry every answer that all
// of the records give, in any order of arrival the topic may hold.
import test from 'ava';
import fc from 'fast-check';
import type { RegistryRecord } from '../src/contract/events.ts';
import { EXEMPTION_REASONS } from '../src/contract/events.ts';
import { Registry, registryRecordKey } from '../src/privacy/registry.ts';

const USERS = ['u-1', 'u-2', 'u-3'];
const TIMES = [0, 100, 200, 300];

const record: fc.Arbitrary<RegistryRecord> = fc.oneof(
  fc.record({ kind: fc.constant('person' as const), user_id: fc.constantFrom(...USERS), region: fc.constantFrom('US', 'de', ' us ') }),
  fc.record({
    kind: fc.constant('exemption' as const),
    user_id: fc.constantFrom(...USERS),
    from: fc.constantFrom(...TIMES, Number.NaN),
    until: fc.constantFrom(null, ...TIMES.map((t) => t + 150)),
    reason: fc.constantFrom(...EXEMPTION_REASONS),
  }),
  fc.record({ kind: fc.constant('erasure' as const), user_id: fc.constantFrom(...USERS), ts: fc.constantFrom(...TIMES) }),
);

/** What a compacted topic holds: the newest record of each key, in the order they were appended. */
function compacted(records: readonly RegistryRecord[]): RegistryRecord[] {
  const newest = new Map<string, number>();
  records.forEach((r, i) => newest.set(registryRecordKey(r), i));
  return records.filter((r, i) => newest.get(registryRecordKey(r)) === i);
}

function answers(records: readonly RegistryRecord[]): unknown {
  const registry = new Registry();
  for (const r of records) registry.apply(r);
  return USERS.map((user) => ({
    region: registry.regionOf(user),
    known: registry.isKnown(user),
    erased: registry.isErased(user),
    exempt: [-50, ...TIMES, 1000].map((t) => [registry.exemptionAt(user, t), registry.exemptionDuring(user, t, t + 120)]),
  }));
}

test('a registry topic compacted by these keys decides everything the whole topic decides', (t) => {
  fc.assert(
    fc.property(fc.array(record, { maxLength: 40 }), (records) => {
      t.deepEqual(answers(compacted(records)), answers(records));
    }),
    { seed: 21, numRuns: 300 },
  );
});

test('a later person record keeps its own key: an erasure or an exemption before it survives compaction', (t) => {
  const records: RegistryRecord[] = [
    { kind: 'person', user_id: 'u-1', region: 'US' },
    { kind: 'erasure', user_id: 'u-1', ts: 5 },
    { kind: 'exemption', user_id: 'u-2', from: 10, until: null, reason: 'power' },
    { kind: 'exemption', user_id: 'u-2', from: 10, until: 20, reason: 'power' },
    { kind: 'person', user_id: 'u-1', region: 'US' },
    { kind: 'person', user_id: 'u-2', region: 'US' },
  ];
  t.deepEqual(compacted(records).map(registryRecordKey), ['erasure:u-1', 'exemption:u-2:10', 'person:u-1', 'person:u-2']);
  const registry = new Registry();
  for (const r of compacted(records)) registry.apply(r);
  t.true(registry.isErased('u-1'));
  t.is(registry.exemptionAt('u-2', 15), 'power');
  t.is(registry.exemptionAt('u-2', 20), null);
});
