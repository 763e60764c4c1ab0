// Key classification on W3C `KeyboardEvent.code` names. The code names a physical key, not the
// character it produced (that is `char`, which depends on the layout), so text always comes from
// `char` when the agent sent it; the code is only a fallback for letters, digits and space.
import { ALT, CTRL, META, SHIFT, modifierBitOfCode } from '../contract/keys.ts';

export { ALT, CTRL, META, SHIFT, isKeyCode, modifierBitOfCode, modifierBits } from '../contract/keys.ts';

/** Modifiers that turn a key into a hotkey; shift alone does not (shift + a is typing 'A'). */
export const COMMAND_MODIFIERS = CTRL | ALT | META;

/**
 * Keys that are never actions on their own: modifiers (they only shape the next key) and lock
 * keys (their effect is already in the `char` of the keys that follow, so replaying the text
 * does not need them).
 */
export function isSilentKey(code: string): boolean {
  return (
    modifierBitOfCode(code) !== 0 ||
    code === 'CapsLock' ||
    code === 'NumLock' ||
    code === 'ScrollLock' ||
    code === 'AltGraph' ||
    code === 'Fn' ||
    code === 'FnLock'
  );
}

const PRINTABLE_CODES = new Set([
  'Space',
  'Minus',
  'Equal',
  'BracketLeft',
  'BracketRight',
  'Backslash',
  'Semicolon',
  'Quote',
  'Backquote',
  'Comma',
  'Period',
  'Slash',
  'IntlBackslash',
  'IntlRo',
  'IntlYen',
  'NumpadDecimal',
  'NumpadAdd',
  'NumpadSubtract',
  'NumpadMultiply',
  'NumpadDivide',
  'NumpadComma',
  'NumpadEqual',
]);

function isLetterCode(code: string): boolean {
  if (code.length !== 4 || !code.startsWith('Key')) return false;
  const c = code.charCodeAt(3);
  return c >= 65 && c <= 90;
}

function isDigitCode(code: string): boolean {
  if (code.length !== 6 || !code.startsWith('Digit')) return false;
  const c = code.charCodeAt(5);
  return c >= 48 && c <= 57;
}

function isNumpadDigitCode(code: string): boolean {
  if (code.length !== 7 || !code.startsWith('Numpad')) return false;
  const c = code.charCodeAt(6);
  return c >= 48 && c <= 57;
}

/** A key that produces a character (typing), as opposed to Enter, Tab, arrows, F-keys... */
export function isPrintableCode(code: string): boolean {
  return isLetterCode(code) || isDigitCode(code) || isNumpadDigitCode(code) || PRINTABLE_CODES.has(code);
}

/** Text that is a character, not a control code (Enter's '\r', Tab's '\t', Delete's '\x7f'). */
export function isPrintableText(char: string): boolean {
  if (char.length === 0) return false;
  const c = char.charCodeAt(0);
  return c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0);
}

/**
 * The text a key produces when the agent did not send `char`: only where no layout can
 * disagree (letters, digits without shift, space); otherwise '' rather than a guess.
 */
export function textOfCode(code: string, shift: boolean): string {
  if (isLetterCode(code)) return shift ? code.slice(3) : code.slice(3).toLowerCase();
  if (isDigitCode(code)) return shift ? '' : code.slice(5);
  if (isNumpadDigitCode(code)) return code.slice(6);
  if (code === 'Space') return ' ';
  return '';
}

/** The key part of a chord: `KeyC` -> `c`, `Digit1` -> `1`, anything else keeps its code name. */
export function chordKeyName(code: string): string {
  if (isLetterCode(code)) return code.slice(3).toLowerCase();
  if (isDigitCode(code)) return code.slice(5);
  return code;
}

/** `ctrl+shift+s`: modifiers in the fixed order ctrl, alt, shift, meta, then the key. */
export function chordName(modifiers: number, code: string): string {
  return (
    ((modifiers & CTRL) !== 0 ? 'ctrl+' : '') +
    ((modifiers & ALT) !== 0 ? 'alt+' : '') +
    ((modifiers & SHIFT) !== 0 ? 'shift+' : '') +
    ((modifiers & META) !== 0 ? 'meta+' : '') +
    chordKeyName(code)
  );
}

/** ctrl+v / meta+v (and their shift variants, "paste as plain text"); alt+v is not a paste. */
export function isPasteChord(modifiers: number, code: string): boolean {
  return code === 'KeyV' && (modifiers & (CTRL | META)) !== 0 && (modifiers & ALT) === 0;
}
