// `key` carries W3C KeyboardEvent.code values and nothing else: any other string an agent puts
// there (a KeyboardEvent.key value, a word, an address) is content. It is never written as a key or
// in a hotkey's name; where content is kept it is typed text (and scrubbed), where content is
// stripped it is removed, ctrl or meta held or not.
import test from 'ava';
import fc from 'fast-check';
import { parseConfig } from '../src/config.ts';
import type { InputEvent, Modifier, RegistryRecord } from '../src/contract/events.ts';
import type { EpisodeRow } from '../src/contract/episode.ts';
import { isKeyCode } from '../src/contract/keys.ts';
import { Pipeline } from '../src/pipeline.ts';
import { Registry } from '../src/privacy/registry.ts';

const T0 = Date.UTC(2026, 3, 7, 9, 0, 0);
const KEY = 'key-codes-test-pseudonym-key-0123456789';
const config = parseConfig('session: { min_actions: 1 }\n');

function run(events: InputEvent[]): EpisodeRow[] {
  const registry = new Registry();
  const people: RegistryRecord[] = [
    { kind: 'person', user_id: 'u-us', region: 'US' },
    { kind: 'person', user_id: 'u-fr', region: 'FR' },
  ];
  for (const r of people) registry.apply(r);
  const rows: EpisodeRow[] = [];
  const pipeline = new Pipeline(config, KEY, registry, { episode: (row) => rows.push(structuredClone(row)), deadLetter: () => {} });
  pipeline.pushEvents(events);
  pipeline.end();
  return rows;
}

function stream(participants: string[], keys: { key: string; char?: string; modifiers?: Modifier[] }[]): InputEvent[] {
  let seq = 0;
  const ev = (ts: number, type: InputEvent['type'], extra: Partial<InputEvent>): InputEvent => ({
    event_id: `k${seq}`, device_id: 'dev', user_id: 'u-us', seq: seq++, ts, type, ...extra,
  });
  const out = [
    ev(T0, 'focus', { context: { app: 'Slack', title: null, url: null, participants, tags: [] } }),
    ev(T0 + 100, 'mouse_down', { x: 5, y: 5, button: 'left' }),
    ev(T0 + 150, 'mouse_up', { x: 5, y: 5, button: 'left' }),
  ];
  keys.forEach((k, i) => out.push(ev(T0 + 2000 * (i + 1), 'key_down', k)));
  return out;
}

test('known W3C codes are key codes; key values, words and near misses are not', (t) => {
  for (const code of ['KeyA', 'KeyZ', 'Digit0', 'Numpad9', 'F1', 'F12', 'F24', 'Enter', 'ArrowLeft', 'ShiftLeft', 'OSRight', 'NumpadEnter', 'IntlYen', 'Lang1', 'MediaPlayPause']) {
    t.true(isKeyCode(code), code);
  }
  for (const value of ['a', 'A', '@', ' ', 'Shift', 'Control', 'Keya', 'KeyAA', 'Digit10', 'F0', 'F25', 'F01', 'enter', 'jane.doe@example.com', '', 'Numpad', 'Key']) {
    t.false(isKeyCode(value), value);
  }
});

test('key values in a plain window are typed text, scrubbed like any: the key column never spells them', (t) => {
  const card = [...'4111 1111 1111 1111'].map((c) => ({ key: c }));
  const rows = run(stream([], [...card, { key: 'Enter' }, { key: 'KeyS', modifiers: ['ctrl'] }, { key: 'secretword', modifiers: ['ctrl'] }]));
  const actions = rows.flatMap((r) => r.actions);
  // typed 2 s apart, so one type action a key; scrubbed as one run of typing, whose text the first holds
  t.is(actions.filter((a) => a.kind === 'type').map((a) => a.text).join(''), '<CARD>');
  t.deepEqual(actions.filter((a) => a.kind === 'key' || a.kind === 'hotkey').map((a) => a.key), ['Enter', 'ctrl+s', null]);
});

test('in an EU-linked window ctrl or meta plus a string that is no key code is not written as a shortcut', (t) => {
  const rows = run(stream(['u-fr'], [{ key: 'KeyC', modifiers: ['ctrl'] }, { key: 'hello world', modifiers: ['ctrl'] }, { key: 'x', modifiers: ['meta'] }, { key: 'Enter' }]));
  const keys = rows.flatMap((r) => r.actions).filter((a) => a.kind === 'key' || a.kind === 'hotkey').map((a) => a.key);
  t.deepEqual(keys, ['ctrl+c', null, null, 'Enter']);
});

const notACode = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !isKeyCode(s) && /[a-z0-9]/i.test(s));
const modifiers = fc.subarray(['ctrl', 'alt', 'shift', 'meta'] as Modifier[]);

test('property: a string in `key` that is no key code never appears as a key or hotkey, and never at all in an EU-linked window', (t) => {
  fc.assert(
    fc.property(fc.array(fc.record({ key: notACode, modifiers, withChar: fc.boolean() }), { minLength: 1, maxLength: 6 }), fc.boolean(), (keys, eu) => {
      const rows = run(stream(eu ? ['u-fr'] : [], keys.map((k) => ({ key: k.key, modifiers: k.modifiers, char: k.withChar ? k.key : undefined }))));
      const actions = rows.flatMap((r) => r.actions);
      for (const a of actions) {
        if (a.key === null) continue;
        for (const k of keys) if (a.key.split('+').includes(k.key) || a.key.split('+').includes(k.key.toLowerCase())) return false;
      }
      // where content is stripped no action carries text at all
      return !eu || actions.every((a) => a.text === null);
    }),
    { numRuns: 150, seed: 18_006 },
  );
  t.pass();
});
