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

export const CTRL = 1;
export const ALT = 2;
export const META = 4;

/** The command modifier a key code holds down, 0 for any other key. */
export function modifierBitOfCode(code: string): number {
  switch (code) {
    case 'ControlLeft':
    case 'ControlRight':
      return CTRL;
    case 'AltLeft':
    case 'AltRight':
    case 'AltGraph':
      return ALT;
    case 'MetaLeft':
    case 'MetaRight':
    case 'OSLeft':
    case 'OSRight':
      return META;
    default:
      return 0;
  }
}

export function modifierBitsOf(modifiers: readonly unknown[]): number {
  let bits = 0;
  for (let i = 0; i < modifiers.length; i++) {
    const m = modifiers[i];
    if (m === 'ctrl') bits |= CTRL;
    else if (m === 'alt') bits |= ALT;
    else if (m === 'meta') bits |= META;
  }
  return bits;
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
