// Text as the detectors read it: what a person sees, not the code points they typed or pasted.
// A zero-width space inside an address, a full-width `＠` or full-width digits, a non-breaking
// space between card groups or an en dash in a phone number all look like the plain character,
// so the detectors would miss them. Each code point is NFKC-normalized (full-width and
// compatibility forms to ASCII, non-breaking and other spaces to a space), format characters
// (zero-width space and joiners, soft hyphen, direction marks, variation selectors) are dropped,
// and dashes become '-'. Every normalized character remembers the span of the original it came
// from, so a match is replaced over the original text, obfuscation included.

export interface NormalizedText {
  text: string;
  /** original index where each character of `text` starts; null when `text` is the original. */
  starts: Int32Array | null;
  /** original index where each character of `text` ends (exclusive). */
  ends: Int32Array | null;
}

/** Format characters and other invisible code points dropped before matching. */
const INVISIBLE = /^[\p{Cf}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]$/u;
const DASHES = /^[\u2010-\u2015\u2212\u2E3A\u2E3B\uFE58\uFE63\uFF0D]$/;
const SPACES = /^\s$/;

/** Whether the text is plain ASCII: then it is its own normalized form (most typed text is). */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e) return false;
  return true;
}

export function normalizeForMatching(original: string): NormalizedText {
  if (isAscii(original)) return { text: original, starts: null, ends: null };
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < original.length; ) {
    const cp = original.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const end = i + width;
    if (cp < 0x7f) {
      text += original[i];
      starts.push(i);
      ends.push(end);
      i = end;
      continue;
    }
    const char = original.slice(i, end);
    if (!INVISIBLE.test(char)) {
      let n = char.normalize('NFKC');
      if (DASHES.test(n)) n = '-';
      else if (SPACES.test(n)) n = ' ';
      text += n;
      for (let k = 0; k < n.length; k++) {
        starts.push(i);
        ends.push(end);
      }
    }
    i = end;
  }
  return { text, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}
