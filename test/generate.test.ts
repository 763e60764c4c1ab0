import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import { EVENT_TYPES, type EventType, type InputEvent, type RegistryRecord } from '../src/contract/events.ts';
import { generateEvents, generateRegistry, openEventStream, type GenerateOptions } from '../src/generate/generator.ts';
import { Random } from '../src/generate/random.ts';

function take(opts: GenerateOptions, n: number): InputEvent[] {
  const events: InputEvent[] = [];
  for (const event of generateEvents(opts)) {
    events.push(event);
    if (events.length === n) break;
  }
  return events;
}

const KNOWN_TYPES = new Set<string>(EVENT_TYPES);
const isInt = (v: unknown): boolean => Number.isInteger(v);

/** what a consumer of the wire contract relies on, per event type; returns the problem or null. */
function shapeProblem(e: InputEvent): string | null {
  if (typeof e.event_id !== 'string' || e.event_id.length === 0) return 'event_id';
  if (!/^dev-\d{5}-[ab]$/.test(e.device_id)) return 'device_id';
  if (!/^u-\d{5}$/.test(e.user_id)) return 'user_id';
  if (!isInt(e.seq) || e.seq < 0) return 'seq';
  if (!isInt(e.ts)) return 'ts';
  if (!KNOWN_TYPES.has(e.type)) return 'type';
  switch (e.type) {
    case 'mouse_move':
      return isInt(e.x) && isInt(e.y) ? null : 'mouse_move x/y';
    case 'mouse_down':
    case 'mouse_up':
      return isInt(e.x) && isInt(e.y) && (e.button === 'left' || e.button === 'right' || e.button === 'middle') ? null : 'button';
    case 'wheel':
      return isInt(e.x) && isInt(e.y) && isInt(e.dx) && isInt(e.dy) && e.dy !== 0 ? null : 'wheel';
    case 'key_down':
    case 'key_up':
      if (typeof e.key !== 'string' || !/^(Key[A-Z]|Digit\d|[A-Z][A-Za-z]+)$/.test(e.key)) return 'key code';
      if (e.char !== undefined && (e.type === 'key_up' || e.char.length !== 1)) return 'char';
      return null;
    case 'focus': {
      const c = e.context;
      if (!c || typeof c.app !== 'string' || !Array.isArray(c.participants) || !Array.isArray(c.tags)) return 'context';
      if (c.title === undefined || c.url === undefined) return 'context title/url';
      return e.screen && [1920, 2560].includes(e.screen.width) && [1080, 1440].includes(e.screen.height) && [1, 2].includes(e.screen.scale)
        ? null
        : 'screen';
    }
    case 'clipboard':
      return typeof e.text === 'string' && e.text.length > 0 ? null : 'clipboard text';
    case 'screen_frame':
      return typeof e.frame_uri === 'string' && /^frames:\/\/[0-9a-f]{8}\/\d+\.png$/.test(e.frame_uri) ? null : 'frame_uri';
    case 'pause':
      return isInt(e.duration_ms) && e.duration_ms! > 0 ? null : 'duration_ms';
    default:
      return null;
  }
}

// One pass over a 48-device, 15-minute stream (about 380k events), keeping only statistics.
const SURVEY_OPTIONS: GenerateOptions = { seed: 11, devices: 48, minutes: 15 };

interface Survey {
  events: number;
  types: Map<EventType, number>;
  outOfOrder: number;
  seqBreaks: number;
  duplicateIds: number;
  shapeProblems: string[];
  outOfScreen: number;
  userIds: Set<string>;
  participants: Set<string>;
  chats: number;
  chatsWithEu: number;
  euDataTags: number;
  secureKeyDowns: number;
  securePasswordChars: number;
  typedEmails: number;
  longPauseRequests: number;
  resumes: number;
  gapsOverFiveMinutes: number;
  geoDe: number;
  hotkeys: Set<string>;
  clicks: { left: number; right: number; double: number };
  moveSpeeds: number[];
  moveIntervals: number[];
  interKeyMs: number[];
  firstTs: number;
  lastTs: number;
}

let surveyed: Survey | null = null;

function survey(): Survey {
  if (surveyed) return surveyed;
  const regions = new Map<string, string>();
  for (const r of generateRegistry(SURVEY_OPTIONS)) if (r.kind === 'person') regions.set(r.user_id, r.region);
  const s: Survey = {
    events: 0, types: new Map(), outOfOrder: 0, seqBreaks: 0, duplicateIds: 0, shapeProblems: [], outOfScreen: 0,
    userIds: new Set(), participants: new Set(), chats: 0, chatsWithEu: 0, euDataTags: 0, secureKeyDowns: 0,
    securePasswordChars: 0, typedEmails: 0, longPauseRequests: 0, resumes: 0, gapsOverFiveMinutes: 0, geoDe: 0,
    hotkeys: new Set(), clicks: { left: 0, right: 0, double: 0 }, moveSpeeds: [], moveIntervals: [], interKeyMs: [],
    firstTs: Infinity, lastTs: -Infinity,
  };
  const ids = new Set<string>();
  const lastSeq = new Map<string, number>();
  const lastMove = new Map<string, InputEvent>();
  const lastInputTs = new Map<string, number>();
  const lastCharDown = new Map<string, number>();
  const lastMouseUp = new Map<string, InputEvent>();
  const screens = new Map<string, { width: number; height: number }>();
  const typed = new Map<string, string>();
  let prevTs = -Infinity;
  for (const e of generateEvents(SURVEY_OPTIONS)) {
    s.events++;
    s.types.set(e.type, (s.types.get(e.type) ?? 0) + 1);
    if (e.ts < prevTs) s.outOfOrder++;
    prevTs = e.ts;
    s.firstTs = Math.min(s.firstTs, e.ts);
    s.lastTs = Math.max(s.lastTs, e.ts);
    const expectedSeq = (lastSeq.get(e.device_id) ?? -1) + 1;
    if (e.seq !== expectedSeq) s.seqBreaks++;
    lastSeq.set(e.device_id, e.seq);
    // generated events are in their wire form: the id is there (shapeProblem reports it if not)
    const id = e.event_id ?? '';
    if (ids.has(id)) s.duplicateIds++;
    ids.add(id);
    const problem = shapeProblem(e);
    if (problem && s.shapeProblems.length < 5) s.shapeProblems.push(`${problem}: ${JSON.stringify(e)}`);
    s.userIds.add(e.user_id);
    if (e.geo === 'DE') s.geoDe++;

    const screen = screens.get(e.device_id);
    if (e.x !== undefined && screen && (e.x < 0 || e.y! < 0 || e.x >= screen.width || e.y! >= screen.height)) s.outOfScreen++;

    if (e.type !== 'screen_frame') {
      const previous = lastInputTs.get(e.device_id);
      if (previous !== undefined && e.ts - previous > 5 * 60_000) s.gapsOverFiveMinutes++;
      lastInputTs.set(e.device_id, e.ts);
    }
    switch (e.type) {
      case 'focus':
        screens.set(e.device_id, e.screen!);
        for (const p of e.context!.participants) s.participants.add(p);
        if (e.context!.tags.includes('eu-data')) s.euDataTags++;
        if (e.context!.app === 'slack') {
          s.chats++;
          if (e.context!.participants.some((p) => ['DE', 'FR', 'NL', 'ES', 'IE', 'IT'].includes(regions.get(p) ?? ''))) s.chatsWithEu++;
        }
        break;
      case 'mouse_move': {
        const previous = lastMove.get(e.device_id);
        if (previous && e.ts - previous.ts <= 40) {
          s.moveIntervals.push(e.ts - previous.ts);
          if (e.ts > previous.ts) s.moveSpeeds.push(Math.hypot(e.x! - previous.x!, e.y! - previous.y!) / (e.ts - previous.ts));
        }
        lastMove.set(e.device_id, e);
        break;
      }
      case 'mouse_down': {
        lastMove.delete(e.device_id);
        const up = lastMouseUp.get(e.device_id);
        if (up && e.button === 'left' && e.ts - up.ts < 500 && up.x === e.x && up.y === e.y) s.clicks.double++;
        if (e.button === 'left') s.clicks.left++;
        if (e.button === 'right') s.clicks.right++;
        break;
      }
      case 'mouse_up':
        lastMouseUp.set(e.device_id, e);
        break;
      case 'key_down':
        lastMove.delete(e.device_id);
        if (e.secure) {
          s.secureKeyDowns++;
          if (e.char) s.securePasswordChars++;
        }
        if (e.modifiers?.includes('ctrl') && e.key !== 'ControlLeft') s.hotkeys.add(`ctrl+${e.key}`);
        if (e.char !== undefined) {
          const previous = lastCharDown.get(e.device_id);
          if (previous !== undefined && e.ts - previous < 1000 && !e.secure) s.interKeyMs.push(e.ts - previous);
          lastCharDown.set(e.device_id, e.ts);
          if (!e.secure) typed.set(e.device_id, ((typed.get(e.device_id) ?? '') + e.char).slice(-200));
        } else if (e.key === 'Enter' || e.key === 'Tab') {
          const text = typed.get(e.device_id) ?? '';
          if (/[a-z]+\.[a-z]+@[a-z.]+\.[a-z]+/.test(text)) s.typedEmails++;
          typed.set(e.device_id, '');
          lastCharDown.delete(e.device_id);
        }
        break;
      case 'pause':
        if (e.duration_ms! > 30 * 60_000) s.longPauseRequests++;
        break;
      case 'resume':
        s.resumes++;
        break;
    }
  }
  surveyed = s;
  return s;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

test('the same options give the same events; another seed gives others', (t) => {
  const options = { seed: 42, devices: 12, events: 5000 };
  const first = take(options, 5000);
  t.is(first.length, 5000);
  t.deepEqual(take(options, 5000), first);
  const other = take({ ...options, seed: 43 }, 5000);
  t.notDeepEqual(other, first);
  t.notDeepEqual(
    other.map((e) => [e.type, e.ts]),
    first.map((e) => [e.type, e.ts]),
  );
});

test('a shorter run is a prefix of a longer one, and openEventStream matches the iterator', (t) => {
  const short = take({ seed: 5, devices: 8, events: 3000 }, Infinity);
  const long = take({ seed: 5, devices: 8, events: 9000 }, Infinity);
  t.is(short.length, 3000);
  t.is(long.length, 9000);
  t.deepEqual(long.slice(0, 3000), short);
  const stream = openEventStream({ seed: 5, devices: 8, events: 9000 });
  const streamed: InputEvent[] = [];
  for (let e = stream.next(); e !== null; e = stream.next()) streamed.push(e);
  t.deepEqual(streamed, long);
});

test('the registry is deterministic and covers every user and chat participant', (t) => {
  const registry = generateRegistry(SURVEY_OPTIONS);
  t.deepEqual(generateRegistry(SURVEY_OPTIONS), registry);
  const persons = new Map<string, string>();
  for (const r of registry) if (r.kind === 'person') persons.set(r.user_id, r.region);
  const s = survey();
  for (const user of s.userIds) t.true(persons.has(user), `no person record for device owner ${user}`);
  for (const user of s.participants) t.true(persons.has(user), `no person record for participant ${user}`);
  const regions = [...persons.values()];
  t.true(regions.filter((r) => r === 'US').length > regions.length * 0.7, 'mostly US');
  for (const region of ['DE', 'FR', 'IN', 'GB']) t.true(regions.includes(region), `a colleague in ${region}`);

  const exemptions = registry.filter((r): r is Extract<RegistryRecord, { kind: 'exemption' }> => r.kind === 'exemption');
  t.true(exemptions.length >= 2);
  t.true(exemptions.some((r) => r.until === null), 'one exemption without an end');
  for (const r of exemptions) {
    t.true(persons.get(r.user_id) === 'US' && s.userIds.has(r.user_id), 'exemptions name captured users');
    t.true(r.from >= s.firstTs - 120_000 && r.from <= s.lastTs, 'exemptions start inside the simulated span');
    if (r.until !== null) t.true(r.until > r.from);
  }
  t.is(registry.filter((r) => r.kind === 'erasure').length, 1);
  t.deepEqual(generateRegistry({ seed: 1, devices: 3 }).filter((r) => r.kind === 'erasure'), [], 'no erasure in a tiny fleet');
});

test('events are ordered by ts, seq counts up per device, ids are unique, every event is well formed', (t) => {
  const s = survey();
  t.true(s.events > 200_000, `${s.events} events`);
  t.log({ ...s, types: Object.fromEntries(s.types), userIds: s.userIds.size, participants: s.participants.size, hotkeys: [...s.hotkeys], moveSpeeds: s.moveSpeeds.length, moveIntervals: s.moveIntervals.length, interKeyMs: s.interKeyMs.length });
  t.is(s.outOfOrder, 0);
  t.is(s.seqBreaks, 0);
  t.is(s.duplicateIds, 0);
  t.deepEqual(s.shapeProblems, []);
  t.is(s.outOfScreen, 0);
  t.true(s.lastTs - s.firstTs <= 15 * 60_000 + 90_000, 'minutes bounds the simulated span');
});

test('the stream holds every event type and the cases the privacy stage must handle', (t) => {
  const s = survey();
  for (const type of EVENT_TYPES) t.true((s.types.get(type) ?? 0) > 0, `no ${type} events`);
  t.true(s.securePasswordChars > 0, 'passwords typed into secure fields');
  t.true(s.typedEmails > 0, 'e-mail addresses typed in the clear');
  t.true(s.chats > 50);
  const euShare = s.chatsWithEu / s.chats;
  t.true(euShare > 0.1 && euShare < 0.3, `share of chats with an EU colleague ${euShare.toFixed(2)}`);
  t.true(s.euDataTags > 0, 'contexts tagged eu-data');
  t.true(s.longPauseRequests > 0, 'a pause longer than policy allows');
  t.true(s.resumes > 0 && s.resumes < (s.types.get('pause') ?? 0), 'some pauses end with resume, some do not');
  const locks = s.types.get('lock')!;
  const unlocks = s.types.get('unlock')!;
  t.true(unlocks > 0 && unlocks <= locks && unlocks >= locks - SURVEY_OPTIONS.devices, 'locks are followed by unlocks');
  t.true(s.gapsOverFiveMinutes > 0, 'idle gaps long enough to split episodes');
  t.true(s.geoDe > 0, 'a device travelling in DE');
  for (const hotkey of ['ctrl+KeyC', 'ctrl+KeyV', 'ctrl+KeyS']) t.true(s.hotkeys.has(hotkey), hotkey);
  t.true(s.clicks.left > s.clicks.right && s.clicks.right > 0 && s.clicks.double > 0, 'mostly left clicks, some double, some right');
});

test('euShare sets the share of chats with an EU colleague', (t) => {
  let chats = 0;
  let withParticipantsOutsideUs = 0;
  const persons = new Map<string, string>();
  const options = { seed: 3, devices: 30, minutes: 10, euShare: 0 };
  for (const r of generateRegistry(options)) if (r.kind === 'person') persons.set(r.user_id, r.region);
  for (const e of generateEvents(options)) {
    if (e.type !== 'focus' || e.context!.app !== 'slack') continue;
    chats++;
    if (e.context!.participants.some((p) => persons.get(p) !== 'US')) withParticipantsOutsideUs++;
  }
  t.true(chats > 10);
  t.is(withParticipantsOutsideUs, 0);
});

test('mouse moves are sampled at a polling rate and stay within human speed', (t) => {
  const s = survey();
  t.true(s.moveSpeeds.length > 50_000);
  const maxSpeed = s.moveSpeeds.reduce((a, b) => Math.max(a, b), 0);
  t.true(maxSpeed <= 8, `peak ${maxSpeed.toFixed(2)} px/ms`);
  const typical = median(s.moveSpeeds);
  t.true(typical > 0.2 && typical < 3, `median ${typical.toFixed(2)} px/ms`);
  const intervals = s.moveIntervals.filter((ms) => ms > 0);
  t.true(intervals.filter((ms) => ms >= 7 && ms <= 17).length > intervals.length * 0.95, 'samples every 8-16 ms');
});

test('typing has human inter-key intervals', (t) => {
  const s = survey();
  t.true(s.interKeyMs.length > 20_000);
  const typical = median(s.interKeyMs);
  t.true(typical >= 60 && typical <= 250, `median ${typical} ms`);
  t.true(s.interKeyMs.filter((ms) => ms < 50).length === 0, 'no key follows another within 50 ms');
});

test('memory stays O(devices): a long run holds no more than a short one', (t) => {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const stream = openEventStream({ seed: 9, devices: 2000, events: 250_000 });
  const liveHeapAfter = (events: number): number => {
    for (let i = 0; i < events; i++) if (stream.next() === null) throw new Error('stream ended early');
    gc();
    return process.memoryUsage().heapUsed;
  };
  const early = liveHeapAfter(50_000);
  const late = liveHeapAfter(200_000);
  // holding the 200k events in between would take tens of MB
  t.true(late - early < 5 * 1024 * 1024, `grew ${((late - early) / 1024 / 1024).toFixed(1)} MB`);
});

test('a fleet of 50,000 devices opens and streams in order', (t) => {
  let previous = -Infinity;
  const devices = new Set<string>();
  for (const e of generateEvents({ seed: 2, devices: 50_000, events: 30_000 })) {
    t.true(e.ts >= previous);
    previous = e.ts;
    devices.add(e.device_id);
  }
  t.true(devices.size > 500, `${devices.size} devices seen`);
});

test('the PRNG is seeded and its helpers stay in range', (t) => {
  const a = new Random(1);
  const b = new Random(1);
  const sequence = Array.from({ length: 100 }, () => a.uint32());
  t.deepEqual(Array.from({ length: 100 }, () => b.uint32()), sequence);
  t.notDeepEqual(Array.from({ length: 100 }, () => new Random(2).uint32()), sequence);
  const rng = new Random(7);
  let sum = 0;
  const ints = new Set<number>();
  let floatsInRange = true;
  for (let i = 0; i < 20_000; i++) {
    ints.add(rng.int(3, 5));
    const f = rng.float(-1, 1);
    floatsInRange &&= f >= -1 && f < 1;
    sum += rng.gaussian(10, 2);
  }
  t.deepEqual([...ints].sort(), [3, 4, 5]);
  t.true(floatsInRange);
  t.true(Math.abs(sum / 20_000 - 10) < 0.1, 'gaussian mean');
  t.is(rng.pick(['only']), 'only');
  t.false(rng.chance(0));
  t.true(rng.chance(1));
});
