// What the privacy stages did, as counts per rule only: the manifest and `inspect --privacy`
// print these. Nothing here is per person, per device or per time: totals for the whole run.
import { EXEMPTION_REASONS, type ExemptionReason } from '../contract/events.ts';

/** Why an event was not written (droppedEvents). */
export const DROP_RULES = [
  'unknown_person', // user not in the registry
  'not_captured_region', // home region not in capture.regions
  'erased', // an erasure record exists for the user
  'exempt', // an exemption covers the event's time
  'paused', // inside a pause window; pause and resume events themselves too
  'sensitive_context', // the current window is a sensitive app, URL or tag
  'unknown_window', // no readable focus event yet for the device: where it types is not known
] as const;
export type DropRule = (typeof DROP_RULES)[number];

/** Why a field was taken out of an event or a text (strippedFields, one count per field or match). */
export const STRIP_RULES = [
  'eu_context', // char, printable key, clipboard text, frame_uri, title, url in EU-linked or unknown contexts
  'secure_input', // char and printable key of secure fields
  'participants', // participant lists of focus events: never written, any context
  'pii_email',
  'pii_phone',
  'pii_card',
  'pii_ssn',
  'pii_iban',
  'secret', // token shapes of well-known providers, credentials in URLs, private-key blocks, JWTs, high-entropy tokens
  'raw_id', // a raw device or user id inside a written string (frame reference, title, text)
  'url_values', // URLs written without userinfo and without the values of query parameters and fragments
] as const;
export type StripRule = (typeof STRIP_RULES)[number];

export type PrivacyRule = DropRule | StripRule;

/** What became of control records that came later than the grace period (lateControl). */
export const LATE_CONTROL_OUTCOMES = [
  'applied', // restrictive: applied from its ts to what was open and what comes (docs/PRIVACY.md)
  'loosening_dropped', // would have loosened (a focus into a plain window, a resume, ...): dropped
  'beyond_limit', // restrictive but later than privacy.late_control_ms: applied, and a dead letter
] as const;
export type LateControlOutcome = (typeof LATE_CONTROL_OUTCOMES)[number];

function zeroCounts(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = 0;
  return counts;
}

function sorted(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(counts).sort()) out[key] = counts[key];
  return out;
}

export class PrivacyAudit {
  // Every rule starts at 0: an audit that lists a rule with 0 says it ran and matched nothing.
  readonly droppedEvents: Record<string, number> = zeroCounts(DROP_RULES);
  readonly strippedFields: Record<string, number> = zeroCounts(STRIP_RULES);
  /** exemption reasons, counted per dropped event (so they add up to droppedEvents.exempt). */
  readonly exemptionReasons: Record<string, number> = zeroCounts(EXEMPTION_REASONS);
  /** control records later than the grace period, by what became of them. */
  readonly lateControl: Record<string, number> = zeroCounts(LATE_CONTROL_OUTCOMES);

  drop(rule: DropRule, n = 1): void {
    this.droppedEvents[rule] = (this.droppedEvents[rule] ?? 0) + n;
  }

  strip(rule: StripRule, n = 1): void {
    this.strippedFields[rule] = (this.strippedFields[rule] ?? 0) + n;
  }

  exemption(reason: ExemptionReason, n = 1): void {
    this.exemptionReasons[reason] = (this.exemptionReasons[reason] ?? 0) + n;
  }

  late(outcome: LateControlOutcome): void {
    this.lateControl[outcome] = (this.lateControl[outcome] ?? 0) + 1;
  }

  merge(other: PrivacyAudit): void {
    for (const [outcome, n] of Object.entries(other.lateControl)) this.lateControl[outcome] = (this.lateControl[outcome] ?? 0) + n;
    for (const [rule, n] of Object.entries(other.droppedEvents)) this.droppedEvents[rule] = (this.droppedEvents[rule] ?? 0) + n;
    for (const [rule, n] of Object.entries(other.strippedFields)) this.strippedFields[rule] = (this.strippedFields[rule] ?? 0) + n;
    for (const [reason, n] of Object.entries(other.exemptionReasons)) {
      this.exemptionReasons[reason] = (this.exemptionReasons[reason] ?? 0) + n;
    }
  }

  /** Sorted keys, so the manifest is byte-identical on replay. */
  toJSON(): {
    dropped_events: Record<string, number>;
    stripped_fields: Record<string, number>;
    exemption_reasons: Record<string, number>;
    late_control_records: Record<string, number>;
  } {
    return {
      dropped_events: sorted(this.droppedEvents),
      stripped_fields: sorted(this.strippedFields),
      exemption_reasons: sorted(this.exemptionReasons),
      late_control_records: sorted(this.lateControl),
    };
  }
}
