// A consumer that restarts from its committed offset must judge events exactly as one that never
// stopped: the privacy gate's view of a device (its window, a pause still running) is rebuilt from
// the records below the point where episodes resume, and nothing written is written again.
import test from 'ava';
import { parseConfig } from '../src/config.ts';
import type { InputEvent, SourceRecord } from '../src/contract/events.ts';
import type { EpisodeRow } from '../src/contract/episode.ts';
import { Pipeline } from '../src/pipeline.ts';
import { Registry } from '../src/privacy/registry.ts';

const KEY = 'restart-test-key-0123456789abcdef0123456789';
const config = parseConfig('session: { grace_ms: 0, min_actions: 1 }\n');
const T0 = Date.UTC(2026, 2, 2, 14, 0, 0);
const S = 1000;

function registry(): Registry {
  const r = new Registry();
  r.apply({ kind: 'person', user_id: 'u-1', region: 'US' });
  r.apply({ kind: 'person', user_id: 'u-2', region: 'US' });
  return r;
}

let seq = 0;
function ev(ts: number, type: InputEvent['type'], extra: Partial<InputEvent> = {}): InputEvent {
  seq++;
  return { event_id: `r-${seq}`, device_id: 'dev-1', user_id: 'u-1', seq, ts: T0 + ts, type, ...extra };
}
const click = (ts: number, x: number): InputEvent[] => [
  ev(ts, 'mouse_down', { x, y: 10, button: 'left' }),
  ev(ts + 80, 'mouse_up', { x, y: 10, button: 'left' }),
];

function stream(): InputEvent[] {
  seq = 0;
  return [
    ev(0, 'focus', { context: { app: 'hr-portal', title: null, url: null, participants: [], tags: ['hr'] } }),
    ...click(1 * S, 111), // sensitive window: never written
    ev(2 * S, 'focus', { context: { app: 'code', title: 'main.ts', url: null, participants: [], tags: [] } }),
    ...click(3 * S, 200),
    ...click(4 * S, 210),
    ev(5 * S, 'pause', { duration_ms: 10 * 60 * S }),
    ...click(6 * S, 666), // paused
    // <- the consumer stops here in the restarted run
    ...click(60 * S, 667), // still paused
    ...click(9 * 60 * S, 668), // still paused
    ...click(11 * 60 * S, 300), // the pause is over, still in the code window
    ...click(11 * 60 * S + 500, 310),
  ];
}

function records(events: InputEvent[], from = 0): SourceRecord[] {
  return events.map((value, i) => ({ value, position: { source: 't', offset: from + i }, offset: from + i, raw: '' })).slice(0);
}

function run(events: InputEvent[], stopAt: number): EpisodeRow[] {
  const rows: EpisodeRow[] = [];
  const sink = { episode: (row: EpisodeRow) => rows.push(row), deadLetter: () => {} };
  const all = records(events);
  const first = new Pipeline(config, KEY, registry(), sink);
  first.pushRecords(all.slice(0, stopAt));
  // what the consumer commits and what it records as done per device, as the Kafka shell does
  const commit = Math.min(stopAt, first.resumeOffset(), first.stateOffset());
  const doneBelow = Number.isFinite(first.resumeOffset()) ? first.resumeOffset() : stopAt;
  const second = new Pipeline(config, KEY, registry(), sink);
  second.restoreRecords(all.slice(commit, doneBelow));
  second.pushRecords(all.slice(doneBelow));
  second.end();
  return rows;
}

test('a restart during a pause neither writes the paused minutes nor loses the window the pause came from', (t) => {
  const events = stream();
  const uninterrupted: EpisodeRow[] = [];
  const p = new Pipeline(config, KEY, registry(), { episode: (r) => uninterrupted.push(r), deadLetter: () => {} });
  p.pushRecords(records(events));
  p.end();
  const stopAt = events.findIndex((e) => e.x === 667);
  const restarted = run(events, stopAt);
  const xs = (rows: EpisodeRow[]) => rows.flatMap((r) => r.actions.map((a) => a.x));
  t.deepEqual(xs(uninterrupted), [200, 210, 300, 310]);
  t.deepEqual(xs(restarted), xs(uninterrupted), 'same actions, none from the sensitive window or the pause, none twice');
  t.deepEqual(
    restarted.map((r) => r.episode_id),
    uninterrupted.map((r) => r.episode_id),
  );
});

test('an episode that changed windows resumes under the window it opened in, not only the latest one', (t) => {
  seq = 0;
  const events = [
    ev(0, 'focus', { context: { app: 'code', title: 'main.ts', url: null, participants: [], tags: [] } }),
    ...click(1 * S, 100),
    // a coffee break: the next episode opens in the same window, carried over from before it
    ...click(20 * 60 * S, 200),
    ...click(20 * 60 * S + 1 * S, 210),
    ev(20 * 60 * S + 3 * S, 'focus', { context: { app: 'chrome', title: 'docs', url: 'https://docs.example.com', participants: [], tags: [] } }),
    ...click(20 * 60 * S + 4 * S, 220),
    ...click(20 * 60 * S + 5 * S, 230),
  ];
  const uninterrupted: EpisodeRow[] = [];
  const p = new Pipeline(config, KEY, registry(), { episode: (r) => uninterrupted.push(r), deadLetter: () => {} });
  p.pushRecords(records(events));
  p.end();
  const stopAt = events.findIndex((e) => e.x === 230);
  const restarted = run(events, stopAt);
  t.deepEqual(uninterrupted.map((r) => r.n_actions), [1, 4], 'a focus change does not end the episode');
  t.deepEqual(restarted, uninterrupted, 'same episode, same id, same actions and contexts');
});
