import test from 'ava';
import type { ActionSettings } from '../src/config.ts';
import type { InputEvent } from '../src/contract/events.ts';
import { reduceEpisode } from '../src/actions/reducer.ts';
import { PathBuffer } from '../src/actions/path.ts';
import { ActionLog } from '../src/actions/log.ts';
import { blankAction, type Action } from '../src/contract/episode.ts';

const settings: ActionSettings = {
  multi_click_ms: 500,
  multi_click_px: 5,
  drag_px: 6,
  typing_pause_ms: 1000,
  path_epsilon_px: 3,
};
const START = 1_700_000_000_000;

/** Events at millisecond offsets from START, sequenced in the order given. */
function episode(...specs: [number, InputEvent['type'], Partial<InputEvent>?][]): InputEvent[] {
  return specs.map(([offset, type, fields], seq) => ({
    event_id: `e${seq}`,
    device_id: 'd1',
    user_id: 'u1',
    seq,
    ts: START + offset,
    type,
    ...fields,
  }));
}

const reduce = (events: InputEvent[]) => reduceEpisode(events, START, settings);
const kinds = (events: InputEvent[]) => reduce(events).actions.map((a) => a.kind);

const focus = (app: string, extra: Partial<InputEvent> = {}): Partial<InputEvent> => ({
  context: { app, title: `${app} window`, url: null, participants: ['u7'], tags: ['team'] },
  screen: { width: 1000, height: 500, scale: 1 },
  ...extra,
});

function click(at: number, x: number, y: number, button: 'left' | 'right' | 'middle' = 'left', hold = 50) {
  return [
    [at, 'mouse_down', { x, y, button }],
    [at + hold, 'mouse_up', { x, y, button }],
  ] as [number, InputEvent['type'], Partial<InputEvent>][];
}

function key(at: number, code: string, fields: Partial<InputEvent> = {}) {
  return [at, 'key_down', { key: code, ...fields }] as [number, InputEvent['type'], Partial<InputEvent>];
}

test('a press and release is a click with its position and duration', (t) => {
  const [action] = reduce(episode(...click(100, 40, 60, 'left', 80))).actions;
  t.like(action, { kind: 'click', t_ms: 100, duration_ms: 80, x: 40, y: 60 });
});

test('clicks within 500 ms and 5 px merge into double and triple clicks, capped at three', (t) => {
  t.deepEqual(kinds(episode(...click(0, 10, 10), ...click(500, 10, 10))), ['double_click']);
  t.deepEqual(kinds(episode(...click(0, 10, 10), ...click(501, 10, 10))), ['click', 'click']);
  t.deepEqual(kinds(episode(...click(0, 10, 10), ...click(200, 13, 14))), ['double_click']);
  t.deepEqual(kinds(episode(...click(0, 10, 10), ...click(200, 16, 10))), ['click', 'click']);
  t.deepEqual(kinds(episode(...click(0, 10, 10), ...click(300, 10, 10), ...click(600, 10, 10))), ['triple_click']);
  t.deepEqual(
    kinds(episode(...click(0, 10, 10), ...click(300, 10, 10), ...click(600, 10, 10), ...click(900, 10, 10))),
    ['triple_click', 'click'],
  );
  const [double] = reduce(episode(...click(100, 10, 10, 'left', 40), ...click(400, 10, 10, 'left', 40))).actions;
  t.like(double, { t_ms: 100, duration_ms: 340 });
});

test('a key between two quick clicks keeps them apart', (t) => {
  t.deepEqual(kinds(episode(...click(0, 10, 10), key(100, 'Enter'), ...click(200, 10, 10))), [
    'click',
    'key',
    'click',
  ]);
});

test('right and middle clicks are their own kinds and do not merge', (t) => {
  t.deepEqual(kinds(episode(...click(0, 10, 10, 'right'), ...click(200, 10, 10, 'right'))), [
    'right_click',
    'right_click',
  ]);
  t.deepEqual(kinds(episode(...click(0, 10, 10, 'middle'))), ['middle_click']);
});

test('a press that moves more than 6 px is a drag from press to release', (t) => {
  const within = episode([0, 'mouse_down', { x: 100, y: 100, button: 'left' }], [90, 'mouse_up', { x: 106, y: 100, button: 'left' }]);
  t.deepEqual(kinds(within), ['click']);

  const events = episode(
    [0, 'focus', focus('editor')],
    [10, 'mouse_down', { x: 100, y: 100, button: 'left' }],
    [50, 'mouse_move', { x: 300, y: 200 }],
    [90, 'mouse_up', { x: 500, y: 250, button: 'left' }],
  );
  t.like(reduce(events).actions[0], {
    kind: 'drag',
    t_ms: 10,
    duration_ms: 80,
    x: 100,
    y: 100,
    x2: 500,
    y2: 250,
    // normalized coordinates are float32, as the dataset holds them
    nx: Math.fround(0.1),
    ny: Math.fround(0.2),
    nx2: 0.5,
    ny2: 0.5,
  });

  const outAndBack = episode(
    [0, 'mouse_down', { x: 100, y: 100, button: 'left' }],
    [50, 'mouse_move', { x: 150, y: 100 }],
    [90, 'mouse_up', { x: 101, y: 100, button: 'left' }],
  );
  t.like(reduce(outAndBack).actions[0], { kind: 'drag', x2: 101 });
});

test('consecutive wheel events merge into one scroll at the first position', (t) => {
  const events = episode(
    [0, 'wheel', { x: 200, y: 300, dx: 0, dy: -100 }],
    [50, 'wheel', { x: 201, y: 300, dx: 5, dy: -120 }],
    [900, 'wheel', { x: 202, y: 301, dx: 0, dy: -80 }],
  );
  const { actions } = reduce(events);
  t.is(actions.length, 1);
  t.like(actions[0], { kind: 'scroll', t_ms: 0, duration_ms: 900, x: 200, y: 300, dx: 5, dy: -300 });
});

test('a scroll ends at a pause over 1 s, a move away, or another action', (t) => {
  t.deepEqual(
    kinds(episode([0, 'wheel', { x: 1, y: 1, dy: 1 }], [1001, 'wheel', { x: 1, y: 1, dy: 1 }])),
    ['scroll', 'scroll'],
  );
  t.deepEqual(
    kinds(
      episode(
        [0, 'wheel', { x: 100, y: 100, dy: 1 }],
        [20, 'mouse_move', { x: 140, y: 100 }],
        [40, 'wheel', { x: 140, y: 100, dy: 1 }],
      ),
    ),
    ['scroll', 'scroll'],
  );
  t.deepEqual(
    kinds(episode([0, 'wheel', { x: 1, y: 1, dy: 1 }], key(10, 'PageDown'), [20, 'wheel', { x: 1, y: 1, dy: 1 }])),
    ['scroll', 'key', 'scroll'],
  );
});

test('printable keystrokes merge into typed text until a pause over 1 s', (t) => {
  const events = episode(key(0, 'KeyH', { char: 'h' }), key(120, 'KeyI', { char: 'i' }), key(1120, 'Space', { char: ' ' }), key(2121, 'KeyX', { char: 'x' }));
  const { actions } = reduce(events);
  t.is(actions.length, 2);
  t.like(actions[0], { kind: 'type', text: 'hi ', t_ms: 0, duration_ms: 1120 });
  t.deepEqual(actions[0].key_times_ms, [0, 120, 1120]);
  t.deepEqual(actions[0].path, []);
  t.like(actions[1], { kind: 'type', text: 'x', t_ms: 2121, duration_ms: 0 });
});

test('Enter, Backspace and a focus change end a typing run', (t) => {
  const { actions } = reduce(
    episode(
      key(0, 'KeyA', { char: 'a' }),
      key(100, 'Enter'),
      key(200, 'KeyB', { char: 'b' }),
      key(300, 'Backspace'),
      key(400, 'KeyC', { char: 'c' }),
      [450, 'focus', focus('browser')],
      key(500, 'KeyD', { char: 'd' }),
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.text ?? a.key]),
    [
      ['type', 'a'],
      ['key', 'Enter'],
      ['type', 'b'],
      ['key', 'Backspace'],
      ['type', 'c'],
      ['type', 'd'],
    ],
  );
});

test('shift with a letter is typing an upper-case letter, not a hotkey', (t) => {
  const withoutChar = reduce(episode(key(0, 'KeyA', { modifiers: ['shift'] }), key(50, 'KeyB'))).actions;
  t.deepEqual(withoutChar.map((a) => [a.kind, a.text]), [['type', 'Ab']]);
  const heldShift = reduce(
    episode(key(0, 'ShiftLeft'), key(20, 'KeyA', { char: 'A' }), [40, 'key_up', { key: 'ShiftLeft' }], key(60, 'KeyA', { char: 'a' })),
  ).actions;
  t.deepEqual(heldShift.map((a) => [a.kind, a.text]), [['type', 'Aa']]);
});

test('a key with ctrl, alt or meta held is a hotkey with modifiers in fixed order', (t) => {
  const { actions } = reduce(
    episode(
      key(0, 'KeyC', { modifiers: ['ctrl'] }),
      key(100, 'KeyS', { modifiers: ['shift', 'ctrl'] }),
      key(200, 'F4', { modifiers: ['alt'] }),
      key(300, 'Digit1', { modifiers: ['meta', 'alt'] }),
      key(400, 'Tab', { modifiers: ['shift'] }),
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.key]),
    [
      ['hotkey', 'ctrl+c'],
      ['hotkey', 'ctrl+shift+s'],
      ['hotkey', 'alt+F4'],
      ['hotkey', 'alt+meta+1'],
      ['hotkey', 'shift+Tab'],
    ],
  );
});

test('held modifier keys make a hotkey when events carry no modifier list; modifiers alone are no action', (t) => {
  const { actions } = reduce(
    episode(key(0, 'ControlLeft'), key(50, 'KeyC'), [80, 'key_up', { key: 'ControlLeft' }], key(100, 'KeyC', { char: 'c' }), key(150, 'AltLeft')),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.key ?? a.text]),
    [
      ['hotkey', 'ctrl+c'],
      ['type', 'c'],
    ],
  );
});

test('a non-printing key is a key action named by its code', (t) => {
  const [enter] = reduce(episode(key(30, 'Enter', { char: '\r' }))).actions;
  t.like(enter, { kind: 'key', key: 'Enter', text: null, t_ms: 30, duration_ms: 0 });
  t.deepEqual(kinds(episode(key(0, 'ArrowLeft'), key(10, 'F5'))), ['key', 'key']);
});

test('mouse moves become the simplified path of the next mouse action only', (t) => {
  const moves = Array.from({ length: 50 }, (_, i) => [i * 10, 'mouse_move', { x: 10 + i * 4, y: 20 + i * 2 }] as [number, InputEvent['type'], Partial<InputEvent>]);
  const { actions } = reduce(episode(...moves, ...click(600, 206, 118), ...click(1500, 206, 118)));
  t.deepEqual(actions.map((a) => a.kind), ['click', 'click']);
  t.deepEqual(actions[0].path, [
    { x: 10, y: 20, t_ms: 0 },
    { x: 206, y: 118, t_ms: 490 },
  ]);
  t.deepEqual(actions[1].path, []);
});

test('a path keeps its corners, and moves before a keystroke do not lead to the next click', (t) => {
  const corner = reduce(
    episode(
      [0, 'mouse_move', { x: 0, y: 0 }],
      [10, 'mouse_move', { x: 50, y: 1 }],
      [20, 'mouse_move', { x: 100, y: 0 }],
      [30, 'mouse_move', { x: 100, y: 50 }],
      [40, 'mouse_move', { x: 100, y: 100 }],
      ...click(50, 100, 100),
    ),
  ).actions[0];
  t.deepEqual(
    corner.path.map((p) => [p.x, p.y]),
    [
      [0, 0],
      [100, 0],
      [100, 100],
    ],
  );
  const afterKey = reduce(
    episode([0, 'mouse_move', { x: 0, y: 0 }], key(10, 'Enter'), [20, 'mouse_move', { x: 30, y: 30 }], ...click(30, 30, 30)),
  ).actions;
  t.deepEqual(afterKey[0].path, []);
  t.deepEqual(afterKey[1].path, [{ x: 30, y: 30, t_ms: 20 }]);
});

test('moves after a scroll lead to the next action, not the scroll', (t) => {
  const { actions } = reduce(
    episode(
      [0, 'mouse_move', { x: 10, y: 10 }],
      [10, 'wheel', { x: 10, y: 10, dy: 3 }],
      [20, 'mouse_move', { x: 300, y: 10 }],
      ...click(30, 300, 10),
    ),
  );
  t.deepEqual(actions.map((a) => [a.kind, a.path.map((p) => p.x)]), [
    ['scroll', [10]],
    ['click', [300]],
  ]);
});

test('coordinates are normalized to the screen of the latest focus, clamped, and null before any screen', (t) => {
  const { actions, screen_width, screen_height } = reduce(
    episode(
      ...click(0, 250, 100),
      [100, 'focus', focus('editor')],
      ...click(1000, 250, 100),
      [1500, 'focus', focus('wide', { screen: { width: 2000, height: 1000, scale: 2 } })],
      ...click(2000, 250, 100),
      ...click(3000, 2500, -10),
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.nx, a.ny]),
    [
      [null, null],
      [0.25, Math.fround(0.2)],
      [0.125, Math.fround(0.1)],
      [1, 0],
    ],
  );
  t.is(screen_width, 1000);
  t.is(screen_height, 500);
  t.like(reduce(episode(...click(0, 1, 1))), { screen_width: null, screen_height: null });
});

test('an action carries the last screen frame before it, never one from its own time or later', (t) => {
  const { actions } = reduce(
    episode(
      ...click(0, 1, 1),
      [100, 'screen_frame', { frame_uri: 'f1' }],
      [200, 'screen_frame', { frame_uri: 'f2' }],
      [300, 'screen_frame', { frame_uri: 'f3' }],
      ...click(300, 1, 1, 'right'),
      [400, 'screen_frame', { frame_uri: 'f4' }],
      key(500, 'Enter'),
      [600, 'screen_frame', { redacted: 'eu_context' }],
      key(700, 'Enter'),
    ),
  );
  t.deepEqual(
    actions.map((a) => a.frame_uri),
    [null, 'f2', 'f4', null],
  );
});

test('redacted keystrokes still give a type action, with no text and no key times', (t) => {
  const { actions } = reduce(
    episode(
      key(0, 'KeyA', { char: 'a' }),
      [10, 'key_down', { redacted: 'secure_input' }],
      [90, 'key_down', { redacted: 'secure_input' }],
      key(150, 'Enter', { redacted: 'secure_input' }),
      [200, 'key_down', { key: 'KeyZ', char: 'z', secure: true }],
      [300, 'key_down', { modifiers: ['ctrl'], redacted: 'eu_context' }],
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.text, a.key, a.key_times_ms, a.redacted]),
    [
      ['type', 'a', null, [0], null],
      ['type', null, null, null, 'secure_input'],
      ['key', null, 'Enter', null, 'secure_input'],
      ['type', null, null, null, 'secure_input'],
      ['hotkey', null, null, null, 'eu_context'],
    ],
  );
  t.like(actions[1], { t_ms: 10, duration_ms: 80 });
});

test('a redacted mouse event marks its click', (t) => {
  const [action] = reduce(
    episode([0, 'mouse_down', { x: 5, y: 5, button: 'left', redacted: 'eu_context' }], [40, 'mouse_up', { x: 5, y: 5, button: 'left' }]),
  ).actions;
  t.like(action, { kind: 'click', redacted: 'eu_context' });
});

test('a paste carries the latest clipboard text, unless the clipboard was redacted', (t) => {
  const { actions } = reduce(
    episode(
      key(0, 'KeyV', { modifiers: ['ctrl'] }),
      [10, 'clipboard', { text: 'first' }],
      [20, 'clipboard', { text: 'second' }],
      key(30, 'KeyV', { modifiers: ['ctrl'] }),
      key(40, 'KeyV', { modifiers: ['meta'] }),
      key(45, 'KeyC', { modifiers: ['ctrl'] }),
      [50, 'clipboard', { redacted: 'eu_context' }],
      key(60, 'KeyV', { modifiers: ['ctrl'] }),
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.key, a.text, a.redacted]),
    [
      ['ctrl+v', null, null],
      ['ctrl+v', 'second', null],
      ['meta+v', 'second', null],
      ['ctrl+c', null, null],
      ['ctrl+v', null, 'eu_context'],
    ],
  );
});

test('contexts list the windows actions happened in, in first-use order, without participants or tags', (t) => {
  const { actions, contexts } = reduce(
    episode(
      ...click(0, 1, 1),
      [100, 'focus', focus('mail')],
      [110, 'focus', focus('idle')],
      [120, 'focus', { ...focus('chat'), eu_linked: true }],
      key(130, 'Enter'),
      [140, 'focus', focus('mail')],
      key(150, 'Enter'),
      [160, 'focus', { ...focus('chat'), eu_linked: true }],
      key(170, 'Enter'),
      [180, 'focus', { context: { app: 'vault', title: 'secret', url: 'https://x', participants: [], tags: [] }, redacted: 'eu_context' }],
      key(190, 'Enter'),
    ),
  );
  t.deepEqual(contexts, [
    { app: 'chat', title: 'chat window', url: null, eu_linked: true },
    { app: 'mail', title: 'mail window', url: null, eu_linked: false },
    { app: 'vault', title: null, url: null, eu_linked: false },
  ]);
  t.deepEqual(
    actions.map((a) => a.context),
    [-1, 0, 1, 0, 2],
  );
});

test('odd sequences are skipped without throwing', (t) => {
  const events = episode(
    [0, 'mouse_up', { x: 1, y: 1, button: 'left' }],
    [10, 'mouse_down', { x: 1, y: 1, button: 'left' }],
    [20, 'mouse_up', { x: 1, y: 1, button: 'right' }],
    [30, 'mouse_down', { x: 50, y: 50 }],
    [40, 'key_down', {}],
    [50, 'key_up', { key: 'KeyA' }],
    [60, 'wheel', {}],
    [70, 'mouse_move', {}],
    [80, 'lock', {}],
    [90, 'mouse_down', { x: 9, y: 9, button: 'left' }],
  );
  t.deepEqual(kinds(events), ['scroll']);
});

test('a key pressed while the mouse button is held comes after the click in order', (t) => {
  const { actions } = reduce(
    episode([0, 'mouse_down', { x: 1, y: 1, button: 'left' }], key(20, 'Escape'), [40, 'mouse_up', { x: 1, y: 1, button: 'left' }]),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.t_ms]),
    [
      ['click', 0],
      ['key', 20],
    ],
  );
});

test('a click that becomes a double click takes the redaction of the click merged into it, and keeps its own path', (t) => {
  const { actions } = reduce(
    episode(
      [0, 'mouse_move', { x: 100, y: 100 }],
      [50, 'mouse_move', { x: 10, y: 10 }],
      ...click(100, 10, 10),
      [300, 'mouse_down', { x: 11, y: 10, button: 'left', redacted: 'secure_input' }],
      [340, 'mouse_up', { x: 11, y: 10, button: 'left' }],
      key(600, 'Enter'),
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.t_ms, a.duration_ms, a.redacted]),
    [
      ['double_click', 100, 240, 'secure_input'],
      ['key', 600, 0, null],
    ],
  );
  t.deepEqual(
    actions[0].path.map((p) => [p.x, p.y]),
    [
      [100, 100],
      [10, 10],
    ],
  );
});

test('a key pressed while the second click is held keeps the clicks apart', (t) => {
  t.deepEqual(
    kinds(episode(...click(0, 10, 10), [100, 'mouse_down', { x: 10, y: 10, button: 'left' }], key(120, 'Escape'), [140, 'mouse_up', { x: 10, y: 10, button: 'left' }])),
    ['click', 'click', 'key'],
  );
});

test('a second press while one is held replaces it; what was emitted meanwhile stays in order', (t) => {
  const { actions } = reduce(
    episode(
      [0, 'mouse_down', { x: 1, y: 1, button: 'left' }],
      key(10, 'Escape'),
      [20, 'mouse_down', { x: 2, y: 2, button: 'right' }],
      key(30, 'Enter'),
      [40, 'mouse_up', { x: 2, y: 2, button: 'right' }],
      key(50, 'Tab'),
    ),
  );
  t.deepEqual(
    actions.map((a) => [a.kind, a.t_ms]),
    [
      ['key', 10],
      ['right_click', 20],
      ['key', 30],
      ['key', 50],
    ],
  );
});

test('a button still held when the episode ends gives no action, and what happened meanwhile is kept', (t) => {
  t.deepEqual(kinds(episode(key(0, 'Tab'), [10, 'mouse_down', { x: 1, y: 1, button: 'left' }], key(20, 'Escape'), [30, 'key_down', { key: 'KeyA', char: 'a' }])), [
    'key',
    'key',
    'type',
  ]);
});

test('thousands of events of mostly moves reduce to a handful of actions', (t) => {
  const specs: [number, InputEvent['type'], Partial<InputEvent>][] = [[0, 'focus', focus('editor')]];
  let ts = 1;
  for (let stroke = 0; stroke < 8; stroke++) {
    for (let i = 0; i < 500; i++) {
      ts += 8;
      specs.push([ts, 'mouse_move', { x: 100 + Math.round(300 * Math.sin((i + stroke * 50) / 40)), y: 100 + i }]);
    }
    specs.push(...click(ts + 10, 100 + Math.round(300 * Math.sin((499 + stroke * 50) / 40)), 599));
    ts += 100;
  }
  for (let i = 0; i < 5; i++) specs.push(key(ts + 1000 + i * 100, `Key${'HELLO'[i]}`, { char: 'hello'[i] }));
  const events = episode(...specs);
  t.true(events.length >= 4000);
  const { actions } = reduce(events);
  t.deepEqual(
    actions.map((a) => a.kind),
    [...Array(8).fill('click'), 'type'],
  );
  t.is(actions[8].text, 'hello');
  for (const action of actions.slice(0, 8)) {
    t.true(action.path.length >= 2 && action.path.length < 60, `path of ${action.path.length} points`);
  }
});

test('path simplification keeps the endpoints and removes points within epsilon', (t) => {
  const path = new PathBuffer();
  for (let i = 0; i <= 10; i++) path.push(i * 10, i % 2 === 0 ? 0 : 2, i);
  path.push(100, 40, 11);
  const points = path.take(path.length, 3);
  t.deepEqual(
    points.map((p) => [p.x, p.y]),
    [
      [0, 0],
      [100, 0],
      [100, 40],
    ],
  );
  t.is(path.length, 0);
  path.push(1, 1, 1);
  t.deepEqual(path.take(1, 3), [{ x: 1, y: 1, t_ms: 1 }]);
});

test('paths of devices reduced in turn keep their own points, however their room is handed from one to the next', (t) => {
  // every point on its own line at epsilon 0 survives simplification only if the path holds exactly what was pushed
  const devices = Array.from({ length: 5 }, () => new PathBuffer());
  const pushed: Array<Array<[number, number, number]>> = devices.map(() => []);
  const zigzag = (d: number, k: number): [number, number, number] => [d * 1000 + k, k % 2 === 0 ? d : d + 50, k];
  for (let round = 0; round < 40; round++) {
    for (let d = 0; d < devices.length; d++) {
      // lengths across the first room, the growth and the largest room kept
      const moves = ((round * 7 + d * 13) % 5) * 60 + 1;
      for (let k = 0; k < moves; k++) {
        const point = zigzag(d, pushed[d].length);
        devices[d].push(...point);
        pushed[d].push(point);
      }
      if ((round + d) % 3 === 0) devices[d].clear(), (pushed[d] = []);
      else if ((round + d) % 3 === 1) {
        const end = Math.floor(pushed[d].length / 2);
        t.deepEqual(devices[d].take(end, 0).map((p) => [p.x, p.y, p.t_ms]), pushed[d].slice(0, end), `device ${d}, round ${round}: the first part`);
        pushed[d] = pushed[d].slice(end);
        t.is(devices[d].length, pushed[d].length);
      } else {
        t.deepEqual(devices[d].take(devices[d].length, 0).map((p) => [p.x, p.y, p.t_ms]), pushed[d], `device ${d}, round ${round}: the whole path`);
        pushed[d] = [];
      }
    }
  }
});

test('a long episode keeps every field of its actions while they are packed, at the precision the dataset holds them', (t) => {
  // twenty keys pressed while a drag is held, between clicks and scrolls: the packed log must keep
  // every field, the drag's place before the keys, and let a double click merge
  const specs: [number, InputEvent['type'], Partial<InputEvent>?][] = [[0, 'focus', focus('editor')]];
  let ts = 10;
  for (let round = 0; round < 6; round++) {
    specs.push(...click(ts, 10 + round, 20));
    specs.push(...click(ts + 200, 10 + round, 20));
    ts += 2000;
    specs.push([ts, 'mouse_down', { x: 100, y: 100, button: 'left' }]);
    for (let i = 0; i < 20; i++) specs.push(key(ts + 10 + i * 1500, i % 2 ? 'Escape' : 'Enter'));
    ts += 40_000;
    specs.push([ts, 'mouse_move', { x: 180.5, y: 140.25 }], [ts + 5, 'mouse_up', { x: 181, y: 141, button: 'left' }]);
    specs.push([ts + 100, 'wheel', { x: 5, y: 5, dx: 0, dy: -120 }], [ts + 150, 'wheel', { x: 5, y: 5, dx: 0, dy: -120 }]);
    ts += 3000;
  }
  const { actions } = reduce(episode(...specs));
  const perRound = ['double_click', 'drag', ...Array.from({ length: 20 }, () => 'key'), 'scroll'];
  t.deepEqual(
    actions.map((a) => a.kind),
    Array.from({ length: 6 }, () => perRound).flat(),
  );
  const drag = actions[1];
  t.deepEqual([drag.x, drag.y, drag.x2, drag.y2, drag.nx2, drag.ny2], [100, 100, 181, 141, Math.fround(0.181), Math.fround(0.282)]);
  // path points are int32 pixels in the dataset: a fractional move is rounded as the columns round it
  t.deepEqual(drag.path.at(-1), { x: 181, y: 140, t_ms: drag.t_ms + 40_000 });
  t.is(actions[0].context, 0);
  t.is(actions[2].key, 'Enter');
  t.is(actions.at(-1)!.dy, -240);
  t.is(actions.at(-1)!.text, null);
});

test('packed actions come back as the dataset holds them: every field, nulls, paths, text and key times, order', (t) => {
  const click: Action = { ...blankAction('double_click', 12), duration_ms: 80, x: 10, y: 0, nx: Math.fround(0.01), ny: 0, context: 0 };
  click.path = [{ x: 1, y: 2, t_ms: 3 }, { x: -4, y: 2_147_483_647, t_ms: 6 }];
  const drag: Action = { ...blankAction('drag', 1e7), x: 1, y: 2, nx: 0.5, ny: 1, x2: 3, y2: 4, nx2: 0.25, ny2: 0.75, frame_uri: 's3://f/1.png', context: 2 };
  const scroll: Action = { ...blankAction('scroll', 13), x: 7, y: 8, dx: 0, dy: -120 };
  const typed: Action = { ...blankAction('type', 14), duration_ms: 900, text: 'héllo', key_times_ms: [0, 120, 900], context: 1 };
  const redacted: Action = { ...blankAction('hotkey', 15), key: 'ctrl+v', redacted: 'secure_input' };
  const stripped: Action = { ...blankAction('type', 16), redacted: 'eu_context', context: 3 };
  const all = [click, drag, scroll, typed, redacted, stripped];
  const log = new ActionLog();
  for (let round = 0; round < 40; round++) for (const action of all) log.append(action);
  const expected = Array.from({ length: 40 }, () => all).flat().map((a) => structuredClone(a));
  // the log owns its copies: changing an action after it was packed changes nothing
  typed.key_times_ms!.push(1000);
  const out: Action[] = [];
  log.drainInto(out);
  t.deepEqual(out, expected);
  t.deepEqual(Object.keys(out[0]), Object.keys(blankAction('click', 0)));
  t.is(log.length, 0);
  const again: Action[] = [];
  log.drainInto(again);
  t.deepEqual(again, []);
});

test('packing rounds int32 fields as the episode columns do, keeps float32 fields as float32, and refuses what int32 cannot hold', (t) => {
  const log = new ActionLog();
  const click: Action = { ...blankAction('click', 12.4), x: 10.5, y: -3.5, nx: 0.1, ny: 1 / 3, dx: 0.3, dy: -120.7 };
  click.path = [{ x: 180.5, y: 140.25, t_ms: 2.6 }];
  log.append(click);
  const [back] = ((out: Action[]) => (log.drainInto(out), out))([]);
  t.deepEqual(
    [back.t_ms, back.x, back.y, back.nx, back.ny, back.dx, back.dy],
    [12, 11, -3, Math.fround(0.1), Math.fround(1 / 3), Math.fround(0.3), Math.fround(-120.7)],
  );
  t.deepEqual(back.path, [{ x: 181, y: 140, t_ms: 3 }]);

  const far: Action = { ...blankAction('click', 0), x: 5e9, y: 0 };
  t.throws(() => new ActionLog().append(far), { instanceOf: RangeError, message: /x holds 5000000000, outside int32/ });
});

test('path points come back exactly whether they fit in 16 bits or not (a wall of screens, negative monitors)', (t) => {
  const log = new ActionLog();
  const paths = [
    [{ x: -32768.5, y: 32767.4, t_ms: 1 }, { x: 0, y: -1, t_ms: 2 }, { x: -32768, y: 32767, t_ms: 3_600_000 }],
    [{ x: 40_000, y: 5, t_ms: 1 }, { x: -1, y: -70_000.4, t_ms: 2 }],
    [{ x: 32767.5, y: 0, t_ms: 1 }],
  ];
  for (const path of paths) log.append({ ...blankAction('drag', 0), path });
  const out: Action[] = [];
  log.drainInto(out);
  t.deepEqual(
    out.map((a) => a.path),
    [
      [{ x: -32768, y: 32767, t_ms: 1 }, { x: 0, y: -1, t_ms: 2 }, { x: -32768, y: 32767, t_ms: 3_600_000 }],
      [{ x: 40_000, y: 5, t_ms: 1 }, { x: -1, y: -70_000, t_ms: 2 }],
      [{ x: 32768, y: 0, t_ms: 1 }],
    ],
  );
});
