// Confluent wire framing: magic byte 0, schema id as a 4-byte big-endian integer, Avro payload.
const CONFLUENT_MAGIC = 0;
export const CONFLUENT_HEADER_BYTES = 5;

/** The schema id of a Confluent-framed message; null for a buffer without the magic byte (plain payload). */
export function frameSchemaId(buf: Buffer, start = 0, end = buf.length): number | null {
  if (end - start < CONFLUENT_HEADER_BYTES || buf[start] !== CONFLUENT_MAGIC) return null;
  // not `readUInt32BE`: it checks its argument and is not inlined, for every Kafka message
  return ((buf[start + 1] << 24) | (buf[start + 2] << 16) | (buf[start + 3] << 8) | buf[start + 4]) >>> 0;
}

/** Splits a Confluent-framed message; a buffer without the magic byte is returned as plain payload. */
export function stripConfluentFraming(buf: Buffer): { schemaId: number | null; payload: Buffer } {
  const schemaId = frameSchemaId(buf);
  return { schemaId, payload: schemaId === null ? buf : buf.subarray(CONFLUENT_HEADER_BYTES) };
}

export function frameConfluent(schemaId: number, payload: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + payload.length);
  framed[0] = CONFLUENT_MAGIC;
  framed.writeUInt32BE(schemaId >>> 0, 1);
  payload.copy(framed, CONFLUENT_HEADER_BYTES);
  return framed;
}
