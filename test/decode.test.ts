import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { copyInputEvent, EVENT_FIELDS, EVENT_TYPES, MODIFIERS, newInputEvent, type DeadLetter, type DecodedEvents, type SourceBatch, type InputEvent, type RegistryRecord } from '../src/contract/events.ts';
import { parseConfig } from '../src/config.ts';
import { Pipeline } from '../src/pipeline.ts';
import { Registry } from '../src/privacy/registry.ts';
import { checkEventValues, decodeEvent, decodeRegistryRecord } from '../src/contract/decode.ts';
import { EMPTY_ID_HASH, idHashOf, idHashOfBytes } from '../src/contract/event-id.ts';
import {
  decodeEventBytes,
  decodeRegistryRecordBytes,
  encodeEvent,
  encodeRegistryRecord,
  eventFromAvro,
  fastEventReaderActive,
  frameConfluent,
  inputEventType,
  readEvent,
  registryRecordType,
  registryToAvro,
  registerEventWriterSchema,
  stripConfluentFraming,
} from '../src/contract/avro.ts';
import {
  readEventFile,
  readRegistryFile,
  writeAvroContainer,
  readEventBatches,
  writeEventsAvro,
  writeEventsJsonl,
  writeRegistryJsonl,
  type RawRecord,
} from '../src/sources/file.ts';
import { tempDir } from './helpers/temp.ts';

const dir = tempDir('decode');
const base = { device_id: 'dev-1', user_id: 'u-1' };
let counter = 0;
function ev(type: InputEvent['type'], fields: Partial<InputEvent> = {}): InputEvent {
  counter++;
  return { event_id: `e-${counter}`, ...base, seq: counter, ts: 1_700_000_000_000 + counter, type, ...fields };
}

/** One valid event of every type, with the fields that type carries. */
function samples(): InputEvent[] {
  return [
    ev('mouse_move', { x: 10.5, y: 20.25 }),
    ev('mouse_down', { x: 10, y: 20, button: 'left', modifiers: ['shift'] }),
    ev('mouse_up', { x: 12, y: 22, button: 'right' }),
    ev('wheel', { x: 1, y: 2, dx: 0, dy: -120 }),
    ev('key_down', { key: 'KeyA', char: 'ä', modifiers: [] }),
    ev('key_up', { key: 'KeyA' }),
    ev('key_down', { key: 'KeyP', char: 'p', secure: true }),
    ev('focus', {
      context: { app: 'Chrome', title: 'Inbox – Mail', url: 'https://mail.example.com/', participants: ['u-2'], tags: ['eu-data'] },
      screen: { width: 2560, height: 1440, scale: 2 },
      geo: 'DE',
    }),
    ev('clipboard', { text: 'copied text 日本語' }),
    ev('screen_frame', { frame_uri: 's3://frames/1.png' }),
    ev('lock'),
    ev('unlock'),
    ev('pause', { duration_ms: 600_000 }),
    ev('resume'),
  ];
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The fields an event has (decoded events carry every field of the contract, absent ones undefined; the uncommon ones behind accessors). */
function fields(e: unknown): Record<string, unknown> {
  return Object.fromEntries(EVENT_FIELDS.map((name) => [name, (e as InputEvent)[name]]).filter(([, v]) => v !== undefined));
}
/** What the decoders make of an event in its wire form: the id kept as its fingerprint. */
function decodedForm(e: InputEvent): Record<string, unknown> {
  const { event_id, ...rest } = e;
  return { id_hash: idHashOf(event_id!), ...rest };
}
const ONE_SHAPE = Object.keys(newInputEvent(1, 'd', 'u', 0, 0, 'lock'));

async function collect(path: string, batchSize?: number): Promise<{ records: RawRecord[]; batches: number }> {
  const records: RawRecord[] = [];
  let batches = 0;
  for await (const batch of readEventFile(path, batchSize)) {
    batches++;
    records.push(...batch);
  }
  return { records, batches };
}

test('a valid event of every type decodes to its fields, in the one shape every stage sees', (t) => {
  const all = samples();
  t.deepEqual(new Set(all.map((e) => e.type)), new Set(EVENT_TYPES));
  for (const e of all) {
    const result = decodeEvent({ ...clone(e), from_a_newer_agent: 1 });
    if (!result.ok) return t.fail(`${e.type}: ${result.reason}`);
    t.deepEqual(fields(result.event), decodedForm(e));
    t.deepEqual(Object.keys(result.event), ONE_SHAPE, `${e.type}: same keys in the same order, unknown ones left out`);
  }
});

test('every field of an event reads back what was written, and a copy is an event of its own: changing it leaves the original as it was', (t) => {
  const values: Record<(typeof EVENT_FIELDS)[number], unknown> = {
    event_id: 'e-1', id_hash: 7, device_id: 'd', user_id: 'u', seq: 3, ts: 1_700_000_000_123, type: 'focus', x: 1.5, y: 2,
    button: 'left', dx: -3, dy: 4, key: 'KeyA', char: 'a', modifiers: ['ctrl'], secure: false, text: 'copied',
    frame_uri: 's3://f/1.png', context: { app: 'Slack', title: 't', url: null, participants: ['p'], tags: [] },
    screen: { width: 1920, height: 1080, scale: 2 }, geo: 'US', duration_ms: 60_000, redacted: 'eu_context', eu_linked: true,
  };
  const e = newInputEvent(7, 'd', 'u', 3, 1_700_000_000_123, 'focus') as unknown as Record<string, unknown>;
  for (const name of EVENT_FIELDS) {
    t.is(e[name], name in { id_hash: 1, device_id: 1, user_id: 1, seq: 1, ts: 1, type: 1 } ? values[name] : undefined, `${name} before it is set`);
    e[name] = values[name];
  }
  t.deepEqual(fields(e), values);
  const copy = copyInputEvent(e as unknown as InputEvent) as unknown as Record<string, unknown>;
  const { event_id: _, ...withoutWireId } = values;
  t.deepEqual(fields(copy), withoutWireId, 'a copy has every field but the wire id (its fingerprint kept)');
  for (const name of EVENT_FIELDS) if (name !== 'type') copy[name] = undefined;
  t.deepEqual(fields(e), values, 'the original keeps every field its copy lost');
  t.deepEqual(fields(copy), { type: 'focus' });
  // an event with no uncommon field takes none on from an undefined write
  const plain = newInputEvent(1, 'd', 'u', 0, 0, 'lock');
  plain.geo = undefined;
  t.deepEqual(plain, newInputEvent(1, 'd', 'u', 0, 0, 'lock'));
});

test('each kind of bad input is rejected with a reason naming the field', (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'hello', 'expected an event object, got string'],
    ['array', [1], 'expected an event object, got array'],
    ['missing event_id', { ...ev('lock'), event_id: undefined }, "field 'event_id': expected non-empty string, got undefined"],
    ['empty device_id', { ...ev('lock'), device_id: '' }, "field 'device_id'"],
    ['numeric user_id', { ...ev('lock'), user_id: 42 }, "field 'user_id': expected non-empty string, got integer 42"],
    ['ts as string', { ...ev('lock'), ts: '2024-01-01' }, "field 'ts': expected integer epoch ms, got string"],
    ['fractional ts', { ...ev('lock'), ts: 1.5 }, "field 'ts': expected integer epoch ms, got number 1.5"],
    ['negative seq', { ...ev('lock'), seq: -1 }, "field 'seq'"],
    ['unknown type', { ...ev('lock'), type: 'mouse_teleport' }, "unknown type 'mouse_teleport'"],
    ['missing type', { ...ev('lock'), type: undefined }, "field 'type'"],
    ['infinite x', ev('mouse_move', { x: Infinity, y: 1 }), "field 'x': expected finite number within int32 (pixels), got Infinity"],
    ['x beyond int32', ev('mouse_move', { x: 1, y: 5e9 }), "field 'y': expected finite number within int32 (pixels), got integer 5000000000"],
    ['NaN dy', ev('wheel', { dx: 0, dy: NaN }), "field 'dy': expected finite number within ±16777216, got NaN"],
    // float32 in the dataset, summed over a scroll: near its limit a sum would be Infinity
    ['dx beyond what a wheel scrolls', ev('wheel', { dx: -3e38, dy: 0 }), "field 'dx': expected finite number within ±16777216, got integer -3e+38"],
    ['unknown button', { ...ev('mouse_down', { x: 1, y: 1 }), button: 'back' }, "field 'button': unknown button 'back'"],
    ['unknown modifier', { ...ev('key_down', { key: 'KeyA' }), modifiers: ['ctrl', 'hyper'] }, "field 'modifiers[1]': unknown modifier 'hyper'"],
    ['modifiers not array', { ...ev('key_down', { key: 'KeyA' }), modifiers: 'ctrl' }, "field 'modifiers'"],
    ['numeric key', { ...ev('key_down'), key: 65 }, "field 'key': expected string, got integer 65"],
    ['secure as string', { ...ev('key_down', { key: 'KeyA' }), secure: 'yes' }, "field 'secure': expected boolean, got string"],
    ['context without app', { ...ev('focus'), context: { title: 't' } }, "field 'context.app': expected string, got undefined"],
    ['context tag not a string', { ...ev('focus'), context: { app: 'a', tags: ['ok', 7] } }, "field 'context.tags[1]': expected string"],
    ['context participants not array', { ...ev('focus'), context: { app: 'a', participants: 'u-2' } }, "field 'context.participants'"],
    ['zero screen width', { ...ev('focus', { context: { app: 'a', title: null, url: null, participants: [], tags: [] } }), screen: { width: 0, height: 1, scale: 1 } }, "field 'screen.width'"],
    ['negative duration', { ...ev('pause'), duration_ms: -5 }, "field 'duration_ms'"],
    ['mouse_down without x', ev('mouse_down', { y: 1, button: 'left' }), "field 'x': required for mouse_down events"],
    ['mouse_up without button', ev('mouse_up', { x: 1, y: 1 }), "field 'button': required for mouse_up events"],
    ['key_down without key', ev('key_down'), "field 'key': required for key_down events"],
    ['focus without context', ev('focus'), "field 'context': required for focus events"],
    ['screen_frame without uri', ev('screen_frame'), "field 'frame_uri': required for screen_frame events"],
    ['wheel without amounts', ev('wheel'), 'wheel events need dx or dy'],
    ['agent-set eu_linked', { ...ev('lock'), eu_linked: false }, "field 'eu_linked': set by the privacy gate"],
  ];
  for (const [name, input, expected] of cases) {
    const result = decodeEvent(input);
    t.false(result.ok, name);
    if (!result.ok) t.true(result.reason.includes(expected), `${name}: got "${result.reason}", want "${expected}"`);
  }
});

test('Avro-decoded events break the same value rules with the same reasons as JSON ones', (t) => {
  const cases: Array<[string, InputEvent]> = [
    ['empty device_id', { ...ev('lock'), device_id: '' }],
    ['negative seq', { ...ev('lock'), seq: -1 }],
    ['negative ts', { ...ev('lock'), ts: -5 }],
    ['infinite x', ev('mouse_move', { x: Infinity, y: 1 })],
    ['NaN dy', ev('wheel', { dx: 0, dy: NaN })],
    ['zero screen width', ev('focus', { context: { app: 'a', title: null, url: null, participants: [], tags: [] }, screen: { width: 0, height: 1, scale: 1 } })],
    ['negative duration', ev('pause', { duration_ms: -5 })],
    ['mouse_down without x', ev('mouse_down', { y: 1, button: 'left' })],
    ['key_down without key', ev('key_down')],
    ['focus without context', ev('focus')],
    ['screen_frame without uri', ev('screen_frame')],
    ['wheel without amounts', ev('wheel')],
  ];
  for (const [name, bad] of cases) {
    const fromJson = decodeEvent({ ...bad });
    t.false(fromJson.ok, name);
    const reason = checkEventValues(decodeEventBytes(encodeEvent(bad)));
    t.is(reason, fromJson.ok ? 'accepted' : fromJson.reason, name);
  }
  const wheel = decodeEventBytes(encodeEvent(ev('wheel', { dy: 3 })));
  t.is(checkEventValues(wheel), undefined);
  t.deepEqual([wheel.dx, wheel.dy], [0, 3], 'the missing axis scrolled by nothing, as from JSON');
});

test('nulls become absent fields; context members default to null and []', (t) => {
  const input: Record<string, unknown> = {
    ...ev('focus'),
    x: null,
    button: null,
    modifiers: null,
    geo: null,
    duration_ms: null,
    context: { app: 'Terminal' },
    screen: null,
  };
  const result = decodeEvent(input);
  if (!result.ok) return t.fail(result.reason);
  for (const field of ['x', 'button', 'modifiers', 'geo', 'duration_ms', 'screen']) t.is(result.event[field as keyof InputEvent], undefined, field);
  t.deepEqual(result.event.context, { app: 'Terminal', title: null, url: null, participants: [], tags: [] });
});

test('a wheel event with one axis gets 0 for the other', (t) => {
  const result = decodeEvent(clone(ev('wheel', { dy: 3 })));
  if (!result.ok) return t.fail(result.reason);
  t.is(result.event.dx, 0);
  t.is(result.event.dy, 3);
});

test('JSON -> Avro -> decode gives back the JSON event', (t) => {
  for (const e of samples()) {
    const fromJson = decodeEvent(JSON.parse(JSON.stringify(e)));
    if (!fromJson.ok) return t.fail(fromJson.reason);
    const fromAvro = decodeEventBytes(encodeEvent(e));
    t.is(checkEventValues(fromAvro), undefined, e.type);
    t.deepEqual(fromAvro, fromJson.event, e.type);
    t.deepEqual(Object.keys(fromAvro), ONE_SHAPE, 'the Avro reader gives the same shape');
  }
});

test('the hand-written reader agrees with avsc on random events', (t) => {
  t.true(fastEventReaderActive, 'schemas/input-event.avsc changed: update readEventFast and its fingerprint');
  for (let i = 0; i < 300; i++) {
    const value = inputEventType.random();
    const buf = inputEventType.toBuffer(value);
    const cursor = { pos: 0 };
    t.deepEqual(readEvent(buf, cursor, undefined), eventFromAvro(inputEventType.fromBuffer(buf)));
    t.is(cursor.pos, buf.length);
  }
  const extremes = [
    { seq: 0, ts: Number.MAX_SAFE_INTEGER - 1, duration_ms: 2 ** 40 + 3 },
    { seq: 2 ** 31, ts: 1, duration_ms: 127 },
    { seq: 128, ts: 2 ** 28, duration_ms: 2 ** 28 - 1 },
  ];
  for (const longs of extremes) {
    const e = ev('pause', { ...longs, event_id: 'é'.repeat(7), device_id: '😀 device with a long name', user_id: 'ü' });
    t.deepEqual(fields(decodeEventBytes(encodeEvent(e))), decodedForm(e));
  }
});

test('truncated or garbled Avro bytes throw instead of yielding an event', (t) => {
  const buf = encodeEvent(samples()[7]);
  t.throws(() => decodeEventBytes(buf.subarray(0, buf.length - 3)));
  t.throws(() => decodeEventBytes(Buffer.concat([buf, Buffer.from([1, 2])])), { message: /trailing bytes/ });
});

test('Confluent framing round trip, and plain binary still decodes', (t) => {
  const e = samples()[1];
  const payload = encodeEvent(e);
  const framed = frameConfluent(70_000, payload);
  t.deepEqual(stripConfluentFraming(framed), { schemaId: 70_000, payload });
  t.deepEqual(stripConfluentFraming(payload), { schemaId: null, payload });
  t.deepEqual(fields(decodeEventBytes(framed)), decodedForm(e));
  t.deepEqual(fields(decodeEventBytes(payload)), decodedForm(e));
});

test('registry records round trip through Avro, framed or not', (t) => {
  const records: RegistryRecord[] = [
    { kind: 'person', user_id: 'u-1', region: 'US' },
    { kind: 'exemption', user_id: 'u-1', from: 1000, until: null, reason: 'sensitive_material' },
    { kind: 'erasure', user_id: 'u-1', ts: 5000 },
  ];
  for (const r of records) {
    const payload = encodeRegistryRecord(r);
    for (const bytes of [payload, frameConfluent(3, payload)]) {
      const decoded = decodeRegistryRecord(decodeRegistryRecordBytes(bytes));
      if (!decoded.ok) return t.fail(decoded.reason);
      t.deepEqual(decoded.record, r);
    }
  }
});

test('registry validation names the field', (t) => {
  const bad = decodeRegistryRecord({ kind: 'exemption', user_id: 'u', from: 10, until: 5, reason: 'power' });
  t.deepEqual(bad, { ok: false, reason: "field 'until': 5 is before 'from' 10" });
  const badReason = decodeRegistryRecord({ kind: 'exemption', user_id: 'u', from: 10, reason: 'vacation' });
  t.deepEqual(badReason, { ok: false, reason: "field 'reason': unknown exemption reason 'vacation'" });
  t.deepEqual(decodeRegistryRecord({ kind: 'person', user_id: 'u' }), { ok: false, reason: "field 'region': expected ISO 3166 alpha-2 region, got undefined" });
  t.deepEqual(decodeRegistryRecord({ kind: 'ghost', user_id: 'u' }), { ok: false, reason: "field 'kind': unknown kind 'ghost'" });
});

// --- schema evolution ---------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const currentSchema = (): any => JSON.parse(readFileSync(new URL('../schemas/input-event.avsc', import.meta.url), 'utf8'));

function olderWriterType(): avro.Type {
  const schema = currentSchema();
  // an agent from before `geo` and `duration_ms` existed
  schema.fields = schema.fields.filter((f: { name: string }) => f.name !== 'geo' && f.name !== 'duration_ms');
  return avro.Type.forSchema(schema);
}

function newerWriterType(): avro.Type {
  const schema = currentSchema();
  schema.fields.splice(8, 0, { name: 'pressure', type: ['null', 'double'], default: null });
  schema.fields.push({ name: 'battery', type: 'int' });
  return avro.Type.forSchema(schema);
}

test('an older writer schema without an optional field still decodes', (t) => {
  const older = olderWriterType();
  const bytes = older.toBuffer({ ...inputEventType.fromBuffer(encodeEvent(ev('focus', { context: { app: 'a', title: null, url: null, participants: [], tags: [] } }))) });
  const e = decodeEventBytes(bytes, older);
  t.is(e.type, 'focus');
  t.is(e.geo, undefined);
  t.deepEqual(e.context, { app: 'a', title: null, url: null, participants: [], tags: [] });

  registerEventWriterSchema(901, older);
  t.deepEqual(decodeEventBytes(frameConfluent(901, bytes)), e);
});

test('a newer writer schema with extra fields decodes; the extras are dropped', (t) => {
  const newer = newerWriterType();
  const original = ev('mouse_down', { x: 3, y: 4, button: 'middle', geo: 'US' });
  const value = { ...inputEventType.fromBuffer(encodeEvent(original)), pressure: 0.7, battery: 80 };
  const bytes = newer.toBuffer(value);
  t.deepEqual(fields(decodeEventBytes(bytes, newer)), decodedForm(original));
  registerEventWriterSchema(902, JSON.stringify(newer.schema()));
  t.deepEqual(fields(decodeEventBytes(frameConfluent(902, bytes))), decodedForm(original));
});

// --- file source -------------------------------------------------------------------------------

test('JSONL: unparsable lines become error records with their line numbers, and reading goes on', async (t) => {
  const path = join(dir, 'mixed.jsonl');
  const good = samples();
  const lines = [
    JSON.stringify(good[0]),
    '',
    '{"event_id": "broken',
    JSON.stringify(good[1]) + '\r',
    '   ',
    'not json at all',
    JSON.stringify(good[2]),
  ];
  writeFileSync(path, lines.join('\n')); // no newline after the last line
  const { records } = await collect(path);
  t.deepEqual(
    records.map((r) => [r.position.offset, r.error === undefined ? 'ok' : 'error']),
    [
      [1, 'ok'],
      [3, 'error'],
      [4, 'ok'],
      [6, 'error'],
      [7, 'ok'],
    ],
  );
  t.true(records[1].error!.startsWith('invalid JSON: '));
  t.is(records[1].raw, '{"event_id": "broken');
  t.is(records[1].position.source, path);
  t.deepEqual(records[2].value, good[1]);
  t.is(records[2].raw, JSON.stringify(good[1]));
  t.deepEqual(records[4].value, good[2]);
});

test('JSONL written by writeEventsJsonl reads back in batches, multi-byte text intact', async (t) => {
  const path = join(dir, 'many.jsonl');
  const events = Array.from({ length: 2500 }, (_, i) => ev('clipboard', { text: `${i} – ünïcödé ${'x'.repeat(i % 300)}` }));
  await writeEventsJsonl(path, events);
  const { records, batches } = await collect(path, 1000);
  t.is(batches, 3);
  t.deepEqual(
    records.map((r) => r.value),
    events,
  );
  t.deepEqual(
    records.map((r) => r.position.offset),
    events.map((_, i) => i + 1),
  );
});

test('Avro container file round trip through readEventFile (both codecs)', async (t) => {
  const events: InputEvent[] = [];
  for (let i = 0; i < 600; i++) events.push(...samples());
  for (const codec of ['null', 'deflate'] as const) {
    const path = join(dir, `events-${codec}.avro`);
    await writeEventsAvro(path, events, codec);
    const { records } = await collect(path, 4096);
    t.is(records.length, events.length);
    t.true(records.every((r) => r.error === undefined));
    t.deepEqual(
      records.map((r) => fields(r.value)),
      events.map(decodedForm),
    );
    t.deepEqual(records[123].position, { source: path, offset: 123 });
    t.is(records[123].offset, 123);
    t.deepEqual(fields(decodeEventBytes(Buffer.from(records[123].raw, 'base64'))), decodedForm(events[123]), 'raw holds the record bytes');
  }
});

test('an Avro file of several read buffers, with a block larger than one, reads back whole (both codecs)', async (t) => {
  // the reader refills one buffer of 1 MiB: blocks straddle its refills, and a 1.5 MB clipboard
  // (random, so it stays large deflated) makes a block that only fits once the buffer has grown
  const events: InputEvent[] = [];
  for (let i = 0; i < 8000; i++) events.push(...samples());
  events.splice(1234, 0, ev('clipboard', { text: randomBytes(1_100_000).toString('base64') }));
  for (const codec of ['null', 'deflate'] as const) {
    const path = join(dir, `large-${codec}.avro`);
    await writeEventsAvro(path, events, codec);
    t.true(statSync(path).size > 1.5 * 1024 * 1024, `several read buffers long (${statSync(path).size} bytes)`);
    const { records } = await collect(path, 4096);
    t.true(records.every((r) => r.error === undefined));
    t.deepEqual(
      records.map((r) => fields(r.value)),
      events.map(decodedForm),
    );
  }
});

test('Avro container written with an older schema is resolved to ours', async (t) => {
  const older = olderWriterType();
  const original = ev('key_down', { key: 'Enter', modifiers: ['ctrl', 'alt'] });
  const path = join(dir, 'older.avro');
  await writeAvroContainer(path, older, [inputEventType.fromBuffer(encodeEvent(original))]);
  const { records } = await collect(path);
  t.deepEqual(
    records.map((r) => fields(r.value)),
    [decodedForm(original)],
  );
});

test('a truncated Avro container yields the whole blocks and an error record for the rest', async (t) => {
  const path = join(dir, 'truncated.avro');
  const events = Array.from({ length: 3000 }, () => ev('mouse_move', { x: 1, y: 2 }));
  await writeEventsAvro(path, events);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 100));
  const { records } = await collect(path);
  const good = records.filter((r) => r.error === undefined);
  const bad = records.filter((r) => r.error !== undefined);
  t.true(good.length > 0 && good.length < events.length);
  t.deepEqual(
    good.map((r) => fields(r.value)),
    events.slice(0, good.length).map(decodedForm),
  );
  t.is(bad.length, 1);
  t.regex(bad[0].error!, /truncated Avro file/);
  t.is(bad[0].position.offset, good.length);
});

test('a non-Avro file given as .avro is an error, not an empty stream', async (t) => {
  const path = join(dir, 'fake.avro');
  writeFileSync(path, '{"not": "avro"}\n');
  await t.throwsAsync(collect(path), { message: /not an Avro object container file/ });
});

test('registry files: valid records are read, bad ones become dead letters', async (t) => {
  const path = join(dir, 'registry.jsonl');
  const records: RegistryRecord[] = [
    { kind: 'person', user_id: 'u-1', region: 'US' },
    { kind: 'exemption', user_id: 'u-2', from: 1, until: 2, reason: 'power' },
    { kind: 'erasure', user_id: 'u-3', ts: 9 },
  ];
  await writeRegistryJsonl(path, records);
  writeFileSync(path, readFileSync(path, 'utf8') + '{"kind":"person","user_id":"u-4"}\n{oops\n');
  const { records: read, dead } = await readRegistryFile(path);
  t.deepEqual(read, records);
  t.deepEqual(
    dead.map((d) => [d.position.offset, d.reason.split(':')[0]]),
    [
      [4, "field 'region'"],
      [5, 'invalid JSON'],
    ],
  );
});

test('registry records from an Avro container file', async (t) => {
  const path = join(dir, 'registry.avro');
  const records: RegistryRecord[] = [
    { kind: 'person', user_id: 'u-1', region: 'GB' },
    { kind: 'exemption', user_id: 'u-2', from: 1, until: null, reason: 'other' },
  ];
  await writeAvroContainer(path, registryRecordType, records.map(registryToAvro));
  t.deepEqual(await readRegistryFile(path), { records, dead: [] });
});

test('a corrupt Avro block is reported and reading resumes at the next sync marker', async (t) => {
  const path = join(dir, 'corrupt.avro');
  const events = Array.from({ length: 5000 }, () => ev('mouse_move', { x: 1, y: 2 }));
  await writeEventsAvro(path, events);
  const bytes = Buffer.from(readFileSync(path));
  const { sync } = avro.extractFileHeader(path) as { sync: Buffer };
  const firstBlockEnd = bytes.indexOf(sync, bytes.indexOf(sync) + 16);
  bytes[firstBlockEnd + 3] ^= 0xff;
  writeFileSync(path, bytes);
  const { records } = await collect(path);
  const errors = records.filter((r) => r.error !== undefined);
  const good = records.filter((r) => r.error === undefined).map((r) => fields(r.value));
  t.true(errors.length >= 1);
  t.regex(errors[0].error!, /corrupt Avro block/);
  t.true(good.length > 0 && good.length < events.length);
  t.deepEqual(good, events.slice(events.length - good.length).map(decodedForm), 'the blocks after the damage are read whole');
});

/**
 * A pipeline (default config, empty registry) that has read the recording at `path`, as replay
 * reads it (`batches`: decoded events without a record each) or as records, and its dead letters.
 */
async function pipelineOver(path: string, read: 'batches' | 'records' = 'batches'): Promise<{ pipeline: Pipeline; letters: DeadLetter[] }> {
  const letters: DeadLetter[] = [];
  const pipeline = new Pipeline(parseConfig(''), 'decode-test-key-decode-test-key-0000000', new Registry(), {
    episode: () => {},
    deadLetter: (letter) => letters.push(letter),
  });
  if (read === 'batches') for await (const batch of readEventBatches(path)) pipeline.pushBatch(batch);
  else for await (const batch of readEventFile(path)) pipeline.pushRecords(batch);
  return { pipeline, letters };
}

test('an Avro record that breaks a value rule is a dead letter with its reason; the rest of its block goes on', async (t) => {
  const path = join(dir, 'one-bad-value.avro');
  const events = [ev('mouse_move', { x: 1, y: 2 }), ev('mouse_move', { x: NaN, y: 2 }), ev('key_down'), ev('mouse_move', { x: 3, y: 4 })];
  await writeEventsAvro(path, events);
  const { pipeline, letters } = await pipelineOver(path);
  pipeline.end();
  t.deepEqual(
    letters.map((l) => [l.position.offset, l.reason]),
    [
      [1, "field 'x': expected finite number within int32 (pixels), got NaN"],
      [2, "field 'key': required for key_down events"],
    ],
  );
  t.deepEqual(fields(decodeEventBytes(Buffer.from(letters[0].raw, 'base64'))).y, 2, 'the dead letter holds the record bytes');
  t.is(pipeline.counters.events_in, 2, 'the good records of the block went on');
});

test('repeated strings come back exactly, whatever shares a slot in the intern table of the reader', (t) => {
  // 100k distinct ids cannot all have their own slot; ids one byte apart, of the same length,
  // non-ASCII ones, ids that are prefixes of others and ids that differ from them only by trailing
  // NUL bytes (the reader compares zero-padded words) must each come back as written
  const ids = Array.from({ length: 100_000 }, (_, i) => `dev-${i.toString(36)}`);
  ids.push('dev-1', 'dev-10', 'dév-1', 'dev-1\u00e9', 'x'.repeat(48), 'x'.repeat(49), 'ключ');
  ids.push('dev', 'dev\u0000', 'dev\u0000\u0000', 'dev-\u0000', '\u0000', '\u0000\u0000\u0000\u0000\u0000');
  for (let round = 0; round < 2; round++) {
    for (const id of ids) {
      const e = decodeEventBytes(encodeEvent(ev('key_down', { device_id: id, user_id: `u-${id}`, key: id })));
      if (e.device_id !== id || e.user_id !== `u-${id}` || e.key !== id) return t.fail(`${JSON.stringify(id)} came back as ${JSON.stringify([e.device_id, e.user_id, e.key])}`);
    }
  }
  t.pass();
});

test("the id's fingerprint is that of its UTF-8 bytes in every decoder, and tells ids apart", (t) => {
  const ids = ['e-1', 'e-2', '00000005-00000017-0004', '00000005-00000017-0005', 'é'.repeat(7), 'ключ-1', 'ключ-2', '😀', 'x'.repeat(64), 'x'.repeat(65)];
  const hashes = new Set<number>();
  for (const id of ids) {
    const e = ev('lock', { event_id: id });
    const fromJson = decodeEvent(clone(e));
    if (!fromJson.ok) return t.fail(fromJson.reason);
    // the id's bytes at an odd place inside a larger buffer, as in an Avro block
    const bytes = Buffer.concat([Buffer.from('abc'), Buffer.from(id, 'utf8'), Buffer.from('xyz')]);
    t.is(idHashOfBytes(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 3, bytes.length - 3), idHashOf(id), id);
    // and at the very end of its buffer, where its last bytes cannot be read as a whole word
    const last = Buffer.concat([Buffer.from('abc'), Buffer.from(id, 'utf8')]);
    t.is(idHashOfBytes(new DataView(last.buffer, last.byteOffset, last.length), 3, last.length), idHashOf(id), `${id} at the end`);
    t.is(fromJson.event.id_hash, idHashOf(id), `${id}: JSON`);
    t.is(decodeEventBytes(encodeEvent(e)).id_hash, idHashOf(id), `${id}: Avro, the hand-written reader`);
    t.is(decodeEventBytes(newerWriterType().toBuffer({ ...inputEventType.fromBuffer(encodeEvent(e)), pressure: 1, battery: 2 }), newerWriterType()).id_hash, idHashOf(id), `${id}: Avro through a resolver`);
    t.true(idHashOf(id) === (idHashOf(id) | 0) && idHashOf(id) !== EMPTY_ID_HASH, "a 32-bit integer, never the empty id's");
    hashes.add(idHashOf(id));
  }
  t.is(hashes.size, ids.length);
  // 20k ids of the generator's form, a character apart: no two share a fingerprint
  const many = new Set<number>();
  for (let i = 0; i < 20_000; i++) many.add(idHashOf(`00000005-${(i >> 10).toString(16).padStart(8, '0')}-${(i & 1023).toString(16).padStart(4, '0')}`));
  t.is(many.size, 20_000);
});

test('an Avro event with an empty id is a dead letter; a retry is dropped however it is decoded, a different id at the same place kept', async (t) => {
  const path = join(dir, 'retries.avro');
  const first = ev('mouse_move', { x: 1, y: 2 });
  const second = ev('mouse_move', { x: 3, y: 4, event_id: 'ключ-2' });
  const sameSpot = { ...second, event_id: 'ключ-3' };
  const events = [first, ev('lock', { event_id: '' }), second, { ...first }, { ...second }, sameSpot];
  await writeEventsAvro(path, events);
  const { pipeline, letters } = await pipelineOver(path);
  // the same retry once more, from JSON
  pipeline.pushRecords([{ value: clone(second), position: { source: 'json', offset: 1 }, offset: 1, raw: '' }]);
  pipeline.end();
  t.deepEqual(letters.map((l) => l.reason), ["field 'event_id': expected non-empty string, got string"]);
  t.is(pipeline.counters.duplicate, 3, 'the two retries in the file and the one from JSON');
  t.is(pipeline.counters.events_in, 6);
  t.is(pipeline.counters.late, 0, 'so three were placed: the two events and the one of the same (ts, seq) with another id');
});

test("an Avro recording read in its wire form keeps every event's id, so it re-encodes to the bytes it was read from (produce)", async (t) => {
  const path = join(dir, 'wire-form.avro');
  const events = samples();
  await writeEventsAvro(path, events, 'deflate');
  const records: RawRecord[] = [];
  for await (const batch of readEventFile(path, undefined, 'wire')) records.push(...batch);
  t.deepEqual(
    records.map((r) => fields(r.value)),
    events,
  );
  t.true(records.every((r) => r.event === undefined), 'not handed to the pipeline as decoded events');
  for (let i = 0; i < events.length; i++) t.deepEqual(encodeEvent(records[i].value as InputEvent), encodeEvent(events[i]));
});

test('a deflate block that does not inflate is reported with the records it held; the blocks before and after it are read whole, in order', async (t) => {
  const path = join(dir, 'bad-deflate.avro');
  const events = Array.from({ length: 20_000 }, (_, i) => ev('mouse_move', { x: i, y: 2 }));
  await writeEventsAvro(path, events, 'deflate');
  const bytes = Buffer.from(readFileSync(path));
  const { sync } = avro.extractFileHeader(path) as { sync: Buffer };
  // the second block: after the first one's sync marker come its record count and byte size (varints)
  const secondBlock = bytes.indexOf(sync, bytes.indexOf(sync) + 16) + 16;
  let at = secondBlock;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value / 2;
    }
  };
  const lostCount = varint();
  varint();
  // a deflate block header of the reserved type 11
  bytes[at] = 0xff;
  writeFileSync(path, bytes);
  const { records } = await collect(path);
  const errors = records.filter((r) => r.error !== undefined);
  t.is(errors.length, 1);
  t.regex(errors[0].error!, new RegExp(`^Avro block of ${lostCount} records does not inflate`));
  const good = records.filter((r) => r.error === undefined);
  t.is(good.length, events.length - lostCount);
  const firstLost = records.indexOf(errors[0]);
  t.deepEqual(
    good.map((r) => (r.value as InputEvent).x),
    [...events.slice(0, firstLost), ...events.slice(firstLost + lostCount)].map((e) => e.x),
    'every other record, in file order',
  );
  t.deepEqual(good.map((r) => r.offset), [...Array(events.length).keys()].filter((i) => i < firstLost || i >= firstLost + lostCount));
});

test('modifier lists come back as written, in order; the same list is one frozen array shared by the events that carry it', (t) => {
  const lists: InputEvent['modifiers'][] = [['ctrl'], ['shift', 'ctrl'], ['ctrl', 'shift'], [], ['meta', 'alt', 'shift', 'ctrl'], ['ctrl', 'ctrl', 'shift', 'alt', 'meta']];
  for (const modifiers of lists) {
    const first = decodeEventBytes(encodeEvent(ev('key_down', { key: 'KeyA', modifiers: [...modifiers!] })));
    const second = decodeEventBytes(encodeEvent(ev('key_down', { key: 'KeyB', modifiers: [...modifiers!] })));
    t.deepEqual(first.modifiers, modifiers);
    if (modifiers!.length <= 4) {
      t.is(first.modifiers, second.modifiers, `${modifiers}: shared`);
      t.true(Object.isFrozen(first.modifiers), `${modifiers}: a reader that tried to change it would fail loudly`);
    } else {
      t.not(first.modifiers, second.modifiers, 'longer lists are not shared');
    }
  }
  const bad = Buffer.from(encodeEvent(ev('key_down', { key: 'KeyA', modifiers: ['alt'] })));
  // the modifier's index (alt = 2, zig-zag 4) as one past the last
  bad[bad.lastIndexOf(4)] = 2 * MODIFIERS.length;
  t.throws(() => decodeEventBytes(bad), { message: `invalid modifier index ${MODIFIERS.length}` });
});

test('an Avro recording read as the pipeline takes it: the events of each block in stretches of at most a batch, at their offsets, with the records of the bad ones in file order', async (t) => {
  const path = join(dir, 'batches.avro');
  // several blocks, a record that breaks a value rule, one the reader cannot decode (its block's rest lost)
  const events = Array.from({ length: 6000 }, (_, i) => ev('mouse_move', { x: i, y: 2 }));
  events[700] = ev('mouse_move', { x: NaN, y: 2 });
  await writeEventsAvro(path, events, 'null');
  const bytes = Buffer.from(readFileSync(path));
  // event 5000's type index made one past the last type (the file is not compressed: its bytes are there as encoded)
  const broken = events[5000];
  const at = bytes.indexOf(encodeEvent(broken));
  const longBytes = (n: number) => avro.Type.forSchema('long').toBuffer(n).length;
  const typeAt = at + 1 + broken.event_id!.length + 1 + broken.device_id.length + 1 + broken.user_id.length + longBytes(broken.seq) + longBytes(broken.ts);
  t.true(at > 0 && bytes[typeAt] === 0, 'found the type index of mouse_move');
  bytes[typeAt] = 2 * EVENT_TYPES.length;
  writeFileSync(path, bytes);
  const records = (await collect(path, 256)).records;
  const batches: SourceBatch[] = [];
  for await (const batch of readEventBatches(path, 256)) batches.push(batch);
  t.true(records.some((r) => r.error?.startsWith(`undecodable Avro record: invalid event type index ${EVENT_TYPES.length}`)));
  t.true(batches.every((b) => (Array.isArray(b) ? b.length : (b as DecodedEvents).events.length) <= 256), 'no stretch longer than a batch');
  t.true(batches.some((b) => !Array.isArray(b)), 'decoded events come without a record each');
  // put back together, the batches are the records readEventFile gives, in the same order
  const flattened = batches.flatMap((b) => (Array.isArray(b) ? (b as RawRecord[]) : (b as DecodedEvents).events.map((_, i) => (b as DecodedEvents).record(i))));
  t.deepEqual(
    flattened.map((r) => [r.offset, r.position.offset, r.error, r.raw, r.event && fields(r.event)]),
    records.map((r) => [r.offset, r.position.offset, r.error, r.raw, r.event && fields(r.event)]),
  );
  t.true(flattened.every((r, i) => i === 0 || r.offset > flattened[i - 1].offset), 'in file order');
  t.is(flattened[5000].offset, 5000, 'everything before the undecodable record is there');
  t.truthy(flattened[5000].error);
  for (const b of batches) {
    if (Array.isArray(b)) continue;
    const decoded = b as DecodedEvents;
    decoded.events.forEach((e, i) => t.is(decoded.record(i).event, e));
    t.is(decoded.record(0).offset, decoded.firstOffset);
  }
  // the pipeline takes either form to the same counts and dead letters
  const fromBatches = await pipelineOver(path, 'batches');
  const fromRecords = await pipelineOver(path, 'records');
  fromBatches.pipeline.end();
  fromRecords.pipeline.end();
  t.deepEqual(fromBatches.pipeline.counters, fromRecords.pipeline.counters);
  t.deepEqual(fromBatches.letters, fromRecords.letters);
  t.deepEqual(fromBatches.letters[0].position.offset, 700);
  t.is(fromBatches.letters[0].reason, "field 'x': expected finite number within int32 (pixels), got NaN");
  t.is(fromBatches.letters[1].position.offset, 5000);
  t.regex(fromBatches.letters[1].reason, /^undecodable Avro record: invalid event type index \d+; \d+ record\(s\) of the block lost$/);
  t.is(fromBatches.letters.length, 2);
});
