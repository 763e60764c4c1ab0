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
import {
  COMMAND_MODIFIERS,
  SHIFT,
  chordName,
  isPasteChord,
  isPrintableCode,
  isPrintableText,
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
  /** the latest actions, as objects: the last one may still merge with a click, and a held button's action goes in among them. */
  private readonly actions: Action[] = [];
  /** the finished ones before them, packed (created at the first spill). */
  private log: ActionLog | null = null;
  private readonly contexts: EpisodeContext[] = [];
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

  private typing: Action | null = null;
  private typingStartTs = 0;
  private typingLastTs = 0;
  private typingRedaction: Redaction | null = null;

  private scroll: Action | null = null;
  private scrollStartTs = 0;
  private scrollLastTs = 0;
  /** path points up to here happened before or during the scroll; later ones lead to the next action. */
  private scrollPathEnd = 0;

  private press: Action | null = null;
  private pressButton: MouseButton = 'left';
  private pressTs = 0;
  private pressEndX: number | null = null;
  private pressEndY: number | null = null;
  private pressMaxDistance2 = 0;
  /** where the press's action goes: actions emitted while the button was held come after it. */
  private pressInsertAt = 0;

  private lastClick: Action | null = null;
  private lastClickCount = 0;
  private lastClickDownTs = 0;
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
    // the last actions go through the log too, so every action comes out at the dataset's precision
    const log = (this.log ??= new ActionLog());
    for (let i = 0; i < this.actions.length; i++) log.append(this.actions[i]);
    this.actions.length = 0;
    const actions: Action[] = [];
    log.drainInto(actions);
    return {
      actions,
      contexts: this.contexts,
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
    const action = this.newAction('click', e);
    const x = coordinate(e.x);
    const y = coordinate(e.y);
    this.setPoint(action, x, y);
    this.press = action;
    this.pressButton = button;
    this.pressTs = e.ts;
    this.pressEndX = x;
    this.pressEndY = y;
    this.pressMaxDistance2 = 0;
    this.pressInsertAt = this.actions.length;
  }

  private onMouseUp(e: InputEvent): void {
    const action = this.press;
    if (action === null || e.button !== this.pressButton) return;
    this.press = null;
    const upX = coordinate(e.x);
    const upY = coordinate(e.y);
    if (upX !== null && upY !== null) this.trackPress(action, upX, upY);
    this.markRedacted(action, redactionOf(e));
    action.duration_ms = e.ts - this.pressTs;

    const dragPx = this.settings.drag_px;
    if (action.x !== null && this.pressMaxDistance2 > dragPx * dragPx) {
      action.kind = 'drag';
      action.x2 = this.pressEndX;
      action.y2 = this.pressEndY;
      action.nx2 = normalized(action.x2, this.screenWidth);
      action.ny2 = normalized(action.y2, this.screenHeight);
      this.lastClick = null;
      this.insertPressAction(action);
      return;
    }
    if (this.pressButton === 'right') {
      action.kind = 'right_click';
      this.lastClick = null;
    } else if (this.pressButton === 'middle') {
      action.kind = 'middle_click';
      this.lastClick = null;
    } else if (this.mergesIntoLastClick(action)) {
      const previous = this.lastClick!;
      this.lastClickCount++;
      previous.kind = this.lastClickCount === 2 ? 'double_click' : 'triple_click';
      previous.duration_ms = e.ts - this.startTs - previous.t_ms;
      this.markRedacted(previous, action.redacted);
      this.lastClickDownTs = this.pressTs;
      this.lastClickX = action.x;
      this.lastClickY = action.y;
      // moves between the clicks are jitter within multi_click_px, not a path to anything
      this.path.clear();
      return;
    } else {
      this.lastClick = action;
      this.lastClickCount = 1;
      this.lastClickDownTs = this.pressTs;
      this.lastClickX = action.x;
      this.lastClickY = action.y;
    }
    this.insertPressAction(action);
  }

  private mergesIntoLastClick(click: Action): boolean {
    const previous = this.lastClick;
    if (previous === null || this.lastClickCount >= 3) return false;
    if (this.actions.length === 0 || this.actions[this.actions.length - 1] !== previous) return false;
    if (this.pressInsertAt !== this.actions.length) return false;
    if (this.pressTs - this.lastClickDownTs > this.settings.multi_click_ms) return false;
    if (click.x === null || click.y === null || this.lastClickX === null || this.lastClickY === null) return false;
    return !this.beyond(click.x - this.lastClickX, click.y - this.lastClickY, this.settings.multi_click_px);
  }

  private insertPressAction(action: Action): void {
    action.path = this.path.take(this.path.length, this.settings.path_epsilon_px);
    if (this.pressInsertAt === this.actions.length) this.actions.push(action);
    else this.actions.splice(this.pressInsertAt, 0, action);
    this.spill();
  }

  /** Appends a finished action. */
  private emit(action: Action): void {
    this.actions.push(action);
    this.spill();
  }

  /**
   * Moves finished actions into the packed log: all but the last (a click may still merge into it)
   * and, while a button is held, none from where its action will go.
   */
  private spill(): void {
    const actions = this.actions;
    let keepFrom = actions.length - 1;
    if (this.press !== null && this.pressInsertAt < keepFrom) keepFrom = this.pressInsertAt;
    if (keepFrom <= 0) return;
    const log = (this.log ??= new ActionLog());
    for (let i = 0; i < keepFrom; i++) log.append(actions[i]);
    actions.splice(0, keepFrom);
    // an index into `actions`; only read while a press is held or at its release
    this.pressInsertAt -= keepFrom;
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
      const paused = e.ts - this.scrollLastTs > this.settings.typing_pause_ms;
      const moved =
        x !== null &&
        y !== null &&
        scroll.x !== null &&
        scroll.y !== null &&
        this.beyond(x - scroll.x, y - scroll.y, this.settings.multi_click_px);
      if (!paused && !moved) {
        scroll.dx! += dx;
        scroll.dy! += dy;
        scroll.duration_ms = e.ts - this.scrollStartTs;
        this.markRedacted(scroll, redactionOf(e));
        this.scrollLastTs = e.ts;
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
    this.scrollStartTs = e.ts;
    this.scrollLastTs = e.ts;
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
        ? isPrintableCode(code) || (e.char !== undefined && isPrintableText(e.char))
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
    const action = this.emitKeyAction('hotkey', e, code === undefined ? null : chordName(modifiers, code));
    if (code !== undefined && isPasteChord(modifiers, code) && redaction === null) {
      action.text = this.clipboardText;
      this.markRedacted(action, this.clipboardRedaction);
    }
  }

  private emitKeyAction(kind: ActionKind, e: InputEvent, key: string | null): Action {
    this.flushTyping();
    this.flushScroll();
    this.path.clear();
    const action = this.newAction(kind, e);
    action.key = key;
    this.emit(action);
    return action;
  }

  private onKeystroke(e: InputEvent, code: string | undefined, shift: boolean, redaction: Redaction | null): void {
    this.flushScroll();
    this.path.clear();
    if (
      this.typing !== null &&
      (e.ts - this.typingLastTs > this.settings.typing_pause_ms || redaction !== this.typingRedaction)
    ) {
      this.flushTyping();
    }
    let typing = this.typing;
    if (typing === null) {
      typing = this.newAction('type', e);
      typing.text = redaction === null ? '' : null;
      typing.key_times_ms = redaction === null ? [] : null;
      this.typing = typing;
      this.typingStartTs = e.ts;
      this.typingRedaction = redaction;
    }
    if (redaction === null) {
      typing.text += typeof e.char === 'string' ? e.char : code !== undefined ? textOfCode(code, shift) : '';
      typing.key_times_ms!.push(e.ts - this.typingStartTs);
    }
    typing.duration_ms = e.ts - this.typingStartTs;
    this.typingLastTs = e.ts;
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
    if (this.typing === null) return;
    const typing = this.typing;
    this.typing = null;
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
    // the observation must hold nothing from the action's own millisecond or later
    action.frame_uri = this.frameTs < e.ts ? this.frameUri : this.earlierFrameUri;
    action.context = this.currentContext();
    action.redacted = redactionOf(e);
    return action;
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
    while (index < contexts.length) {
      const c = contexts[index];
      if (c.app === app && c.title === title && c.url === url && c.eu_linked === euLinked) break;
      index++;
    }
    if (index === contexts.length) contexts.push({ app, title, url, eu_linked: euLinked });
    this.focusContextIndex = index;
    return index;
  }
}
