// Validation of one record against the wire contract, on the hot path of every event.
// Hand-written instead of a schema library: a valid event is checked in place and handed on as the
// same object (nulls removed), so the common case allocates nothing. Every failure names the field,
// because the reason lands in a dead letter that a person reads to fix the capture agent.
import {
  EVENT_TYPES,
  EXEMPTION_REASONS,
  MODIFIERS,
  MOUSE_BUTTONS,
  type EventType,
  type InputEvent,
  type RegistryRecord,
} from './events.ts';

export type DecodeResult<T> = { ok: true; event: T } | { ok: false; reason: string };
export type RegistryDecodeResult = { ok: true; record: RegistryRecord } | { ok: false; reason: string };

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const BUTTON_SET: ReadonlySet<string> = new Set(MOUSE_BUTTONS);
const MODIFIER_SET: ReadonlySet<string> = new Set(MODIFIERS);
const EXEMPTION_REASON_SET: ReadonlySet<string> = new Set(EXEMPTION_REASONS);

/** How a value is named in a reason: short, and never the whole (possibly sensitive) content. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value) ? `integer ${value}` : `number ${value}`;
  }
  return typeof value;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

function fieldError(field: string, expected: string, got: unknown): { ok: false; reason: string } {
  return fail(`field '${field}': expected ${expected}, got ${describe(got)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

// Fields the agent may leave out. null means "absent" on the wire (Avro unions, JSON writers that
// emit every key), so it is removed rather than carried: downstream code tests `=== undefined` only.
const OPTIONAL_FIELDS = [
  'x',
  'y',
  'button',
  'dx',
  'dy',
  'key',
  'char',
  'modifiers',
  'secure',
  'text',
  'frame_uri',
  'context',
  'screen',
  'geo',
  'duration_ms',
] as const;

/** Checks one optional field that is present and not null; returns a reason or undefined. */
function checkOptional(name: (typeof OPTIONAL_FIELDS)[number], value: unknown): { ok: false; reason: string } | undefined {
  switch (name) {
    case 'x':
    case 'y':
    case 'dx':
    case 'dy':
      return isFiniteNumber(value) ? undefined : fieldError(name, 'finite number', value);
    case 'button':
      if (typeof value !== 'string') return fieldError(name, `one of ${MOUSE_BUTTONS.join('/')}`, value);
      return BUTTON_SET.has(value) ? undefined : fail(`field 'button': unknown button '${value}'`);
    case 'key':
    case 'char':
    case 'text':
    case 'frame_uri':
    case 'geo':
      return typeof value === 'string' ? undefined : fieldError(name, 'string', value);
    case 'secure':
      return typeof value === 'boolean' ? undefined : fieldError(name, 'boolean', value);
    case 'duration_ms':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
        ? undefined
        : fieldError(name, 'non-negative integer ms', value);
    case 'modifiers':
      return checkModifiers(value);
    case 'context':
      return checkContext(value);
    case 'screen':
      return checkScreen(value);
  }
}

function checkModifiers(value: unknown): { ok: false; reason: string } | undefined {
  if (!Array.isArray(value)) return fieldError('modifiers', `array of ${MODIFIERS.join('/')}`, value);
  for (let i = 0; i < value.length; i++) {
    const m = value[i];
    if (typeof m !== 'string') return fieldError(`modifiers[${i}]`, `one of ${MODIFIERS.join('/')}`, m);
    if (!MODIFIER_SET.has(m)) return fail(`field 'modifiers[${i}]': unknown modifier '${m}'`);
  }
  return undefined;
}

function checkStringArray(field: string, value: unknown): { ok: false; reason: string } | undefined {
  if (!Array.isArray(value)) return fieldError(field, 'array of strings', value);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') return fieldError(`${field}[${i}]`, 'string', value[i]);
  }
  return undefined;
}

// The context's nullable members are normalised the other way round: WindowContext declares them
// `string | null` and the arrays as always present, so absent becomes null / [] (focus events are rare).
function checkContext(value: unknown): { ok: false; reason: string } | undefined {
  if (!isObject(value)) return fieldError('context', 'object', value);
  if (typeof value.app !== 'string') return fieldError('context.app', 'string', value.app);
  if (value.title === undefined) value.title = null;
  else if (value.title !== null && typeof value.title !== 'string') return fieldError('context.title', 'string or null', value.title);
  if (value.url === undefined) value.url = null;
  else if (value.url !== null && typeof value.url !== 'string') return fieldError('context.url', 'string or null', value.url);
  if (value.participants === undefined || value.participants === null) value.participants = [];
  else {
    const bad = checkStringArray('context.participants', value.participants);
    if (bad) return bad;
  }
  if (value.tags === undefined || value.tags === null) value.tags = [];
  else {
    const bad = checkStringArray('context.tags', value.tags);
    if (bad) return bad;
  }
  return undefined;
}

function checkScreen(value: unknown): { ok: false; reason: string } | undefined {
  if (!isObject(value)) return fieldError('screen', 'object', value);
  const { width, height, scale } = value;
  if (typeof width !== 'number' || !Number.isSafeInteger(width) || width <= 0) return fieldError('screen.width', 'positive integer', width);
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || height <= 0) return fieldError('screen.height', 'positive integer', height);
  if (!isFiniteNumber(scale) || scale <= 0) return fieldError('screen.scale', 'positive number', scale);
  return undefined;
}

/**
 * What each event type needs so the later stages can use it. Missing here means a dead letter now
 * rather than a NaN coordinate or an unnamed key inside an episode later.
 */
function checkRequiredForType(e: Record<string, unknown>, type: EventType): { ok: false; reason: string } | undefined {
  switch (type) {
    case 'mouse_down':
    case 'mouse_up':
      if (e.button === undefined) return fail(`field 'button': required for ${type} events`);
    // falls through: presses need a position too
    case 'mouse_move':
      if (e.x === undefined) return fail(`field 'x': required for ${type} events`);
      if (e.y === undefined) return fail(`field 'y': required for ${type} events`);
      return undefined;
    case 'wheel':
      // agents often send only the axis that moved; the other one scrolled by nothing
      if (e.dx === undefined && e.dy === undefined) return fail(`field 'dy': wheel events need dx or dy`);
      if (e.dx === undefined) e.dx = 0;
      else if (e.dy === undefined) e.dy = 0;
      return undefined;
    case 'key_down':
    case 'key_up':
      return e.key === undefined ? fail(`field 'key': required for ${type} events`) : undefined;
    case 'focus':
      return e.context === undefined ? fail(`field 'context': required for focus events`) : undefined;
    case 'screen_frame':
      return e.frame_uri === undefined ? fail(`field 'frame_uri': required for screen_frame events`) : undefined;
    default:
      return undefined;
  }
}

/**
 * Validates a parsed record (JSON or Avro) as an `InputEvent`. On success `event` is the very object
 * passed in, with null optional fields deleted; extra unknown fields are left alone (a newer agent may
 * send more than this version knows).
 */
export function decodeEvent(raw: unknown): DecodeResult<InputEvent> {
  if (!isObject(raw)) return fail(`expected an event object, got ${describe(raw)}`);
  const e = raw;
  if (!isNonEmptyString(e.event_id)) return fieldError('event_id', 'non-empty string', e.event_id);
  if (!isNonEmptyString(e.device_id)) return fieldError('device_id', 'non-empty string', e.device_id);
  if (!isNonEmptyString(e.user_id)) return fieldError('user_id', 'non-empty string', e.user_id);
  if (!(typeof e.seq === 'number' && Number.isSafeInteger(e.seq) && e.seq >= 0)) return fieldError('seq', 'non-negative integer', e.seq);
  if (!isEpochMs(e.ts)) return fieldError('ts', 'integer epoch ms', e.ts);
  const type = e.type;
  if (typeof type !== 'string') return fieldError('type', `one of ${EVENT_TYPES.join('/')}`, type);
  if (!EVENT_TYPE_SET.has(type)) return fail(`unknown type '${type}'`);

  for (let i = 0; i < OPTIONAL_FIELDS.length; i++) {
    const name = OPTIONAL_FIELDS[i];
    const value = e[name];
    if (value === undefined) continue;
    if (value === null) {
      delete e[name];
      continue;
    }
    const bad = checkOptional(name, value);
    if (bad) return bad;
  }
  // An agent must not pre-empt the gate's verdicts: a forged `eu_linked: false` would hide EU context.
  if (e.redacted !== undefined && e.redacted !== null) return fail(`field 'redacted': set by the privacy gate, not by the agent`);
  if (e.eu_linked !== undefined && e.eu_linked !== null) return fail(`field 'eu_linked': set by the privacy gate, not by the agent`);
  if (e.redacted === null) delete e.redacted;
  if (e.eu_linked === null) delete e.eu_linked;

  const bad = checkRequiredForType(e, type as EventType);
  if (bad) return bad;
  return { ok: true, event: e as unknown as InputEvent };
}

function optionalEpochMs(record: Record<string, unknown>, field: string): number | null | { ok: false; reason: string } {
  const v = record[field];
  if (v === undefined || v === null) return null;
  return isEpochMs(v) ? v : fieldError(field, 'integer epoch ms', v);
}

/**
 * Validates a registry record. Returns a fresh object holding only the fields of its kind (the wire
 * form carries every field, null where it does not apply); registry traffic is small.
 */
export function decodeRegistryRecord(raw: unknown): RegistryDecodeResult {
  if (!isObject(raw)) return fail(`expected a registry record object, got ${describe(raw)}`);
  const { kind, user_id } = raw;
  if (!isNonEmptyString(user_id)) return fieldError('user_id', 'non-empty string', user_id);
  switch (kind) {
    case 'person': {
      const region = raw.region;
      if (!isNonEmptyString(region)) return fieldError('region', 'ISO 3166 alpha-2 region', region);
      return { ok: true, record: { kind, user_id, region } };
    }
    case 'exemption': {
      if (!isEpochMs(raw.from)) return fieldError('from', 'integer epoch ms', raw.from);
      const until = optionalEpochMs(raw, 'until');
      if (typeof until === 'object' && until !== null) return until;
      if (until !== null && until < raw.from) return fail(`field 'until': ${until} is before 'from' ${raw.from}`);
      const reason = raw.reason;
      if (typeof reason !== 'string') return fieldError('reason', `one of ${EXEMPTION_REASONS.join('/')}`, reason);
      if (!EXEMPTION_REASON_SET.has(reason)) return fail(`field 'reason': unknown exemption reason '${reason}'`);
      return {
        ok: true,
        record: { kind, user_id, from: raw.from, until, reason: reason as (typeof EXEMPTION_REASONS)[number] },
      };
    }
    case 'erasure': {
      if (!isEpochMs(raw.ts)) return fieldError('ts', 'integer epoch ms', raw.ts);
      return { ok: true, record: { kind, user_id, ts: raw.ts } };
    }
    default:
      return typeof kind === 'string'
        ? fail(`field 'kind': unknown kind '${kind}'`)
        : fieldError('kind', 'one of person/exemption/erasure', kind);
  }
}
