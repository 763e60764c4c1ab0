// How state that lives long (tens of thousands of open episodes) is kept small in V8: numbers that
// are usually small integers stay small integers (`smallInt`), and short lists are sized by hand:
// a list starts as the shared empty one (`none`) or as `slots(n)` empty slots, its length kept in a
// count beside it, and `withRoom` gives it room for one more item before each write.

/**
 * `value` as a small integer when it is one; anything else (outside int32, fractional) as it is.
 * V8 keeps a small integer in the object's field itself, but the result of arithmetic on
 * timestamps (or a long read from Avro) is a heap-allocated double however small, and storing one
 * boxes that field in every object of the class, 16 bytes more each.
 */
export function smallInt(value: number): number {
  return value === (value | 0) ? value | 0 : value;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * The one empty list every hand-sized list (and every event without participants or tags) starts
 * from, instead of an empty array each: `withRoom` never writes to it, and it is frozen, so a
 * stage that tried to add to it would throw instead of changing everyone's.
 */
export function none<T>(): T[] {
  return EMPTY as unknown as T[];
}

/** what a list sized by hand starts at. */
const INITIAL_SLOTS = 2;

/** A list of `n` empty slots, its elements counted apart from its length (see `withRoom`). */
export function slots<T>(n: number = INITIAL_SLOTS): T[] {
  return new Array<T>(n);
}

/**
 * `list` (its first `count` slots in use) with room for one more: itself, or a copy twice as
 * long. A JS array grown by push takes 16 spare slots at once, about 130 bytes per list, and an
 * open episode holds several lists of a few items each. Never writes to `list`, so an empty
 * shared list can start any of them.
 */
export function withRoom<T>(list: T[], count: number): T[] {
  if (count < list.length) return list;
  const bigger = slots<T>(Math.max(INITIAL_SLOTS, 2 * list.length));
  for (let i = 0; i < count; i++) bigger[i] = list[i];
  return bigger;
}
