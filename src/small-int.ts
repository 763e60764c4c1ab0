// How the hot path stores numbers that are usually small integers (times since an episode's start,
// sequence numbers, offsets) in objects that live long: V8 keeps a small integer in the object's
// field itself, but the result of arithmetic on timestamps (or a long read from Avro) is a
// heap-allocated double however small, and storing one boxes that field in every object of the
// class, 16 bytes more each.

/** `value` as a small integer when it is one; anything else (outside int32, fractional) as it is. */
export function smallInt(value: number): number {
  return value === (value | 0) ? value | 0 : value;
}
