// The privacy engine: who is captured, what of their input may be written, and how ids are hidden.
export { Registry, normalizeRegion } from './registry.ts';
export { PrivacyAudit, DROP_RULES, STRIP_RULES, type DropRule, type StripRule, type PrivacyRule } from './audit.ts';
export { PrivacyGate, DevicePrivacyState, type GateResult } from './gate.ts';
export { scrubText, scrubActions, shannonEntropy, findSpans, applySpans, TOKEN_RULES, StringScrubber, type Span } from './scrub/index.ts';
export { Pseudonymizer, pseudonymKeyFromEnv, MIN_PSEUDONYM_KEY_LENGTH } from './pseudonym.ts';
export { isNonPrintingCode, isShortcut } from './keys.ts';
