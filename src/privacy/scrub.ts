// PII and secrets in text that is kept (typed text, pasted clipboard text): each match becomes a
// typed placeholder, so a model still sees that an e-mail address was typed, never which one.
//
// Order matters: whole secrets first (a private-key block or JWT contains runs that look like
// anything), then shapes with a checksum (IBAN mod 97, cards by Luhn), then looser shapes. The
// checksums keep order numbers and ids out of <CARD>/<IBAN>; without a valid checksum a number is
// left to the later rules. What is not caught: PII spelled out in words, 9-digit SSNs without
// separators, and PII typed across two `type` actions (the reducer splits typing at pauses).
import type { Action } from '../contract/episode.ts';
import { PrivacyAudit, type StripRule } from './audit.ts';

const PRIVATE_KEY_BLOCK =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z0-9 ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY[A-Z0-9 ]*-----|$)/g;
/** header.payload.signature; headers are JSON objects, so base64url `eyJ` ({"). Signature may be empty (alg none). */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** AWS access key ids: long-term (AKIA), temporary (ASIA) and the other documented prefixes. */
const AWS_ACCESS_KEY = /\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** compact, or in groups of four as printed on statements. */
const IBAN = /\b[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,3})?)\b/g;
/** 13-19 digits, optionally grouped by single spaces or dashes. */
const CARD = /(?<![\d+-])\d(?:[ -]?\d){12,18}(?!\d)/g;
/** US SSN (and ITIN) as written: 3-2-4 digits with the same separator twice. */
const SSN = /(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])/g;
/** digit groups with separators, optionally international or with an area code in parentheses. */
const PHONE = /(?<![\w.+-])(\+)?(\(\d{1,4}\)|\d{1,15})(?:[ .-]?\(\d{1,4}\)|[ .-]\d{1,10})*(?![\w:]|[.-]\d)/g;
/** an IPv4 address is not a phone number. */
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;
/** candidates for high-entropy tokens: API keys, session tokens, secret access keys, hashes. */
const TOKEN = /[A-Za-z0-9+/_-]{20,}={0,2}/g;

const MIN_TOKEN_ENTROPY_BITS = 3.3;
const MAX_MEAN_RUN = 2.5;
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

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
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
 * A token is a secret when it mixes letters and digits and looks random: in hex and base64 the
 * character class (lower, upper, digit) changes every one or two characters, while words, slugs,
 * paths and identifiers run in long stretches of one class (`useEffect_2024_component`,
 * `report_2024_03_02_final`) or hold a single digit (`getElementById2`).
 */
function looksLikeSecret(token: string): boolean {
  let letters = 0;
  let digits = 0;
  let runs = 0;
  let previousClass = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    let charClass: number;
    if (c >= 48 && c <= 57) {
      digits++;
      charClass = DIGIT;
    } else if (c >= 65 && c <= 90) {
      letters++;
      charClass = UPPER;
    } else if (c >= 97 && c <= 122) {
      letters++;
      charClass = LOWER;
    } else continue; // separators neither start nor end a run
    if (charClass !== previousClass) runs++;
    previousClass = charClass;
  }
  if (letters === 0 || digits < 2) return false;
  if (letters + digits > MAX_MEAN_RUN * runs) return false;
  return shannonEntropy(token) >= MIN_TOKEN_ENTROPY_BITS;
}

/** Replaces every PII or secret match in `text` with its placeholder and counts the matches. */
export function scrubText(text: string, audit: PrivacyAudit): string {
  if (text.length < 6) return text;
  let out = text;
  const count = (rule: StripRule, placeholder: string) => () => {
    audit.strip(rule);
    return placeholder;
  };
  if (out.includes('-----BEGIN')) out = out.replace(PRIVATE_KEY_BLOCK, count('secret', '<SECRET>'));
  if (out.includes('eyJ')) out = out.replace(JWT, count('secret', '<SECRET>'));
  out = out.replace(AWS_ACCESS_KEY, count('secret', '<SECRET>'));
  if (out.includes('@')) out = out.replace(EMAIL, count('pii_email', '<EMAIL>'));
  out = out.replace(IBAN, (match) => {
    if (!ibanValid(match.replace(/ /g, '').toUpperCase())) return match;
    audit.strip('pii_iban');
    return '<IBAN>';
  });
  out = out.replace(CARD, (match) => {
    const digits = match.replace(/[ -]/g, '');
    if (!luhnValid(digits)) return match;
    audit.strip('pii_card');
    return '<CARD>';
  });
  out = out.replace(SSN, count('pii_ssn', '<SSN>'));
  out = out.replace(PHONE, (match, plus: string | undefined, first: string) => {
    const digits = digitCount(match);
    if (DOTTED_QUAD.test(match)) return match;
    if (digits < 9 || digits > 15) return match;
    // international, a parenthesized area code, or at least three groups: not a lone number
    if (plus === undefined && first.charCodeAt(0) !== 40 /* ( */ && groupCount(match) < 3) return match;
    audit.strip('pii_phone');
    return '<PHONE>';
  });
  out = out.replace(TOKEN, (match) => {
    if (!looksLikeSecret(match)) return match;
    audit.strip('secret');
    return '<SECRET>';
  });
  return out;
}

function hasText(action: Action): action is Action & { text: string } {
  return action.text !== null && action.text !== undefined && action.text.length > 0;
}

/**
 * Scrubs, in place, the text of every action that carries some (typed text, pasted clipboard text).
 * A typing run cut by a pause of over a second can split an e-mail address or a card number across
 * two `type` actions, where neither half matches: adjacent typing in one window is therefore also
 * scrubbed as one text, and where that finds a match the pieces missed, the run's text is kept
 * whole (scrubbed) in its first action and the others keep none.
 */
export function scrubActions(actions: Action[], audit: PrivacyAudit): void {
  let i = 0;
  while (i < actions.length) {
    const action = actions[i];
    if (action.kind === 'type' && hasText(action)) {
      let end = i + 1;
      while (end < actions.length && actions[end].kind === 'type' && hasText(actions[end]) && actions[end].context === action.context) end++;
      if (end - i > 1) {
        scrubTypingRun(actions, i, end, audit);
        i = end;
        continue;
      }
    }
    if (hasText(action)) action.text = scrubText(action.text, audit);
    i++;
  }
}

function scrubTypingRun(actions: Action[], from: number, to: number, audit: PrivacyAudit): void {
  const piecesAudit = new PrivacyAudit();
  const pieces: string[] = [];
  let joined = '';
  for (let k = from; k < to; k++) {
    const text = actions[k].text!;
    pieces.push(scrubText(text, piecesAudit));
    joined += text;
  }
  const wholeAudit = new PrivacyAudit();
  const whole = scrubText(joined, wholeAudit);
  if (whole === pieces.join('')) {
    for (let k = from; k < to; k++) actions[k].text = pieces[k - from];
    audit.merge(piecesAudit);
    return;
  }
  actions[from].text = whole;
  for (let k = from; k < to; k++) {
    if (k > from) actions[k].text = '';
    // the keystroke offsets no longer line up with the text
    actions[k].key_times_ms = null;
  }
  audit.merge(wholeAudit);
}
