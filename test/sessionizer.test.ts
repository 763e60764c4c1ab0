import test from 'ava';
import { Sessionizer } from '../src/episodes/sessionizer.ts';
import type { InputEvent } from '../src/contract/events.ts';
import type { ClosedEpisode, EpisodeBuilder } from '../src/contract/episode.ts';

/** The episode's events as the sessionizer fed them, so tests can look at boundaries and order. */
type EpisodeEvents = ClosedEpisode<InputEvent[]> & { events: InputEvent[] };
const collect = (): EpisodeBuilder<InputEvent[]> => {
  const events: InputEvent[] = [];
  return { add: (e) => void events.push(e), finish: () => events };
};
const withEvents = (episodes: ClosedEpisode<InputEvent[]>[]): EpisodeEvents[] => episodes.map((e) => ({ ...e, events: e.body }));
import type { EventGate, GateResult } from '../src/contract/gate.ts';

const MIN = 60_000;
const settings = { inactivity_gap_ms: 5 * MIN, max_duration_ms: 60 * MIN, grace_ms: 30_000, min_actions: 3 };

/** Keeps everything except what a test marks with a boundary. */
const passThrough: EventGate<null> = {
  newDeviceState: () => null,
  admit(event): GateResult {
    if (event.type === 'pause') return { verdict: 'boundary', reason: 'pause' };
    return { verdict: 'keep', event };
  },
  pauseEnd: (event) => event.ts + (event.duration_ms ?? 0),
};

let counter = 0;
function ev(ts: number, type: InputEvent['type'] = 'mouse_move', extra: Partial<InputEvent> = {}): InputEvent {
  counter++;
  return { event_id: `e${counter}`, device_id: 'dev-1', user_id: 'u-1', seq: ts, ts, type, x: 10, y: 10, ...extra };
}

function run(events: InputEvent[], s = settings): { episodes: EpisodeEvents[]; sessionizer: Sessionizer<null, InputEvent[]> } {
  const sessionizer = new Sessionizer(s, passThrough, (d, ts, seq) => `${d}@${ts}#${seq}`, collect);
  const episodes: ClosedEpisode<InputEvent[]>[] = [];
  for (const e of events) sessionizer.push(e, episodes);
  sessionizer.flush(episodes);
  return { episodes: withEvents(episodes), sessionizer };
}

const T0 = Date.UTC(2026, 2, 2, 13, 0, 0);

test('an inactivity gap longer than the setting ends the episode; a shorter one does not', (t) => {
  const { episodes } = run([ev(T0), ev(T0 + 1000), ev(T0 + 1000 + 5 * MIN), ev(T0 + 1001 + 10 * MIN + 1)]);
  t.is(episodes.length, 2);
  t.is(episodes[0].end_reason, 'gap');
  t.is(episodes[0].events.length, 3);
  t.is(episodes[1].end_reason, 'end_of_stream');
});

test('lock ends the episode and is not part of any episode', (t) => {
  const { episodes } = run([ev(T0), ev(T0 + 100, 'lock'), ev(T0 + 200, 'unlock'), ev(T0 + 300)]);
  t.is(episodes.length, 2);
  t.is(episodes[0].end_reason, 'lock');
  t.deepEqual(episodes.flatMap((e) => e.events.map((x) => x.type)), ['mouse_move', 'mouse_move']);
});

test('a pause boundary from the gate ends the episode', (t) => {
  const { episodes } = run([ev(T0), ev(T0 + 100, 'pause'), ev(T0 + 200)]);
  t.is(episodes[0].end_reason, 'pause');
  t.is(episodes.length, 2);
});

test('the maximum duration splits an episode and the next one records what it continues', (t) => {
  const events: InputEvent[] = [];
  for (let i = 0; i <= 250; i++) events.push(ev(T0 + i * 30_000)); // 125 minutes
  const { episodes } = run(events);
  t.is(episodes.length, 3);
  t.is(episodes[0].end_reason, 'max_duration');
  t.is(episodes[0].continues, null);
  t.is(episodes[1].continues, episodes[0].episode_id);
  t.is(episodes[2].continues, episodes[1].episode_id);
  t.true(episodes[0].end_ts - episodes[0].start_ts < 60 * MIN);
});

test('duplicate event ids (client retries) are dropped and counted', (t) => {
  const a = ev(T0);
  const b = ev(T0 + 10);
  const { episodes, sessionizer } = run([a, b, { ...b }, { ...a }]);
  t.is(episodes[0].events.length, 2);
  t.is(sessionizer.counters.duplicate, 2);
});

test('a record at the place of another with its id is a retry only when it says the same', (t) => {
  const click = ev(T0, 'mouse_down');
  // waiting out the grace period: a different record with the same id and place is placed too
  const focus = { ...click, type: 'focus' as const, x: undefined, y: undefined };
  const pending = run([click, focus, ev(T0 + 10)]);
  t.deepEqual(pending.episodes[0].events.map((e) => e.type), ['mouse_down', 'focus', 'mouse_move']);
  t.is(pending.sessionizer.counters.duplicate, 0);
  // already placed: a control record that differs is not dropped as a retry (it is late), an identical one is
  const placed = ev(T0 + 1000, 'focus');
  const later = run([placed, ev(T0 + 60_000), { ...placed }, { ...placed, geo: 'DE' }]);
  t.is(later.sessionizer.counters.duplicate, 1);
  t.is(later.sessionizer.counters.late, 1);
});

test('events out of order within the grace period are put in (ts, seq) order', (t) => {
  const events = [ev(T0 + 20_000), ev(T0), ev(T0 + 10_000), ev(T0 + 5_000)];
  const { episodes } = run(events);
  t.deepEqual(
    episodes[0].events.map((e) => e.ts - T0),
    [0, 5_000, 10_000, 20_000],
  );
});

test('a burst of thousands of events inside the grace period, shuffled, comes out in (ts, seq) order with retries dropped', (t) => {
  // far more events than a device's pending list starts with, arriving in a scrambled order and
  // interleaved with in-order stretches, so the list grows, reuses finalized slots and shrinks back
  let state = 7;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const events: InputEvent[] = [];
  for (let burst = 0; burst < 3; burst++) {
    const base = T0 + burst * 40_000;
    const inBurst = Array.from({ length: 2_000 }, (_, i) => ev(base + Math.floor(i * 12), 'mouse_move', { seq: burst * 10_000 + i }));
    for (let i = inBurst.length - 1; i > 0; i--) {
      if (random() < 0.7) {
        const j = Math.max(0, i - Math.floor(random() * 300));
        [inBurst[i], inBurst[j]] = [inBurst[j], inBurst[i]];
      }
    }
    events.push(...inBurst);
    // a retry of an event still pending
    events.push({ ...inBurst[5] });
  }
  const { episodes, sessionizer } = run(events);
  const placed = episodes.flatMap((e) => e.events);
  t.is(placed.length, 6_000);
  t.is(sessionizer.counters.duplicate, 3);
  t.is(sessionizer.counters.late, 0);
  const sorted = [...placed].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  t.deepEqual(
    placed.map((e) => e.event_id),
    sorted.map((e) => e.event_id),
  );
});

test('an event later than the grace period is counted as late and not merged in', (t) => {
  const { episodes, sessionizer } = run([ev(T0), ev(T0 + 60_000), ev(T0 + 120_000), ev(T0 + 1000)]);
  t.is(sessionizer.counters.late, 1);
  t.is(episodes[0].events.length, 3);
});

test('a quiet device closes its episode as stream time moves on, without waiting for the end of input', (t) => {
  const sessionizer = new Sessionizer(settings, passThrough, (d, ts) => `${d}@${ts}`, collect);
  const out: ClosedEpisode<InputEvent[]>[] = [];
  sessionizer.push(ev(T0), out);
  sessionizer.push(ev(T0 + 1000), out);
  // another device keeps the stream going
  for (let i = 1; i <= 20; i++) sessionizer.push({ ...ev(T0 + i * 30_000), device_id: 'dev-2' }, out);
  t.is(out.length, 1);
  t.is(out[0].device_id, 'dev-1');
  t.is(out[0].end_reason, 'gap');
});

test('a new episode starts knowing the window that was in focus before it', (t) => {
  const focus = ev(T0, 'focus', { context: { app: 'code', title: null, url: null, participants: [], tags: [] } });
  const { episodes } = run([focus, ev(T0 + 10), ev(T0 + 20 * MIN)]);
  t.is(episodes.length, 2);
  t.is(episodes[1].events[0].type, 'focus');
  t.is(episodes[1].n_events, 1);
});

test('screen frames alone neither start an episode nor keep one open', (t) => {
  const events = [ev(T0)];
  for (let i = 1; i < 30; i++) events.push(ev(T0 + i * 20_000, 'screen_frame', { frame_uri: `f${i}` }));
  events.push(ev(T0 + 30 * 20_000));
  const { episodes } = run(events);
  t.is(episodes.length, 2, 'ten minutes of frames without input is still a gap');
});

test('same events, same episodes, however they are interleaved across devices', (t) => {
  const perDevice = (id: string) => Array.from({ length: 50 }, (_, i) => ({ ...ev(T0 + i * 7_000 + (i % 7 === 0 ? 6 * MIN : 0)), device_id: id }));
  const a = perDevice('a');
  const b = perDevice('b');
  const interleaved: InputEvent[] = [];
  for (let i = 0; i < 50; i++) interleaved.push(a[i], b[i]);
  const one = run(interleaved).episodes.filter((e) => e.device_id === 'a');
  const two = run(a.concat(b)).episodes.filter((e) => e.device_id === 'a');
  t.deepEqual(
    one.map((e) => [e.episode_id, e.events.length]),
    two.map((e) => [e.episode_id, e.events.length]),
  );
});
