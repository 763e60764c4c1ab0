// Writes the fixtures that try to switch protection off through control records rather than through
// content: malformed control records (fixtures/control-malformed), EU territories with codes of
// their own (fixtures/eu-territories), `key` fields that carry text instead of key codes
// (fixtures/key-values) and a byte-order mark before the first record (fixtures/byte-order-mark).
// Each plants canary strings the dataset must not hold and survivor words it must hold
// (canaries.json); test/control-fixtures.test.ts checks both. Deterministic: the same bytes each run.
//
//   node --import tsx scripts/make-control-fixtures.ts && npm run fixtures:update
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from '../test/helpers/fixtures.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 3, 7, 14, 0, 0);
const SCREEN = { width: 1920, height: 1080, scale: 1 };
const US_APP = { app: 'Code', title: null, url: null, participants: [], tags: [] };
const HR_APP = { app: 'Workday', title: 'Leave request', url: null, participants: [], tags: ['hr'] };
const EU_CHAT = { app: 'Slack', title: null, url: null, participants: ['emp-de-klaus'], tags: [] };

type Fields = Record<string, unknown>;

class Fixture {
  readonly lines: string[] = [];
  readonly registry: string[] = [];
  readonly canaries: string[] = [];
  readonly survivors: string[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    readonly description: string,
  ) {}

  person(userId: string, region: string): void {
    this.registry.push(JSON.stringify({ kind: 'person', user_id: userId, region }));
  }

  raw(record: Fields): void {
    this.lines.push(JSON.stringify(record));
  }

  device(deviceId: string, userId: string): Device {
    return new Device(this, deviceId, userId, () => `${this.name}-${String(++this.counter).padStart(4, '0')}`);
  }

  write(options: { bom?: boolean } = {}): void {
    const dir = join(FIXTURES_DIR, this.name);
    mkdirSync(dir, { recursive: true });
    const bom = options.bom ? '\uFEFF' : '';
    writeFileSync(join(dir, 'events.jsonl'), bom + this.lines.join('\n') + '\n');
    writeFileSync(join(dir, 'registry.jsonl'), bom + this.registry.join('\n') + '\n');
    writeFileSync(join(dir, 'canaries.json'), JSON.stringify({ canaries: this.canaries, survivors: this.survivors }, null, 2) + '\n');
    writeFileSync(
      join(dir, 'fixture.json'),
      JSON.stringify({ description: this.description, input: 'events.jsonl', registry: 'registry.jsonl' }, null, 2) + '\n',
    );
  }
}

class Device {
  private seq = 0;
  constructor(
    private readonly fixture: Fixture,
    readonly deviceId: string,
    readonly userId: string,
    private readonly nextId: () => string,
  ) {}

  /** A record of this device; `fields` may override or break any field, `undefined` leaves it out. */
  event(ts: number, type: string, fields: Fields = {}): void {
    const record: Fields = { event_id: this.nextId(), device_id: this.deviceId, user_id: this.userId, seq: this.seq++, ts, type, ...fields };
    for (const k of Object.keys(record)) if (record[k] === undefined) delete record[k];
    this.fixture.raw(record);
  }

  focus(ts: number, context: Fields, fields: Fields = {}): void {
    this.event(ts, 'focus', { context, screen: SCREEN, geo: 'US', ...fields });
  }

  /** Types lowercase letters, digits and spaces key by key, 90 ms apart; returns the time after. */
  type(ts: number, text: string, fields: Fields = {}): number {
    let t = ts;
    for (const char of text) {
      const key = char === ' ' ? 'Space' : /[0-9]/.test(char) ? `Digit${char}` : `Key${char.toUpperCase()}`;
      this.event(t, 'key_down', { key, char, ...fields });
      this.event(t + 40, 'key_up', { key, ...fields });
      t += 90;
    }
    return t;
  }

  /** A word that must reach the dataset, typed in a plain US window. */
  survive(ts: number, word: string): number {
    this.fixture.survivors.push(word);
    return this.type(ts, word);
  }

  /** A word that must not reach the dataset. */
  plant(ts: number, word: string, fields: Fields = {}): number {
    this.fixture.canaries.push(word);
    return this.type(ts, word, fields);
  }

  click(ts: number): number {
    this.event(ts, 'mouse_down', { x: 400, y: 300, button: 'left' });
    this.event(ts + 80, 'mouse_up', { x: 400, y: 300, button: 'left' });
    return ts + 1000;
  }
}

const letters = (n: number) => String.fromCharCode(97 + (n % 26)) + String.fromCharCode(97 + (Math.floor(n / 26) % 26));

// ---------------------------------------------------------------------------------------------
// Malformed control records: each on its own device, after a plain stretch that must survive.

function controlMalformed(): Fixture {
  const f = new Fixture(
    'control-malformed',
    'control records that fail validation (focus, pause, geo, lock, registry person/exemption/erasure) still apply their restrictive meaning: each is a dead letter, and nothing typed in the window, pause, EU location or exemption it announced is written',
  );
  f.person('emp-de-klaus', 'DE');
  let n = 0;
  const scenario = (label: string, body: (d: Device, t: number) => void) => {
    const user = `emp-us-${label}`;
    f.person(user, 'US');
    const d = f.device(`dev-${label}`, user);
    const t = T0 + n++ * 2 * 60 * MIN;
    d.focus(t, US_APP);
    d.click(t + 1000);
    const after = d.survive(t + 2000, `keep${letters(n)}before`);
    body(d, after + 1000);
  };

  // A focus into an HR app or an EU chat that does not validate: the window is unknown until a readable focus.
  const badFocus: [string, Fields][] = [
    ['ctxnull', { context: null }],
    ['ctxmissing', { context: undefined }],
    ['noapp', { context: { ...HR_APP, app: undefined } }],
    ['appnumber', { context: { ...HR_APP, app: 7 } }],
    ['participantnumber', { context: { ...EU_CHAT, participants: [4711] } }],
    ['tagsstring', { context: { ...HR_APP, tags: 'hr' } }],
    ['titlenumber', { context: { ...HR_APP, title: 12 } }],
    ['screenzero', { context: HR_APP, screen: { width: 0, height: 1080, scale: 1 } }],
    ['screenstring', { context: EU_CHAT, screen: 'big' }],
    ['geonumber', { context: EU_CHAT, geo: 33 }],
    ['modifierhyper', { context: HR_APP, modifiers: ['hyper'] }],
    ['typecase', { type: 'Focus', context: HR_APP }],
    ['typeunknown', { type: 'window_change', context: HR_APP }],
    ['typemissing', { type: undefined, context: HR_APP }],
    ['tsstring', { ts: '2026-04-07T14:00:00Z', context: HR_APP }],
    ['seqstring', { seq: 'x', context: EU_CHAT }],
    ['useridnumber', { user_id: 99, context: HR_APP }],
    ['eventidmissing', { event_id: undefined, context: HR_APP }],
    ['redactedset', { context: HR_APP, redacted: 'secure_input' }],
  ];
  for (const [label, fields] of badFocus) {
    scenario(`focus-${label}`, (d, t) => {
      d.event(t, 'focus', { context: HR_APP, screen: SCREEN, geo: 'US', ...fields });
      d.click(t + 500);
      const after = d.plant(t + 1500, `canary${label.replace(/[^a-z]/g, '')}focus`);
      // a readable focus into a plain window restores writing (past the pause an unreadable type stands for)
      d.focus(after + 31 * MIN, US_APP);
      d.click(after + 31 * MIN + 500);
      d.survive(after + 31 * MIN + 1500, `keep${label.replace(/[^a-z]/g, '')}after`);
    });
  }

  // A pause whose duration cannot be read lasts the cap (30 minutes).
  const badPause: [string, Fields][] = [
    ['negative', { duration_ms: -5000 }],
    ['fraction', { duration_ms: 1500.5 }],
    ['string', { duration_ms: '600000' }],
    ['absurd', { duration_ms: 1e300 }],
    ['bool', { duration_ms: true }],
    ['geobad', { duration_ms: 20 * MIN, geo: ['US'] }],
    ['typecase', { type: 'PAUSE', duration_ms: 20 * MIN }],
  ];
  for (const [label, fields] of badPause) {
    scenario(`pause-${label}`, (d, t) => {
      d.event(t, 'pause', fields);
      d.plant(t + 5 * MIN, `canary${label}paused`);
      d.survive(t + 31 * MIN, `keep${label}afterpause`);
    });
  }

  // An unreadable geo on any event counts as the EU until a readable geo.
  const badGeo: [string, string, Fields][] = [
    ['keynumber', 'key_down', { key: 'ShiftLeft', geo: 250 }],
    ['movearray', 'mouse_move', { x: 10, y: 10, geo: ['FR'] }],
    ['movebadx', 'mouse_move', { x: 'left', geo: 'FR' }],
    ['lockobject', 'lock', { geo: { country: 'FR' } }],
  ];
  for (const [label, type, fields] of badGeo) {
    scenario(`geo-${label}`, (d, t) => {
      d.event(t, type, fields);
      d.click(t + 500);
      const after = d.plant(t + 1500, `canary${label}geo`);
      d.focus(after + 2000, US_APP, { geo: 'US' });
      d.survive(after + 3000, `keep${label}aftergeo`);
    });
  }

  // A lock that does not validate still ends the episode.
  scenario('lock-bad', (d, t) => {
    d.event(t, 'lock', { screen: { width: -1, height: 1, scale: 1 } });
    d.event(t + 2 * MIN, 'unlock');
    d.focus(t + 2 * MIN + 100, US_APP);
    d.click(t + 2 * MIN + 500);
    d.survive(t + 2 * MIN + 1500, 'keeplockafter');
  });

  // Registry records that do not validate: a readable user_id is enough for an exemption or an erasure.
  const registryCases: [string, (user: string, t: number) => Fields][] = [
    ['exreasonunknown', (user, t) => ({ kind: 'exemption', user_id: user, from: t, until: t + 20 * MIN, reason: 'vacation' })],
    ['exreasoncase', (user, t) => ({ kind: 'exemption', user_id: user, from: t, until: t + 20 * MIN, reason: 'Sensitive_Material' })],
    ['exreasonmissing', (user, t) => ({ kind: 'exemption', user_id: user, from: t, until: t + 20 * MIN })],
    ['exuntilbefore', (user, t) => ({ kind: 'exemption', user_id: user, from: t + 20 * MIN, until: t, reason: 'power' })],
    ['exfromiso', (user) => ({ kind: 'exemption', user_id: user, from: '2026-04-07T14:00:00Z', until: null, reason: 'other' })],
    ['exkindcase', (user, t) => ({ kind: 'Exemption', user_id: user, from: t, until: t + 20 * MIN, reason: 'power' })],
    ['erasurenots', (user) => ({ kind: 'erasure', user_id: user })],
    ['erasuretsnull', (user) => ({ kind: 'erasure', user_id: user, ts: null })],
    ['erasuretsdate', (user) => ({ kind: 'erasure', user_id: user, ts: '2026-04-07' })],
    ['erasurekindcase', (user, t) => ({ kind: 'ERASURE', user_id: user, ts: t })],
    ['kindunknown', (user, t) => ({ kind: 'forget', user_id: user, ts: t })],
  ];
  for (const [label, record] of registryCases) {
    const user = `emp-us-reg-${label}`;
    f.person(user, 'US');
    const d = f.device(`dev-reg-${label}`, user);
    const t = T0 + n++ * 2 * 60 * MIN;
    f.registry.push(JSON.stringify(record(user, t)));
    d.focus(t + 1000, US_APP);
    d.click(t + 2000);
    d.plant(t + 3000, `canary${label}`);
  }
  // A person record whose region cannot be read: not captured, and as a participant the window is EU-linked.
  f.registry.push(JSON.stringify({ kind: 'person', user_id: 'emp-us-regionless', region: 42 }));
  const chat = f.device('dev-reg-participant', 'emp-us-chatter');
  f.person('emp-us-chatter', 'US');
  {
    const t = T0 + n++ * 2 * 60 * MIN;
    chat.focus(t, US_APP);
    const after = chat.survive(t + 1000, 'keepbeforechat');
    chat.focus(after + 1000, { ...US_APP, app: 'Slack', participants: ['emp-us-regionless'] });
    chat.plant(after + 2000, 'canaryregionlessparticipant');
  }
  // Not even a device or person: nothing can be applied, counted as its own line of the audit.
  f.raw({ event_id: 'orphan-1', user_id: 'emp-us-nobody', seq: 0, ts: T0, type: 'focus', context: HR_APP });
  f.registry.push(JSON.stringify({ kind: 'erasure', ts: T0 }));
  return f;
}

// ---------------------------------------------------------------------------------------------
// EU territories with ISO codes of their own, and Greece as EL.

function euTerritories(): Fixture {
  const f = new Fixture(
    'eu-territories',
    'devices located in EU territories with ISO codes of their own (outermost regions, Åland, Canary Islands, Ceuta and Melilla) or in Greece written EL: typed text is stripped as in any EU location',
  );
  const codes = ['GF', 'GP', 'MQ', 'RE', 'YT', 'MF', 'AX', 'IC', 'EA', 'EL', 're'];
  codes.forEach((code, i) => {
    const user = `emp-us-travel-${i}`;
    f.person(user, 'US');
    const d = f.device(`dev-geo-${i}`, user);
    const t = T0 + i * 30 * MIN;
    d.focus(t, US_APP, { geo: 'US' });
    d.click(t + 500);
    const after = d.survive(t + 1000, `keephome${letters(i)}`);
    d.focus(after + 1000, US_APP, { geo: code });
    d.plant(after + 2000, `canaryterritory${code.toLowerCase()}${letters(i)}`);
  });
  return f;
}

// ---------------------------------------------------------------------------------------------
// `key` carrying KeyboardEvent.key values or any string instead of codes.

function keyValues(): Fixture {
  const f = new Fixture(
    'key-values',
    'agents that send KeyboardEvent.key values or other text in `key`: only known W3C key codes are written as keys or hotkeys; anything else is content, typed text where kept (and scrubbed) and stripped in EU-linked windows, ctrl+text included',
  );
  f.person('emp-us-keys', 'US');
  f.person('emp-de-klaus', 'DE');
  const d = f.device('dev-keys', 'emp-us-keys');
  let t = T0;
  d.focus(t, US_APP);
  t = d.click(t + 500);
  // key values with their char: typed text, so the e-mail address is scrubbed
  f.canaries.push('canary.keyvalue@example.com');
  for (const char of 'canary.keyvalue@example.com') {
    d.event(t, 'key_down', { key: char, char });
    d.event(t + 40, 'key_up', { key: char });
    t += 90;
  }
  t += 2000;
  // a card number sent as key values without char
  f.canaries.push('4111111111111111');
  for (const char of '4111 1111 1111 1111') {
    d.event(t, 'key_down', { key: char === ' ' ? ' ' : char });
    d.event(t + 40, 'key_up', { key: char });
    t += 90;
  }
  t += 2000;
  // an arbitrary string with ctrl held, in a plain window: no shortcut of that name
  f.canaries.push('canaryctrlplain');
  d.event(t, 'key_down', { key: 'canaryctrlplain', modifiers: ['ctrl'] });
  t += 1500;
  // known codes stay keys and hotkeys
  d.event(t, 'key_down', { key: 'Enter' });
  d.event(t + 300, 'key_down', { key: 'KeyS', modifiers: ['ctrl'] });
  t += 2000;
  t = d.survive(t, 'keepcodes');
  // in an EU chat: ctrl + any string is not written as a shortcut, nor the string as a key
  d.focus(t + 1000, EU_CHAT);
  t += 2000;
  f.canaries.push('canaryctrleu');
  d.event(t, 'key_down', { key: 'canaryctrleu', modifiers: ['ctrl'] });
  d.event(t + 200, 'key_down', { key: 'canarymetaeu', modifiers: ['meta'] });
  f.canaries.push('canarymetaeu');
  d.event(t + 400, 'key_down', { key: 'x', char: 'x' });
  d.event(t + 600, 'key_down', { key: 'KeyC', modifiers: ['ctrl'] });
  return f;
}

// ---------------------------------------------------------------------------------------------
// A UTF-8 byte-order mark before the first record of both files.

function byteOrderMark(): Fixture {
  const f = new Fixture(
    'byte-order-mark',
    'JSON Lines files (events and registry) that start with a UTF-8 byte-order mark: the mark is skipped, the first line is the focus and the first person, nothing is a dead letter',
  );
  f.person('emp-us-bom', 'US');
  const d = f.device('dev-bom', 'emp-us-bom');
  d.focus(T0, US_APP);
  const t = d.click(T0 + 500);
  d.click(d.survive(t, 'keepbomtext') + 500);
  return f;
}

controlMalformed().write();
euTerritories().write();
keyValues().write();
byteOrderMark().write({ bom: true });
