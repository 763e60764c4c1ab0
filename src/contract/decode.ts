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

/**
 * Checks the optional fields that are present, and removes the null ones: null means "absent" on
 * the wire (Avro unions, JSON writers that emit every key), and downstream code tests `=== undefined`
 * only. Walks the object's own keys rather than the list of known fields, so an event pays for the
 * fields it has, not for the ones it might have; unknown keys are left alone (a newer agent may send
 * more than this version knows).
 */
function checkOptionalFields(e: Record<string, unknown>): { ok: false; reason: string } | undefined {
  for (const key in e) {
    const value = e[key];
    switch (key) {
      case 'event_id':
      case 'device_id':
      case 'user_id':
      case 'seq':
      case 'ts':
      case 'type':
        break;
      case 'x':
      case 'y':
      case 'dx':
      case 'dy':
        if (value === null) delete e[key];
        else if (!isFiniteNumber(value)) return fieldError(key, 'finite number', value);
        break;
      case 'key':
      case 'char':
      case 'text':
      case 'frame_uri':
      case 'geo':
        if (value === null) delete e[key];
        else if (typeof value !== 'string') return fieldError(key, 'string', value);
        break;
      case 'button':
        if (value === null) delete e[key];
        else if (typeof value !== 'string') return fieldError(key, `one of ${MOUSE_BUTTONS.join('/')}`, value);
        else if (!BUTTON_SET.has(value)) return fail(`field 'button': unknown button '${value}'`);
        break;
      case 'modifiers':
        if (value === null) delete e[key];
        else {
          const bad = checkModifiers(value);
          if (bad) return bad;
        }
        break;
      case 'secure':
        if (value === null) delete e[key];
        else if (typeof value !== 'boolean') return fieldError(key, 'boolean', value);
        break;
      case 'duration_ms':
        if (value === null) delete e[key];
        else if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
          return fieldError(key, 'non-negative integer ms', value);
        }
        break;
      case 'context':
        if (value === null) delete e[key];
        else {
          const bad = checkContext(value);
          if (bad) return bad;
        }
        break;
      case 'screen':
        if (value === null) delete e[key];
        else {
          const bad = checkScreen(value);
          if (bad) return bad;
        }
        break;
      case 'redacted':
      case 'eu_linked':
        // An agent must not pre-empt the gate's verdicts: a forged `eu_linked: false` would hide EU context.
        if (value === null || value === undefined) delete e[key];
        else return fail(`field '${key}': set by the privacy gate, not by the agent`);
        break;
      default:
        break;
    }
  }
  return undefined;
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

  const badOptional = checkOptionalFields(e);
  if (badOptional) return badOptional;
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
