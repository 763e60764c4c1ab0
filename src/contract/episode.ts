// What flows between the stages after sessionization, and what the dataset holds.
import type { InputEvent, Redaction } from './events.ts';
import type { LateRestriction } from './gate.ts';

export const END_REASONS = ['gap', 'lock', 'pause', 'max_duration', 'sensitive', 'exempt', 'user_change', 'end_of_stream'] as const;
/** Why an episode ended. */
export type EndReason = (typeof END_REASONS)[number];

/**
 * Folds one episode's events, in (ts, seq) order and already through the privacy gate, into what
 * is kept of it. The sessionizer feeds events as they are finalized, so raw events are never
 * held for the length of an episode: memory follows open devices, not stream length.
 */
export interface EpisodeBuilder<Body> {
  add(event: InputEvent): void;
  finish(): Body;
}

/** A closed episode as the sessionizer emits it. */
export interface ClosedEpisode<Body> {
  /** deterministic: derived from the device and the first event, so a replay gives the same id. */
  episode_id: string;
  device_id: string;
  user_id: string;
  /** the episode this one continues when the previous one hit the maximum duration. */
  continues: string | null;
  end_reason: EndReason;
  start_ts: number;
  end_ts: number;
  /** events that happened inside the episode (the window context carried in is not counted). */
  n_events: number;
  body: Body;
  /** restrictions of control records that came late, for the pipeline to apply to the body (privacy/late.ts); null for none. */
  late: readonly LateRestriction[] | null;
}

export const ACTION_KINDS = [
  'click',
  'double_click',
  'triple_click',
  'right_click',
  'middle_click',
  'drag',
  'scroll',
  'type',
  'key',
  'hotkey',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** One vertex of the simplified mouse path that led to an action; time is the episode offset. */
export interface PathPoint {
  x: number;
  y: number;
  t_ms: number;
}

/**
 * An int32 field of the dataset as it is stored: rounded (pixel positions may arrive fractional
 * from HiDPI agents), refused outside int32 (NaN included), which an Int32Array would silently
 * wrap. `what` and `name` only make the error message (`episode column x`, `action field x`).
 */
export function datasetInt32(value: number, what: string, name: string): number {
  const rounded = Math.round(value);
  if (!isInt32(rounded)) throw new RangeError(`${what} ${name} holds ${value}, outside int32`);
  return rounded;
}

/** whether `datasetInt32` takes the value (rounded, it is within int32). */
/**
 * A sink's refusal of one episode row whose values its columns cannot hold: the row was left out
 * whole (nothing of it written), and the pipeline counts the episode and goes on.
 */
export class UnwritableRowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnwritableRowError';
  }
}

export function fitsDatasetInt32(value: number): boolean {
  return isInt32(Math.round(value));
}

function isInt32(value: number): boolean {
  return value >= -2_147_483_648 && value <= 2_147_483_647;
}

/**
 * What an agent would emit. Coordinates in virtual-desktop pixels and normalized to [0,1] of the
 * screen. A reduced episode's actions hold their numbers at the dataset's precision: the int32
 * fields (times, pixels, path points) rounded, the float32 ones (normalized coordinates, scroll
 * amounts) as float32.
 */
export interface Action {
  kind: ActionKind;
  /** offset from the episode start. */
  t_ms: number;
  duration_ms: number;
  x: number | null;
  y: number | null;
  nx: number | null;
  ny: number | null;
  /** drag end. */
  x2: number | null;
  y2: number | null;
  nx2: number | null;
  ny2: number | null;
  /** scroll amounts, summed over the merged wheel events. */
  dx: number | null;
  dy: number | null;
  /** merged typed text (type). */
  text: string | null;
  /** key name (key: `Enter`) or chord (hotkey: `ctrl+c`). */
  key: string | null;
  /** offset of each keystroke from the action start (type); null when stripped. */
  key_times_ms: number[] | null;
  /** simplified mouse path leading to this action. */
  path: PathPoint[];
  /** last screen frame captured before the action began. */
  frame_uri: string | null;
  /** index into the episode's contexts; -1 when no window was known. */
  context: number;
  redacted: Redaction | null;
}

/** An action with nothing but its kind and time: the one place that lists every field. */
export function blankAction(kind: ActionKind, t_ms: number): Action {
  return {
    kind,
    t_ms,
    duration_ms: 0,
    x: null,
    y: null,
    nx: null,
    ny: null,
    x2: null,
    y2: null,
    nx2: null,
    ny2: null,
    dx: null,
    dy: null,
    text: null,
    key: null,
    key_times_ms: null,
    path: [],
    frame_uri: null,
    context: -1,
    redacted: null,
  };
}

/** A window context an episode's actions happened in, as written. Participants are never written. */
export interface EpisodeContext {
  app: string;
  title: string | null;
  url: string | null;
  eu_linked: boolean;
}

/** The reducer's result for one episode. */
export interface ReducedEpisode {
  actions: Action[];
  contexts: EpisodeContext[];
  screen_width: number | null;
  screen_height: number | null;
}

/** One dataset row: all identifiers are pseudonyms, all times are offsets or a day. */
export interface EpisodeRow {
  episode_id: string;
  user: string;
  device: string;
  split: Split;
  /** UTC date, YYYY-MM-DD. */
  start_day: string;
  duration_ms: number;
  end_reason: EndReason;
  continues: string | null;
  screen_width: number | null;
  screen_height: number | null;
  apps: string[];
  contexts: EpisodeContext[];
  n_events: number;
  n_actions: number;
  actions: Action[];
}

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];
