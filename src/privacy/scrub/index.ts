// Scrubbing what is kept: PII and secrets in every written string become typed placeholders.
//   detect.ts       the detectors: spans of PII and secrets in a text
//   normalize.ts    the text as the detectors read it (NFKC, no format characters), mapped back
//   rules.ts        the token shapes of well-known secrets, as data
//   window-text.ts  the text a person produced in one window, rebuilt from its actions
//   strings.ts      titles, app names, URLs, frame references, key names; raw ids in any of them
import type { PrivacyAudit } from '../audit.ts';
import { applySpans, findSpans } from './detect.ts';

export { findSpans, applySpans, shannonEntropy, type Span, type Placeholder } from './detect.ts';
export { scrubActions } from './window-text.ts';
export { TOKEN_RULES } from './rules.ts';
export { StringScrubber, MIN_ID_LENGTH } from './strings.ts';

/** Replaces every PII or secret match in `text` with its placeholder and counts the matches. */
export function scrubText(text: string, audit: PrivacyAudit): string {
  const spans = findSpans(text);
  if (spans.length === 0) return text;
  for (const span of spans) audit.strip(span.rule);
  return applySpans(text, spans);
}
