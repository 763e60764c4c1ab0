// Buffer's own string decoders without the argument checks of `toString` (present on every Node
// Buffer, untyped): the sources and the Avro reader call them once or more per record.
type Slice = (this: Buffer, start: number, end: number) => string;

export const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Slice }).utf8Slice;
/** for bytes known to be ASCII only. */
export const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Slice }).latin1Slice;

/** `TAIL_MASKS[n]` keeps the low n bytes (0 to 3) of a little-endian word. */
const TAIL_MASKS = new Int32Array([0, 0xff, 0xffff, 0xffffff]);

/**
 * The one to three bytes from `start` to `end` of what `view` shows as a little-endian word,
 * zero-padded: the end of a string hashed a word at a time. One load and a mask where four bytes
 * can be read (a byte loop's exit was mispredicted whenever a string's length differed from the
 * one before: ids, key codes, characters), the byte loop only at the end of the buffer.
 */
export function tailWord(view: DataView, start: number, end: number): number {
  if (start + 4 <= view.byteLength) return view.getInt32(start, true) & TAIL_MASKS[end - start];
  let word = 0;
  for (let i = start, shift = 0; i < end; i++, shift += 8) word |= view.getUint8(i) << shift;
  return word;
}
