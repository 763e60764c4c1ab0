import { ALT, CTRL, META, modifierBitOfCode } from '../contract/keys.ts';

// Which key codes may be written in a context where typing content is stripped. An allowlist of
// keys that produce no character: any code not on it (letters, digits, punctuation, numpad
// operators, dead keys, codes from layouts or agents we have never seen) counts as printable, so
// an unexpected code is stripped rather than leaked.

const NON_PRINTING_CODES: ReadonlySet<string> = new Set([
  'Enter',
  'NumpadEnter',
  'Tab',
  'Escape',
  'Backspace',
  'Delete',
  'Insert',
  'Home',
  'End',
  'PageUp',
  'PageDown',
  'ArrowUp',
  'ArrowDown',
  'ArrowLeft',
  'ArrowRight',
  'ShiftLeft',
  'ShiftRight',
  'ControlLeft',
  'ControlRight',
  'AltLeft',
  'AltRight',
  'AltGraph',
  'MetaLeft',
  'MetaRight',
  'OSLeft',
  'OSRight',
  'CapsLock',
  'NumLock',
  'ScrollLock',
  'Fn',
  'FnLock',
  'PrintScreen',
  'Pause',
  'ContextMenu',
  'Help',
  'NumpadClear',
  'NumpadBackspace',
  'AudioVolumeUp',
  'AudioVolumeDown',
  'AudioVolumeMute',
  'MediaPlayPause',
  'MediaStop',
  'MediaTrackNext',
  'MediaTrackPrevious',
  'BrowserBack',
  'BrowserForward',
  'BrowserRefresh',
  'Power',
  'Sleep',
  'WakeUp',
]);

function isFunctionKey(code: string): boolean {
  if (code.length < 2 || code.length > 3 || code.charCodeAt(0) !== 70 /* F */) return false;
  const n = Number(code.slice(1));
  return Number.isInteger(n) && n >= 1 && n <= 24;
}

/** True only for keys known to produce no character (Enter, arrows, F-keys, modifiers...). */
export function isNonPrintingCode(code: string): boolean {
  return NON_PRINTING_CODES.has(code) || isFunctionKey(code);
}

/** The modifier a key code holds down; AltGraph counts as alt (it types characters, like Option). */
export function heldModifierOfCode(code: string): number {
  return code === 'AltGraph' ? ALT : modifierBitOfCode(code);
}

/**
 * A shortcut keeps its key code even where typing is stripped: ctrl or meta held. Alt alone types
 * characters on macOS (Option), and ctrl+alt is AltGr on Windows (ctrl+alt+q types '@' on a German
 * layout), so both count as typing.
 */
export function isShortcut(modifierBits: number): boolean {
  if ((modifierBits & META) !== 0) return true;
  return (modifierBits & CTRL) !== 0 && (modifierBits & ALT) === 0;
}
