// Whether two events are the same record: what tells a client's retry (dropped) from a different
// record that happens to share its id, or its id's 32-bit fingerprint (contract/event-id.ts), and
// its place in the device's stream. The fingerprint alone can be matched on purpose in under a
// second, and an agent may reuse an id; a record dropped as a retry while it said something else
// (an EU-linked focus, a pause) would lose its restriction. So the fingerprint only finds the
// candidates, and this decides: every contract field equal, the id included where both events
// still carry it (decoders keep only the fingerprint). Two records that say exactly the same thing
// are one record for every stage after this, whatever their ids.
import { EVENT_FIELDS, type InputEvent } from './events.ts';

/** Structural equality of decoded JSON values (strings, numbers, booleans, null, arrays, objects). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra).filter((k) => ra[k] !== undefined);
  if (keys.length !== Object.keys(rb).filter((k) => rb[k] !== undefined).length) return false;
  for (const k of keys) if (!sameValue(ra[k], rb[k])) return false;
  return true;
}

/** true when `a` and `b` say the same thing in every field: a retry of one is the other. */
export function sameRecord(a: InputEvent, b: InputEvent): boolean {
  for (const field of EVENT_FIELDS) {
    // the fingerprint was compared already (eventIdHash reads either form of the id)
    if (field === 'id_hash') continue;
    if (field === 'event_id' && (a.event_id === undefined || b.event_id === undefined)) continue;
    if (!sameValue(a[field], b[field])) return false;
  }
  return true;
}

/**
 * Records that turn protection on or off: a window, a pause, a lock, a location. Only these are
 * kept, as the last one placed, for comparison with a record that comes again at the same place;
 * any other record found there with the same id fingerprint is dropped as a retry, which can only
 * leave something out.
 */
export function isControlRecord(e: InputEvent): boolean {
  const type = e.type;
  return type === 'focus' || type === 'pause' || type === 'resume' || type === 'lock' || type === 'unlock' || e.geo !== undefined;
}
