// The capture agent's wire contract: one record per input event. Field names are fixed by the
// agents in the field (JSON Lines fixtures, Avro on Kafka), so they stay snake_case here too:
// the decoder hands the object through without renaming anything on the hot path.

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
  /** client UUID; a repeated id is a client retry and is dropped. */
  event_id: string;
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
  modifiers?: Modifier[];
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
  value?: unknown;
  /** set when the source itself could not parse the record. */
  error?: string;
  position: SourcePosition;
  /** the original bytes as text (JSONL line) or base64, for the dead-letter output. */
  raw: string;
}

/** A record that could not be used, and why. It is written, never dropped silently. */
export interface DeadLetter {
  reason: string;
  position: SourcePosition;
  /** the original record as text (JSONL line) or base64 (binary). */
  raw: string;
}
