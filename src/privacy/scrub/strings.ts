// The kept strings other than typed text: window titles, app names, URLs, frame references and
// key names get the same detectors as typed text, and no raw id of the stream survives in any of
// them (a frame reference that names the device and the user, a title that names a chat
// participant). URLs lose their userinfo and the values of their query parameters and
// fragments (the names stay: `?token=&page=`), since that is where sessions, tokens and
// addresses ride along; the rest of a URL goes through the detectors.
//
// Raw ids: the episode's device and user id, and every user id the registry has named (a
// participant in a kept window is always one: an unknown participant makes the window EU-linked,
// and its text is not kept). Ids shorter than MIN_ID_LENGTH are not looked for: they would match
// inside ordinary words.
import type { PrivacyAudit } from '../audit.ts';
import { applySpans, findSpans } from './detect.ts';

export const MIN_ID_LENGTH = 4;
const DEVICE = '<DEVICE>';
const USER = '<USER>';

/** Finds any of a growing set of ids in text: a two-character filter first, then the ids that start there. */
class IdIndex {
  private readonly byPrefix = new Map<number, string[]>();
  private readonly firstChars = new Uint8Array(65536);
  indexed = 0;

  add(id: string): void {
    if (id.length < MIN_ID_LENGTH) return;
    const key = id.charCodeAt(0) * 65536 + id.charCodeAt(1);
    this.firstChars[id.charCodeAt(0)] = 1;
    const list = this.byPrefix.get(key);
    if (list === undefined) this.byPrefix.set(key, [id]);
    else list.push(id);
  }

  /** The longest id starting at each position, as [start, end) spans, left to right, not overlapping. */
  find(text: string): [number, number][] {
    let found: [number, number][] | null = null;
    const firstChars = this.firstChars;
    for (let i = 0; i + MIN_ID_LENGTH <= text.length; i++) {
      if (firstChars[text.charCodeAt(i)] === 0) continue;
      const list = this.byPrefix.get(text.charCodeAt(i) * 65536 + text.charCodeAt(i + 1));
      if (list === undefined) continue;
      let best = 0;
      for (const id of list) if (id.length > best && text.startsWith(id, i)) best = id.length;
      if (best === 0) continue;
      (found ??= []).push([i, i + best]);
      i += best - 1;
    }
    return found ?? [];
  }
}

export class StringScrubber {
  private readonly people = new IdIndex();
  private deviceId = '';
  private userId = '';

  constructor(private readonly audit: PrivacyAudit) {}

  /** Indexes the user ids named since the last call (the registry only ever adds). */
  addUserIds(ids: readonly string[]): void {
    for (let i = this.people.indexed; i < ids.length; i++) this.people.add(ids[i]);
    this.people.indexed = ids.length;
  }

  /** The raw ids of the episode being written. */
  setEpisode(deviceId: string, userId: string): void {
    this.deviceId = deviceId;
    this.userId = userId;
  }

  /** A title, an app name, a key name, typed text already scrubbed: raw ids, then the detectors. */
  text(value: string): string {
    const withoutIds = this.withoutIds(value);
    const spans = findSpans(withoutIds);
    if (spans.length === 0) return withoutIds;
    for (const span of spans) this.audit.strip(span.rule);
    return applySpans(withoutIds, spans);
  }

  /** Raw ids only: for text the detectors have already read. */
  withoutIds(value: string): string {
    let out = value;
    if (this.deviceId.length >= MIN_ID_LENGTH && out.includes(this.deviceId)) {
      const parts = out.split(this.deviceId);
      this.audit.strip('raw_id', parts.length - 1);
      out = parts.join(DEVICE);
    }
    if (this.userId.length >= MIN_ID_LENGTH && out.includes(this.userId)) {
      const parts = out.split(this.userId);
      this.audit.strip('raw_id', parts.length - 1);
      out = parts.join(USER);
    }
    const people = this.people.find(out);
    if (people.length === 0) return out;
    this.audit.strip('raw_id', people.length);
    let replaced = '';
    let at = 0;
    for (const [start, end] of people) {
      replaced += out.slice(at, start) + USER;
      at = end;
    }
    return replaced + out.slice(at);
  }

  /** A URL: no userinfo, no values of query parameters or fragments; the rest as text. */
  url(value: string): string {
    return this.text(this.withoutUrlValues(value));
  }

  /** A frame reference: a URL when it has a scheme or a query, a path otherwise. */
  reference(value: string): string {
    return value.includes('://') || value.includes('?') || value.includes('#') ? this.url(value) : this.text(value);
  }

  private withoutUrlValues(url: string): string {
    let rest = url;
    let fragment = '';
    const hash = rest.indexOf('#');
    if (hash >= 0) {
      fragment = '#' + keepNames(rest.slice(hash + 1), false);
      rest = rest.slice(0, hash);
    }
    let query = '';
    const question = rest.indexOf('?');
    if (question >= 0) {
      query = '?' + keepNames(rest.slice(question + 1), true);
      rest = rest.slice(0, question);
    }
    const scheme = rest.indexOf('://');
    if (scheme >= 0) {
      const authorityStart = scheme + 3;
      let authorityEnd = rest.indexOf('/', authorityStart);
      if (authorityEnd < 0) authorityEnd = rest.length;
      const at = rest.lastIndexOf('@', authorityEnd - 1);
      if (at >= authorityStart) rest = rest.slice(0, authorityStart) + rest.slice(at + 1);
    }
    const out = rest + query + (fragment === '#' ? '' : fragment);
    if (out !== url) this.audit.strip('url_values');
    return out;
  }
}

/**
 * `a=1&b=2` -> `a=&b=`. A query part without '=' is a value (`?jane@example.com`) and goes; a
 * fragment without '=' (an anchor, an app's route and message id) goes whole.
 */
function keepNames(part: string, query: boolean): string {
  if (!part.includes('=')) return '';
  const pairs = part.split(/[&;]/);
  const names: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq > 0) names.push(pair.slice(0, eq) + '=');
  }
  return query || names.length > 0 ? names.join('&') : '';
}
