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
 * An event with every field of the contract present, absent ones `undefined`, always in the same
 * order. The decoders hand on only events of this shape, so every stage after them sees one
 * object layout and its property reads stay monomorphic: on a stream of billions of events, the
 * difference between one shape and a dozen is a large part of the per-event cost.
 */
export function newInputEvent(id_hash: number, device_id: string, user_id: string, seq: number, ts: number, type: EventType): InputEvent {
  return {
    id_hash,
    device_id,
    user_id,
    seq,
    ts,
    type,
    x: undefined,
    y: undefined,
    button: undefined,
    dx: undefined,
    dy: undefined,
    key: undefined,
    char: undefined,
    modifiers: undefined,
    secure: undefined,
    text: undefined,
    frame_uri: undefined,
    context: undefined,
    screen: undefined,
    geo: undefined,
    duration_ms: undefined,
    redacted: undefined,
    eu_linked: undefined,
  };
}

/** A copy of an event in the shape `newInputEvent` gives (the privacy gate strips copies, never the input). */
export function copyInputEvent(e: InputEvent): InputEvent {
  return {
    id_hash: eventIdHash(e),
    device_id: e.device_id,
    user_id: e.user_id,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    x: e.x,
    y: e.y,
    button: e.button,
    dx: e.dx,
    dy: e.dy,
    key: e.key,
    char: e.char,
    modifiers: e.modifiers,
    secure: e.secure,
    text: e.text,
    frame_uri: e.frame_uri,
    context: e.context,
    screen: e.screen,
    geo: e.geo,
    duration_ms: e.duration_ms,
    redacted: e.redacted,
    eu_linked: e.eu_linked,
  };
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
