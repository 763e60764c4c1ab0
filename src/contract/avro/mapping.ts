// Avro value <-> contract object. avsc gives class instances with every field (null when absent);
// the contract wants plain objects with absent fields left out.
import { newInputEvent } from '../events.ts';
import { idHashOf } from '../event-id.ts';
import type { InputEvent, RegistryRecord, Screen, WindowContext } from '../events.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
function contextFromAvro(c: any): WindowContext {
  return { app: c.app, title: c.title, url: c.url, participants: c.participants, tags: c.tags };
}

function screenFromAvro(s: any): Screen {
  return { width: s.width, height: s.height, scale: s.scale };
}

/** An avsc-decoded InputEvent (reader schema) as the contract object (the `newInputEvent` shape). */
export function eventFromAvro(r: any): InputEvent {
  const e = newInputEvent(idHashOf(r.event_id), r.device_id, r.user_id, r.seq, r.ts, r.type);
  if (r.x !== null) e.x = r.x;
  if (r.y !== null) e.y = r.y;
  if (r.button !== null) e.button = r.button;
  if (r.dx !== null) e.dx = r.dx;
  if (r.dy !== null) e.dy = r.dy;
  if (r.key !== null) e.key = r.key;
  if (r.char !== null) e.char = r.char;
  if (r.modifiers !== null) e.modifiers = r.modifiers;
  if (r.secure !== null) e.secure = r.secure;
  if (r.text !== null) e.text = r.text;
  if (r.frame_uri !== null) e.frame_uri = r.frame_uri;
  if (r.context !== null) e.context = contextFromAvro(r.context);
  if (r.screen !== null) e.screen = screenFromAvro(r.screen);
  if (r.geo !== null) e.geo = r.geo;
  if (r.duration_ms !== null) e.duration_ms = r.duration_ms;
  return e;
}

function orNull<T>(v: T | undefined): T | null {
  return v === undefined ? null : v;
}

/**
 * The Avro value of an event in its wire form (with `event_id`): every reader field present, null
 * where absent. Gate-only fields are not part of the wire form.
 */
export function eventToAvro(e: InputEvent): Record<string, unknown> {
  const c = e.context;
  const s = e.screen;
  if (e.event_id === undefined) throw new Error('an event without event_id (decoded events keep only its fingerprint) has no wire form');
  return {
    event_id: e.event_id,
    device_id: e.device_id,
    user_id: e.user_id,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    x: orNull(e.x),
    y: orNull(e.y),
    button: orNull(e.button),
    dx: orNull(e.dx),
    dy: orNull(e.dy),
    key: orNull(e.key),
    char: orNull(e.char),
    modifiers: orNull(e.modifiers),
    secure: orNull(e.secure),
    text: orNull(e.text),
    frame_uri: orNull(e.frame_uri),
    context:
      c === undefined || c === null
        ? null
        : { app: c.app, title: orNull(c.title), url: orNull(c.url), participants: c.participants ?? [], tags: c.tags ?? [] },
    screen: s === undefined || s === null ? null : { width: s.width, height: s.height, scale: s.scale },
    geo: orNull(e.geo),
    duration_ms: orNull(e.duration_ms),
  };
}

/** An avsc-decoded RegistryRecord (reader schema) as the contract's wire-shaped object (nulls left out). */
export function registryValueFromAvro(r: any): Record<string, unknown> {
  const out: Record<string, unknown> = { kind: r.kind, user_id: r.user_id };
  if (r.region !== null) out.region = r.region;
  if (r.from !== null) out.from = r.from;
  if (r.until !== null) out.until = r.until;
  if (r.reason !== null) out.reason = r.reason;
  if (r.ts !== null) out.ts = r.ts;
  return out;
}

export function registryToAvro(r: RegistryRecord): Record<string, unknown> {
  return {
    kind: r.kind,
    user_id: r.user_id,
    region: r.kind === 'person' ? r.region : null,
    from: r.kind === 'exemption' ? r.from : null,
    until: r.kind === 'exemption' ? r.until : null,
    reason: r.kind === 'exemption' ? r.reason : null,
    ts: r.kind === 'erasure' ? r.ts : null,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
