// Validation of one record against the wire contract, on the hot path of every event.
// Hand-written instead of a schema library: a valid event is checked in place and handed on as the
// same object (nulls removed), so the common case allocates nothing. Every failure names the field,
// because the reason lands in a dead letter that a person reads to fix the capture agent.
import {
  EVENT_TYPES,
  EXEMPTION_REASONS,
  MODIFIERS,
  MOUSE_BUTTONS,
  newInputEvent,
  type EventType,
  type InputEvent,
  type RegistryRecord,
  type SourceRecord,
  type WindowContext,
} from './events.ts';
import { fitsDatasetInt32 } from './episode.ts';
import { EMPTY_ID_HASH, idHashOf } from './event-id.ts';

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

function fieldReason(field: string, expected: string, got: unknown): string {
  return `field '${field}': expected ${expected}, got ${describe(got)}`;
}

function fieldError(field: string, expected: string, got: unknown): { ok: false; reason: string } {
  return fail(fieldReason(field, expected, got));
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
 * Checks the types of the optional fields that are present (null or undefined means absent: Avro
 * unions, JSON writers that emit every key). Walks the object's own keys rather than the list of
 * known fields, so an event pays for the fields it has; unknown keys are left out of the decoded
 * event (a newer agent may send more than this version knows). Values within a right type are
 * checked afterwards by `checkEventValues`, once for every decoder.
 */
function checkOptionalTypes(e: Record<string, unknown>): { ok: false; reason: string } | undefined {
  for (const key in e) {
    const value = e[key];
    if (value === null || value === undefined) continue;
    switch (key) {
      case 'x':
      case 'y':
      case 'dx':
      case 'dy':
        if (typeof value !== 'number') return fieldError(key, 'finite number', value);
        break;
      case 'key':
      case 'char':
      case 'text':
      case 'frame_uri':
      case 'geo':
        if (typeof value !== 'string') return fieldError(key, 'string', value);
        break;
      case 'button':
        if (typeof value !== 'string') return fieldError(key, `one of ${MOUSE_BUTTONS.join('/')}`, value);
        if (!BUTTON_SET.has(value)) return fail(`field 'button': unknown button '${value}'`);
        break;
      case 'modifiers': {
        const bad = checkModifiers(value);
        if (bad) return bad;
        break;
      }
      case 'secure':
        if (typeof value !== 'boolean') return fieldError(key, 'boolean', value);
        break;
      case 'duration_ms':
        if (typeof value !== 'number') return fieldError(key, 'non-negative integer ms', value);
        break;
      case 'context': {
        const bad = checkContext(value);
        if (bad) return bad;
        break;
      }
      case 'screen': {
        if (!isObject(value)) return fieldError('screen', 'object', value);
        const { width, height, scale } = value;
        if (typeof width !== 'number') return fieldError('screen.width', 'positive integer', width);
        if (typeof height !== 'number') return fieldError('screen.height', 'positive integer', height);
        if (typeof scale !== 'number') return fieldError('screen.scale', 'positive number', scale);
        break;
      }
      case 'redacted':
      case 'eu_linked':
        // An agent must not pre-empt the gate's verdicts: a forged `eu_linked: false` would hide EU context.
        return fail(`field '${key}': set by the privacy gate, not by the agent`);
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

function checkContext(value: unknown): { ok: false; reason: string } | undefined {
  if (!isObject(value)) return fieldError('context', 'object', value);
  if (typeof value.app !== 'string') return fieldError('context.app', 'string', value.app);
  const { title, url, participants, tags } = value;
  if (title !== undefined && title !== null && typeof title !== 'string') return fieldError('context.title', 'string or null', title);
  if (url !== undefined && url !== null && typeof url !== 'string') return fieldError('context.url', 'string or null', url);
  if (participants !== undefined && participants !== null) {
    const bad = checkStringArray('context.participants', participants);
    if (bad) return bad;
  }
  if (tags !== undefined && tags !== null) {
    const bad = checkStringArray('context.tags', tags);
    if (bad) return bad;
  }
  return undefined;
}

/** null (absent on the wire) as undefined, the one "absent" the stages test for. */
function given<T>(value: unknown): T | undefined {
  return value === null ? undefined : (value as T | undefined);
}

// The context's nullable members are normalised the other way round: WindowContext declares them
// `string | null` and the arrays as always present, so absent becomes null / [] (focus events are rare).
function contextOf(value: Record<string, unknown>): WindowContext {
  return {
    app: value.app as string,
    title: (value.title ?? null) as string | null,
    url: (value.url ?? null) as string | null,
    participants: (value.participants ?? []) as string[],
    tags: (value.tags ?? []) as string[],
  };
}

/** A type-checked JSON object as an event of the one shape (see newInputEvent). */
function eventOf(r: Record<string, unknown>): InputEvent {
  const e = newInputEvent(idHashOf(r.event_id as string), r.device_id as string, r.user_id as string, r.seq as number, r.ts as number, r.type as EventType);
  e.x = given(r.x);
  e.y = given(r.y);
  e.button = given(r.button);
  e.dx = given(r.dx);
  e.dy = given(r.dy);
  e.key = given(r.key);
  e.char = given(r.char);
  e.modifiers = given(r.modifiers);
  e.secure = given(r.secure);
  e.text = given(r.text);
  e.frame_uri = given(r.frame_uri);
  const context = r.context;
  e.context = context === null || context === undefined ? undefined : contextOf(context as Record<string, unknown>);
  const screen = r.screen as Record<string, unknown> | null | undefined;
  e.screen = screen === null || screen === undefined ? undefined : { width: screen.width as number, height: screen.height as number, scale: screen.scale as number };
  e.geo = given(r.geo);
  e.duration_ms = given(r.duration_ms);
  return e;
}

/**
 * What each event type needs so the later stages can use it. Missing here means a dead letter now
 * rather than a NaN coordinate or an unnamed key inside an episode later.
 */
function requiredForType(e: InputEvent): string | undefined {
  const type = e.type;
  switch (type) {
    case 'mouse_down':
    case 'mouse_up':
      if (e.button === undefined) return `field 'button': required for ${type} events`;
    // falls through: presses need a position too
    case 'mouse_move':
      if (e.x === undefined) return `field 'x': required for ${type} events`;
      if (e.y === undefined) return `field 'y': required for ${type} events`;
      return undefined;
    case 'wheel':
      // agents often send only the axis that moved; the other one scrolled by nothing
      if (e.dx === undefined && e.dy === undefined) return `field 'dy': wheel events need dx or dy`;
      if (e.dx === undefined) e.dx = 0;
      else if (e.dy === undefined) e.dy = 0;
      return undefined;
    case 'key_down':
    case 'key_up':
      return e.key === undefined ? `field 'key': required for ${type} events` : undefined;
    case 'focus':
      return e.context === undefined ? `field 'context': required for focus events` : undefined;
    case 'screen_frame':
      return e.frame_uri === undefined ? `field 'frame_uri': required for screen_frame events` : undefined;
    default:
      return undefined;
  }
}

/**
 * Scroll amounts are float32 in the dataset and summed over a scroll: beyond 2^24, where float32
 * stops holding every integer, a value is no wheel's, and one near float32's limit would make
 * Infinity in the column.
 */
const MAX_SCROLL_AMOUNT = 2 ** 24;

function scrollAmountOrAbsent(value: number | undefined): boolean {
  return value === undefined || (value - value === 0 && value <= MAX_SCROLL_AMOUNT && value >= -MAX_SCROLL_AMOUNT);
}

const SCROLL = `finite number within ±${MAX_SCROLL_AMOUNT}`;

/** pixel positions are int32 in the dataset, rounded: anything farther out is not a screen position. */
function pixelOrAbsent(value: number | undefined): boolean {
  return value === undefined || fitsDatasetInt32(value);
}

const PIXEL = 'finite number within int32 (pixels)';

/** The `ts` an event may have, in epoch ms: from <= ts < until (the config's source.ts_range). */
export interface TsLimits {
  from: number;
  until: number;
  /** how the range is named in a dead letter's reason. */
  text: string;
}

/** Any epoch ms at all: for callers that have no configured range (tests, tools). */
export const ANY_TS: TsLimits = { from: 0, until: Number.MAX_SAFE_INTEGER, text: 'integer epoch ms' };

/**
 * The value rules of the contract, for an event in the `newInputEvent` shape whose fields already
 * have the right types (a typed decoder such as Avro guarantees them; `decodeEvent` checks them
 * first for JSON): non-empty ids, integer times (`ts` within the configured range), finite coordinates (pixels within int32), scroll
 * amounts within ±2^24, a positive screen, and what each event type needs. Fills a wheel event's
 * missing axis with 0. Returns the reason it fails, or undefined. Allocates nothing for a valid
 * event: it runs on every event of the stream.
 */
export function checkEventValues(e: InputEvent, ts: TsLimits = ANY_TS): string | undefined {
  // decoders keep the id's fingerprint, not the id: the empty one has its own
  if (e.id_hash === EMPTY_ID_HASH) return fieldReason('event_id', 'non-empty string', '');
  if (e.device_id.length === 0) return fieldReason('device_id', 'non-empty string', e.device_id);
  if (e.user_id.length === 0) return fieldReason('user_id', 'non-empty string', e.user_id);
  if (!(Number.isSafeInteger(e.seq) && e.seq >= 0)) return fieldReason('seq', 'non-negative integer', e.seq);
  if (!isEpochMs(e.ts)) return fieldReason('ts', 'integer epoch ms', e.ts);
  // a clock that ran away: past year 9999 an episode's day could not even be written
  if (e.ts < ts.from || e.ts >= ts.until) return fieldReason('ts', ts.text, e.ts);
  if (!pixelOrAbsent(e.x)) return fieldReason('x', PIXEL, e.x);
  if (!pixelOrAbsent(e.y)) return fieldReason('y', PIXEL, e.y);
  if (!scrollAmountOrAbsent(e.dx)) return fieldReason('dx', SCROLL, e.dx);
  if (!scrollAmountOrAbsent(e.dy)) return fieldReason('dy', SCROLL, e.dy);
  const duration = e.duration_ms;
  if (duration !== undefined && !(Number.isSafeInteger(duration) && duration >= 0)) return fieldReason('duration_ms', 'non-negative integer ms', duration);
  const screen = e.screen;
  if (screen !== undefined) {
    const { width, height, scale } = screen;
    // int32 in the dataset, like pixel positions
    if (!Number.isInteger(width) || width <= 0 || !fitsDatasetInt32(width)) return fieldReason('screen.width', 'positive integer within int32', width);
    if (!Number.isInteger(height) || height <= 0 || !fitsDatasetInt32(height)) return fieldReason('screen.height', 'positive integer within int32', height);
    if (!isFiniteNumber(scale) || scale <= 0) return fieldReason('screen.scale', 'positive number', scale);
  }
  return requiredForType(e);
}

/**
 * Validates a parsed record (JSON, or a generic Avro value) as an `InputEvent`. On success `event`
 * is a new object in the `newInputEvent` shape: null fields absent (undefined), unknown fields
 * left out (a newer agent may send more than this version knows).
 */
export function decodeEvent(raw: unknown, ts: TsLimits = ANY_TS): DecodeResult<InputEvent> {
  if (!isObject(raw)) return fail(`expected an event object, got ${describe(raw)}`);
  const e = raw;
  if (typeof e.event_id !== 'string') return fieldError('event_id', 'non-empty string', e.event_id);
  if (typeof e.device_id !== 'string') return fieldError('device_id', 'non-empty string', e.device_id);
  if (typeof e.user_id !== 'string') return fieldError('user_id', 'non-empty string', e.user_id);
  if (typeof e.seq !== 'number') return fieldError('seq', 'non-negative integer', e.seq);
  if (typeof e.ts !== 'number') return fieldError('ts', 'integer epoch ms', e.ts);
  const type = e.type;
  if (typeof type !== 'string') return fieldError('type', `one of ${EVENT_TYPES.join('/')}`, type);
  if (!EVENT_TYPE_SET.has(type)) return fail(`unknown type '${type}'`);
  const badType = checkOptionalTypes(e);
  if (badType) return badType;
  const event = eventOf(e);
  const badValue = checkEventValues(event, ts);
  if (badValue !== undefined) return fail(badValue);
  return { ok: true, event };
}

/** The decode stage for a source's record: its event checked against the contract, or the reason it is not one. */
export function eventOfRecord(record: SourceRecord, ts: TsLimits = ANY_TS): InputEvent | string {
  const typed = record.event;
  if (typed !== undefined) return checkEventValues(typed, ts) ?? typed;
  const decoded = decodeEvent(record.value, ts);
  return decoded.ok ? decoded.event : decoded.reason;
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
