// Writes the control-record fixtures: hand-made streams in which a record that should restrict what
// is written comes in a form that used to be lost (another person on the device, an id reused or
// colliding with the record before it, a record later than the grace period). Each fixture's
// canaries.json lists the words typed where nothing may be written (`canaries`) and words that
// must still reach the dataset (`survivors`); test/control-classes.test.ts checks both.
// Deterministic: running it twice writes the same bytes.
//
//   node --import tsx scripts/make-late-fixtures.ts && npm run fixtures:update
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InputEvent, RegistryRecord, WindowContext } from '../src/contract/events.ts';
import { idHashOf } from '../src/contract/event-id.ts';
import { FIXTURES_DIR } from '../test/helpers/fixtures.ts';

const SEC = 1000;
const MIN = 60 * SEC;
const T0 = Date.UTC(2026, 2, 3, 14, 0, 0);
const SCREEN = { width: 1920, height: 1080, scale: 1 };

const ALICE = 'emp-0101-alice'; // US
const BOB = 'emp-0102-bob'; // US
const CAROL = 'emp-0103-carol'; // US
const RAJ = 'emp-0104-raj'; // IN: not captured
const KLAUS = 'emp-0105-klaus'; // DE: only ever a chat participant

const REGISTRY: RegistryRecord[] = [
  { kind: 'person', user_id: ALICE, region: 'US' },
  { kind: 'person', user_id: BOB, region: 'US' },
  { kind: 'person', user_id: CAROL, region: 'US' },
  { kind: 'person', user_id: RAJ, region: 'IN' },
  { kind: 'person', user_id: KLAUS, region: 'DE' },
];

const NOTES: WindowContext = { app: 'TextEdit', title: 'Notes', url: null, participants: [], tags: [] };
const EU_CHAT: WindowContext = { app: 'Slack', title: 'Chat with Klaus', url: null, participants: [KLAUS], tags: [] };
const HR_APP: WindowContext = { app: 'Workday', title: 'Salary review', url: null, participants: [], tags: [] };

/** One device's stream, written in arrival order (which a test may make differ from time order). */
class Device {
  readonly events: InputEvent[] = [];
  private seq = 0;
  private n = 0;
  user: string;

  constructor(
    readonly id: string,
    user: string,
    private readonly idPrefix: string,
  ) {
    this.user = user;
  }

  event(ts: number, type: InputEvent['type'], extra: Partial<InputEvent> = {}): InputEvent {
    const e: InputEvent = { event_id: `${this.idPrefix}-${String(++this.n).padStart(4, '0')}`, device_id: this.id, user_id: this.user, seq: this.seq++, ts, type, ...extra };
    this.events.push(e);
    return e;
  }

  focus(ts: number, context: WindowContext, extra: Partial<InputEvent> = {}): InputEvent {
    return this.event(ts, 'focus', { context, screen: SCREEN, ...extra });
  }

  /** Types a lower-case word, 150 ms a key, then presses Enter and clicks: three actions. */
  typeWord(ts: number, word: string): number {
    let t = ts;
    for (const ch of word) {
      const key = `Key${ch.toUpperCase()}`;
      this.event(t, 'key_down', { key, char: ch });
      this.event(t + 40, 'key_up', { key });
      t += 150;
    }
    this.event(t, 'key_down', { key: 'Enter' });
    this.event(t + 40, 'key_up', { key: 'Enter' });
    this.event(t + 500, 'mouse_down', { x: 400, y: 300, button: 'left' });
    this.event(t + 560, 'mouse_up', { x: 400, y: 300, button: 'left' });
    return t + 1000;
  }

  /** Mouse moves every few seconds up to `until`: activity that moves the device's time on. */
  idle(from: number, until: number): void {
    for (let t = from; t < until; t += 5 * SEC) this.event(t, 'mouse_move', { x: 100 + ((t / SEC) % 50), y: 200 });
  }
}

interface Fixture {
  name: string;
  description: string;
  devices: Device[];
  canaries: string[];
  survivors: string[];
  config?: string;
}

function write(f: Fixture): void {
  const dir = join(FIXTURES_DIR, f.name);
  mkdirSync(dir, { recursive: true });
  const lines = f.devices.flatMap((d) => d.events).map((e) => JSON.stringify(e));
  writeFileSync(join(dir, 'events.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'registry.jsonl'), REGISTRY.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'canaries.json'), JSON.stringify({ canaries: f.canaries, survivors: f.survivors }, null, 2) + '\n');
  const spec: Record<string, string> = { description: f.description, input: 'events.jsonl', registry: 'registry.jsonl' };
  if (f.config !== undefined) {
    writeFileSync(join(dir, 'pipeline.yaml'), f.config);
    spec.config = 'pipeline.yaml';
  }
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify(spec, null, 2) + '\n');
}

// --- a device changes hands --------------------------------------------------------------------
function deviceChangesHands(): Fixture {
  // alice, then bob, on one kiosk: two episodes, each under its own person
  const kiosk = new Device('kiosk-1.corp.example.com', ALICE, 'hand-a');
  kiosk.focus(T0, NOTES, { geo: 'US' });
  kiosk.typeWord(T0 + SEC, 'alicewrites');
  kiosk.user = BOB;
  kiosk.typeWord(T0 + 20 * SEC, 'bobwrites');
  // raj (not captured), then carol, then raj again: carol's typing is written, raj's never
  const shared = new Device('kiosk-2.corp.example.com', RAJ, 'hand-b');
  shared.focus(T0, NOTES, { geo: 'US' });
  shared.typeWord(T0 + SEC, 'rajwrites');
  shared.user = CAROL;
  shared.typeWord(T0 + 20 * SEC, 'carolwrites');
  shared.user = RAJ;
  shared.typeWord(T0 + 40 * SEC, 'rajagain');
  return {
    name: 'device-changes-hands',
    description: 'two devices whose user_id changes mid-stream, one starting with a person who is not captured: each person gets their own episodes, the uncaptured person none',
    devices: [kiosk, shared],
    canaries: ['rajwrites', 'rajagain'],
    survivors: ['alicewrites', 'bobwrites', 'carolwrites'],
  };
}

/** Two distinct ids with the same 32-bit fingerprint, found by trying counters (a birthday search). */
function collidingIds(prefix: string): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `${prefix}-${i.toString(36)}`;
    const hash = idHashOf(id);
    const other = seen.get(hash);
    if (other !== undefined) return [other, id];
    seen.set(hash, id);
  }
}

// --- ids reused or colliding -------------------------------------------------------------------
function retries(): Fixture {
  // an EU-linked focus that reuses the id, ts and seq of the click before it
  const reused = new Device('laptop-r1.corp.example.com', ALICE, 'retry-a');
  reused.focus(T0, NOTES, { geo: 'US' });
  let t = reused.typeWord(T0 + SEC, 'usbefore');
  const click = reused.event(t, 'mouse_down', { x: 10, y: 10, button: 'left' });
  reused.events.push({ ...click, type: 'focus', context: EU_CHAT, screen: SCREEN, x: undefined, y: undefined, button: undefined });
  reused.typeWord(t + SEC, 'eusecretone');
  // an EU-linked focus whose different id has the same fingerprint as the click's
  const [first, second] = collidingIds('retry-b');
  const colliding = new Device('laptop-r2.corp.example.com', BOB, 'retry-b');
  colliding.focus(T0, NOTES, { geo: 'US' });
  t = colliding.typeWord(T0 + SEC, 'usbeforetoo');
  const click2 = colliding.event(t, 'mouse_down', { x: 10, y: 10, button: 'left' });
  click2.event_id = first;
  colliding.events.push({ ...click2, event_id: second, type: 'focus', context: EU_CHAT, screen: SCREEN, x: undefined, y: undefined, button: undefined });
  colliding.typeWord(t + SEC, 'eusecrettwo');
  // a real retry: the same record twice, which is still counted as a duplicate and written once
  const retried = new Device('laptop-r3.corp.example.com', CAROL, 'retry-c');
  retried.focus(T0, NOTES, { geo: 'US' });
  t = retried.typeWord(T0 + SEC, 'retriedonce');
  const focus = retried.focus(t, EU_CHAT);
  retried.events.push({ ...focus });
  retried.typeWord(t + SEC, 'eusecretthree');
  for (const d of [reused, colliding, retried]) {
    d.events.forEach((e) => {
      for (const k of Object.keys(e) as (keyof InputEvent)[]) if (e[k] === undefined) delete e[k];
    });
  }
  return {
    name: 'retry-reused-id',
    description: 'EU-linked focus records that reuse the id of the record before them or collide with its 32-bit fingerprint, and a true retry: only the identical record is a duplicate, the typing after each focus is stripped',
    devices: [reused, colliding, retried],
    canaries: ['eusecretone', 'eusecrettwo', 'eusecretthree'],
    survivors: ['usbefore', 'usbeforetoo', 'retriedonce'],
  };
}

// --- records later than the grace period -------------------------------------------------------
function late(): Fixture {
  const devices: Device[] = [];
  /** A device whose late record (made by `lateRecord` at T0 + 9 s) arrives after T0 + 60 s of its typing. */
  const lateOn = (id: string, prefix: string, before: string, during: string[], lateRecord: (d: Device) => void, start?: (d: Device) => void): Device => {
    const d = new Device(id, ALICE, prefix);
    if (start) start(d);
    else d.focus(T0, NOTES, { geo: 'US' });
    d.typeWord(T0 + SEC, before);
    d.typeWord(T0 + 10 * SEC, during[0]);
    d.idle(T0 + 20 * SEC, T0 + 40 * SEC);
    d.typeWord(T0 + 40 * SEC, during[1]);
    d.idle(T0 + 50 * SEC, T0 + 60 * SEC);
    lateRecord(d);
    d.typeWord(T0 + 61 * SEC, during[2]);
    d.idle(T0 + 70 * SEC, T0 + 90 * SEC);
    devices.push(d);
    return d;
  };
  const LATE = T0 + 9 * SEC;
  lateOn('laptop-l1.corp.example.com', 'late-eu', 'beforeeufocus', ['ineuone', 'ineutwo', 'ineuthree'], (d) => d.focus(LATE, EU_CHAT));
  lateOn('laptop-l2.corp.example.com', 'late-geo', 'beforeeugeo', ['ingeoone', 'ingeotwo', 'ingeothree'], (d) => d.event(LATE, 'mouse_move', { x: 1, y: 1, geo: 'DE' }));
  lateOn('laptop-l3.corp.example.com', 'late-hr', 'beforehrapp', ['inhrone', 'inhrtwo', 'inhrthree'], (d) => d.focus(LATE, HR_APP));
  lateOn('laptop-l4.corp.example.com', 'late-pause', 'beforepause', ['inpauseone', 'inpausetwo', 'inpausethree'], (d) => d.event(LATE, 'pause', { duration_ms: 40 * SEC }));
  lateOn('laptop-l5.corp.example.com', 'late-lock', 'beforelock', ['inlockone', 'inlocktwo', 'inlockthree'], (d) => d.event(LATE, 'lock'));
  // a late focus into a plain US window loosens nothing: the EU window's typing stays stripped
  lateOn('laptop-l7.corp.example.com', 'late-us', 'euwindowstart', ['euwindowone', 'euwindowtwo', 'euwindowthree'], (d) => d.focus(LATE, NOTES), (d) => d.focus(T0, EU_CHAT, { geo: 'US' }));
  // an episode written before the late record came: the record restricts what follows; the episode
  // already written is not corrected (docs/PRIVACY.md, "Late control records")
  const written = new Device('laptop-l8.corp.example.com', BOB, 'late-written');
  written.focus(T0, NOTES, { geo: 'US' });
  written.typeWord(T0 + SEC, 'writtenbefore');
  written.typeWord(T0 + 10 * SEC, 'writtenafter');
  written.idle(T0 + 20 * SEC, T0 + 30 * SEC);
  // a gap of 6 minutes: the first episode closes and is written; then the late EU focus at T0+9 s
  written.typeWord(T0 + 6 * MIN, 'secondepisode');
  written.idle(T0 + 6 * MIN + 10 * SEC, T0 + 7 * MIN);
  written.focus(LATE, EU_CHAT);
  written.idle(T0 + 7 * MIN, T0 + 8 * MIN);
  devices.push(written);
  // later than privacy.late_control_ms (10 minutes here): a dead letter, the typing before it stays
  const tooLate = new Device('laptop-l9.corp.example.com', CAROL, 'late-dead');
  tooLate.focus(T0, NOTES, { geo: 'US' });
  tooLate.typeWord(T0 + SEC, 'keptbeforebound');
  tooLate.idle(T0 + 10 * SEC, T0 + 4 * MIN);
  tooLate.typeWord(T0 + 15 * MIN, 'keptafterbound');
  tooLate.idle(T0 + 15 * MIN + 10 * SEC, T0 + 16 * MIN);
  tooLate.focus(LATE, EU_CHAT);
  tooLate.idle(T0 + 16 * MIN, T0 + 16 * MIN + 30 * SEC);
  devices.push(tooLate);
  return {
    name: 'late-control',
    description: 'restrictive control records (EU-linked and sensitive focus, EU geo, pause, lock) arriving after the grace period act from their time on, a late focus into a plain window stays dropped, and one later than privacy.late_control_ms is a dead letter',
    devices,
    canaries: [
      'ineuone', 'ineutwo', 'ineuthree', 'ingeoone', 'ingeotwo', 'ingeothree', 'inhrone', 'inhrtwo', 'inhrthree',
      'inpauseone', 'inpausetwo',
      'euwindowstart', 'euwindowone', 'euwindowtwo', 'euwindowthree',
      // typed after a late EU focus that was the device's latest: in time, the window they were typed in
      'secondepisode', 'keptafterbound',
    ],
    survivors: ['beforeeufocus', 'beforeeugeo', 'beforehrapp', 'beforepause', 'inpausethree', 'beforelock', 'inlockthree', 'keptbeforebound'],
    config: '# The default pipeline, with a late_control_ms short enough that one record of the stream is beyond it.\nversion: 1\nname: late-control\nprivacy:\n  sensitive_contexts:\n    apps: [Workday]\n  late_control_ms: 600000\n',
  };
}

for (const f of [deviceChangesHands(), retries(), late()]) write(f);
