// The privacy rules and drop reasons in plain words, for readers of the audit who do not read code
// (the HTML report shows them beside each count). Every rule the audit counts has its words here;
// a test fails when one is added without them.
import { EXEMPTION_REASONS } from '../contract/events.ts';
import { DROP_RULES, STRIP_RULES, type DropRule, type StripRule } from './audit.ts';

export const DROP_RULE_TEXT: Readonly<Record<DropRule, string>> = {
  unknown_person: 'The person is not in the registry, so never agreed to capture: nothing of theirs is written.',
  not_captured_region: "The person's home region is not one that capture covers.",
  erased: 'The person asked to be forgotten: nothing of theirs is written again, whatever the event time.',
  exempt: 'The person was exempt from capture at the time (bandwidth, sensitive material, power or another reason).',
  paused: 'The person had paused capture (up to 30 minutes at a time); pause and resume events themselves too.',
  sensitive_context: 'A sensitive window was in front (HR, health, legal apps, URLs or tags): not even clicks are written.',
  unknown_window: 'The window in front could not be known (no readable focus yet), so it might have been sensitive.',
};

export const STRIP_RULE_TEXT: Readonly<Record<StripRule, string>> = {
  eu_context:
    'Content removed in an EU-linked window (an EU participant, EU tag or the device in the EU): typed text, printable keys, keystroke timing, clipboard, title, URL, frames.',
  secure_input: 'Characters, key codes and timing typed into a password or other secure field.',
  participants: 'Participant lists of windows: other people\u2019s ids are never written.',
  pii_email: 'E-mail addresses in kept text, replaced by <EMAIL>.',
  pii_phone: 'Phone numbers in kept text, replaced by <PHONE>.',
  pii_card: 'Payment card numbers in kept text, replaced by <CARD>.',
  pii_ssn: 'US social security numbers in kept text, replaced by <SSN>.',
  pii_iban: 'IBANs in kept text, replaced by <IBAN>.',
  secret: 'Access keys, tokens, passwords in URLs and private keys in kept text, replaced by <SECRET>.',
  raw_id: 'A raw device or user id inside a written title, URL, frame reference or text, replaced by <DEVICE> or <USER>.',
  url_values: 'URLs written without their user and password, and without the values of query parameters and fragments.',
};

export const EXEMPTION_REASON_TEXT: Readonly<Record<(typeof EXEMPTION_REASONS)[number], string>> = {
  bandwidth: 'Exempt to save bandwidth.',
  sensitive_material: 'Exempt while working with sensitive material.',
  power: 'Exempt to save power.',
  other: 'Exempt for another reason, or one the registry gave in a form that could not be read.',
};

/** Pipeline drop counters (manifest `dropped`). */
export const DROP_COUNTER_TEXT: Readonly<Record<string, string>> = {
  dead_letters: 'Records that broke the input contract: kept aside as dead letters with a reason, never in the dataset.',
  duplicate: 'Client retries: the same record sent again.',
  late: 'Events that arrived later than the grace period allows and could not be put in order.',
  too_few_actions: 'Episodes with fewer actions than the minimum, too short to learn from.',
};

const SECTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  dropped_events: DROP_RULE_TEXT,
  stripped_fields: STRIP_RULE_TEXT,
  exemption_reasons: EXEMPTION_REASON_TEXT,
  dropped: DROP_COUNTER_TEXT,
};

/** The words for one rule of an audit section; a rule without words is named as it is counted. */
export function ruleText(section: string, rule: string): string {
  return SECTIONS[section]?.[rule] ?? rule.replace(/_/g, ' ');
}

/** Every rule the audit can count, with its section: what a test checks has words. */
export function countedRules(): { section: string; rule: string }[] {
  return [
    ...DROP_RULES.map((rule) => ({ section: 'dropped_events', rule })),
    ...STRIP_RULES.map((rule) => ({ section: 'stripped_fields', rule })),
    ...EXEMPTION_REASONS.map((rule) => ({ section: 'exemption_reasons', rule })),
  ];
}
