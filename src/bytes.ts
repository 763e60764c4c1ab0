// Buffer's own string decoders without the argument checks of `toString`: the sources and the Avro
// reader call them once or more per record. `utf8Slice` and `latin1Slice` are private to Node (on
// every Buffer since Node 0.x, untyped, undocumented); this is the one place that uses them. Where a
// Node no longer has them, the public `toString` (same result, slower) takes their place, and
// test/bytes.test.ts fails naming the missing method, so the change is seen rather than paid quietly.
type Slice = (this: Buffer, start: number, end: number) => string;

/** The public decoders the private ones stand in for. */
export const publicSlices: { readonly utf8: Slice; readonly latin1: Slice } = {
  utf8(this: Buffer, start: number, end: number) {
    return this.toString('utf8', start, end);
  },
  latin1(this: Buffer, start: number, end: number) {
    return this.toString('latin1', start, end);
  },
};

function privateSlice(name: 'utf8Slice' | 'latin1Slice'): Slice | undefined {
  const slice = (Buffer.prototype as unknown as Record<string, unknown>)[name];
  return typeof slice === 'function' ? (slice as Slice) : undefined;
}

/** Which of Node's private decoders this Node lacks (the public fallback is used for them). */
export const missingPrivateSlices: readonly string[] = (['utf8Slice', 'latin1Slice'] as const).filter((name) => privateSlice(name) === undefined);

export const utf8Slice: Slice = privateSlice('utf8Slice') ?? publicSlices.utf8;
/** for bytes known to be ASCII only. */
export const latin1Slice: Slice = privateSlice('latin1Slice') ?? publicSlices.latin1;

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
