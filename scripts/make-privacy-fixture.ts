// Writes fixtures/privacy-canaries/: a hand-made stream that plants unique canary strings in every
// place content can hide from the privacy gate, next to ordinary US-context content that must
// survive. test/privacy-canaries.test.ts replays it and fails if any canary, raw user id, device id
// or participant id reaches the dataset. Deterministic: running it twice writes the same bytes.
//
//   node --import tsx scripts/make-privacy-fixture.ts && npm run fixtures:update
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputEvent, RegistryRecord, WindowContext } from '../src/contract/events.ts';
import { FIXTURES_DIR } from '../test/helpers/fixtures.ts';

const DIR = join(FIXTURES_DIR, 'privacy-canaries');
const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 2, 3, 14, 0, 0);
const SCREEN = { width: 2560, height: 1440, scale: 1 };

// People. Raw ids look like a directory's: none of them may appear in the output.
const JANE = 'emp-1042-jdoe'; // US, the main subject; e-mail jane.doe@example.com
const TOM = 'emp-2210-tom'; // US, travelling: device geo DE
const ANN = 'emp-3307-ann'; // US, exempt from T0 to T0+30 min
const EVE = 'emp-4419-eve'; // US, erased
const RAJ = 'emp-5521-raj'; // IN: not captured
const KLAUS = 'emp-6630-klaus'; // DE: only ever a chat participant
const BOB = 'emp-7741-bob'; // US: only ever a chat participant
const ZED = 'emp-9999-zed'; // not in the registry: an unknown participant

const REGISTRY: RegistryRecord[] = [
  { kind: 'person', user_id: JANE, region: 'US' },
  { kind: 'person', user_id: TOM, region: 'US' },
  { kind: 'person', user_id: ANN, region: 'US' },
  { kind: 'person', user_id: EVE, region: 'US' },
  { kind: 'person', user_id: RAJ, region: 'IN' },
  { kind: 'person', user_id: KLAUS, region: 'DE' },
  { kind: 'person', user_id: BOB, region: 'US' },
  { kind: 'exemption', user_id: ANN, from: T0, until: T0 + 30 * MIN, reason: 'sensitive_material' },
  { kind: 'erasure', user_id: EVE, ts: T0 - HOUR },
];

/** Words that must reach the dataset: proof that the pipeline still writes content. */
export const SURVIVORS = ['quarterly', 'afterresume', 'postpause', 'afterexempt', '<EMAIL>', '<CARD>', '<PHONE>', '<SECRET>', '<DEVICE>', 'Inbox', 'page='];

const lines: string[] = [];
const canaries: string[] = [];
/** PII and secrets in a kept (US) window's title, URL, frame reference and text: the scrubber, not the gate, must remove them. */
const scrubbed: string[] = [];

function pii(text: string): string {
  scrubbed.push(text);
  return text;
}
let eventCounter = 0;

function canary(text: string): string {
  canaries.push(text);
  return text;
}

const SHIFTED: Record<string, string> = { '@': 'Digit2', _: 'Minus', ':': 'Semicolon' };
const PLAIN: Record<string, string> = { '-': 'Minus', '.': 'Period', ' ': 'Space', '/': 'Slash' };

function codeOf(char: string): { key: string; shift: boolean } {
  if (/^[a-z]$/.test(char)) return { key: `Key${char.toUpperCase()}`, shift: false };
  if (/^[A-Z]$/.test(char)) return { key: `Key${char}`, shift: true };
  if (/^[0-9]$/.test(char)) return { key: `Digit${char}`, shift: false };
  if (SHIFTED[char]) return { key: SHIFTED[char], shift: true };
  if (PLAIN[char]) return { key: PLAIN[char], shift: false };
  throw new Error(`no key code for ${JSON.stringify(char)}`);
}

/** One device's script. Events are written in the order they are made, unless held back with `later`. */
class Device {
  private seq = 0;
  private held: string[] | null = null;

  constructor(
    readonly deviceId: string,
    readonly userId: string,
    readonly geo: string,
  ) {}

  event(ts: number, type: InputEvent['type'], fields: Partial<InputEvent> = {}): void {
    const event: InputEvent = {
      event_id: `pc-${String(++eventCounter).padStart(4, '0')}`,
      device_id: this.deviceId,
      user_id: this.userId,
      seq: this.seq++,
      ts,
      type,
      ...fields,
    };
    if (type === 'focus') event.geo = this.geo;
    (this.held ?? lines).push(JSON.stringify(event));
  }

  /** Records what `body` emits, to be written later with `release`: events that arrive late. */
  hold(body: () => void): string[] {
    const held: string[] = [];
    this.held = held;
    try {
      body();
    } finally {
      this.held = null;
    }
    return held;
  }

  release(held: string[]): void {
    lines.push(...held);
  }

  focus(ts: number, context: Partial<WindowContext>): void {
    this.event(ts, 'focus', {
      context: { app: 'Slack', title: null, url: null, participants: [], tags: [], ...context },
      screen: SCREEN,
    });
  }

  /** Types `text` key by key (90 ms apart); returns the time after the last key. */
  type(ts: number, text: string, extra: Partial<InputEvent> = {}): number {
    let t = ts;
    for (const char of text) {
      const { key, shift } = codeOf(char);
      const modifiers = shift ? { modifiers: ['shift' as const] } : {};
      this.event(t, 'key_down', { key, char, ...modifiers, ...extra });
      this.event(t + 40, 'key_up', { key, ...modifiers, ...extra });
      t += 90;
    }
    return t;
  }

  press(ts: number, key: string): number {
    this.event(ts, 'key_down', { key });
    this.event(ts + 50, 'key_up', { key });
    return ts + 100;
  }

  click(ts: number, x: number, y: number): number {
    this.event(ts, 'mouse_move', { x: x - 40, y: y - 30 });
    this.event(ts + 60, 'mouse_move', { x, y });
    this.event(ts + 120, 'mouse_down', { x, y, button: 'left' });
    this.event(ts + 200, 'mouse_up', { x, y, button: 'left' });
    return ts + 1200;
  }

  paste(ts: number): number {
    this.event(ts, 'key_down', { key: 'ControlLeft', modifiers: ['ctrl'] });
    this.event(ts + 60, 'key_down', { key: 'KeyV', modifiers: ['ctrl'] });
    this.event(ts + 120, 'key_up', { key: 'KeyV', modifiers: ['ctrl'] });
    this.event(ts + 160, 'key_up', { key: 'ControlLeft' });
    return ts + 1200;
  }

  frame(ts: number, frameUri: string): void {
    this.event(ts, 'screen_frame', { frame_uri: frameUri });
  }
}

// Every segment of one device starts 10 minutes after the previous one, so each is its own episode.
const jane = new Device('jdoe-mbp.corp.example.com', JANE, 'US');
const tom = new Device('tom-xps.corp.example.com', TOM, 'DE');
const ann = new Device('ann-mbp.corp.example.com', ANN, 'US');
const eve = new Device('eve-thinkpad.corp.example.com', EVE, 'US');
const raj = new Device('raj-dell.corp.example.com', RAJ, 'IN');

const PAUSE_AT = T0 + 50 * MIN + 10_000;
const LONG_PAUSE_AT = T0 + 70 * MIN + 10_000;

// Interleaved in time across devices, as a broker would deliver them.
{
  // Jane, US chat with a US colleague: content survives, her e-mail becomes <EMAIL>, the secure
  // field is stripped.
  let t = T0;
  jane.focus(t, { app: 'Slack', title: 'Team standup', url: 'https://chat.example.com/team-standup', participants: [BOB] });
  jane.frame(t + 500, 'frames/us-standup-0001.png');
  t = jane.type(t + 1000, 'quarterly');
  t = jane.press(t + 300, 'Enter');
  t = jane.type(t + 1500, 'jane.doe@example.com');
  t = jane.type(t + 1500, canary('CANARY-SECURE-5b1e'), { secure: true });
  jane.click(t + 1500, 400, 300);
}
{
  // Ann, exempt: nothing of hers within the window, mouse included.
  let t = T0 + 2 * MIN;
  ann.focus(t, { app: 'Docs', title: canary('CANARY-EXTITLE-1'), participants: [BOB] });
  t = ann.type(t + 1000, canary('CANARY-EXEMPT-5d2c'));
  t = ann.click(t + 500, 1555, 777);
  t = ann.click(t, 1555, 777);
  ann.press(t, 'Enter');
}
{
  // Eve, erased: nothing of hers, whatever the time.
  let t = T0 + 3 * MIN;
  eve.focus(t, { app: 'Docs', title: canary('CANARY-ERTITLE-2') });
  t = eve.type(t + 1000, canary('CANARY-ERASED-8b3e'));
  t = eve.click(t + 500, 640, 480);
  eve.press(t, 'Enter');
}
{
  // Raj, home region IN: not captured.
  let t = T0 + 4 * MIN;
  raj.focus(t, { app: 'Docs', title: canary('CANARY-NUTITLE-3') });
  t = raj.type(t + 1000, canary('CANARY-NONUS-1f6a'));
  t = raj.click(t + 500, 640, 480);
  raj.press(t, 'Enter');
}
{
  // Tom, US person in a US chat, but the device is in Germany: content stripped everywhere.
  let t = T0 + 5 * MIN;
  tom.focus(t, { app: 'Slack', title: canary('CANARY-GEOTITLE-6f'), url: `https://chat.example.com/${canary('CANARY-GEOURL-2')}`, participants: [BOB] });
  tom.frame(t + 500, `frames/${canary('CANARY-GEOFRAME-3')}.png`);
  t = tom.type(t + 1000, canary('CANARY-GEODE-4a7b'));
  t = tom.press(t + 300, 'Enter');
  tom.click(t + 500, 900, 500);
}
{
  // Jane, EU-linked chat (a German colleague): typing, title, URL, frame and clipboard stripped.
  let t = T0 + 10 * MIN;
  jane.focus(t, {
    app: 'Slack',
    title: canary('CANARY-EUTITLE-c41d'),
    url: `https://chat.example.com/${canary('CANARY-EUURL-9d20')}`,
    participants: [BOB, KLAUS],
  });
  jane.frame(t + 500, `frames/${canary('CANARY-EUFRAME-e7a1')}.png`);
  t = jane.type(t + 1000, canary('CANARY-EUCHAT-7f3a'));
  t = jane.press(t + 300, 'Enter');
  jane.event(t + 500, 'clipboard', { text: canary('CANARY-EUCLIP-3b8c') });
  t = jane.paste(t + 1000);
  t = jane.press(t, 'Enter');
  jane.click(t + 500, 700, 900);
}
{
  // Jane, a chat with someone the registry does not know: EU-linked (fail closed).
  let t = T0 + 20 * MIN;
  jane.focus(t, { app: 'Slack', title: canary('CANARY-UNKTITLE-a1'), participants: [BOB, ZED] });
  t = jane.type(t + 1000, canary('CANARY-UNKNOWN-2c9d'));
  t = jane.press(t + 300, 'Enter');
  jane.click(t + 500, 700, 900);
}
{
  // Jane, a CRM page tagged eu-data.
  let t = T0 + 30 * MIN;
  jane.focus(t, {
    app: 'Chrome',
    title: canary('CANARY-TAGTITLE-d3'),
    url: `https://crm.example.com/${canary('CANARY-TAGURL-77')}`,
    tags: ['eu-data'],
  });
  t = jane.type(t + 1000, canary('CANARY-EUTAG-8e4f'));
  t = jane.press(t + 300, 'Enter');
  jane.click(t + 500, 1200, 200);
}
{
  // Ann after her exemption ended: captured again.
  let t = T0 + 40 * MIN;
  ann.focus(t, { app: 'Docs', title: 'Ann notes', participants: [] });
  t = ann.type(t + 1000, 'afterexempt');
  t = ann.press(t + 300, 'Enter');
  ann.click(t + 500, 300, 300);
}
{
  // Jane, notes, then sensitive windows (an HR app by name, a health site by URL prefix, a legal
  // tool by tag): nothing in them, mouse included; then notes again.
  let t = T0 + 40 * MIN;
  jane.focus(t, { app: 'Notes', title: 'Groceries' });
  t = jane.click(t + 500, 300, 300);
  t = jane.type(t, 'memo');
  t = jane.press(t + 300, 'Enter');
  jane.focus(t + 1000, { app: 'Workday', title: canary('CANARY-HRTITLE-5a'), url: 'https://workday.example.com/me' });
  t = jane.type(t + 2000, canary('CANARY-SENSITIVE-61'));
  t = jane.click(t + 500, 1777, 999);
  t = jane.click(t, 1777, 999);
  jane.focus(t, { app: 'Chrome', title: 'Benefits', url: `https://health.example.com/${canary('CANARY-HEALTHURL-4')}` });
  t = jane.click(t + 500, 1777, 999);
  jane.focus(t, { app: 'Matter', title: 'Case file', tags: ['legal'] });
  t = jane.type(t + 500, canary('CANARY-LEGAL-2b'));
  jane.focus(t + 1000, { app: 'Notes', title: 'Groceries' });
  t = jane.click(t + 1500, 320, 320);
  t = jane.type(t, 'milk');
  jane.press(t + 300, 'Enter');
}
{
  // Jane pauses for 5 minutes. Typing inside the pause is dropped, including typing that reaches
  // the pipeline before the pause event itself and typing that arrives 20 s late; resume ends it.
  let t = T0 + 50 * MIN;
  jane.focus(t, { app: 'Notes', title: 'Groceries' });
  t = jane.click(t + 500, 300, 300);
  t = jane.type(t, 'before');
  jane.press(t + 300, 'Enter');
  // typed 1-3 s after the pause started, but delivered ahead of the pause event
  const ahead = jane.hold(() => jane.type(PAUSE_AT + 1000, canary('CANARY-PREPAUSE-b2')));
  jane.release(ahead);
  jane.event(PAUSE_AT, 'pause', { duration_ms: 5 * MIN });
  // typed 20 s into the pause, delivered after what was typed 40 s in (within the 30 s grace)
  const late = jane.hold(() => jane.type(PAUSE_AT + 20_000, canary('CANARY-LATEPAUSE-4c')));
  jane.type(PAUSE_AT + 40_000, canary('CANARY-PAUSED-0d1f'));
  jane.release(late);
  jane.click(PAUSE_AT + 45_000, 1777, 999);
  jane.event(PAUSE_AT + 60_000, 'resume');
  t = jane.click(PAUSE_AT + 61_000, 300, 300);
  t = jane.type(t, 'afterresume');
  jane.press(t + 300, 'Enter');
}
{
  // Jane asks for a 2-hour pause: it is capped at 30 minutes, so at +31 min capture is back.
  let t = T0 + 70 * MIN;
  jane.focus(t, { app: 'Notes', title: 'Groceries' });
  t = jane.click(t + 500, 300, 300);
  t = jane.type(t, 'prepause');
  jane.press(t + 300, 'Enter');
  jane.event(LONG_PAUSE_AT, 'pause', { duration_ms: 2 * HOUR });
  t = jane.type(LONG_PAUSE_AT + 10 * MIN, canary('CANARY-LONGPAUSE-9c'));
  jane.click(t + 500, 1777, 999);
  t = jane.click(LONG_PAUSE_AT + 31 * MIN, 300, 300);
  t = jane.type(t, 'postpause');
  jane.press(t + 300, 'Enter');
}

{
  // Ann after her exemption, in US windows whose text is kept: PII in the title, a token and a password in
  // URLs, her raw device and user id in a frame reference, a participant's id in a title, an
  // address typed in two pieces around a click, a dotted card, a phone corrected with Backspace
  // and a pasted Slack token. The scrubber must take each out; the gate lets the window through.
  let t = T0 + 60 * MIN;
  ann.focus(t, { app: 'Mail', title: `Inbox - ${pii('rosa.diaz@example.org')}`, url: `https://mail.example.com/u/0/?token=${pii('ghp_x7Kq2Lm9Pz4Rt8Vw1Yb3Nc6Df5Gh0Jk2Ls9Qa')}&page=2#msg=${pii('FMfcgzQXJWhqzsrTJzgQXQ')}`, participants: [BOB] });
  ann.frame(t + 500, `frames/ann-mbp.corp.example.com/${ANN}/0002.png`);
  t = ann.click(t + 1000, 500, 400);
  t = ann.type(t, `mail ${pii('rosa.d')}`);
  t = ann.click(t + 300, 520, 410);
  t = ann.type(t, pii('iaz@example.org'));
  t = ann.press(t + 300, 'Enter');
  t = ann.type(t + 500, `card ${pii('4111.1111.1111.1111')}`);
  t = ann.press(t + 300, 'Enter');
  t = ann.type(t + 500, `ph ${pii('415555099')}`);
  t = ann.press(t + 100, 'Backspace');
  t = ann.press(t + 100, 'Backspace');
  t = ann.type(t + 100, '100 ok');
  ann.event(t + 200, 'clipboard', { text: `token ${pii('xoxb-2648105739-5037194826153-Qm7Xw2Rt9Kp4Lz8Vn3Bc6Hj1')}` });
  t = ann.paste(t + 500);
  ann.focus(t + 1000, { app: 'Wiki', title: `DM with ${BOB}`, url: `https://svc:${pii('Hunter2Pass')}@intranet.example.com/wiki`, participants: [BOB] });
  t = ann.click(t + 2000, 600, 500);
  t = ann.press(t + 300, 'Enter');
  // a lock ends the episode whatever arrives after it: the end reason does not depend on arrival order
  ann.event(t + 1000, 'lock');
}

mkdirSync(DIR, { recursive: true });
writeFileSync(join(DIR, 'events.jsonl'), lines.join('\n') + '\n');
writeFileSync(join(DIR, 'registry.jsonl'), REGISTRY.map((r) => JSON.stringify(r)).join('\n') + '\n');
writeFileSync(join(DIR, 'canaries.json'), JSON.stringify({ canaries, scrubbed, survivors: SURVIVORS }, null, 2) + '\n');
writeFileSync(
  join(DIR, 'pipeline.yaml'),
  [
    '# The default pipeline plus named sensitive apps and URLs, and Arrow files beside the Parquet',
    '# shards, so the canary test decodes both formats.',
    'version: 1',
    'name: privacy-canaries',
    'privacy:',
    '  sensitive_contexts:',
    '    apps: [Workday]',
    '    url_prefixes: ["https://health.example.com"]',
    '    tags: [sensitive, hr, health, legal]',
    'output:',
    '  formats: [parquet, arrow]',
    '',
  ].join('\n'),
);
writeFileSync(
  join(DIR, 'fixture.json'),
  JSON.stringify(
    {
      description:
        'canary strings planted in every place content can hide (EU-linked, unknown-participant and eu-data windows, EU geo, secure fields, clipboard, titles, URLs, frames, exempt, erased and non-US people, paused minutes, sensitive apps); none may reach the dataset',
      input: 'events.jsonl',
      registry: 'registry.jsonl',
      config: 'pipeline.yaml',
    },
    null,
    2,
  ) + '\n',
);
console.log(`privacy-canaries: ${lines.length} events, ${canaries.length} canaries -> ${DIR}`);
