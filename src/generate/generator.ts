// Synthetic capture stream: a fleet of simulated employees working on their laptops, as the agents
// in the field would report it. Pure and seeded: the same options always give the same registry
// and the same events, and a longer run starts with exactly the events of a shorter one.
//
// Each device is a small state machine of activities (editing code, browsing, chatting, mail,
// terminal, breaks): an activity is planned as a few commands and executed one event at a time,
// so a device holds only its own state; the devices' streams are merged by a binary heap on the
// next event time. Memory is O(devices), whatever the number of events. Events may share their
// `context`, `screen` and `modifiers` objects with other events of the same device: treat them
// as immutable.
import type { InputEvent, Modifier, MouseButton, RegistryRecord, Screen, WindowContext } from '../contract/events.ts';
import { EXEMPTION_REASONS } from '../contract/events.ts';
import { Random, hashString, mixSeed } from './random.ts';

export interface GenerateOptions {
  seed: number;
  devices: number;
  /** total events to emit, approximately (the merged stream stops after this many). */
  events?: number;
  /** or simulated minutes per device. Without either, 60 minutes. */
  minutes?: number;
  /** epoch ms the simulation starts at; default 2026-03-02T13:00:00Z (08:00 on the US east coast). */
  start?: number;
  /** share of chats and mail threads with an EU colleague, default 0.2. */
  euShare?: number;
}

export const DEFAULT_START = Date.UTC(2026, 2, 2, 13, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DEFAULT_MINUTES = 60;
/** measured: a device emits about this many events per simulated minute; sizes the registry's windows. */
const EVENTS_PER_DEVICE_MINUTE = 520;

const APPS = ['code', 'chrome', 'slack', 'outlook', 'terminal'] as const;
const CODE = 0;
const CHROME = 1;
const SLACK = 2;
const OUTLOOK = 3;
const APP_WEIGHTS = [0.3, 0.3, 0.2, 0.1, 0.1];

/** regions a colleague counts as "EU" for the euShare draw (all in the default privacy.eu_regions). */
const EU_COLLEAGUE_REGIONS = new Set(['DE', 'FR', 'NL', 'ES', 'IE', 'IT']);
/** home regions of the colleagues without a captured device, in the order they are handed out. */
const COLLEAGUE_REGIONS = ['DE', 'US', 'FR', 'IN', 'US', 'GB', 'NL', 'US', 'ES', 'IE', 'US', 'IT'];
/** a few captured devices belong to people outside the US: capture.regions must filter them out. */
const NON_US_DEVICE_SHARE = 0.025;
const NON_US_DEVICE_REGIONS = ['GB', 'IN', 'DE', 'CA'];
const SECOND_DEVICE_SHARE = 0.1;
const TRAVELLER_SHARE = 0.01;

// ---------------------------------------------------------------------------------------------
// Population: who exists, who has which device. Shared by the registry and the event stream.

interface Population {
  userIds: string[];
  regions: string[];
  /** per device: its id and its owner's index into userIds. */
  deviceIds: string[];
  deviceOwners: Int32Array;
  /** user indexes of colleagues who may show up in chats and mail. */
  usColleagues: number[];
  euColleagues: number[];
  /** the number of users that own a device (they come first in userIds). */
  deviceUsers: number;
  /** devices currently abroad (geo DE): one in every fleet of ten or more, and a few more by chance. */
  travellers: Set<number>;
}

function userId(index: number): string {
  return `u-${String(index).padStart(5, '0')}`;
}

function planPopulation(seed: number, devices: number): Population {
  if (!Number.isInteger(devices) || devices < 1) throw new RangeError(`devices must be a positive integer, got ${devices}`);
  const rng = new Random(mixSeed(seed, 0x506f70));
  const userIds: string[] = [];
  const regions: string[] = [];
  const deviceIds: string[] = [];
  const deviceOwners = new Int32Array(devices);
  while (deviceIds.length < devices) {
    const user = userIds.length;
    const id = userId(user);
    userIds.push(id);
    regions.push(rng.chance(NON_US_DEVICE_SHARE) ? rng.pick(NON_US_DEVICE_REGIONS) : 'US');
    const base = `dev-${id.slice(2)}`;
    deviceOwners[deviceIds.length] = user;
    deviceIds.push(`${base}-a`);
    if (deviceIds.length < devices && rng.chance(SECOND_DEVICE_SHARE)) {
      deviceOwners[deviceIds.length] = user;
      deviceIds.push(`${base}-b`);
    }
  }
  const deviceUsers = userIds.length;
  const colleagues = Math.max(COLLEAGUE_REGIONS.length, Math.ceil(deviceUsers * 0.1));
  for (let i = 0; i < colleagues; i++) {
    userIds.push(userId(deviceUsers + i));
    regions.push(COLLEAGUE_REGIONS[i % COLLEAGUE_REGIONS.length]);
  }
  const usColleagues: number[] = [];
  const euColleagues: number[] = [];
  for (let i = 0; i < userIds.length; i++) {
    if (regions[i] === 'US') usColleagues.push(i);
    else if (EU_COLLEAGUE_REGIONS.has(regions[i])) euColleagues.push(i);
  }
  const travellers = new Set<number>();
  if (devices >= 10) travellers.add(rng.int(0, devices - 1));
  for (let i = 0; i < devices; i++) if (rng.chance(TRAVELLER_SHARE)) travellers.add(i);
  return { userIds, regions, deviceIds, deviceOwners, usColleagues, euColleagues, deviceUsers, travellers };
}

function simulatedSpanMs(opts: GenerateOptions): number {
  if (opts.minutes !== undefined) return opts.minutes * MINUTE;
  if (opts.events !== undefined) {
    const minutes = opts.events / opts.devices / EVENTS_PER_DEVICE_MINUTE;
    return Math.min(8 * 60, Math.max(10, minutes)) * MINUTE;
  }
  return DEFAULT_MINUTES * MINUTE;
}

// ---------------------------------------------------------------------------------------------
// Registry

/**
 * Every person in the stream (device owners and the colleagues in their chats), mostly US; a few
 * exemptions inside the simulated span (one open-ended), and one erasure when there are enough people.
 */
export function generateRegistry(opts: GenerateOptions): RegistryRecord[] {
  const population = planPopulation(opts.seed, opts.devices);
  const start = opts.start ?? DEFAULT_START;
  const span = simulatedSpanMs(opts);
  const rng = new Random(mixSeed(opts.seed, 0x526567));
  const records: RegistryRecord[] = population.userIds.map((user_id, i) => ({
    kind: 'person',
    user_id,
    region: population.regions[i],
  }));

  const usDeviceUsers: number[] = [];
  for (let i = 0; i < population.deviceUsers; i++) if (population.regions[i] === 'US') usDeviceUsers.push(i);
  const chosen = new Set<number>();
  const pickUnchosen = (): number | null => {
    if (chosen.size >= usDeviceUsers.length) return null;
    for (;;) {
      const user = rng.pick(usDeviceUsers);
      if (!chosen.has(user)) {
        chosen.add(user);
        return user;
      }
    }
  };

  const exemptions = Math.max(2, Math.round(population.deviceUsers * 0.02));
  for (let i = 0; i < exemptions; i++) {
    const user = pickUnchosen();
    if (user === null) break;
    const from = start + Math.round(rng.float(0.1, 0.6) * span);
    const until = i === 0 ? null : from + Math.round(rng.float(0.1, 0.3) * span);
    records.push({
      kind: 'exemption',
      user_id: population.userIds[user],
      from,
      until,
      reason: EXEMPTION_REASONS[i % EXEMPTION_REASONS.length],
    });
  }
  if (population.deviceUsers >= 10) {
    const user = pickUnchosen();
    if (user !== null) {
      records.push({ kind: 'erasure', user_id: population.userIds[user], ts: start + Math.round(rng.float(0.3, 0.9) * span) });
    }
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Keyboard: W3C codes for the printable ASCII characters a US layout produces.

interface KeyStroke {
  code: string;
  shift: boolean;
}

const KEYS: (KeyStroke | undefined)[] = (() => {
  const table: (KeyStroke | undefined)[] = new Array(128);
  for (let c = 0; c < 26; c++) {
    const code = `Key${String.fromCharCode(65 + c)}`;
    table[97 + c] = { code, shift: false };
    table[65 + c] = { code, shift: true };
  }
  for (let d = 0; d < 10; d++) table[48 + d] = { code: `Digit${d}`, shift: false };
  const unshifted: [string, string][] = [
    [' ', 'Space'], ['-', 'Minus'], ['=', 'Equal'], ['[', 'BracketLeft'], [']', 'BracketRight'],
    ['\\', 'Backslash'], [';', 'Semicolon'], ["'", 'Quote'], [',', 'Comma'], ['.', 'Period'],
    ['/', 'Slash'], ['`', 'Backquote'],
  ];
  const shifted: [string, string][] = [
    ['!', 'Digit1'], ['@', 'Digit2'], ['#', 'Digit3'], ['$', 'Digit4'], ['%', 'Digit5'], ['^', 'Digit6'],
    ['&', 'Digit7'], ['*', 'Digit8'], ['(', 'Digit9'], [')', 'Digit0'], ['_', 'Minus'], ['+', 'Equal'],
    ['{', 'BracketLeft'], ['}', 'BracketRight'], ['|', 'Backslash'], [':', 'Semicolon'], ['"', 'Quote'],
    ['<', 'Comma'], ['>', 'Period'], ['?', 'Slash'], ['~', 'Backquote'],
  ];
  for (const [ch, code] of unshifted) table[ch.charCodeAt(0)] = { code, shift: false };
  for (const [ch, code] of shifted) table[ch.charCodeAt(0)] = { code, shift: true };
  return table;
})();

/** the characters of each printable key, for a stroke's `char` without building strings per event. */
const CHARS: string[] = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

// Shared, frozen lists: one array per combination instead of one per event (a stage that
// mutates an event's arrays fails loudly instead of changing other events).
const SHIFT = Object.freeze(['shift']) as Modifier[];
const CTRL = Object.freeze(['ctrl']) as Modifier[];
const ALT = Object.freeze(['alt']) as Modifier[];

// ---------------------------------------------------------------------------------------------
// What people type and look at.

const FIRST_NAMES = ['alex', 'sam', 'jordan', 'taylor', 'morgan', 'casey', 'riley', 'jamie', 'chris', 'pat', 'dana', 'lee'];
const LAST_NAMES = ['smith', 'johnson', 'lee', 'garcia', 'brown', 'miller', 'davis', 'wilson', 'moore', 'clark', 'lopez'];
const MAIL_DOMAINS = ['acme.example', 'example.com', 'gmail.com', 'outlook.com', 'partner.example.org'];
const TEST_CARDS = ['4111 1111 1111 1111', '5555 5555 5555 4444', '4012 8888 8888 1881', '3782 822463 10005', '6011111111111117'];
const PROJECTS = ['payments', 'checkout', 'billing-api', 'web-app', 'data-platform', 'mobile', 'infra', 'search'];
const FILES = ['index.ts', 'server.ts', 'handler.go', 'models.py', 'App.tsx', 'config.yaml', 'README.md', 'utils.ts', 'schema.sql'];
const CODE_LINES = [
  'const result = await fetch(url);',
  'if (!items.length) return null;',
  'export function parseConfig(text: string) {',
  'for (const row of rows) total += row.amount;',
  "import { readFile } from 'node:fs/promises';",
  'return { ...state, loading: false };',
  "console.log('debug', value);",
  '// TODO: handle retries',
  "test('parses empty input', (t) => {",
  'let count = 0;',
  'def handle(event, context):',
  'SELECT id, total FROM orders WHERE status = $1;',
  'if err != nil { return err }',
  '}',
];
const COMMANDS = [
  'git status', 'git pull --rebase', 'npm test', 'ls -la', 'cd src', 'git commit -m "fix parser"', 'docker ps',
  'kubectl get pods -n staging', 'npm run build', 'grep -rn TODO src', 'git log --oneline -5', 'make lint', 'cat .env.example',
];
const SEARCHES = [
  'typescript generator performance', 'kafka consumer lag', 'parquet row group size', 'how to center a div',
  'node heap snapshot', 'postgres explain analyze', 'react useEffect cleanup', 'docker compose healthcheck',
];
const CHAT_LINES = [
  'can you take a look at my PR?', 'standup in 5', 'sure, on it', 'thanks!', 'let me check and get back to you', 'lgtm',
  'the deploy is green now', 'who owns the billing service?', 'meeting moved to 3pm', 'I am out tomorrow afternoon',
  'Pushed a fix, please retry.', 'Any idea why CI is red?',
];
const PII_CHAT_LINES = [
  'my email is {email}', 'call me at {phone}', 'send it to {email} please', 'use card {card} for the team lunch',
  'new number: {phone}', 'cc {email} on that thread',
];
const MAIL_SUBJECTS = ['Quarterly report', 'Re: onboarding', 'Invoice question', 'Project update', 'Offsite logistics', 'Re: contract draft'];
const MAIL_LINES = [
  'Hi all,', 'please find the numbers below.', 'Let me know if you have questions.', 'Thanks,', 'Best regards',
  'Can we move this to next week?', 'Attached is the updated draft.',
];
const PII_MAIL_LINES = ['You can reach me at {phone}.', 'Please invoice {email}.', 'The card on file is {card}.'];
const CHANNELS = ['#team-backend', '#deploys', '#random', '#incidents', '#design-review', '#help-data'];

interface Page {
  title: string;
  url: string;
  tags: string[];
  login?: boolean;
}

const NO_TAGS = Object.freeze([]) as unknown as string[];
const NO_PARTICIPANTS = Object.freeze([]) as unknown as string[];
const EU_DATA = Object.freeze(['eu-data']) as string[];
const HR = Object.freeze(['hr']) as string[];

function browserPage(rng: Random): Page {
  const n = rng.int(100, 9999);
  switch (rng.weighted([3, 2, 2, 2, 2, 1, 0.4, 0.2, 0.5])) {
    case 0: {
      const repo = rng.pick(PROJECTS);
      return { title: `Pull request #${n} · acme/${repo}`, url: `https://github.com/acme/${repo}/pull/${n}`, tags: NO_TAGS };
    }
    case 1:
      return { title: `ABC-${n} Fix flaky test - Jira`, url: `https://acme.atlassian.net/browse/ABC-${n}`, tags: NO_TAGS };
    case 2:
      return { title: 'Design doc - Google Docs', url: `https://docs.google.com/document/d/1x${n}Yz/edit`, tags: NO_TAGS };
    case 3:
      return { title: 'javascript - How to merge sorted iterators - Stack Overflow', url: `https://stackoverflow.com/questions/${n * 1000 + 7}`, tags: NO_TAGS };
    case 4: {
      const query = rng.pick(SEARCHES);
      return { title: `${query} - Google Search`, url: `https://www.google.com/search?q=${query.replaceAll(' ', '+')}`, tags: NO_TAGS };
    }
    case 5:
      return { title: 'Service dashboard - Grafana', url: `https://grafana.acme.example/d/${n}/service`, tags: NO_TAGS };
    case 6:
      return { title: 'EU customers - Admin', url: `https://admin.acme.example/eu/customers/${n}`, tags: EU_DATA };
    case 7:
      return { title: 'Time off - Workday', url: 'https://acme.workday.example/time-off', tags: HR };
    default:
      return { title: 'Sign in - Acme SSO', url: `https://sso.acme.example/login?session=${n}`, tags: NO_TAGS, login: true };
  }
}

function email(rng: Random): string {
  return `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}@${rng.pick(MAIL_DOMAINS)}`;
}

function phone(rng: Random): string {
  const line = String(rng.int(100, 199)).padStart(4, '0');
  switch (rng.int(0, 2)) {
    case 0:
      return `(${rng.int(201, 989)}) 555-${line}`;
    case 1:
      return `+1 ${rng.int(201, 989)} 555 ${line}`;
    default:
      return `+49 30 ${rng.int(1000000, 9999999)}`;
  }
}

function fillPii(template: string, rng: Random): string {
  return template
    .replace('{email}', email(rng))
    .replace('{phone}', phone(rng))
    .replace('{card}', rng.pick(TEST_CARDS));
}

function password(rng: Random): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#$%&*?';
  let text = '';
  for (let i = rng.int(10, 16); i > 0; i--) text += alphabet[rng.int(0, alphabet.length - 1)];
  return text;
}

// ---------------------------------------------------------------------------------------------
// One device. An activity is planned as a short list of commands (move here, click, type this);
// the commands are then executed lazily, a mouse sample or a keystroke at a time, so a device
// holds a handful of pending events at most and no generator frames sit on the hot path.

const SCREENS: Screen[] = [
  { width: 1920, height: 1080, scale: 1 },
  { width: 2560, height: 1440, scale: 1 },
  { width: 2560, height: 1440, scale: 2 },
  { width: 1920, height: 1080, scale: 2 },
].map((screen) => Object.freeze(screen));
/** Fitts' law, MT = a + b·log2(D/W + 1), with values typical for a mouse on a desktop. */
const FITTS_A_MS = 100;
const FITTS_B_MS = 140;
const MIN_MOVE_MS = 100;
const MAX_MOVE_MS = 800;
/** peak speed of a minimum-jerk move is 1.875·D/T; long moves are slowed to stay under this. */
const MAX_PEAK_PX_PER_MS = 5;
const MIN_JERK_PEAK = 1.875;
/** uniform jitter of ±0.7 px on each mouse sample, from 10 random bits per axis. */
const SENSOR_NOISE_PX = 0.7;
const SENSOR_NOISE_SCALE = (2 * SENSOR_NOISE_PX) / 1023;

const OP_MOVE = 0;
const OP_MOVE_BY = 1;
const OP_CLICK = 2;
const OP_DOWN = 3;
const OP_UP = 4;
const OP_SCROLL = 5;
const OP_TYPE = 6;
const OP_KEY = 7;
const OP_HOTKEY = 8;
const OP_CLIPBOARD = 9;
const OP_FOCUS = 10;
const OP_THINK = 11;
const OP_IDLE = 12;
const OP_LOCK = 13;
const OP_PAUSE = 14;

const BUTTONS: MouseButton[] = ['left', 'right', 'middle'];
const LEFT = 0;
const RIGHT = 1;
const HOTKEY_CTRL = 0;
const HOTKEY_ALT = 1;
const HOTKEY_MODIFIER_CODES = ['ControlLeft', 'AltLeft'];
const HOTKEY_MODIFIERS = [CTRL, ALT];

/** One planned step; the meaning of a, b, c depends on the op (see Device's planning methods). */
class Command {
  constructor(
    readonly op: number,
    readonly a: number,
    readonly b: number,
    readonly c: number,
    readonly text: string | null,
    readonly context: WindowContext | null,
  ) {}
}

const STEP_NONE = 0;
const STEP_MOVE = 1;
const STEP_TYPE = 2;

class Device {
  readonly rng: Random;
  readonly screen: Screen;
  readonly width: number;
  readonly height: number;
  /** mouse polling interval: 8 ms (125 Hz) to 16 ms (~60 Hz). */
  readonly pollMs: number;
  readonly ikiMeanMs: number;
  readonly ikiSdMs: number;
  readonly notchedWheel: boolean;
  readonly geo: string;
  readonly project: string;
  /** cursor position and clock as of the last executed command. */
  x: number;
  y: number;
  t: number;
  app: number;
  lunchAt: number;
  /** what each app shows; made on first use, since most devices touch few apps early on. */
  private readonly contexts: (WindowContext | null)[] = [null, null, null, null, null];

  private readonly plan: Command[] = [];
  private planAt = 0;
  private readonly out: InputEvent[] = [];
  private outAt = 0;
  private stepping = STEP_NONE;
  private done = false;
  private moveX0 = 0;
  private moveY0 = 0;
  private moveDx = 0;
  private moveDy = 0;
  private moveTx = 0;
  private moveTy = 0;
  private moveDuration = 0;
  private moveBow = 0;
  private moveNormalX = 0;
  private moveNormalY = 0;
  private moveStart = 0;
  private moveElapsed = 0;
  private moveLastX = 0;
  private moveLastY = 0;
  private typing = '';
  private typingAt = 0;
  private typingSecure = false;

  constructor(
    readonly index: number,
    readonly deviceId: string,
    readonly userId: string,
    readonly ownerIndex: number,
    readonly population: Population,
    readonly euShare: number,
    seed: number,
    start: number,
    readonly end: number,
  ) {
    const rng = (this.rng = new Random(mixSeed(seed, 0x446576, index)));
    this.screen = SCREENS[rng.weighted([5, 2, 3, 1])];
    this.width = this.screen.width;
    this.height = this.screen.height;
    this.pollMs = rng.int(8, 16);
    this.ikiMeanMs = rng.int(110, 180);
    this.ikiSdMs = rng.int(25, 45);
    this.notchedWheel = rng.chance(0.5);
    this.geo = population.travellers.has(index) ? 'DE' : 'US';
    this.project = rng.pick(PROJECTS);
    this.x = rng.int(0, this.width - 1);
    this.y = rng.int(0, this.height - 1);
    this.t = start + rng.int(0, 90 * SECOND);
    this.lunchAt = this.t + rng.int(150, 240) * MINUTE;
    this.app = rng.weighted(APP_WEIGHTS);
    this.show(this.app, this.contextOf(this.app));
  }

  // --- window contexts -------------------------------------------------------------------

  contextOf(app: number): WindowContext {
    return (this.contexts[app] ??= this.newContext(app));
  }

  newContext(app: number): WindowContext {
    const rng = this.rng;
    switch (app) {
      case CODE:
        return { app: 'code', title: `${rng.pick(FILES)} — ${this.project} — Visual Studio Code`, url: null, participants: NO_PARTICIPANTS, tags: NO_TAGS };
      case CHROME:
        return this.pageContext(browserPage(rng));
      case SLACK:
        return this.chatContext();
      case OUTLOOK:
        return INBOX;
      default:
        return { app: 'terminal', title: `zsh — ~/src/${this.project}`, url: null, participants: NO_PARTICIPANTS, tags: NO_TAGS };
    }
  }

  pageContext(page: Page): WindowContext {
    return { app: 'chrome', title: page.title, url: page.url, participants: NO_PARTICIPANTS, tags: page.tags };
  }

  /** 1-max US colleagues, and with probability euShare one EU colleague (the chat is EU-linked). */
  colleagues(max: number): { participants: string[]; eu: boolean } {
    const rng = this.rng;
    const { usColleagues, euColleagues, userIds } = this.population;
    const participants: string[] = [];
    for (let n = rng.int(1, max); n > 0; n--) {
      const colleague = rng.pick(usColleagues);
      if (colleague !== this.ownerIndex && !participants.includes(userIds[colleague])) participants.push(userIds[colleague]);
    }
    if (participants.length === 0) participants.push(userIds[usColleagues[0] === this.ownerIndex ? usColleagues[1] : usColleagues[0]]);
    const eu = euColleagues.length > 0 && rng.chance(this.euShare);
    if (eu) participants.push(userIds[rng.pick(euColleagues)]);
    return { participants, eu };
  }

  chatContext(): WindowContext {
    const rng = this.rng;
    const direct = rng.chance(0.4);
    const { participants, eu } = this.colleagues(direct ? 1 : 4);
    const title = direct
      ? `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)} (DM) - Acme - Slack`
      : `${rng.pick(CHANNELS)} - Acme - Slack`;
    const tags = eu && rng.chance(0.35) ? EU_DATA : NO_TAGS;
    return { app: 'slack', title, url: null, participants, tags };
  }

  mailContext(subject: string): WindowContext {
    const { participants, eu } = this.colleagues(3);
    const tags = eu && this.rng.chance(0.25) ? EU_DATA : NO_TAGS;
    return { app: 'outlook', title: `${subject} - Outlook`, url: null, participants, tags };
  }

  // --- planning: activities call these; nothing happens until the commands execute --------

  private command(op: number, a = 0, b = 0, c = 0, text: string | null = null, context: WindowContext | null = null): void {
    this.plan.push(new Command(op, a, b, c, text, context));
  }

  moveTo(x: number, y: number, slowdown = 1): void {
    this.command(OP_MOVE, x, y, slowdown);
  }

  /** relative to wherever the cursor is when the move starts. */
  moveBy(dx: number, dy: number, slowdown = 1): void {
    this.command(OP_MOVE_BY, dx, dy, slowdown);
  }

  click(button = LEFT, count = 1): void {
    this.command(OP_CLICK, button, count);
  }

  moveAndClick(x: number, y: number, button = LEFT, count = 1): void {
    this.moveTo(x, y);
    this.click(button, count);
  }

  /** a text selection: press, drag at reading pace, release. */
  drag(dx: number, dy: number): void {
    this.command(OP_DOWN, LEFT);
    this.moveBy(dx, dy, 1.8);
    this.command(OP_UP, LEFT);
  }

  scroll(direction = 1): void {
    this.command(OP_SCROLL, direction);
  }

  type(text: string, secure = false): void {
    this.command(OP_TYPE, secure ? 1 : 0, 0, 0, text);
  }

  press(code: string): void {
    this.command(OP_KEY, 0, 0, 0, code);
  }

  hotkey(modifier: number, code: string): void {
    this.command(OP_HOTKEY, modifier, 0, 0, code);
  }

  copy(text: string): void {
    this.hotkey(HOTKEY_CTRL, 'KeyC');
    this.command(OP_CLIPBOARD, 0, 0, 0, text);
  }

  /** selects a stretch of text with the mouse and copies it. */
  selectAndCopy(text: string): void {
    const rng = this.rng;
    this.moveTo(rng.int(150, this.width - 700), rng.int(150, this.height - 200));
    this.drag(rng.int(60, 600), rng.chance(0.3) ? rng.int(20, 120) : rng.int(-2, 2));
    this.think(200, 900);
    this.copy(text);
  }

  /** the app's window comes to the front (or changes what it shows). */
  show(app: number, context: WindowContext): void {
    this.contexts[app] = context;
    this.command(OP_FOCUS, 0, 0, 0, null, context);
  }

  think(minMs: number, maxMs: number): void {
    this.command(OP_THINK, minMs, maxMs);
  }

  idle(ms: number): void {
    this.command(OP_IDLE, ms);
  }

  lock(durationMs: number): void {
    this.command(OP_LOCK, durationMs);
  }

  pause(requestedMs: number, awayMs: number, resumes: boolean): void {
    this.command(OP_PAUSE, requestedMs, awayMs, resumes ? 1 : 0);
  }

  // --- execution ----------------------------------------------------------------------------

  /** the device's next event in time order, or null once its day (or the simulated span) is over. */
  next(): InputEvent | null {
    if (this.done) return null;
    const event = this.produce();
    if (event === null || event.ts > this.end) {
      this.done = true;
      return null;
    }
    return event;
  }

  private produce(): InputEvent | null {
    for (;;) {
      if (this.outAt < this.out.length) {
        const event = this.out[this.outAt++];
        if (this.outAt === this.out.length) {
          this.out.length = 0;
          this.outAt = 0;
        }
        return event;
      }
      if (this.stepping === STEP_MOVE) {
        const event = this.stepMove();
        if (event !== null) return event;
      } else if (this.stepping === STEP_TYPE) {
        this.stepType();
      } else if (this.planAt < this.plan.length) {
        this.execute(this.plan[this.planAt++]);
      } else {
        this.plan.length = 0;
        this.planAt = 0;
        if (this.t >= this.end) return null;
        planNextStep(this);
      }
    }
  }

  private execute(command: Command): void {
    const rng = this.rng;
    switch (command.op) {
      case OP_MOVE:
        this.beginMove(command.a, command.b, command.c);
        break;
      case OP_MOVE_BY:
        this.beginMove(this.x + command.a, this.y + command.b, command.c);
        break;
      case OP_CLICK: {
        const button = BUTTONS[command.a];
        this.t += rng.int(30, 120);
        for (let i = 0; i < command.b; i++) {
          if (i > 0) this.t += rng.int(70, 160);
          this.out.push(this.buttonEvent('mouse_down', button));
          this.t += rng.int(55, 130);
          this.out.push(this.buttonEvent('mouse_up', button));
        }
        break;
      }
      case OP_DOWN:
        this.t += rng.int(30, 120);
        this.out.push(this.buttonEvent('mouse_down', BUTTONS[command.a]));
        this.t += rng.int(80, 160);
        break;
      case OP_UP:
        this.t += rng.int(30, 90);
        this.out.push(this.buttonEvent('mouse_up', BUTTONS[command.a]));
        break;
      case OP_SCROLL:
        for (let notches = rng.int(3, 25); notches > 0; notches--) {
          const dy = this.notchedWheel ? 100 * command.a : command.a * rng.int(2, 40);
          this.out.push({ event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'wheel', x: this.x, y: this.y, dx: 0, dy });
          this.t += this.notchedWheel ? rng.int(30, 120) : rng.int(12, 24);
        }
        break;
      case OP_TYPE:
        this.typing = command.text!;
        this.typingAt = 0;
        this.typingSecure = command.a === 1;
        this.stepping = STEP_TYPE;
        break;
      case OP_KEY:
        this.pushKeyPress(command.text!);
        break;
      case OP_HOTKEY: {
        const modifierCode = HOTKEY_MODIFIER_CODES[command.a];
        const modifiers = HOTKEY_MODIFIERS[command.a];
        this.t += rng.int(60, 250);
        this.out.push(this.keyEvent('key_down', modifierCode, undefined, modifiers, false));
        this.t += rng.int(40, 100);
        this.out.push(this.keyEvent('key_down', command.text!, undefined, modifiers, false));
        this.t += rng.int(50, 100);
        this.out.push(this.keyEvent('key_up', command.text!, undefined, modifiers, false));
        this.t += rng.int(20, 60);
        this.out.push(this.keyEvent('key_up', modifierCode, undefined, undefined, false));
        this.t += rng.int(40, 150);
        break;
      }
      case OP_CLIPBOARD:
        this.out.push({ event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'clipboard', text: command.text! });
        this.t += rng.int(5, 40);
        break;
      case OP_FOCUS:
        this.t += rng.int(20, 80);
        this.out.push({
          event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'focus',
          context: command.context!, screen: this.screen, geo: this.geo,
        });
        break;
      case OP_THINK: {
        // mostly short, now and then long: squaring a uniform skews it towards the minimum
        const r = rng.next();
        this.t += Math.round(command.a + r * r * (command.b - command.a));
        break;
      }
      case OP_IDLE:
        this.t += command.a;
        break;
      case OP_LOCK:
        this.out.push({ event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'lock' });
        this.t += command.a;
        this.out.push({ event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'unlock', geo: this.geo });
        break;
      case OP_PAUSE:
        this.out.push({ event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'pause', duration_ms: command.a });
        this.t += command.b;
        if (command.c === 1) {
          this.out.push({ event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type: 'resume', geo: this.geo });
        }
        break;
    }
  }

  private buttonEvent(type: 'mouse_down' | 'mouse_up', button: MouseButton): InputEvent {
    return { event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type, x: this.x, y: this.y, button };
  }

  private keyEvent(type: 'key_down' | 'key_up', key: string, char: string | undefined, modifiers: Modifier[] | undefined, secure: boolean): InputEvent {
    const event: InputEvent = { event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.t, type, key };
    if (char !== undefined) event.char = char;
    if (modifiers !== undefined) event.modifiers = modifiers;
    if (secure) event.secure = true;
    return event;
  }

  private interKeyMs(): number {
    return Math.round(this.rng.clampedGaussian(this.ikiMeanMs, this.ikiSdMs, 60, 250));
  }

  private pushKeyPress(code: string): void {
    this.out.push(this.keyEvent('key_down', code, undefined, undefined, false));
    this.t += this.rng.int(50, 110);
    this.out.push(this.keyEvent('key_up', code, undefined, undefined, false));
    this.t += this.interKeyMs();
  }

  /**
   * One character of the text being typed: shift around capitals and symbols, a typo fixed with
   * Backspace now and then, a longer hesitation between some words. Secure text has no typos.
   */
  private stepType(): void {
    if (this.typingAt >= this.typing.length) {
      this.stepping = STEP_NONE;
      return;
    }
    const rng = this.rng;
    const secure = this.typingSecure;
    const charCode = this.typing.charCodeAt(this.typingAt++);
    if (charCode === 10) {
      this.pushKeyPress('Enter');
      return;
    }
    const stroke = KEYS[charCode];
    if (stroke === undefined) return;
    if (!secure && charCode >= 97 && charCode <= 122 && rng.chance(0.02)) {
      const typo = 97 + rng.int(0, 25);
      const typoCode = KEYS[typo]!.code;
      this.out.push(this.keyEvent('key_down', typoCode, CHARS[typo], undefined, false));
      this.t += rng.int(50, 110);
      this.out.push(this.keyEvent('key_up', typoCode, undefined, undefined, false));
      this.t += rng.int(150, 400);
      this.pushKeyPress('Backspace');
    }
    const hold = rng.int(45, 110);
    const gap = this.interKeyMs();
    if (stroke.shift) {
      this.out.push(this.keyEvent('key_down', 'ShiftLeft', undefined, SHIFT, secure));
      this.t += rng.int(30, 70);
      this.out.push(this.keyEvent('key_down', stroke.code, CHARS[charCode], SHIFT, secure));
      this.t += hold;
      this.out.push(this.keyEvent('key_up', stroke.code, undefined, SHIFT, secure));
      this.t += rng.int(15, 40);
      this.out.push(this.keyEvent('key_up', 'ShiftLeft', undefined, undefined, secure));
    } else {
      this.out.push(this.keyEvent('key_down', stroke.code, CHARS[charCode], undefined, secure));
      this.t += hold;
      this.out.push(this.keyEvent('key_up', stroke.code, undefined, undefined, secure));
    }
    this.t += gap > hold ? gap - hold : 10;
    if (charCode === 32 && rng.chance(0.04)) this.t += rng.int(300, 1500);
  }

  /**
   * Starts a move to (tx, ty) along a minimum-jerk profile whose duration follows Fitts' law,
   * bowed slightly to one side; stepMove samples it at the device's polling rate.
   */
  private beginMove(targetX: number, targetY: number, slowdown: number): void {
    const rng = this.rng;
    const tx = targetX < 0 ? 0 : targetX >= this.width ? this.width - 1 : Math.round(targetX);
    const ty = targetY < 0 ? 0 : targetY >= this.height ? this.height - 1 : Math.round(targetY);
    const dx = tx - this.x;
    const dy = ty - this.y;
    const distance = Math.sqrt(dx * dx + dy * dy);
    if (distance < 1) return;
    const fitts = FITTS_A_MS + FITTS_B_MS * Math.log2(distance / rng.float(16, 64) + 1) + rng.gaussian(0, 40);
    const clamped = fitts < MIN_MOVE_MS ? MIN_MOVE_MS : fitts > MAX_MOVE_MS ? MAX_MOVE_MS : fitts;
    this.moveDuration = Math.round(Math.max(clamped * slowdown, (MIN_JERK_PEAK * distance) / MAX_PEAK_PX_PER_MS));
    this.moveBow = rng.clampedGaussian(0, 0.06, -0.12, 0.12) * distance;
    this.moveNormalX = -dy / distance;
    this.moveNormalY = dx / distance;
    this.moveX0 = this.moveLastX = this.x;
    this.moveY0 = this.moveLastY = this.y;
    this.moveDx = dx;
    this.moveDy = dy;
    this.moveTx = tx;
    this.moveTy = ty;
    this.moveStart = this.t;
    this.moveElapsed = 0;
    this.stepping = STEP_MOVE;
  }

  /** the next mouse sample of the move in progress, or null when it has arrived. */
  private stepMove(): InputEvent | null {
    const rng = this.rng;
    const duration = this.moveDuration;
    while (this.moveElapsed < duration) {
      // one draw gives the polling jitter (-1, 0, 0, +1 ms) and the sensor noise on both axes
      const bits = rng.uint32();
      let elapsed = this.moveElapsed + this.pollMs + ((bits & 3) === 0 ? -1 : (bits & 3) === 3 ? 1 : 0);
      let x: number;
      let y: number;
      if (elapsed >= duration) {
        elapsed = duration;
        x = this.moveTx;
        y = this.moveTy;
      } else {
        const tau = elapsed / duration;
        const progress = tau * tau * tau * (10 + tau * (6 * tau - 15));
        const offset = 4 * this.moveBow * progress * (1 - progress);
        const noiseX = ((bits >>> 2) & 0x3ff) * SENSOR_NOISE_SCALE - SENSOR_NOISE_PX;
        const noiseY = ((bits >>> 12) & 0x3ff) * SENSOR_NOISE_SCALE - SENSOR_NOISE_PX;
        x = Math.round(this.moveX0 + this.moveDx * progress + this.moveNormalX * offset + noiseX);
        y = Math.round(this.moveY0 + this.moveDy * progress + this.moveNormalY * offset + noiseY);
        x = x < 0 ? 0 : x >= this.width ? this.width - 1 : x;
        y = y < 0 ? 0 : y >= this.height ? this.height - 1 : y;
      }
      this.moveElapsed = elapsed;
      if (x === this.moveLastX && y === this.moveLastY) continue;
      this.moveLastX = x;
      this.moveLastY = y;
      return { event_id: '', device_id: this.deviceId, user_id: this.userId, seq: 0, ts: this.moveStart + elapsed, type: 'mouse_move', x, y };
    }
    this.x = this.moveTx;
    this.y = this.moveTy;
    this.t = this.moveStart + duration;
    this.stepping = STEP_NONE;
    return null;
  }
}

const INBOX: WindowContext = Object.freeze({ app: 'outlook', title: 'Inbox - Outlook', url: null, participants: NO_PARTICIPANTS, tags: NO_TAGS });

// ---------------------------------------------------------------------------------------------
// Activities, one per app, and the day around them.

function planSwitchApp(d: Device): void {
  const rng = d.rng;
  let next = rng.weighted(APP_WEIGHTS);
  if (next === d.app) next = (next + 1 + rng.int(0, APPS.length - 2)) % APPS.length;
  if (rng.chance(0.5)) {
    d.hotkey(HOTKEY_ALT, 'Tab');
  } else {
    const dockX = d.width / 2 + (next - 2) * 60 + rng.int(-15, 15);
    d.moveAndClick(dockX, d.height - rng.int(8, 30));
  }
  d.app = next;
  d.show(next, d.contextOf(next));
}

function planEditorWork(d: Device): void {
  const rng = d.rng;
  const r = rng.next();
  if (r < 0.45) {
    d.moveAndClick(rng.int(300, d.width - 200), rng.int(120, d.height - 100));
    d.think(200, 1200);
    for (let lines = rng.int(1, 4); lines > 0; lines--) {
      d.type(rng.pick(CODE_LINES));
      d.press('Enter');
      if (rng.chance(0.2)) d.press('Tab');
      d.think(300, 3000);
    }
    if (rng.chance(0.6)) d.hotkey(HOTKEY_CTRL, 'KeyS');
  } else if (r < 0.65) {
    d.moveTo(rng.int(300, d.width - 200), rng.int(200, d.height - 200));
    d.scroll(rng.chance(0.8) ? 1 : -1);
  } else if (r < 0.8) {
    d.selectAndCopy(rng.pick(CODE_LINES));
    d.moveAndClick(rng.int(300, d.width - 200), rng.int(120, d.height - 100));
    d.hotkey(HOTKEY_CTRL, 'KeyV');
  } else if (r < 0.92) {
    d.moveAndClick(rng.int(300, d.width - 200), rng.int(120, d.height - 100), LEFT, 2);
    d.think(200, 800);
    d.type(rng.pick(['total', 'count', 'result', 'items', 'config']));
  } else {
    d.moveAndClick(rng.int(300, d.width - 300), rng.int(120, d.height - 300), RIGHT);
    d.think(300, 1200);
    d.moveBy(rng.int(20, 120), rng.int(20, 200));
    d.click();
  }
}

function planOpenPage(d: Device, page: Page): void {
  d.think(300, 2000);
  d.show(CHROME, d.pageContext(page));
  if (page.login) planLogIn(d);
}

/** a sign-in form: e-mail, then the password typed into a secure field. */
function planLogIn(d: Device): void {
  const rng = d.rng;
  d.moveAndClick(d.width / 2 + rng.int(-120, 120), d.height / 2 - 60 + rng.int(-6, 6));
  d.type(email(rng));
  d.press('Tab');
  d.type(password(rng), true);
  d.press('Enter');
  planOpenPage(d, { title: 'Home - Acme Portal', url: 'https://portal.acme.example/home', tags: NO_TAGS });
}

function planBrowserWork(d: Device): void {
  const rng = d.rng;
  const r = rng.next();
  if (r < 0.25) {
    if (rng.chance(0.5)) d.hotkey(HOTKEY_CTRL, 'KeyL');
    else d.moveAndClick(rng.int(200, d.width / 2), rng.int(50, 70));
    d.type(rng.pick(SEARCHES));
    d.press('Enter');
    planOpenPage(d, browserPage(rng));
  } else if (r < 0.55) {
    d.moveTo(rng.int(300, d.width - 300), rng.int(200, d.height - 200));
    for (let reads = rng.int(1, 4); reads > 0; reads--) {
      d.scroll(rng.chance(0.85) ? 1 : -1);
      d.think(800, 6000);
    }
  } else if (r < 0.78) {
    d.moveAndClick(rng.int(100, d.width - 100), rng.int(150, d.height - 80));
    planOpenPage(d, browserPage(rng));
  } else if (r < 0.83) {
    planOpenPage(d, { title: 'Sign in - Acme SSO', url: 'https://sso.acme.example/login', tags: NO_TAGS, login: true });
  } else if (r < 0.9) {
    d.moveAndClick(rng.int(200, d.width - 300), rng.int(150, d.height - 300), RIGHT);
    d.think(300, 1000);
    d.moveBy(rng.int(20, 150), rng.int(15, 180));
    d.click();
  } else {
    d.selectAndCopy(d.contextOf(CHROME).title ?? 'text');
  }
}

function planChatWork(d: Device): void {
  const rng = d.rng;
  const r = rng.next();
  if (r < 0.2) {
    d.moveAndClick(rng.int(20, 240), rng.int(120, d.height - 200));
    d.think(100, 500);
    d.show(SLACK, d.chatContext());
  } else if (r < 0.65) {
    d.moveAndClick(rng.int(400, d.width - 100), d.height - rng.int(40, 70));
    for (let messages = rng.int(1, 3); messages > 0; messages--) {
      d.type(rng.chance(0.15) ? fillPii(rng.pick(PII_CHAT_LINES), rng) : rng.pick(CHAT_LINES));
      d.press('Enter');
      d.think(1000, 8000);
    }
  } else if (r < 0.8) {
    d.moveTo(rng.int(400, d.width - 100), rng.int(200, d.height - 200));
    d.scroll(-1);
  } else if (r < 0.9) {
    d.selectAndCopy(rng.pick(CHAT_LINES));
  } else {
    d.moveAndClick(rng.int(400, d.width - 100), d.height - rng.int(40, 70));
    d.hotkey(HOTKEY_CTRL, 'KeyV');
    d.press('Enter');
  }
}

function planMailWork(d: Device): void {
  const rng = d.rng;
  const r = rng.next();
  if (r < 0.5) {
    d.moveAndClick(rng.int(300, 600), rng.int(200, d.height - 150));
    d.show(OUTLOOK, d.mailContext(rng.pick(MAIL_SUBJECTS)));
    d.think(1000, 5000);
    d.moveTo(rng.int(700, d.width - 200), rng.int(300, d.height - 200));
    d.scroll();
    return;
  }
  const reply = r >= 0.8;
  const subject = rng.pick(MAIL_SUBJECTS);
  d.hotkey(HOTKEY_CTRL, reply ? 'KeyR' : 'KeyN');
  d.show(OUTLOOK, d.mailContext(reply ? `Re: ${subject}` : 'Untitled - Message'));
  if (!reply) {
    d.type(email(rng));
    d.press('Tab');
    d.type(subject);
    d.press('Tab');
  }
  for (let lines = rng.int(1, 3); lines > 0; lines--) {
    d.type(rng.chance(0.2) ? fillPii(rng.pick(PII_MAIL_LINES), rng) : rng.pick(MAIL_LINES));
    d.press('Enter');
    d.think(300, 3000);
  }
  d.hotkey(HOTKEY_CTRL, 'Enter');
  d.show(OUTLOOK, INBOX);
}

function planTerminalWork(d: Device): void {
  const rng = d.rng;
  const r = rng.next();
  if (r < 0.75) {
    d.type(rng.pick(COMMANDS));
    d.press('Enter');
    d.think(500, 8000);
  } else if (r < 0.88) {
    d.press('ArrowUp');
    d.press('Enter');
    d.think(500, 5000);
  } else if (r < 0.95) {
    d.hotkey(HOTKEY_CTRL, 'KeyC');
  } else {
    d.selectAndCopy(rng.pick(COMMANDS));
  }
}

function planLock(d: Device, minMs: number, maxMs: number): void {
  d.lock(d.rng.int(minMs, maxMs));
  d.think(500, 3000);
  d.show(d.app, d.contextOf(d.app));
}

/** the person pauses capture; sometimes for longer than policy allows, sometimes resuming early. */
function planPause(d: Device): void {
  const rng = d.rng;
  const requested = rng.chance(0.3) ? rng.int(31, 90) * MINUTE : rng.int(2, 25) * MINUTE;
  const resumesEarly = rng.chance(0.5);
  const away = resumesEarly ? Math.round(requested * rng.float(0.2, 0.95)) : requested + rng.int(1, 30) * SECOND;
  d.pause(requested, away, resumesEarly);
  d.think(300, 2000);
  d.show(d.app, d.contextOf(d.app));
}

// chances per step of the day (a step lasts ~10 s on average)
const P_PAUSE = 0.0015;
const P_LOCK = 0.0015;
const P_LONG_IDLE = 0.003;
const P_IDLE = 0.03;
const P_SWITCH = 0.12;

/** plans the device's next step of the day: an activity in the current app, a switch, or a break. */
function planNextStep(d: Device): void {
  const rng = d.rng;
  if (d.t >= d.lunchAt) {
    d.lunchAt = Infinity;
    planLock(d, 25 * MINUTE, 60 * MINUTE);
    return;
  }
  let r = rng.next();
  if ((r -= P_PAUSE) < 0) planPause(d);
  else if ((r -= P_LOCK) < 0) planLock(d, 3 * MINUTE, 12 * MINUTE);
  else if ((r -= P_LONG_IDLE) < 0) d.idle(rng.int(330, 1200) * SECOND);
  else if ((r -= P_IDLE) < 0) d.idle(rng.int(15, 180) * SECOND);
  else if ((r -= P_SWITCH) < 0) planSwitchApp(d);
  else if (d.app === CODE) planEditorWork(d);
  else if (d.app === CHROME) planBrowserWork(d);
  else if (d.app === SLACK) planChatWork(d);
  else if (d.app === OUTLOOK) planMailWork(d);
  else planTerminalWork(d);
  d.think(300, 3000);
}

// ---------------------------------------------------------------------------------------------
// Per-device feed: the device's events plus screen frames, sequence numbers and event ids.

const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/** frames are taken every few seconds, but only while the screen changes (shortly after input). */
const FRAME_LINGER_MS = 4 * SECOND;

class DeviceFeed {
  private head: InputEvent | null;
  private seq = 0;
  private frames = 0;
  private nextFrameAt: number;
  private lastInputTs = -Infinity;
  /** no frames between a lock or pause and the next input. */
  private capturing = true;
  private frameIsNext = false;
  private readonly idPrefix: string;
  /** idPrefix and seq / 1000: ids are built from cached parts, since number formatting per event is slow. */
  private idBase = '';
  private readonly framePrefix: string;

  constructor(
    private readonly device: Device,
    seedHex: string,
  ) {
    // seed, device and seq: unique per stream and cheap to build (hex formatting per event is not)
    this.idPrefix = `${seedHex}-${device.index.toString(16).padStart(8, '0')}-`;
    this.framePrefix = `frames://${hashString(`${seedHex}/${device.deviceId}`).toString(16).padStart(8, '0')}/`;
    this.nextFrameAt = device.t;
    this.head = device.next();
  }

  /** ts of the next event, or Infinity when the device is done. */
  nextTs(): number {
    const head = this.head;
    if (head === null) return Infinity;
    this.frameIsNext = this.capturing && this.nextFrameAt <= head.ts && this.nextFrameAt <= this.lastInputTs + FRAME_LINGER_MS;
    return this.frameIsNext ? this.nextFrameAt : head.ts;
  }

  /** the event nextTs() announced; call nextTs() before each take(). */
  take(): InputEvent {
    let event: InputEvent;
    if (this.frameIsNext) {
      const device = this.device;
      event = { event_id: '', device_id: device.deviceId, user_id: device.userId, seq: 0, ts: this.nextFrameAt, type: 'screen_frame', frame_uri: `${this.framePrefix}${this.frames++}.png` };
      this.nextFrameAt += device.rng.int(2 * SECOND, 5 * SECOND);
    } else {
      event = this.head!;
      this.lastInputTs = event.ts;
      this.capturing = event.type !== 'lock' && event.type !== 'pause';
      if (this.nextFrameAt < event.ts) this.nextFrameAt = event.ts + this.device.rng.int(150, 900);
      this.head = this.device.next();
    }
    const seq = this.seq++;
    const low = seq % 1000;
    if (low === 0) this.idBase = this.idPrefix + seq / 1000;
    event.seq = seq;
    event.event_id = this.idBase + THREE_DIGITS[low];
    return event;
  }
}
/** A binary min-heap of devices keyed by (next ts, device index): the index breaks ties, so order is deterministic. */
class DeviceMerge {
  private readonly nextTs: Float64Array;
  private readonly heap: Int32Array;

  private emitted = 0;

  constructor(
    private readonly feeds: DeviceFeed[],
    private readonly limit: number,
  ) {
    const count = feeds.length;
    this.nextTs = new Float64Array(count);
    this.heap = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      this.nextTs[i] = feeds[i].nextTs();
      this.heap[i] = i;
    }
    for (let i = (count >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** the earliest pending event of all devices, or null when every device is done. */
  next(): InputEvent | null {
    const top = this.heap[0];
    if (this.nextTs[top] === Infinity || this.emitted >= this.limit) return null;
    this.emitted++;
    const feed = this.feeds[top];
    const event = feed.take();
    this.nextTs[top] = feed.nextTs();
    this.siftDown(0);
    return event;
  }

  private siftDown(from: number): void {
    const heap = this.heap;
    const nextTs = this.nextTs;
    const count = heap.length;
    const item = heap[from];
    const itemTs = nextTs[item];
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= count) break;
      let childItem = heap[child];
      let childTs = nextTs[childItem];
      if (child + 1 < count) {
        const right = heap[child + 1];
        const rightTs = nextTs[right];
        if (rightTs < childTs || (rightTs === childTs && right < childItem)) {
          child++;
          childItem = right;
          childTs = rightTs;
        }
      }
      if (itemTs < childTs || (itemTs === childTs && item < childItem)) break;
      heap[i] = childItem;
      i = child;
    }
    heap[i] = item;
  }
}

/**
 * The merged stream of every device, ordered by (ts, device) like a topic read in event-time
 * order. Lazy: one pending event per device, so memory does not grow with the number of events.
 * `next()` returns null at the end; cheaper per event than the generator, for benchmarks.
 */
export function openEventStream(opts: GenerateOptions): { next(): InputEvent | null } {
  const population = planPopulation(opts.seed, opts.devices);
  const start = opts.start ?? DEFAULT_START;
  const euShare = opts.euShare ?? 0.2;
  const end = opts.minutes !== undefined ? start + opts.minutes * MINUTE : opts.events !== undefined ? Infinity : start + DEFAULT_MINUTES * MINUTE;
  const seedHex = (opts.seed >>> 0).toString(16).padStart(8, '0');
  const feeds: DeviceFeed[] = new Array(opts.devices);
  for (let i = 0; i < opts.devices; i++) {
    const owner = population.deviceOwners[i];
    const device = new Device(i, population.deviceIds[i], population.userIds[owner], owner, population, euShare, opts.seed, start, end);
    feeds[i] = new DeviceFeed(device, seedHex);
  }
  return new DeviceMerge(feeds, opts.events ?? Infinity);
}

/** The same stream as openEventStream, as an iterator. */
export function* generateEvents(opts: GenerateOptions): Generator<InputEvent> {
  const stream = openEventStream(opts);
  for (let event = stream.next(); event !== null; event = stream.next()) yield event;
}
