// Modifier keys, as bit sets: shared by every stage that reads key events, so "ctrl held" means
// the same thing to the privacy gate and to the action reducer.
export const CTRL = 1;
export const ALT = 2;
export const SHIFT = 4;
export const META = 8;

/** The modifier bit a key code stands for, 0 when it is not a modifier key. */
export function modifierBitOfCode(code: string): number {
  switch (code) {
    case 'ControlLeft':
    case 'ControlRight':
      return CTRL;
    case 'AltLeft':
    case 'AltRight':
      return ALT;
    case 'ShiftLeft':
    case 'ShiftRight':
      return SHIFT;
    case 'MetaLeft':
    case 'MetaRight':
    case 'OSLeft':
    case 'OSRight':
      return META;
    default:
      return 0;
  }
}

/** Bits of an event's `modifiers` list; anything that is not a modifier name is ignored. */
export function modifierBits(modifiers: readonly unknown[]): number {
  let bits = 0;
  for (let i = 0; i < modifiers.length; i++) {
    const m = modifiers[i];
    if (m === 'ctrl') bits |= CTRL;
    else if (m === 'alt') bits |= ALT;
    else if (m === 'shift') bits |= SHIFT;
    else if (m === 'meta') bits |= META;
  }
  return bits;
}

// The W3C UI Events KeyboardEvent.code values (https://www.w3.org/TR/uievents-code/), plus the
// older names browsers used (OSLeft/OSRight) and F13-F24, which agents report. The contract's `key`
// names a physical key by one of these; any other string in it (a KeyboardEvent.key value such as
// `a` or `@`, a word) is text the person typed, content, and is never written as a key or hotkey.
const KEY_CODES: ReadonlySet<string> = new Set([
  // writing system keys (letters and digits are checked by pattern below)
  'Backquote', 'Backslash', 'BracketLeft', 'BracketRight', 'Comma', 'Equal', 'IntlBackslash', 'IntlRo', 'IntlYen',
  'Minus', 'Period', 'Quote', 'Semicolon', 'Slash',
  // functional keys
  'AltLeft', 'AltRight', 'Backspace', 'CapsLock', 'ContextMenu', 'ControlLeft', 'ControlRight', 'Enter', 'MetaLeft',
  'MetaRight', 'ShiftLeft', 'ShiftRight', 'Space', 'Tab', 'Convert', 'KanaMode', 'Lang1', 'Lang2', 'Lang3', 'Lang4',
  'Lang5', 'NonConvert', 'OSLeft', 'OSRight', 'AltGraph',
  // control pad and arrows
  'Delete', 'End', 'Help', 'Home', 'Insert', 'PageDown', 'PageUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'ArrowUp',
  // numpad (digits by pattern)
  'NumLock', 'NumpadAdd', 'NumpadBackspace', 'NumpadClear', 'NumpadClearEntry', 'NumpadComma', 'NumpadDecimal',
  'NumpadDivide', 'NumpadEnter', 'NumpadEqual', 'NumpadHash', 'NumpadMemoryAdd', 'NumpadMemoryClear',
  'NumpadMemoryRecall', 'NumpadMemoryStore', 'NumpadMemorySubtract', 'NumpadMultiply', 'NumpadParenLeft',
  'NumpadParenRight', 'NumpadStar', 'NumpadSubtract',
  // function section (F-keys by pattern)
  'Escape', 'Fn', 'FnLock', 'PrintScreen', 'ScrollLock', 'Pause',
  // media keys
  'BrowserBack', 'BrowserFavorites', 'BrowserForward', 'BrowserHome', 'BrowserRefresh', 'BrowserSearch', 'BrowserStop',
  'Eject', 'LaunchApp1', 'LaunchApp2', 'LaunchMail', 'MediaPlayPause', 'MediaSelect', 'MediaStop', 'MediaTrackNext',
  'MediaTrackPrevious', 'Power', 'Sleep', 'AudioVolumeDown', 'AudioVolumeMute', 'AudioVolumeUp', 'WakeUp',
  // legacy, non-standard and special
  'Hyper', 'Super', 'Turbo', 'Abort', 'Resume', 'Suspend', 'Again', 'Copy', 'Cut', 'Find', 'Open', 'Paste', 'Props',
  'Select', 'Undo', 'Hiragana', 'Katakana', 'Unidentified',
]);

/** `prefix` followed by one character in [lo, hi]: KeyA-KeyZ, Digit0-Digit9, Numpad0-Numpad9. */
function codeWithLastChar(code: string, prefix: string, lo: number, hi: number): boolean {
  if (code.length !== prefix.length + 1 || !code.startsWith(prefix)) return false;
  const c = code.charCodeAt(prefix.length);
  return c >= lo && c <= hi;
}

/** F1-F24. */
function isFunctionKeyCode(code: string): boolean {
  if (code.length < 2 || code.length > 3 || code.charCodeAt(0) !== 70 /* F */) return false;
  const n = Number(code.slice(1));
  return Number.isInteger(n) && n >= 1 && n <= 24 && code[1] !== '0';
}

/** True for a known W3C KeyboardEvent.code value: only these are ever written as keys or hotkeys. */
export function isKeyCode(code: string): boolean {
  return (
    codeWithLastChar(code, 'Key', 65, 90) ||
    codeWithLastChar(code, 'Digit', 48, 57) ||
    codeWithLastChar(code, 'Numpad', 48, 57) ||
    isFunctionKeyCode(code) ||
    KEY_CODES.has(code)
  );
}
