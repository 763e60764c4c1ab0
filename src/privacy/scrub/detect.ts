// The detectors: where in a text PII and secrets are, as spans with their placeholder. A span is
// replaced whole, so a model still sees that an e-mail address was typed, never which one.
//
// Order matters: whole secrets first (a private-key block or JWT contains runs that look like
// anything, a connection string's password sits before an `@`), then token shapes, then shapes
// with a checksum (IBAN mod 97, cards by Luhn), then looser shapes. Each accepted span is masked
// in the working text, so a later detector never matches inside it. The checksums keep order
// numbers and ids out of <CARD>/<IBAN>.
//
// Cheap first: one pass over the text counts what the detectors need (digits, an '@', a ':' or
// '=', the longest run of token characters); a detector whose precondition fails does not run.
// Most typed text is words and spaces, and leaves after that one pass.
import type { StripRule } from '../audit.ts';
import { normalizeForMatching } from './normalize.ts';
import { SECRET_CONTEXT, SECRET_KEYWORDS, TOKEN_RULES } from './rules.ts';

export type Placeholder = '<EMAIL>' | '<PHONE>' | '<CARD>' | '<SSN>' | '<IBAN>' | '<SECRET>';

export interface Span {
  /** in the text given to findSpans (the original, not the normalized form). */
  start: number;
  end: number;
  placeholder: Placeholder;
  rule: StripRule;
}

const MASK = '\u0001';

const PRIVATE_KEY_BLOCK =
  /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|$)/g;
/**
 * `scheme://user:password@` in any text (connection strings, URLs with credentials): the user
 * and password go. The password may hold an unescaped '@'; the last one before the host ends it.
 */
const URL_CREDENTIALS = /\b[A-Za-z][A-Za-z0-9+.-]{1,30}:\/\/([^\s/?#@:\u0001]+:[^\s/?#\u0001]*)@(?=[^\s@\u0001]*[A-Za-z0-9])/g;
/** header.payload.signature; headers are JSON objects, so base64url `eyJ` ({"). Signature may be empty (alg none). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** `Authorization: Bearer <token>`, `Basic <base64>`. */
const AUTH_SCHEME = /\b(?:Bearer|Basic|Token|Digest)\s+([A-Za-z0-9._~+/=-]{12,})/g;
/** `password: ...`, `api_key = "..."`, `?token=...`: the value after a secret's name. */
const KEYWORD_VALUE = new RegExp(
  `(?:${SECRET_KEYWORDS.join('|')})[A-Za-z0-9_.-]{0,20}?["']?\\s*(?::=|=>|[:=])\\s*["'\`]?([^\\s"'\`,;&<>()\\[\\]{}\\u0001]{3,300})`,
  'gi',
);
/** hex of 32 or more digits, and UUIDs: secrets only after a secret's name (a git hash is not one). */
const HEX_TOKEN = /\b(?:[0-9a-fA-F]{32,}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b/g;
const HEX_CONTEXT_CHARS = 40;
/** Any script: a local part and domain of letters, marks and digits; an IDN's ASCII form too. */
const EMAIL = /[\p{L}\p{N}\p{M}._%+'-]+@(?:[\p{L}\p{N}\p{M}-]+\.)+(?:[\p{L}\p{M}]{2,}|xn--[A-Za-z0-9-]{2,})/gu;
/** compact, or in groups of four as printed on statements. */
const IBAN = /\b[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?)\b/g;
/**
 * 13-19 digits, optionally grouped by single spaces, dots or dashes, not the tail of a longer
 * group of numbers; issuers' first digits are 2-6.
 */
const CARD = /(?<![\d+-]|\d[ .-])[2-6](?:[ .-]?\d){12,18}(?!\d)/g;
/** US SSN (and ITIN) as written: 3-2-4 digits with the same separator twice. */
const SSN = /(?<![\d-])\d{3}([- .])\d{2}\1\d{4}(?![\d-])/g;
/** nine digits without separators are an SSN only after its name. */
const SSN_BARE = /(?<![\d-])\d{9}(?![\d-])/g;
const SSN_CONTEXT = /ssn|social|soc\.? ?sec|tax ?id|\bitin\b|\btin\b/i;
/** North American numbers: 415-555-0100, (415) 555-0100, 4155550100, +1 415 555 0100. */
const NANP = /(?<![\w+.-])(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[ .-]?\d{3}[ .-]?\d{4}(?![\w]|[.-]\d)/g;
/** digit groups with separators, optionally international or with an area code in parentheses. */
const PHONE = /(?<![\w.+-])(\+)?(\(\d{1,4}\)|\d{1,15})(?:[ .-]?\(\d{1,4}\)|[ .-]\d{1,10})*(?![\w:]|[.-]\d)/g;
/** an IPv4 address is not a phone number. */
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;
/** candidates for high-entropy tokens: API keys, session tokens, secret access keys. */
const TOKEN = /[A-Za-z0-9+/_-]{20,}={0,2}/g;

const MIN_TOKEN_ENTROPY_BITS = 3.3;
const MAX_MEAN_RUN = 3;
/** the shortest token any token rule or the generic one can match. */
const MIN_TOKEN_RUN = 16;
const DIGIT = 1;
const UPPER = 2;
const LOWER = 3;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters to 10..35, the number mod 97 is 1. */
function ibanValid(compact: string): boolean {
  if (compact.length < 15 || compact.length > 34) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) remainder = (remainder * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) remainder = (remainder * 100 + (c - 55)) % 97;
    else return false;
  }
  return remainder === 1;
}

function digitsOf(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) out += text[i];
  }
  return out;
}

function groupCount(text: string): number {
  let groups = 0;
  let inDigits = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    if (isDigit && !inDigits) groups++;
    inDigits = isDigit;
  }
  return groups;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A token is a secret when it looks random: in base64 and base62 the character class (lower,
 * upper, digit) changes every one or two characters, while words, slugs, paths and identifiers
 * run in long stretches of one class (`useEffect_2024_component`, `report_2024_03_02_final`) or
 * hold a single digit (`getElementById2`). Hex alone (a git hash, a checksum) is left to the
 * rule that wants a secret's name before it. A long base64 token with at most one digit (an AWS
 * secret access key now and then) counts when it holds '/' or '+', which identifiers never do.
 */
function looksLikeSecret(token: string): boolean {
  let lower = 0;
  let upper = 0;
  let digits = 0;
  let hexLetters = 0;
  let symbols = 0;
  let runs = 0;
  let previousClass = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    let charClass: number;
    if (c >= 48 && c <= 57) {
      digits++;
      charClass = DIGIT;
    } else if (c >= 65 && c <= 90) {
      upper++;
      if (c <= 70) hexLetters++;
      charClass = UPPER;
    } else if (c >= 97 && c <= 122) {
      lower++;
      if (c <= 102) hexLetters++;
      charClass = LOWER;
    } else {
      if (c === 43 || c === 47) symbols++;
      continue; // separators neither start nor end a run
    }
    if (charClass !== previousClass) runs++;
    previousClass = charClass;
  }
  const letters = lower + upper;
  if (letters === 0) return false;
  // hex: only digits and a-f in one case
  if (hexLetters === letters && (lower === 0 || upper === 0)) return false;
  if (letters + digits > MAX_MEAN_RUN * runs) return false;
  if (digits < 2) {
    if (lower === 0 || upper === 0) return false;
    if (symbols > 0 && letters + digits >= 30) return shannonEntropy(token) >= 4;
    return lettersLookRandom(token, lower, upper) && shannonEntropy(token) >= 3.9;
  }
  return shannonEntropy(token) >= MIN_TOKEN_ENTROPY_BITS;
}

/**
 * Mostly letters, both cases in even measure and few vowels: base62 drawn at random, not
 * camelCase words (one capital per word, and English is more than a third vowels).
 */
function lettersLookRandom(token: string, lower: number, upper: number): boolean {
  const letters = lower + upper;
  if (upper < letters * 0.25 || lower < letters * 0.25) return false;
  let vowels = 0;
  for (let i = 0; i < token.length; i++) if (VOWELS.includes(token[i])) vowels++;
  return vowels < letters * 0.3;
}
const VOWELS = 'aeiouAEIOU';

/** What one pass over the text says about which detectors can match at all. */
interface Features {
  digits: number;
  at: boolean;
  assign: boolean;
  longestRun: number;
  dashes: boolean;
}

function featuresOf(text: string): Features {
  let digits = 0;
  let at = false;
  let assign = false;
  let dashes = false;
  let run = 0;
  let longestRun = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 43 || c === 47 || c === 46) {
      run++;
      if (run > longestRun) longestRun = run;
      if (c === 45 && i + 4 < text.length && text.charCodeAt(i + 1) === 45) dashes = true;
      continue;
    }
    run = 0;
    if (c === 64) at = true;
    else if (c === 58 || c === 61) assign = true;
  }
  return { digits, at, assign, longestRun, dashes };
}

/** Whether any detector could match: false for most typed words, at the cost of one pass. */
export function mayHoldSensitive(text: string): boolean {
  if (text.length < 6) return false;
  const f = featuresOf(text);
  return f.at || f.assign || f.dashes || f.digits >= 9 || f.longestRun >= MIN_TOKEN_RUN || !isPlain(text);
}

function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e) return false;
  return true;
}

/** Collects spans over a working copy of the normalized text, masking each accepted one. */
class SpanCollector {
  readonly spans: { start: number; end: number; placeholder: Placeholder; rule: StripRule }[] = [];

  constructor(public text: string) {}

  /** Accepts [start, end) unless a span already covers part of it; returns whether it did. */
  add(start: number, end: number, placeholder: Placeholder, rule: StripRule): boolean {
    if (end <= start) return false;
    const text = this.text;
    for (let i = start; i < end; i++) if (text.charCodeAt(i) === 1) return false;
    this.spans.push({ start, end, placeholder, rule });
    this.text = text.slice(0, start) + MASK.repeat(end - start) + text.slice(end);
    return true;
  }

  /** Every match of `pattern`, whole or its first group, that `accept` takes. */
  scan(pattern: RegExp, placeholder: Placeholder, rule: StripRule, accept?: (match: RegExpExecArray) => boolean, group = false): void {
    const text = this.text;
    pattern.lastIndex = 0;
    const found: [number, number][] = [];
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0].length === 0) {
        pattern.lastIndex++;
        continue;
      }
      if (accept !== undefined && !accept(m)) continue;
      if (group && m[1] !== undefined) {
        const start = m.index + m[0].lastIndexOf(m[1]);
        found.push([start, start + m[1].length]);
      } else found.push([m.index, m.index + m[0].length]);
    }
    for (const [start, end] of found) this.add(start, end, placeholder, rule);
  }
}

/**
 * The spans of PII and secrets in `text`, in the original's indices (obfuscating characters
 * inside a match included), sorted by start, never overlapping.
 */
export function findSpans(original: string): Span[] {
  if (!mayHoldSensitive(original)) return [];
  const normalized = normalizeForMatching(original);
  const text = normalized.text;
  const f = featuresOf(text);
  const c = new SpanCollector(text);

  if (f.dashes && text.includes('PRIVATE KEY')) c.scan(PRIVATE_KEY_BLOCK, '<SECRET>', 'secret');
  if (f.at && text.includes('://')) c.scan(URL_CREDENTIALS, '<SECRET>', 'secret', undefined, true);
  if (f.longestRun >= MIN_TOKEN_RUN) {
    if (text.includes('eyJ')) c.scan(JWT, '<SECRET>', 'secret');
    for (const rule of TOKEN_RULES) c.scan(rule.pattern, '<SECRET>', 'secret');
    c.scan(AUTH_SCHEME, '<SECRET>', 'secret', (m) => looksLikeSecret(m[1]) || /\d/.test(m[1]) || m[0].startsWith('Bearer'), true);
  }
  if (f.assign) c.scan(KEYWORD_VALUE, '<SECRET>', 'secret', (m) => keywordValueIsSecret(m, c.text), true);
  if (f.longestRun >= 32) {
    c.scan(HEX_TOKEN, '<SECRET>', 'secret', (m) => SECRET_CONTEXT.test(c.text.slice(Math.max(0, m.index - HEX_CONTEXT_CHARS), m.index)));
  }
  if (f.at) c.scan(EMAIL, '<EMAIL>', 'pii_email', (m) => !isScpRemote(m, c.text));
  if (f.digits >= 9) {
    if (f.longestRun >= 15 || text.includes(' ')) {
      c.scan(IBAN, '<IBAN>', 'pii_iban', (m) => ibanValid(m[0].replace(/ /g, '').toUpperCase()));
    }
    if (f.digits >= 13) c.scan(CARD, '<CARD>', 'pii_card', (m) => cardGroupsPlausible(m[0]) && luhnValid(digitsOf(m[0])));
    c.scan(SSN, '<SSN>', 'pii_ssn');
    c.scan(SSN_BARE, '<SSN>', 'pii_ssn', (m) => SSN_CONTEXT.test(c.text.slice(Math.max(0, m.index - 30), m.index)));
    c.scan(NANP, '<PHONE>', 'pii_phone', (m) => !DOTTED_QUAD.test(m[0]));
    c.scan(PHONE, '<PHONE>', 'pii_phone', phoneIsPlausible);
  }
  if (f.longestRun >= 20) {
    c.scan(TOKEN, '<SECRET>', 'secret', (m) => looksLikeSecret(m[0]) || (mixesClasses(m[0]) && SECRET_CONTEXT.test(c.text.slice(Math.max(0, m.index - HEX_CONTEXT_CHARS), m.index))));
  }

  const spans = c.spans;
  if (spans.length === 0) return [];
  spans.sort((a, b) => a.start - b.start);
  const { starts, ends } = normalized;
  if (starts === null || ends === null) return spans;
  return spans.map((s) => ({ start: starts[s.start], end: ends[s.end - 1], placeholder: s.placeholder, rule: s.rule }));
}

function keywordValueIsSecret(m: RegExpExecArray, text: string): boolean {
  // a name inside a word (`design`, `monkey`) is not one, unless camelCase starts it (`dbPassword`)
  if (m.index > 0) {
    const before = text.charCodeAt(m.index - 1);
    const first = text.charCodeAt(m.index);
    const beforeIsLower = before >= 97 && before <= 122;
    const beforeIsLetter = beforeIsLower || (before >= 65 && before <= 90);
    if (beforeIsLetter && !(beforeIsLower && first >= 65 && first <= 90)) return false;
  }
  const value = m[1];
  const name = m[0].slice(0, 4).toLowerCase();
  // a password is a secret whatever it looks like; other names want a value that is not a word
  if (name === 'pass' || name === 'pwd' || name.startsWith('pwd')) return true;
  if (/^(?:null|none|true|false|undefined|required|optional|string|number|\*+|x+|\.\.\.)$/i.test(value)) return false;
  if (value.length >= 16) return true;
  return value.length >= 8 && /\d/.test(value) && /[A-Za-z]/.test(value);
}

/** `git@github.com:org/repo.git`: an SSH remote, the account every forge uses, not a person's address. */
function isScpRemote(m: RegExpExecArray, text: string): boolean {
  return m[0].startsWith('git@') && text.charCodeAt(m.index + m[0].length) === 58 /* : */ && (m.index === 0 || !/[\p{L}\p{N}.]/u.test(text[m.index - 1]));
}

/** Printed cards group digits in fours (Amex and Diners 4-6-5 and 4-6-4), or not at all. */
function cardGroupsPlausible(match: string): boolean {
  const groups = match.split(/[ .-]/);
  if (groups.length === 1) return true;
  const lengths = groups.map((g) => g.length);
  if (lengths.length === 3 && lengths[0] === 4 && lengths[1] === 6 && (lengths[2] === 5 || lengths[2] === 4)) return true;
  for (let i = 0; i < lengths.length - 1; i++) if (lengths[i] !== 4) return false;
  return lengths[lengths.length - 1] <= 4;
}

/** Letters and digits, or both cases, mixed: after a secret's name, enough to call a token a secret. */
function mixesClasses(token: string): boolean {
  const hasDigit = /\d/.test(token);
  const hasLower = /[a-z]/.test(token);
  const hasUpper = /[A-Z]/.test(token);
  return (hasDigit ? 1 : 0) + (hasLower ? 1 : 0) + (hasUpper ? 1 : 0) >= 2;
}

function phoneIsPlausible(m: RegExpExecArray): boolean {
  const match = m[0];
  if (DOTTED_QUAD.test(match)) return false;
  const digits = digitsOf(match).length;
  if (digits < 9 || digits > 15) return false;
  const plus = m[1];
  const first = m[2];
  // international, a parenthesized area code, a national trunk prefix, or at least three groups
  if (plus !== undefined || first.charCodeAt(0) === 40 /* ( */) return true;
  const leadingZero = first.charCodeAt(0) === 48; /* a national trunk prefix */
  // dots alone join version numbers (`122.0.5140.116`); a dotted phone is 415.555.0100 (NANP) or 01.23.45.67.89
  if (!/[ -]/.test(match)) return leadingZero && /^0\d(?:\.\d\d){4}$/.test(match);
  if (leadingZero && digits >= 10 && digits <= 12) return true;
  return groupCount(match) >= 3;
}

/** Replaces every span in `text` with its placeholder. */
export function applySpans(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + span.placeholder;
    at = span.end;
  }
  return out + text.slice(at);
}
