// Buffer's own string decoders without the argument checks of `toString` (present on every Node
// Buffer, untyped): the sources and the Avro reader call them once or more per record.
type Slice = (this: Buffer, start: number, end: number) => string;

export const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Slice }).utf8Slice;
/** for bytes known to be ASCII only. */
export const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Slice }).latin1Slice;
