// The action reducer: one episode's raw input events -> the actions an agent would emit.
//
// One pass over the events; state lives in one reducer object per episode, moves go into a typed
// array path buffer, and the only objects made are the actions, their path points and contexts.
//
// Choices beyond the field recorders' defaults (ActionSettings):
// - click / multi-click: a press and release of the same button. A left click merges into the
//   previous click (double, then triple; a fourth starts over) when nothing else happened in
//   between, its press is at most multi_click_ms after the previous press and at most
//   multi_click_px from it. Right and middle clicks never merge.
// - drag: the button moved more than drag_px from the press point (at any move while held, or at
//   release); any button. A second press while one is held replaces it; a release without a
//   matching press, and a press never released by the end of the episode, are skipped.
// - scroll: wheel events merge (dx, dy summed, at the first one's x, y) until a pause over
//   typing_pause_ms between wheel events, the pointer moving more than multi_click_px from the
//   scroll's position, a focus change or any other action.
// - type: printable keystrokes (shift allowed) merge until a pause over typing_pause_ms, a key or
//   hotkey (Backspace included: it is a `key` action, so edits stay visible as such), a mouse
//   action, a wheel, a focus change, or a change in redaction (so text typed next to a password
//   field keeps its text while the secure part carries none). Text comes from `char`; without it
//   only letters, digits and space are derived from the code.
// - key codes: only known W3C KeyboardEvent.code values are written as keys or in hotkeys; any
//   other string in `key` is text the person typed (a keystroke whose text is `char`, else that
//   string, scrubbed like all typed text), and with ctrl, alt or meta a hotkey with key null.
// - key: a non-printing key without modifiers; with shift it is a `hotkey` (`shift+Tab`), since
//   shift changes what such keys do. hotkey: any key with ctrl, alt or meta held. key_up only
//   tracks held modifiers (for agents that send no `modifiers` list): key actions have duration 0.
// - path: the moves since the previous action ended, up to the end of this mouse action (a drag's
//   path includes the moves while held). Keyboard actions have an empty path and drop the moves
//   before them. A merged multi-click keeps the first click's path.
// - redaction: an event the gate redacted (or one marked `secure` that somehow was not) never
//   contributes text or key times, and marks the action; so does a redacted clipboard a paste
//   would have carried. A redacted frame only leaves frame_uri null. A redacted hotkey whose key
//   the gate removed has key null.
import type { ActionSettings } from '../config.ts';
import type { InputEvent, MouseButton, Redaction } from '../contract/events.ts';
import { blankAction, type Action, type ActionKind, type EpisodeBuilder, type EpisodeContext, type ReducedEpisode } from '../contract/episode.ts';
import { ActionLog } from './log.ts';
import { PathBuffer } from './path.ts';
// hand-sized lists (none: the shared empty list; slots: n empty slots; withRoom: room for one more)
// and smallInt (stored as a V8 small integer), which keep an open episode's state small
import { none, slots, smallInt, withRoom } from '../small-state.ts';
import {
  COMMAND_MODIFIERS,
  SHIFT,
  chordName,
  isPasteChord,
  isPrintableCode,
  isPrintableText,
  isKeyCode,
  isSilentKey,
  modifierBitOfCode,
  modifierBits,
  textOfCode,
} from './keys.ts';

export function reduceEpisode(events: InputEvent[], startTs: number, settings: ActionSettings): ReducedEpisode {
  const reducer = new EpisodeReducer(startTs, settings);
  for (let i = 0; i < events.length; i++) reducer.add(events[i]);
  return reducer.finish();
}

function redactionOf(event: InputEvent): Redaction | null {
  if (event.redacted !== undefined) return event.redacted;
  return event.secure === true ? 'secure_input' : null;
}

function coordinate(value: number | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function normalized(value: number | null, size: number): number | null {
  if (value === null || size <= 0) return null;
  const n = value / size;
  return n < 0 ? 0 : n > 1 ? 1 : n;
}

/** The reducer as an incremental fold: the sessionizer feeds it events as they are finalized. */
export class EpisodeReducer implements EpisodeBuilder<ReducedEpisode> {
  /**
   * Finished actions, packed as soon as they are emitted. An action held as
   * an object until the episode ended cost 200 bytes and more per open episode, its path points
   * 100 more: a click that may still become a double click is changed in place (`remerge`), and
   * typing keeps its state in fields until its action is emitted.
   */
  private readonly log = new ActionLog();
  /**
   * Actions emitted while a mouse button is held, in slots 0 to `heldCount`: the press's own action
   * goes before them, and is only known at the release.
   */
  private held: Action[] = none();
  private heldCount = 0;
  private contexts: EpisodeContext[] = slots();
  private contextCount = 0;
  private readonly path = new PathBuffer();

  private screenWidth = 0;
  private screenHeight = 0;
  private firstScreenWidth: number | null = null;
  private firstScreenHeight: number | null = null;

  private focus: InputEvent | null = null;
  /** resolved lazily: a window only enters `contexts` when an action happens in it. */
  private focusContextIndex = -1;
  private focusResolved = true;

  // the latest frame, and the latest one with an earlier ts (for actions in the latest frame's millisecond)
  private frameTs = -Infinity;
  private frameUri: string | null = null;
  private earlierFrameUri: string | null = null;

  private clipboardText: string | null = null;
  private clipboardRedaction: Redaction | null = null;

  private heldModifiers = 0;

  // Times below are milliseconds since the episode start, stored through `smallInt`: V8 keeps a
  // small integer in the object itself, where a timestamp is a separately allocated double.
  /** the `type` action being typed, as its fields (the action is made when it is emitted). */
  private typing = false;
  private typingStartMs = 0;
  private typingLastMs = 0;
  private typingFrameUri: string | null = null;
  private typingContext = -1;
  /** null when the typing is redacted. */
  private typingText: string | null = null;
  /** slots 0 to `typingKeyCount` (sized by hand); null when redacted. */
  private typingKeyTimes: number[] | null = null;
  private typingKeyCount = 0;
  private typingRedaction: Redaction | null = null;

  private scroll: Action | null = null;
  private scrollStartMs = 0;
  private scrollLastMs = 0;
  /** path points up to here happened before or during the scroll; later ones lead to the next action. */
  private scrollPathEnd = 0;

  private press: Action | null = null;
  private pressButton: MouseButton = 'left';
  private pressMs = 0;
  private pressEndX: number | null = null;
  private pressEndY: number | null = null;
  private pressMaxDistance2 = 0;

  /** where in the log the last click's record starts, while a following click may still merge into it; -1 when none. */
  private lastClickRecord = -1;
  private lastClickMs = 0;
  private lastClickCount = 0;
  private lastClickDownMs = 0;
  private lastClickX: number | null = null;
  private lastClickY: number | null = null;

  constructor(
    private readonly startTs: number,
    private readonly settings: ActionSettings,
  ) {}

  add(e: InputEvent): void {
    switch (e.type) {
      case 'mouse_move':
        this.onMove(e);
        break;
      case 'mouse_down':
        this.onMouseDown(e);
        break;
      case 'mouse_up':
        this.onMouseUp(e);
        break;
      case 'wheel':
        this.onWheel(e);
        break;
      case 'key_down':
        this.onKeyDown(e);
        break;
      case 'key_up':
        this.onKeyUp(e);
        break;
      case 'focus':
        this.onFocus(e);
        break;
      case 'clipboard':
        this.onClipboard(e);
        break;
      case 'screen_frame':
        this.onFrame(e);
        break;
      default:
        // lock, unlock, pause, resume: episode boundaries, not actions
        break;
    }
  }

  finish(): ReducedEpisode {
    this.flushTyping();
    this.flushScroll();
    // what was emitted while a button still held at the end was down (the press itself gives no
    // action); every action comes out of the log, at the dataset's precision
    this.releaseHeld();
    const actions: Action[] = [];
    this.log.drainInto(actions);
    const contexts = this.contexts;
    contexts.length = this.contextCount;
    return {
      actions,
      contexts,
      screen_width: this.firstScreenWidth,
      screen_height: this.firstScreenHeight,
    };
  }

  private onMove(e: InputEvent): void {
    const x = coordinate(e.x);
    const y = coordinate(e.y);
    if (x === null || y === null) return;
    this.path.push(x, y, e.ts - this.startTs);
    if (this.press !== null) this.trackPress(this.press, x, y);
    const scroll = this.scroll;
    if (scroll !== null && scroll.x !== null && scroll.y !== null) {
      if (this.beyond(x - scroll.x, y - scroll.y, this.settings.multi_click_px)) this.flushScroll();
    }
  }

  private onMouseDown(e: InputEvent): void {
    const button = e.button;
    if (button === undefined) return;
    this.flushTyping();
    this.flushScroll();
    // a press while another is held replaces it: what was emitted meanwhile stays, in order
    this.releaseHeld();
    const action = this.newAction('click', e);
    const x = coordinate(e.x);
    const y = coordinate(e.y);
    this.setPoint(action, x, y);
    this.press = action;
    this.pressButton = button;
    this.pressMs = smallInt(e.ts - this.startTs);
    this.pressEndX = x;
    this.pressEndY = y;
    this.pressMaxDistance2 = 0;
  }

  private onMouseUp(e: InputEvent): void {
    const action = this.press;
    if (action === null || e.button !== this.pressButton) return;
    this.press = null;
    const upX = coordinate(e.x);
    const upY = coordinate(e.y);
    if (upX !== null && upY !== null) this.trackPress(action, upX, upY);
    this.markRedacted(action, redactionOf(e));
    action.duration_ms = e.ts - this.startTs - this.pressMs;

    const dragPx = this.settings.drag_px;
    if (action.x !== null && this.pressMaxDistance2 > dragPx * dragPx) {
      action.kind = 'drag';
      action.x2 = this.pressEndX;
      action.y2 = this.pressEndY;
      action.nx2 = normalized(action.x2, this.screenWidth);
      action.ny2 = normalized(action.y2, this.screenHeight);
      this.lastClickRecord = -1;
      this.insertPressAction(action);
      return;
    }
    if (this.pressButton === 'right') {
      action.kind = 'right_click';
      this.lastClickRecord = -1;
    } else if (this.pressButton === 'middle') {
      action.kind = 'middle_click';
      this.lastClickRecord = -1;
    } else if (this.mergesIntoLastClick(action)) {
      this.lastClickCount++;
      const kind = this.lastClickCount === 2 ? 'double_click' : 'triple_click';
      this.log.remerge(this.lastClickRecord, kind, e.ts - this.startTs - this.lastClickMs, action.redacted);
      this.lastClickDownMs = this.pressMs;
      this.lastClickX = action.x;
      this.lastClickY = action.y;
      // moves between the clicks are jitter within multi_click_px, not a path to anything
      this.path.clear();
      return;
    } else {
      this.lastClickRecord = this.insertPressAction(action);
      this.lastClickCount = 1;
      this.lastClickMs = smallInt(action.t_ms);
      this.lastClickDownMs = this.pressMs;
      this.lastClickX = action.x;
      this.lastClickY = action.y;
      return;
    }
    this.insertPressAction(action);
  }

  private mergesIntoLastClick(click: Action): boolean {
    if (this.lastClickRecord === -1 || this.lastClickCount >= 3) return false;
    // the click must be the latest action, and nothing may have been emitted while this one was held
    if (this.log.lastRecord !== this.lastClickRecord || this.heldCount !== 0) return false;
    if (this.pressMs - this.lastClickDownMs > this.settings.multi_click_ms) return false;
    if (click.x === null || click.y === null || this.lastClickX === null || this.lastClickY === null) return false;
    return !this.beyond(click.x - this.lastClickX, click.y - this.lastClickY, this.settings.multi_click_px);
  }

  /** The press's action at its release, then what was emitted while it was held; returns where its record starts. */
  private insertPressAction(action: Action): number {
    action.path = this.path.take(this.path.length, this.settings.path_epsilon_px);
    const record = this.log.append(action);
    this.releaseHeld();
    return record;
  }

  private releaseHeld(): void {
    if (this.heldCount === 0) return;
    const held = this.held;
    for (let i = 0; i < this.heldCount; i++) this.log.append(held[i]);
    this.held = none();
    this.heldCount = 0;
  }

  /** A finished action: packed at once, or kept while a button is held (its action goes first). */
  private emit(action: Action): void {
    if (this.press !== null) {
      const held = (this.held = withRoom(this.held, this.heldCount));
      held[this.heldCount++] = action;
      return;
    }
    this.log.append(action);
  }

  private trackPress(press: Action, x: number, y: number): void {
    this.pressEndX = x;
    this.pressEndY = y;
    if (press.x === null || press.y === null) return;
    const dx = x - press.x;
    const dy = y - press.y;
    const d2 = dx * dx + dy * dy;
    if (d2 > this.pressMaxDistance2) this.pressMaxDistance2 = d2;
  }

  private onWheel(e: InputEvent): void {
    this.flushTyping();
    const x = coordinate(e.x);
    const y = coordinate(e.y);
    const dx = typeof e.dx === 'number' ? e.dx : 0;
    const dy = typeof e.dy === 'number' ? e.dy : 0;
    const scroll = this.scroll;
    if (scroll !== null) {
      const paused = e.ts - this.startTs - this.scrollLastMs > this.settings.typing_pause_ms;
      const moved =
        x !== null &&
        y !== null &&
        scroll.x !== null &&
        scroll.y !== null &&
        this.beyond(x - scroll.x, y - scroll.y, this.settings.multi_click_px);
      if (!paused && !moved) {
        scroll.dx! += dx;
        scroll.dy! += dy;
        scroll.duration_ms = e.ts - this.startTs - this.scrollStartMs;
        this.markRedacted(scroll, redactionOf(e));
        this.scrollLastMs = smallInt(e.ts - this.startTs);
        this.scrollPathEnd = this.path.length;
        return;
      }
      this.flushScroll();
    }
    const action = this.newAction('scroll', e);
    this.setPoint(action, x, y);
    action.dx = dx;
    action.dy = dy;
    this.scroll = action;
    this.scrollStartMs = smallInt(e.ts - this.startTs);
    this.scrollLastMs = this.scrollStartMs;
    this.scrollPathEnd = this.path.length;
  }

  private onKeyDown(e: InputEvent): void {
    const code = e.key;
    if (code !== undefined && isSilentKey(code)) {
      this.heldModifiers |= modifierBitOfCode(code);
      return;
    }
    const modifiers = e.modifiers !== undefined ? modifierBits(e.modifiers) : this.heldModifiers;
    const redaction = redactionOf(e);
    if ((modifiers & COMMAND_MODIFIERS) !== 0) {
      this.onHotkey(e, modifiers, code, redaction);
      return;
    }
    const printable =
      code !== undefined
        ? // a `key` that is no key code (a KeyboardEvent.key value, any text) is typed text
          isPrintableCode(code) || (e.char !== undefined && isPrintableText(e.char)) || !isKeyCode(code)
        : // the gate removes the code of printable keys only
          redaction !== null || (e.char !== undefined && isPrintableText(e.char));
    if (printable) {
      this.onKeystroke(e, code, (modifiers & SHIFT) !== 0, redaction);
      return;
    }
    if (code === undefined) return;
    const shifted = (modifiers & SHIFT) !== 0;
    this.emitKeyAction(shifted ? 'hotkey' : 'key', e, shifted ? chordName(SHIFT, code) : code);
  }

  private onKeyUp(e: InputEvent): void {
    if (e.key !== undefined) this.heldModifiers &= ~modifierBitOfCode(e.key);
  }

  private onHotkey(e: InputEvent, modifiers: number, code: string | undefined, redaction: Redaction | null): void {
    // only a key code names a chord: ctrl plus any other string would write that string
    const action = this.keyAction('hotkey', e, code === undefined || !isKeyCode(code) ? null : chordName(modifiers, code));
    if (code !== undefined && isPasteChord(modifiers, code) && redaction === null) {
      action.text = this.clipboardText;
      this.markRedacted(action, this.clipboardRedaction);
    }
    this.emit(action);
  }

  private emitKeyAction(kind: ActionKind, e: InputEvent, key: string | null): void {
    this.emit(this.keyAction(kind, e, key));
  }

  /** A key or hotkey action at `e`, not emitted yet; what was typed or scrolled before it is. */
  private keyAction(kind: ActionKind, e: InputEvent, key: string | null): Action {
    this.flushTyping();
    this.flushScroll();
    this.path.clear();
    const action = this.newAction(kind, e);
    action.key = key;
    return action;
  }

  private onKeystroke(e: InputEvent, code: string | undefined, shift: boolean, redaction: Redaction | null): void {
    this.flushScroll();
    this.path.clear();
    if (this.typing && (e.ts - this.startTs - this.typingLastMs > this.settings.typing_pause_ms || redaction !== this.typingRedaction)) {
      this.flushTyping();
    }
    const ms = smallInt(e.ts - this.startTs);
    if (!this.typing) {
      this.typing = true;
      this.typingStartMs = ms;
      this.typingFrameUri = this.frameUriBefore(e.ts);
      this.typingContext = this.currentContext();
      this.typingRedaction = redaction;
      this.typingText = redaction === null ? '' : null;
      this.typingKeyTimes = redaction === null ? none() : null;
      this.typingKeyCount = 0;
    }
    if (redaction === null) {
      this.typingText += typeof e.char === 'string' ? e.char : code === undefined ? '' : isKeyCode(code) ? textOfCode(code, shift) : code;
      const times = (this.typingKeyTimes = withRoom(this.typingKeyTimes!, this.typingKeyCount));
      times[this.typingKeyCount++] = ms - this.typingStartMs;
    }
    this.typingLastMs = ms;
  }

  private onFocus(e: InputEvent): void {
    this.flushTyping();
    this.flushScroll();
    this.focus = e;
    this.focusResolved = false;
    const screen = e.screen;
    if (screen !== undefined && screen.width > 0 && screen.height > 0) {
      this.screenWidth = screen.width;
      this.screenHeight = screen.height;
      if (this.firstScreenWidth === null) {
        this.firstScreenWidth = screen.width;
        this.firstScreenHeight = screen.height;
      }
    }
  }

  private onClipboard(e: InputEvent): void {
    const redaction = redactionOf(e);
    this.clipboardRedaction = redaction;
    this.clipboardText = redaction === null && typeof e.text === 'string' ? e.text : null;
  }

  private onFrame(e: InputEvent): void {
    if (e.ts > this.frameTs) {
      this.earlierFrameUri = this.frameUri;
      this.frameTs = e.ts;
    }
    this.frameUri = redactionOf(e) === null && typeof e.frame_uri === 'string' ? e.frame_uri : null;
  }

  private flushTyping(): void {
    if (!this.typing) return;
    this.typing = false;
    const typing = blankAction('type', this.typingStartMs);
    typing.duration_ms = this.typingLastMs - this.typingStartMs;
    typing.frame_uri = this.typingFrameUri;
    typing.context = this.typingContext;
    typing.redacted = this.typingRedaction;
    typing.text = this.typingText;
    const times = this.typingKeyTimes;
    if (times !== null) times.length = this.typingKeyCount;
    typing.key_times_ms = times;
    this.typingFrameUri = null;
    this.typingText = null;
    this.typingKeyTimes = null;
    this.emit(typing);
  }

  private flushScroll(): void {
    const scroll = this.scroll;
    if (scroll === null) return;
    scroll.path = this.path.take(this.scrollPathEnd, this.settings.path_epsilon_px);
    this.scroll = null;
    this.emit(scroll);
  }

  /** A new action at event `e`: its time, window, screen frame and redaction. */
  private newAction(kind: ActionKind, e: InputEvent): Action {
    const action = blankAction(kind, e.ts - this.startTs);
    action.frame_uri = this.frameUriBefore(e.ts);
    action.context = this.currentContext();
    action.redacted = redactionOf(e);
    return action;
  }

  /** the latest frame before `ts`: the observation must hold nothing from the action's own millisecond or later. */
  private frameUriBefore(ts: number): string | null {
    return this.frameTs < ts ? this.frameUri : this.earlierFrameUri;
  }

  private setPoint(action: Action, x: number | null, y: number | null): void {
    action.x = x;
    action.y = y;
    action.nx = normalized(x, this.screenWidth);
    action.ny = normalized(y, this.screenHeight);
  }

  private markRedacted(action: Action, redaction: Redaction | null): void {
    if (redaction === null) return;
    if (action.redacted === null) action.redacted = redaction;
    action.key_times_ms = null;
  }

  private beyond(dx: number, dy: number, px: number): boolean {
    return dx * dx + dy * dy > px * px;
  }

  private currentContext(): number {
    if (this.focusResolved) return this.focusContextIndex;
    this.focusResolved = true;
    const focus = this.focus!;
    const context = focus.context;
    if (context === undefined) {
      this.focusContextIndex = -1;
      return -1;
    }
    const app = typeof context.app === 'string' ? context.app : '';
    // a redacted window keeps no title or url even if the gate left one behind
    const title = focus.redacted === undefined ? (context.title ?? null) : null;
    const url = focus.redacted === undefined ? (context.url ?? null) : null;
    const euLinked = focus.eu_linked ?? false;
    // an episode visits a handful of windows: a scan costs less than a map per open episode
    const contexts = this.contexts;
    let index = 0;
    while (index < this.contextCount) {
      const c = contexts[index];
      if (c.app === app && c.title === title && c.url === url && c.eu_linked === euLinked) break;
      index++;
    }
    if (index === this.contextCount) {
      this.contexts = withRoom(contexts, this.contextCount);
      this.contexts[this.contextCount++] = { app, title, url, eu_linked: euLinked };
    }
    this.focusContextIndex = index;
    return index;
  }
}
