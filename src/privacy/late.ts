// A restrictive control record that came later than the grace period, applied to an episode that
// was open when it came: what the gate would have done had it come in time, or more.
//
// The sessionizer hands the gate the late record (PrivacyGate.lateRestriction); the gate updates
// the device's state where the record is the latest of its kind and returns the stretch of time it
// covers: from its ts until the next record of its kind the device had already sent (or for good,
// or the pause's end). The open episode carries the stretch to its close, and this stage applies
// it to the reduced episode before it is scrubbed and written:
// - strip (an EU-linked window, an EU geo): every action that overlaps the stretch loses its
//   content as in an EU-linked window (typed text and its timing, printable keys, non-shortcut
//   chords, frames); every window context an action from the stretch's start on refers to loses
//   title and url (one entered during the stretch would have been stripped while it stayed in front).
// - cut (a sensitive or unreadable window, a pause, a lock): every action that overlaps the
//   stretch is dropped; the sessionizer ended the episode when the record came.
// - untitle (a plain window): the window contexts that actions from its time on refer to lose title
//   and url, since the window they were recorded in is not the one they happened in; nothing else.
// An action overlaps when any moment of it, from its start to its end, lies in the stretch: a
// typing burst begun before a late EU focus is stripped whole.
import type { LateRestriction } from '../contract/gate.ts';
import type { Action, ReducedEpisode } from '../contract/episode.ts';
import type { PrivacyAudit } from './audit.ts';
import { isNonPrintingCode } from './keys.ts';

/** A chord (`ctrl+c`, `shift+Tab`) that the gate keeps where typing is stripped: a shortcut, or a key that prints nothing. */
function keptChord(chord: string): boolean {
  const parts = chord.split('+');
  const key = parts[parts.length - 1];
  const mods = new Set(parts.slice(0, -1));
  if (mods.has('meta') || (mods.has('ctrl') && !mods.has('alt'))) return true;
  return isNonPrintingCode(key);
}

function overlaps(action: Action, from: number, until: number): boolean {
  return action.t_ms + action.duration_ms >= from && action.t_ms < until;
}

/** Strips an action's content as in an EU-linked window; returns the fields removed. */
function stripAction(action: Action): number {
  let stripped = 0;
  if (action.text !== null) {
    action.text = null;
    stripped++;
  }
  action.key_times_ms = null;
  if (action.frame_uri !== null) {
    action.frame_uri = null;
    stripped++;
  }
  if (action.key !== null && action.kind === 'hotkey' && !keptChord(action.key)) {
    action.key = null;
    stripped++;
  }
  if (action.kind === 'type' || stripped > 0) action.redacted ??= 'eu_context';
  return stripped;
}

/**
 * Applies late restrictions to a reduced episode that started at `startTs` (epoch ms), in place.
 * Counts what it removed in the audit (stripped fields as `eu_context`).
 */
export function applyLateRestrictions(episode: ReducedEpisode, startTs: number, restrictions: readonly LateRestriction[], audit: PrivacyAudit): void {
  let actions = episode.actions;
  for (const r of restrictions) {
    const from = r.from - startTs;
    const until = r.until - startTs;
    if (r.kind === 'cut') {
      actions = actions.filter((a) => !overlaps(a, from, until));
      continue;
    }
    let stripped = 0;
    for (const action of actions) {
      // a window entered while the record was in force was recorded with its title: in time it
      // would have been stripped for as long as it stayed in front, so every window referred to
      // from the record's time on loses title and url
      if (action.t_ms + action.duration_ms < from) continue;
      const context = action.context >= 0 ? episode.contexts[action.context] : undefined;
      if (context !== undefined) {
        if (r.kind === 'strip') stripped += (context.title !== null ? 1 : 0) + (context.url !== null ? 1 : 0);
        context.title = null;
        context.url = null;
      }
      if (r.kind !== 'strip' || !overlaps(action, from, until)) continue;
      stripped += stripAction(action);
      if (context !== undefined) context.eu_linked = true;
    }
    if (stripped > 0) audit.strip('eu_context', stripped);
  }
  if (actions !== episode.actions) {
    episode.actions.length = 0;
    episode.actions.push(...actions);
    dropUnusedContexts(episode);
  }
}

/** Windows only the dropped actions happened in are not listed: the reducer lists a window when an action refers to it. */
function dropUnusedContexts(episode: ReducedEpisode): void {
  const newIndex = episode.contexts.map(() => -1);
  for (const action of episode.actions) if (action.context >= 0) newIndex[action.context] = 0;
  const kept = [];
  for (let i = 0; i < episode.contexts.length; i++) {
    if (newIndex[i] < 0) continue;
    newIndex[i] = kept.length;
    kept.push(episode.contexts[i]);
  }
  for (const action of episode.actions) if (action.context >= 0) action.context = newIndex[action.context];
  episode.contexts.length = 0;
  episode.contexts.push(...kept);
}
