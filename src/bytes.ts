// Buffer's own string decoders without the argument checks of `toString` (present on every Node
// Buffer, untyped): the sources and the Avro reader call them once or more per record.
type Slice = (this: Buffer, start: number, end: number) => string;

export const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Slice }).utf8Slice;
/** for bytes known to be ASCII only. */
export const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Slice }).latin1Slice;

/**
 * `TAIL_MASKS[n]` keeps the low n bytes (0 to 3) of a little-endian word: the last bytes of a string
 * read as one word and masked, where bytes follow it in the buffer, instead of a byte loop whose
 * exit was mispredicted whenever a string's length differed from the one before (ids, key codes,
 * characters).
 */
export const TAIL_MASKS = new Int32Array([0, 0xff, 0xffff, 0xffffff]);
