// The capture agent's wire contract: one record per input event. Field names are fixed by the
// agents in the field (JSON Lines fixtures, Avro on Kafka), so they stay snake_case here too:
// the decoder hands the object through without renaming anything on the hot path.
import { eventIdHash } from './event-id.ts';

export const EVENT_TYPES = [
  'mouse_move',
  'mouse_down',
  'mouse_up',
  'wheel',
  'key_down',
  'key_up',
  'focus',
  'clipboard',
  'screen_frame',
  'lock',
  'unlock',
  'pause',
  'resume',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const MOUSE_BUTTONS = ['left', 'right', 'middle'] as const;
export type MouseButton = (typeof MOUSE_BUTTONS)[number];

export const MODIFIERS = ['ctrl', 'shift', 'alt', 'meta'] as const;
export type Modifier = (typeof MODIFIERS)[number];

/** The window the person is working in; set by `focus` events and in force until the next one. */
export interface WindowContext {
  app: string;
  title: string | null;
  url: string | null;
  /** user ids of the other people in the chat, call or shared document (never written out). */
  participants: string[];
  /** labels set by the agent or by policy, e.g. `eu-data`. */
  tags: string[];
}

export interface Screen {
  width: number;
  height: number;
  scale: number;
}

/** Why content was taken out of an event or action; written beside the action so a reader knows. */
export type Redaction = 'eu_context' | 'secure_input';

export interface InputEvent {
  /**
   * client UUID as sent; a repeated id is a client retry and is dropped. Decoders keep only its
   * fingerprint (`id_hash`), so decoded events do not carry it; events built in their wire form
   * (generators, tests) do.
   */
  event_id?: string;
  /**
   * 32-bit fingerprint of `event_id`'s UTF-8 bytes (contract/event-id.ts), set by every decoder: what a
   * retry is told from a different event by. `eventIdHash` reads it for either form.
   */
  id_hash?: number;
  device_id: string;
  /** employee id: raw, identifying, never written. */
  user_id: string;
  /** per-device counter: breaks ties between events of the same millisecond. */
  seq: number;
  /** event time, epoch ms, client clock. */
  ts: number;
  type: EventType;
  x?: number;
  y?: number;
  button?: MouseButton;
  dx?: number;
  dy?: number;
  /** W3C KeyboardEvent.code, e.g. `KeyA`, `Enter`. */
  key?: string;
  /** the text the key produced: content. */
  char?: string;
  /** read only: decoders share one frozen list between the events that carry the same modifiers. */
  modifiers?: readonly Modifier[];
  /** typed into a password or other secure field. */
  secure?: boolean;
  /** clipboard text: content. */
  text?: string;
  frame_uri?: string;
  context?: WindowContext;
  screen?: Screen;
  /** ISO 3166 alpha-2 country of the device's current location. */
  geo?: string;
  /** requested pause length (pause events). */
  duration_ms?: number;

  /** Set by the privacy gate, never by the agent: content was removed from this event. */
  redacted?: Redaction;
  /** Set by the privacy gate on focus events: the context is EU-linked. */
  eu_linked?: boolean;
}

/**
 * The fields few events carry (each on at most a few percent of a stream): kept out of the event
 * object itself, in one of these made only for the events that have any of them.
 */
class UncommonEventFields {
  // class fields are defined before any constructor code runs: slower than stores, but these
  // are made for few events
  event_id: string | undefined = undefined;
  button: MouseButton | undefined = undefined;
  dx: number | undefined = undefined;
  dy: number | undefined = undefined;
  secure: boolean | undefined = undefined;
  text: string | undefined = undefined;
  frame_uri: string | undefined = undefined;
  context: WindowContext | undefined = undefined;
  screen: Screen | undefined = undefined;
  geo: string | undefined = undefined;
  duration_ms: number | undefined = undefined;
  eu_linked: boolean | undefined = undefined;
}

/**
 * The one object layout every stage after the decoders sees, so their property reads stay
 * monomorphic: on a stream of billions of events, the difference between one shape and a dozen is
 * a large part of the per-event cost. It is also the largest thing replay allocates per event,
 * 8 bytes a field: the fields most events carry are its own, the uncommon ones sit behind
 * accessors in `UncommonEventFields`, which only events that carry one of them get (144 bytes an
 * event instead of 224). Stages read and write every field by its contract name, as on any `InputEvent`;
 * only code that lists an event's own keys (tests) sees the difference, and uses `EVENT_FIELDS`.
 */
class ShapedInputEvent implements InputEvent {
  // assigned in the constructor rather than declared as class fields: a class field is defined
  // with [[DefineOwnProperty]] before the constructor runs, slower than plain stores
  declare id_hash: number | undefined;
  declare device_id: string;
  declare user_id: string;
  declare seq: number;
  declare ts: number;
  declare type: EventType;
  declare x: number | undefined;
  declare y: number | undefined;
  declare key: string | undefined;
  declare char: string | undefined;
  declare modifiers: readonly Modifier[] | undefined;
  /** set on a seventh of the events of a typical stream (keystrokes in EU-linked windows), so kept here. */
  declare redacted: Redaction | undefined;
  private declare uncommon: UncommonEventFields | undefined;

  constructor(id_hash: number | undefined, device_id: string, user_id: string, seq: number, ts: number, type: EventType) {
    this.id_hash = id_hash;
    this.device_id = device_id;
    this.user_id = user_id;
    this.seq = seq;
    this.ts = ts;
    this.type = type;
    this.x = undefined;
    this.y = undefined;
    this.key = undefined;
    this.char = undefined;
    this.modifiers = undefined;
    this.redacted = undefined;
    this.uncommon = undefined;
  }

  /** Writes an uncommon field: undefined into an event without any is no write at all. */
  private setUncommon<K extends keyof UncommonEventFields>(name: K, value: UncommonEventFields[K]): void {
    if (value !== undefined) (this.uncommon ??= new UncommonEventFields())[name] = value;
    else if (this.uncommon !== undefined) this.uncommon[name] = value;
  }

  get event_id() { return this.uncommon?.event_id; }
  set event_id(v) { this.setUncommon('event_id', v); }
  get button() { return this.uncommon?.button; }
  set button(v) { this.setUncommon('button', v); }
  get dx() { return this.uncommon?.dx; }
  set dx(v) { this.setUncommon('dx', v); }
  get dy() { return this.uncommon?.dy; }
  set dy(v) { this.setUncommon('dy', v); }
  get secure() { return this.uncommon?.secure; }
  set secure(v) { this.setUncommon('secure', v); }
  get text() { return this.uncommon?.text; }
  set text(v) { this.setUncommon('text', v); }
  get frame_uri() { return this.uncommon?.frame_uri; }
  set frame_uri(v) { this.setUncommon('frame_uri', v); }
  get context() { return this.uncommon?.context; }
  set context(v) { this.setUncommon('context', v); }
  get screen() { return this.uncommon?.screen; }
  set screen(v) { this.setUncommon('screen', v); }
  get geo() { return this.uncommon?.geo; }
  set geo(v) { this.setUncommon('geo', v); }
  get duration_ms() { return this.uncommon?.duration_ms; }
  set duration_ms(v) { this.setUncommon('duration_ms', v); }
  get eu_linked() { return this.uncommon?.eu_linked; }
  set eu_linked(v) { this.setUncommon('eu_linked', v); }
}

/** Every field of the contract, in its order: what an event has, whatever its layout. */
export const EVENT_FIELDS = [
  'event_id', 'id_hash', 'device_id', 'user_id', 'seq', 'ts', 'type', 'x', 'y', 'button', 'dx', 'dy', 'key', 'char',
  'modifiers', 'secure', 'text', 'frame_uri', 'context', 'screen', 'geo', 'duration_ms', 'redacted', 'eu_linked',
] as const satisfies readonly (keyof InputEvent)[];

/**
 * An event of the one layout (`ShapedInputEvent`) with no optional field set. The decoders hand on
 * only events made here, and the privacy gate's copies are made here too.
 */
export function newInputEvent(id_hash: number, device_id: string, user_id: string, seq: number, ts: number, type: EventType): InputEvent {
  return new ShapedInputEvent(id_hash, device_id, user_id, seq, ts, type);
}

/** A copy of an event in the one layout (the privacy gate strips copies, never the input). */
export function copyInputEvent(e: InputEvent): InputEvent {
  const copy = new ShapedInputEvent(eventIdHash(e), e.device_id, e.user_id, e.seq, e.ts, e.type);
  copy.x = e.x;
  copy.y = e.y;
  copy.key = e.key;
  copy.char = e.char;
  copy.modifiers = e.modifiers;
  copy.redacted = e.redacted;
  // through the accessors: the copy gets uncommon fields of its own only if the event has some
  copy.button = e.button;
  copy.dx = e.dx;
  copy.dy = e.dy;
  copy.secure = e.secure;
  copy.text = e.text;
  copy.frame_uri = e.frame_uri;
  copy.context = e.context;
  copy.screen = e.screen;
  copy.geo = e.geo;
  copy.duration_ms = e.duration_ms;
  copy.eu_linked = e.eu_linked;
  return copy;
}

export type RegistryRecord =
  | { kind: 'person'; user_id: string; region: string }
  | { kind: 'exemption'; user_id: string; from: number; until: number | null; reason: ExemptionReason }
  | { kind: 'erasure'; user_id: string; ts: number };

export const EXEMPTION_REASONS = ['bandwidth', 'sensitive_material', 'power', 'other'] as const;
export type ExemptionReason = (typeof EXEMPTION_REASONS)[number];

/** Where a record came from, so a dead letter can point back at it. */
export interface SourcePosition {
  /** file path or Kafka topic. */
  source: string;
  /** line number (JSONL), record index (Avro file) or offset (Kafka). */
  offset: number;
  partition?: number;
}

/** A record as a source delivers it: parsed (or not) and where it came from. */
export interface SourceRecord {
  /** parsed but not yet checked against the contract (JSON): the pipeline runs `decodeEvent` on it. */
  value?: unknown;
  /**
   * decoded by a typed decoder (Avro) into the `newInputEvent` shape: every field has its contract
   * type, so the pipeline checks only the values (`checkEventValues`). When set, `value` is not read.
   */
  event?: InputEvent;
  /** set when the source itself could not parse the record. */
  error?: string;
  position: SourcePosition;
  /** `position.offset`, as a plain number: the pipeline reads it for every record. */
  offset: number;
  /** the original bytes as text (JSONL line) or base64, for the dead-letter output. */
  raw: string;
}

/**
 * Events a typed decoder (Avro files) read from one stretch of its source, handed on without a
 * record object each (one per event was a sixth of what replay allocated): `events[i]` lies at
 * offset `firstOffset + i`. Their values are not checked yet (`checkEventValues`). `record(i)`
 * makes the event's record, with its position and bytes, when one is needed: for a dead letter.
 */
export interface DecodedEvents {
  readonly events: readonly InputEvent[];
  readonly firstOffset: number;
  record(index: number): SourceRecord;
}

/** What a source hands the pipeline: records, or a stretch of decoded events. */
export type SourceBatch = readonly SourceRecord[] | DecodedEvents;

/** How many records a batch stands for. */
export function sourceBatchLength(batch: SourceBatch): number {
  return Array.isArray(batch) ? batch.length : (batch as DecodedEvents).events.length;
}

/** A record that could not be used, and why. It is written, never dropped silently. */
export interface DeadLetter {
  reason: string;
  position: SourcePosition;
  /** the original record as text (JSONL line) or base64 (binary). */
  raw: string;
}
