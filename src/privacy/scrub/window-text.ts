// The text a person produced in one window, rebuilt from the actions, so that PII typed in
// pieces is still found: an address typed, a click, the rest typed; a local part typed and the
// domain pasted; a number corrected with Backspace. Consecutive actions in one window (until the
// window changes) form one text: typing and pastes are inserted at a cursor, Backspace and Delete
// remove characters (ctrl/alt+Backspace a word, after ctrl/meta+a everything), arrows, Home and
// End move the cursor, Enter and Tab end a line. Clicks move the caret to a place the actions do
// not tell, so the cursor stays where it was: the rebuilt text may join pieces that were apart
// on screen, which can only find more.
//
// The detectors run over the rebuilt text and over each action's own text (which also holds what
// was typed and deleted later). A match is mapped back onto the characters of the actions it came
// from, deleted characters next to it included: the first piece gets the placeholder, the other
// pieces lose their part. An action whose text changed loses its keystroke offsets, which no
// longer line up with its characters.
import type { Action } from '../../contract/episode.ts';
import type { PrivacyAudit } from '../audit.ts';
import { findSpans, mayHoldSensitive, type Span } from './detect.ts';

/** A character of the rebuilt text: which action typed it (-1: a line break the keys made), where in its text. */
interface Cells {
  action: number[];
  offset: number[];
  alive: boolean[];
}

function isEditKey(action: Action): boolean {
  const key = action.key;
  return key !== null && (action.kind === 'key' || action.kind === 'hotkey') && EDIT_KEYS.has(key);
}

const EDIT_KEYS = new Set([
  'Backspace',
  'Delete',
  'ArrowLeft',
  'ArrowRight',
  'Home',
  'End',
  'Enter',
  'NumpadEnter',
  'Tab',
  'ctrl+Backspace',
  'alt+Backspace',
  'ctrl+a',
  'meta+a',
]);

function hasText(action: Action): boolean {
  return action.text !== null && action.text.length > 0;
}

/** Scrubs, in place, the text of every action that carries some (typed text, pasted text). */
export function scrubActions(actions: Action[], audit: PrivacyAudit): void {
  let from = 0;
  while (from < actions.length) {
    const context = actions[from].context;
    let to = from + 1;
    while (to < actions.length && actions[to].context === context) to++;
    scrubWindow(actions, from, to, audit);
    from = to;
  }
}

function scrubWindow(actions: Action[], from: number, to: number, audit: PrivacyAudit): void {
  let pieces = 0;
  let edits = false;
  for (let i = from; i < to; i++) {
    const a = actions[i];
    if (hasText(a)) pieces++;
    else if (isEditKey(a)) edits = true;
  }
  if (pieces === 0) return;
  // without edits the window's text is its pieces joined, and each piece is part of it: when the
  // one pass over that text finds nothing any detector needs, neither the text nor a piece holds a match
  if (!edits) {
    let joined = '';
    for (let i = from; i < to; i++) if (hasText(actions[i])) joined += actions[i].text!;
    if (!mayHoldSensitive(joined)) return;
  }
  // per action: the spans of its own text, and the span each character belongs to (by index into `spans`)
  const spans: Span[] = [];
  const cover = new Map<number, Int32Array>();
  const mark = (action: number, offset: number, span: number): void => {
    let c = cover.get(action);
    if (c === undefined) {
      c = new Int32Array(actions[action].text!.length).fill(-1);
      cover.set(action, c);
    }
    if (c[offset] === -1) c[offset] = span;
  };

  if (pieces > 1 || edits) {
    const cells = rebuild(actions, from, to);
    let text = '';
    const aliveCells: number[] = [];
    for (let k = 0; k < cells.action.length; k++) {
      if (!cells.alive[k]) continue;
      const a = cells.action[k];
      text += a === -1 ? '\n' : actions[a].text![cells.offset[k]];
      aliveCells.push(k);
    }
    for (const span of findSpans(text)) {
      const id = spans.push(span) - 1;
      let first = aliveCells[span.start];
      let last = aliveCells[span.end - 1];
      // characters deleted right beside the match were part of it as typed
      while (first > 0 && !cells.alive[first - 1]) first--;
      while (last + 1 < cells.action.length && !cells.alive[last + 1]) last++;
      for (let k = first; k <= last; k++) if (cells.action[k] !== -1) mark(cells.action[k], cells.offset[k], id);
    }
  }
  for (let i = from; i < to; i++) {
    const a = actions[i];
    if (!hasText(a)) continue;
    for (const span of findSpans(a.text!)) {
      const c = cover.get(i);
      let fresh = c === undefined;
      if (c !== undefined) for (let k = span.start; k < span.end && !fresh; k++) fresh = c[k] === -1;
      if (!fresh) continue; // the window's text found it already
      const id = spans.push(span) - 1;
      for (let k = span.start; k < span.end; k++) mark(i, k, id);
    }
  }
  if (spans.length === 0) return;

  const written = new Uint8Array(spans.length);
  for (const [i, c] of [...cover.entries()].sort((x, y) => x[0] - y[0])) {
    const action = actions[i];
    const text = action.text!;
    let out = '';
    for (let k = 0; k < text.length; k++) {
      const id = c[k];
      if (id === -1) out += text[k];
      else if (written[id] === 0) {
        written[id] = 1;
        out += spans[id].placeholder;
      }
    }
    if (out !== text) {
      action.text = out;
      action.key_times_ms = null;
    }
  }
  for (const span of spans) audit.strip(span.rule);
}

/** The window's text as the keys left it, with the deleted characters kept as dead cells where they were. */
function rebuild(actions: Action[], from: number, to: number): Cells {
  const cells: Cells = { action: [], offset: [], alive: [] };
  let cursor = 0; // cells before this index are before the caret
  let selectAll = false;
  const clear = (): void => {
    for (let k = 0; k < cells.alive.length; k++) cells.alive[k] = false;
    cursor = cells.alive.length;
    selectAll = false;
  };
  const insert = (action: number, offset: number): void => {
    // after what was deleted here, so the deleted characters stay inside what is typed around them
    while (cursor < cells.action.length && !cells.alive[cursor]) cursor++;
    if (cursor === cells.action.length) {
      cells.action.push(action);
      cells.offset.push(offset);
      cells.alive.push(true);
    } else {
      cells.action.splice(cursor, 0, action);
      cells.offset.splice(cursor, 0, offset);
      cells.alive.splice(cursor, 0, true);
    }
    cursor++;
  };
  const aliveBefore = (k: number): number => {
    for (let j = k - 1; j >= 0; j--) if (cells.alive[j]) return j;
    return -1;
  };
  const aliveFrom = (k: number): number => {
    for (let j = k; j < cells.alive.length; j++) if (cells.alive[j]) return j;
    return -1;
  };
  const charAt = (k: number): string => (cells.action[k] === -1 ? '\n' : actions[cells.action[k]].text![cells.offset[k]]);

  for (let i = from; i < to; i++) {
    const a = actions[i];
    if (hasText(a)) {
      if (selectAll) clear();
      const text = a.text!;
      for (let k = 0; k < text.length; k++) insert(i, k);
      continue;
    }
    if (!isEditKey(a)) continue;
    const key = a.key!;
    if (key === 'ctrl+a' || key === 'meta+a') {
      selectAll = true;
      continue;
    }
    if (selectAll && (key === 'Backspace' || key === 'Delete' || key.endsWith('+Backspace'))) {
      clear();
      continue;
    }
    selectAll = false;
    switch (key) {
      case 'Backspace': {
        const k = aliveBefore(cursor);
        if (k >= 0) {
          cells.alive[k] = false;
          cursor = k;
        }
        break;
      }
      case 'ctrl+Backspace':
      case 'alt+Backspace': {
        // a word and the spaces before the caret
        let k = aliveBefore(cursor);
        while (k >= 0 && /\s/.test(charAt(k))) {
          cells.alive[k] = false;
          cursor = k;
          k = aliveBefore(k);
        }
        while (k >= 0 && !/\s/.test(charAt(k))) {
          cells.alive[k] = false;
          cursor = k;
          k = aliveBefore(k);
        }
        break;
      }
      case 'Delete': {
        const k = aliveFrom(cursor);
        if (k >= 0) cells.alive[k] = false;
        break;
      }
      case 'ArrowLeft': {
        const k = aliveBefore(cursor);
        if (k >= 0) cursor = k;
        break;
      }
      case 'ArrowRight': {
        const k = aliveFrom(cursor);
        if (k >= 0) cursor = k + 1;
        break;
      }
      case 'Home':
        cursor = 0;
        break;
      case 'End':
        cursor = cells.action.length;
        break;
      default:
        // Enter, Tab: a line break, typed by no action
        cursor = cells.action.length;
        insert(-1, 0);
    }
  }
  return cells;
}
