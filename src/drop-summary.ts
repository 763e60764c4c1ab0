// What a run's summary says when most of its input was left out for one reason: a run that drops
// everything must not look like success. Pure: it reads the counts a run already keeps.
import type { Counts } from './shards/manifest.ts';

/** What to check, by the reason most events were left out for. */
const HINTS: Record<string, string> = {
  unknown_person: 'their user_id is in no person record of the registry: pass --registry (or fill the registry topic) with a person record for each person captured',
  not_captured_region: "their person record's region is not in capture.regions",
  erased: 'the registry holds an erasure record for them',
  exempt: 'an exemption in the registry covers their time',
  paused: 'they were inside a pause window',
  sensitive_context: 'their windows matched privacy.sensitive_contexts',
  unknown_window: 'no focus event told which window they were in: check that the capture agent sends focus events',
  dead_letters: 'they do not match the input contract: read the reasons in the dead-letter file (docs/reference/input-contract.md)',
  duplicate: 'their event_id was seen before: check that the input is not the same recording twice',
  late: 'they arrived later than session.grace_ms behind their device\'s newest event',
};

export interface DropCounts {
  records_in: number;
  dead_letters: number;
  duplicate: number;
  late: number;
}

/**
 * One line when a single reason accounts for more than half of the records read, naming it with
 * its count and what to check; undefined otherwise.
 */
export function dominantDrop(counters: DropCounts, privacy: Counts): string | undefined {
  const total = counters.records_in;
  if (total === 0) return undefined;
  const reasons: [string, number][] = [
    ['dead_letters', counters.dead_letters],
    ['duplicate', counters.duplicate],
    ['late', counters.late],
  ];
  const dropped = privacy.dropped_events;
  if (dropped !== undefined && typeof dropped === 'object') reasons.push(...Object.entries(dropped));
  const [reason, count] = reasons.reduce((a, b) => (b[1] > a[1] ? b : a));
  if (count * 2 <= total) return undefined;
  const share = count === total ? 'all' : `${Math.round((count / total) * 100)}%`;
  return `${share} of the records read (${count.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}) were dropped as ${reason}: ${HINTS[reason] ?? 'see the manifest\'s dropped and privacy counts'}`;
}
