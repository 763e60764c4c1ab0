// The privacy gate: decides, event by event, what of one device's stream may be written.
//
// The sessionizer feeds it each device's events in (ts, seq) order, control events included, and
// honours its verdicts. Decisions depend only on the registry, the settings and the device's
// events so far, so replay and Kafka decide alike, whatever the batch boundaries.
//
// Order of the rules for one event:
//   1. the device state follows every event, even ones dropped below (window, geo, pause, held
//      modifiers): a window entered during an exemption or a pause is still the window afterwards.
//   2. person: erased, unknown to the registry, home region not captured -> drop.
//   3. exemption covering event.ts -> drop; a boundary instead when something was kept since the
//      last boundary, so the open episode ends.
//   4. pause -> boundary; resume -> drop (it only ends the pause); ts inside a pause -> drop.
//   5. sensitive window current -> drop, mouse included; a boundary when entering it or when
//      something was kept since the last boundary.
//   6. unknown window -> drop, mouse included (counted as unknown_window); a boundary when an
//      unreadable focus makes it unknown or when something was kept since the last boundary.
//   7. keep, stripped: see `strip`.
//
// Fail-closed choices:
// - before the device's first focus event the window is unknown: it may be a sensitive app, so
//   nothing of the device is written, clicks included, until a focus says where we are. A focus
//   event without a readable context makes the window unknown again.
// - a window is EU-linked when any participant is EU, unknown to the registry or erased, when a
//   participant list or tag list is unreadable, or when its tags meet eu_tags. The device's geo
//   (the latest `geo` on any of its events) being EU strips content in every window; a geo that
//   is not a 2-letter code counts as EU.
// - a window with no readable app name counts as sensitive.
// - a pause with a missing or invalid duration lasts max_pause_ms; a second pause never shortens
//   the first.
// - `secure` set to anything but false, or a `redacted` mark the agent set itself (only the gate
//   may set it), strips the event as secure input.
// - a key code is kept where typing is stripped only when known to print nothing (see keys.ts) or
//   held with ctrl/meta (a shortcut) and a known W3C code; AltGr and Option combinations count as
//   typing, and a `key` that is no key code is text, stripped whatever is held.
import type { PrivacySettings } from '../config.ts';
import { copyInputEvent, type InputEvent, type Redaction, type WindowContext } from '../contract/events.ts';
import type { BoundaryReason, EventGate, LateRestriction } from '../contract/gate.ts';
import type { EndReason } from '../contract/episode.ts';
import type { DropRule, PrivacyAudit } from './audit.ts';
import { isKeyCode, modifierBits } from '../contract/keys.ts';
import { heldModifierOfCode, isNonPrintingCode, isShortcut } from './keys.ts';
import { normalizeRegion, type Registry } from './registry.ts';

export type GateResult =
  /** the event, or a stripped copy: the kept event holds nothing that may not be written. */
  | { readonly verdict: 'keep'; readonly event: InputEvent }
  /** not written; the gate has counted it. */
  | { readonly verdict: 'drop'; readonly rule: DropRule }
  /** ends the device's open episode; the event itself is not kept (and is counted as dropped). */
  | { readonly verdict: 'boundary'; readonly reason: BoundaryReason };

/** What the gate knows about one device, from its events so far. */
export class DevicePrivacyState {
  /** a readable focus event has been seen since the start or since the last unreadable one. */
  contextKnown = false;
  contextEuLinked = false;
  contextSensitive = false;
  /** the latest geo seen on the device is EU (or unreadable). */
  geoEu = false;
  /** events with ts before this are paused; -Infinity when no pause is running. */
  pausedUntil = -Infinity;
  /** ts of the latest focus and of the latest geo the device placed: a late one before them is not the current one. */
  focusTs = -Infinity;
  geoTs = -Infinity;
  /** command modifiers held down, from modifier key events, for agents that send no `modifiers`. */
  heldModifiers = 0;
  /** an event was kept since the last boundary: an episode may be open. */
  keptSinceBoundary = false;
  /**
   * What the registry said about the device's person, looked up once per person and registry
   * version instead of four lookups per event: the drop rule that applies whatever the time
   * (erased, unknown, region not captured), or null; and whether any exemption needs checking.
   */
  personUserId: string | null = null;
  personVersion = -1;
  personDrop: DropRule | null = null;
  personHasExemptions = false;
}

const DROP: { readonly [R in DropRule]: GateResult } = {
  unknown_person: Object.freeze({ verdict: 'drop', rule: 'unknown_person' }),
  not_captured_region: Object.freeze({ verdict: 'drop', rule: 'not_captured_region' }),
  erased: Object.freeze({ verdict: 'drop', rule: 'erased' }),
  exempt: Object.freeze({ verdict: 'drop', rule: 'exempt' }),
  paused: Object.freeze({ verdict: 'drop', rule: 'paused' }),
  sensitive_context: Object.freeze({ verdict: 'drop', rule: 'sensitive_context' }),
  unknown_window: Object.freeze({ verdict: 'drop', rule: 'unknown_window' }),
};

const BOUNDARY: { readonly [R in BoundaryReason]: GateResult } = {
  pause: Object.freeze({ verdict: 'boundary', reason: 'pause' }),
  sensitive: Object.freeze({ verdict: 'boundary', reason: 'sensitive' }),
  exempt: Object.freeze({ verdict: 'boundary', reason: 'exempt' }),
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lowerSet(values: readonly string[]): ReadonlySet<string> {
  return new Set(values.map((v) => v.trim().toLowerCase()));
}

/** true when any tag is in `set`; an unreadable tag list counts as a match (fail closed). */
function tagsMeet(tags: unknown, set: ReadonlySet<string>): boolean {
  if (tags === undefined || tags === null) return false;
  if (!Array.isArray(tags)) return true;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    if (typeof tag !== 'string' || set.has(tag.trim().toLowerCase())) return true;
  }
  return false;
}

/** The settings as the gate reads them: normalized names in sets. */
interface PrivacyRules {
  readonly captureRegions: ReadonlySet<string>;
  readonly euRegions: ReadonlySet<string>;
  readonly euTags: ReadonlySet<string>;
  readonly sensitiveApps: ReadonlySet<string>;
  readonly sensitiveUrlPrefixes: readonly string[];
  readonly sensitiveTags: ReadonlySet<string>;
}

// Built once per distinct settings, not per gate: the Kafka source runs a gate per device, and
// 50k gates each building the same sets held about 2 KB apiece. Keyed by content, since a config
// object may be changed between pipelines.
const rulesBySettings = new Map<string, PrivacyRules>();
const MAX_CACHED_RULES = 64;

function rulesOf(settings: PrivacySettings): PrivacyRules {
  const key = JSON.stringify([settings.capture_regions, settings.eu_regions, settings.eu_tags, settings.sensitive_contexts]);
  let rules = rulesBySettings.get(key);
  if (rules === undefined) {
    rules = {
      captureRegions: new Set(settings.capture_regions.map(normalizeRegion)),
      euRegions: new Set(settings.eu_regions.map(normalizeRegion)),
      euTags: lowerSet(settings.eu_tags),
      sensitiveApps: lowerSet(settings.sensitive_contexts.apps),
      sensitiveUrlPrefixes: settings.sensitive_contexts.url_prefixes.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0),
      sensitiveTags: lowerSet(settings.sensitive_contexts.tags),
    };
    if (rulesBySettings.size >= MAX_CACHED_RULES) rulesBySettings.clear();
    rulesBySettings.set(key, rules);
  }
  return rules;
}

export class PrivacyGate implements EventGate<DevicePrivacyState> {
  private readonly rules: PrivacyRules;
  private readonly maxPauseMs: number;

  constructor(
    settings: PrivacySettings,
    private readonly registry: Registry,
    private readonly audit: PrivacyAudit,
  ) {
    this.rules = rulesOf(settings);
    this.maxPauseMs = settings.max_pause_ms;
  }

  newDeviceState(): DevicePrivacyState {
    return new DevicePrivacyState();
  }

  admit(event: InputEvent, state: DevicePrivacyState): GateResult {
    const type = event.type;
    const wasSensitive = state.contextSensitive;
    const wasUnknown = !state.contextKnown;
    this.observe(event, state);

    const registry = this.registry;
    const userId = event.user_id;
    if (state.personVersion !== registry.version || state.personUserId !== userId) this.lookUpPerson(userId, state);
    if (state.personDrop !== null) return this.dropped(state.personDrop);

    const exemption = state.personHasExemptions ? registry.exemptionAt(userId, event.ts) : null;
    if (exemption !== null) {
      this.audit.drop('exempt');
      this.audit.exemption(exemption);
      return state.keptSinceBoundary ? this.boundary('exempt', state) : DROP.exempt;
    }

    if (type === 'pause') {
      this.audit.drop('paused');
      return this.boundary('pause', state);
    }
    if (type === 'resume' || event.ts < state.pausedUntil) return this.dropped('paused');

    if (state.contextSensitive) {
      this.audit.drop('sensitive_context');
      const entering = type === 'focus' && !wasSensitive;
      return entering || state.keptSinceBoundary ? this.boundary('sensitive', state) : DROP.sensitive_context;
    }

    if (!state.contextKnown) {
      this.audit.drop('unknown_window');
      const entering = type === 'focus' && !wasUnknown;
      return entering || state.keptSinceBoundary ? this.boundary('sensitive', state) : DROP.unknown_window;
    }

    state.keptSinceBoundary = true;
    // one result object per gate, refilled: the sessionizer reads it before the next call
    const keep = this.keep;
    keep.event = this.strip(event, state);
    return keep;
  }

  private readonly keep: { verdict: 'keep'; event: InputEvent } = { verdict: 'keep', event: undefined as unknown as InputEvent };

  /**
   * Asked again when an episode closes, since the registry may have changed while it was open: an
   * erasure, a move out of the captured regions, or an exemption reaching back into the episode
   * (the events were let through before it was known) keeps the whole episode from being written.
   * Counts its events under the rule that stops it; true when it may be written.
   */
  admitsClosedEpisode(userId: string, startTs: number, endTs: number, nEvents: number): boolean {
    const rule = this.personRule(userId);
    if (rule !== null) {
      this.audit.drop(rule, nEvents);
      return false;
    }
    const exemption = this.registry.exemptionDuring(userId, startTs, endTs);
    if (exemption !== null) {
      this.audit.drop('exempt', nEvents);
      this.audit.exemption(exemption, nEvents);
      return false;
    }
    return true;
  }

  /** What drops the person's events whatever their time (erased, unknown, region not captured), or null. */
  private personRule(userId: string): DropRule | null {
    const registry = this.registry;
    if (registry.isErased(userId)) return 'erased';
    const region = registry.regionOf(userId);
    if (region === undefined) return 'unknown_person';
    return this.rules.captureRegions.has(region) ? null : 'not_captured_region';
  }

  private lookUpPerson(userId: string, state: DevicePrivacyState): void {
    state.personUserId = userId;
    state.personVersion = this.registry.version;
    state.personDrop = this.personRule(userId);
    state.personHasExemptions = this.registry.hasExemptions(userId);
  }

  private dropped(rule: DropRule): GateResult {
    this.audit.drop(rule);
    return DROP[rule];
  }

  private boundary(reason: BoundaryReason, state: DevicePrivacyState): GateResult {
    state.keptSinceBoundary = false;
    return BOUNDARY[reason];
  }

  /** A pause lasts its requested `duration_ms`, at most `max_pause_ms`; a missing or invalid duration means the cap. */
  pauseEnd(event: InputEvent): number {
    const requested = event.duration_ms;
    const duration =
      typeof requested === 'number' && Number.isFinite(requested) && requested > 0 ? Math.min(requested, this.maxPauseMs) : this.maxPauseMs;
    return event.ts + duration;
  }

  /** Updates the device state from any event, whatever the verdict on it. */
  private observe(event: InputEvent, state: DevicePrivacyState): void {
    if (event.geo !== undefined) {
      state.geoEu = this.isEuGeo(event.geo);
      state.geoTs = event.ts;
    }
    switch (event.type) {
      case 'focus':
        this.observeFocus(event.context, state);
        state.focusTs = event.ts;
        return;
      case 'pause': {
        const until = this.pauseEnd(event);
        if (until > state.pausedUntil) state.pausedUntil = until;
        return;
      }
      case 'resume':
        state.pausedUntil = -Infinity;
        return;
      case 'key_down':
      case 'key_up': {
        const code = event.key;
        const bit = typeof code === 'string' ? heldModifierOfCode(code) : 0;
        if (bit !== 0) state.heldModifiers = event.type === 'key_down' ? state.heldModifiers | bit : state.heldModifiers & ~bit;
        return;
      }
      case 'lock':
        // keys held when the screen locked are not held after it
        state.heldModifiers = 0;
        return;
    }
  }

  /** a geo that is not a two-letter code counts as EU. */
  private isEuGeo(geo: unknown): boolean {
    return typeof geo !== 'string' || geo.trim().length !== 2 || this.rules.euRegions.has(normalizeRegion(geo));
  }

  /**
   * A control record older than what the device already placed. When it restricts (a focus into
   * an EU-linked, sensitive or unreadable window, a geo in the EU, a pause, a lock), the device's
   * state takes its reading where it is the latest of its kind in event order (the window, the
   * geo), or the wider pause; only ever towards restriction, never loosening what a later record
   * set. Returns the stretch it covers (up to the next focus or geo the device placed after it, if
   * any), or null for a record that restricts nothing, which is dropped. A focus into a plain
   * window loosens nothing either, but the windows recorded for what it covers were not the ones
   * in front: their titles and urls go (`untitle`). Counted in the audit.
   */
  lateRestriction(event: InputEvent, state: DevicePrivacyState): LateRestriction | null {
    const ts = event.ts;
    let kind: LateRestriction['kind'] | null = null;
    let reason: EndReason = 'sensitive';
    let until = -Infinity;
    if (event.geo !== undefined && this.isEuGeo(event.geo)) {
      kind = 'strip';
      if (ts >= state.geoTs) {
        state.geoEu = true;
        until = Infinity;
      } else until = state.geoTs;
    }
    switch (event.type) {
      case 'focus': {
        const context = event.context as unknown;
        const unknown = !isObject(context);
        const sensitive = !unknown && this.isSensitive(context);
        const euLinked = unknown || this.isEuLinked(context);
        const latest = ts >= state.focusTs;
        if (!unknown && !sensitive && !euLinked) {
          // a plain window loosens nothing; what was kept after it was recorded in another window
          if (kind === null) {
            this.audit.late('loosening_dropped');
            return { kind: 'untitle', from: ts, until: latest ? Infinity : state.focusTs, reason };
          }
          break;
        }
        if (unknown || sensitive) kind = 'cut';
        else kind ??= 'strip';
        until = Math.max(until, latest ? Infinity : state.focusTs);
        if (latest) {
          if (unknown) state.contextKnown = false;
          if (sensitive) state.contextSensitive = true;
          state.contextEuLinked = true;
        }
        break;
      }
      case 'pause': {
        const end = this.pauseEnd(event);
        if (end > state.pausedUntil) state.pausedUntil = end;
        kind = 'cut';
        reason = 'pause';
        until = Math.max(until, end);
        break;
      }
      case 'lock':
        kind = 'cut';
        reason = 'lock';
        until = Infinity;
        break;
    }
    if (kind === null) {
      this.audit.late('loosening_dropped');
      return null;
    }
    this.audit.late('applied');
    return { kind, from: ts, until, reason };
  }

  private observeFocus(context: unknown, state: DevicePrivacyState): void {
    if (!isObject(context)) {
      state.contextKnown = false;
      state.contextEuLinked = true;
      state.contextSensitive = false;
      return;
    }
    state.contextKnown = true;
    state.contextSensitive = this.isSensitive(context);
    state.contextEuLinked = this.isEuLinked(context);
  }

  private isSensitive(context: Record<string, unknown>): boolean {
    const app = context.app;
    if (typeof app !== 'string' || app.trim().length === 0) return true;
    if (this.rules.sensitiveApps.has(app.trim().toLowerCase())) return true;
    const url = context.url;
    if (typeof url === 'string' && this.rules.sensitiveUrlPrefixes.length > 0) {
      const lower = url.trim().toLowerCase();
      for (const prefix of this.rules.sensitiveUrlPrefixes) if (lower.startsWith(prefix)) return true;
    }
    return tagsMeet(context.tags, this.rules.sensitiveTags);
  }

  private isEuLinked(context: Record<string, unknown>): boolean {
    const participants = context.participants;
    if (participants !== undefined && participants !== null) {
      if (!Array.isArray(participants)) return true;
      const registry = this.registry;
      for (let i = 0; i < participants.length; i++) {
        const p = participants[i];
        if (typeof p !== 'string' || registry.isErased(p)) return true;
        const region = registry.regionOf(p);
        if (region === undefined || this.rules.euRegions.has(region)) return true;
      }
    }
    return tagsMeet(context.tags, this.rules.euTags);
  }

  /**
   * The event as it may be written. The input is never changed: what needs stripping is copied.
   * Where typing content is stripped (EU-linked window, EU geo): `char`, the code of
   * printable keys, clipboard `text`, `frame_uri`, and the window's title and url. Secure input:
   * `char`, printable codes and `text`, in any window. Always: a focus event's participants and
   * tags, and any `context` on a non-focus event (only focus events set the window).
   */
  private strip(event: InputEvent, state: DevicePrivacyState): InputEvent {
    const euActive = !state.contextKnown || state.contextEuLinked || state.geoEu;
    const secure = (event.secure !== undefined && event.secure !== false) || event.redacted !== undefined;
    const type = event.type;
    if (type !== 'focus' && event.context === undefined && event.eu_linked === undefined && event.redacted === undefined) {
      if (!euActive && !secure) return event;
      // nothing to strip or mark (moves, presses and scrolls in an EU-linked window): a copy would
      // be the event again, and these were most of the copies made
      if (type !== 'key_down' && type !== 'key_up' && event.char === undefined && event.key === undefined && event.text === undefined && event.frame_uri === undefined) return event;
    }

    // fields are set to undefined, never deleted: a deleted property would change the object's shape
    const copy = copyInputEvent(event);
    copy.redacted = undefined;
    copy.eu_linked = undefined;
    const audit = this.audit;
    const rule: Redaction = secure ? 'secure_input' : 'eu_context';
    let stripped = 0;

    if (euActive || secure) {
      if (copy.char !== undefined) {
        copy.char = undefined;
        stripped++;
      }
      if (copy.text !== undefined) {
        copy.text = undefined;
        stripped++;
      }
      const code = copy.key;
      if (code !== undefined && (typeof code !== 'string' || !isNonPrintingCode(code))) {
        const modifiers = Array.isArray(copy.modifiers) ? modifierBits(copy.modifiers) : state.heldModifiers;
        // a shortcut keeps its key only when that is a key code: ctrl plus any other string is text
        if (typeof code !== 'string' || !isShortcut(modifiers) || !isKeyCode(code)) {
          copy.key = undefined;
          stripped++;
        }
      }
    }
    if (euActive && copy.frame_uri !== undefined) {
      copy.frame_uri = undefined;
      stripped++;
    }

    if (type === 'focus') {
      stripped += this.stripContext(copy, euActive);
      copy.eu_linked = euActive;
    } else if (copy.context !== undefined) {
      copy.context = undefined;
    }

    if (stripped > 0) audit.strip(rule, stripped);
    // every keystroke in a stripped window is marked, so the reducer keeps no timing for any of them
    if (stripped > 0 || ((euActive || secure) && (type === 'key_down' || type === 'key_up')) || (type === 'focus' && euActive)) {
      copy.redacted = rule;
    }
    return copy;
  }

  /** Replaces a focus event's context with what may be written; returns the fields stripped as content. */
  private stripContext(copy: InputEvent, euActive: boolean): number {
    const context = copy.context as unknown;
    if (!isObject(context)) {
      copy.context = undefined;
      return 0;
    }
    const participants = context.participants;
    if (Array.isArray(participants) ? participants.length > 0 : participants !== undefined && participants !== null) {
      this.audit.strip('participants');
    }
    let stripped = 0;
    let title = typeof context.title === 'string' ? context.title : null;
    let url = typeof context.url === 'string' ? context.url : null;
    if (euActive) {
      if (title !== null) stripped++;
      if (url !== null) stripped++;
      title = null;
      url = null;
    }
    const written: WindowContext = { app: context.app as string, title, url, participants: [], tags: [] };
    copy.context = written;
    return stripped;
  }
}

