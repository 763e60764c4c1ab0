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
