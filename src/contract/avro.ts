// The Avro form of the contract (schemas/*.avsc): what the capture agents put on Kafka and what
// recordings are archived as. Decoding gives the event `decodeEvent` gives for the same JSON (the
// `newInputEvent` shape, nulls as undefined), so everything after the source is blind to the encoding.
// This module reads and writes records and single messages; its parts are in avro/: the reader
// schemas, the Confluent framing, the writer-schema registry, the mapping between avsc values and
// contract objects, and the fast reader of our own schema.
import type { InputEvent, RegistryRecord } from './events.ts';
import { CONFLUENT_HEADER_BYTES, frameSchemaId } from './avro/framing.ts';
import { eventFromAvro, eventToAvro, registryToAvro, registryValueFromAvro } from './avro/mapping.ts';
import { fastEventReaderActive, readEventFast, type AvroCursor } from './avro/fast-reader.ts';
import { inputEventType, registryRecordType, type AvroResolver, type AvroType } from './avro/schemas.ts';
import { eventWriters, registryWriters } from './avro/writer-schemas.ts';

export { frameConfluent, stripConfluentFraming } from './avro/framing.ts';
export { eventFromAvro, eventToAvro, registryToAvro, registryValueFromAvro } from './avro/mapping.ts';
export { fastEventReaderActive, type AvroCursor } from './avro/fast-reader.ts';
export { inputEventType, registryRecordType } from './avro/schemas.ts';
export {
  eventResolverForSchemaText,
  registerEventWriterSchema,
  registerRegistryWriterSchema,
  registryResolverForSchemaText,
} from './avro/writer-schemas.ts';

/**
 * Reads one event at `cursor.pos` and moves the cursor past it. `resolver` undefined means the bytes
 * were written with our schema. Throws on bytes that do not decode.
 */
export function readEvent(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): InputEvent {
  if (resolver === undefined && fastEventReaderActive) return readEventFast(buf, cursor);
  const { value, offset } = inputEventType.decode(buf, cursor.pos, resolver);
  if (offset < 0) throw new Error('truncated record');
  cursor.pos = offset;
  return eventFromAvro(value);
}

/**
 * Reads one event in its wire form, `event_id` included (re-encoding a recording, as `produce`
 * does): through avsc, since the hot path's reader keeps only the id's fingerprint.
 */
export function readWireEvent(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): InputEvent {
  const { value, offset } = inputEventType.decode(buf, cursor.pos, resolver);
  if (offset < 0) throw new Error('truncated record');
  cursor.pos = offset;
  const e = eventFromAvro(value);
  e.id_hash = undefined;
  e.event_id = (value as { event_id: string }).event_id;
  return e;
}

/** Reads one registry record (wire-shaped, nulls left out) at `cursor.pos` and moves the cursor past it. */
export function readRegistryValue(buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined): Record<string, unknown> {
  const { value, offset } = registryRecordType.decode(buf, cursor.pos, resolver);
  if (offset < 0) throw new Error('truncated record');
  cursor.pos = offset;
  return registryValueFromAvro(value);
}

// ---------------------------------------------------------------------------------------------
// Single messages (Kafka values).

/** Plain Avro binary of one event (no framing); throws on a value the schema cannot hold. */
export function encodeEvent(e: InputEvent): Buffer {
  return inputEventType.toBuffer(eventToAvro(e));
}

export function encodeRegistryRecord(r: RegistryRecord): Buffer {
  return registryRecordType.toBuffer(registryToAvro(r));
}

const wholeCursor: AvroCursor = { pos: 0 };

/** Reads one value from `start` to `end` of `buf`; no cursor or payload copy per message. */
function readWhole<T>(
  read: (buf: Buffer, cursor: AvroCursor, resolver: AvroResolver | undefined) => T,
  buf: Buffer,
  start: number,
  end: number,
  resolver: AvroResolver | undefined,
  what: string,
): T {
  const cursor = wholeCursor;
  cursor.pos = start;
  const value = read(buf, cursor, resolver);
  // a value inside a larger buffer (messages packed together) may read past its own end
  if (cursor.pos > end) throw new Error(`truncated ${what}`);
  if (cursor.pos !== end) throw new Error(`Avro ${what} has ${end - cursor.pos} trailing bytes (wrong writer schema?)`);
  return value;
}

/**
 * Decodes one event from plain Avro binary or a Confluent-framed message. A leading zero byte is
 * unambiguous here: in plain binary it would be an empty `event_id`, which the contract forbids.
 * The writer schema is `writerType` if given, else the one registered for the frame's schema id,
 * else ours. Throws on bytes that do not decode; the caller turns that into a dead letter.
 * The result is in the `newInputEvent` shape with the contract's field types; its values are not
 * checked yet (run `checkEventValues`).
 */
export function decodeEventBytes(buf: Buffer, writerType?: AvroType): InputEvent {
  return decodeEventSpan(buf, 0, buf.length, writerType);
}

/** `decodeEventBytes` of the message that lies between `start` and `end` of `buf` (messages packed into one buffer). */
export function decodeEventSpan(buf: Buffer, start: number, end: number, writerType?: AvroType): InputEvent {
  const schemaId = frameSchemaId(buf, start, end);
  const reading = writerType !== undefined ? eventWriters.forType(writerType) : schemaId === null ? undefined : eventWriters.forId(schemaId);
  return readWhole(readEvent, buf, schemaId === null ? start : start + CONFLUENT_HEADER_BYTES, end, reading?.resolver, 'event');
}

/**
 * Decodes one registry record (wire-shaped object, nulls left out; run `decodeRegistryRecord`).
 * Plain binary of a `person` record also starts with a zero byte, so framing is recognised only when
 * the frame's schema id is registered or when the bytes do not decode as plain binary.
 */
export function decodeRegistryRecordBytes(buf: Buffer, writerType?: AvroType): Record<string, unknown> {
  const schemaId = frameSchemaId(buf);
  const registered = schemaId === null ? undefined : registryWriters.forId(schemaId);
  const resolver = writerType !== undefined ? registryWriters.forType(writerType).resolver : registered?.resolver;
  const read = (start: number) => readWhole(readRegistryValue, buf, start, buf.length, resolver, 'registry record');
  if (schemaId === null) return read(0);
  if (registered !== undefined) return read(CONFLUENT_HEADER_BYTES);
  try {
    return read(0);
  } catch {
    return read(CONFLUENT_HEADER_BYTES);
  }
}
