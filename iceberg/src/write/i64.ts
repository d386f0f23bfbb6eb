/**
 * Allocation-free access to BigInt64Array values. Reading `arr[i]` creates a
 * heap BigInt per row, which dominated the writer's profile (GC); these views
 * read the two 32-bit halves instead (little-endian, as Arrow buffers are).
 */
export interface I64Words {
  readonly lo: Uint32Array;
  readonly hi: Int32Array;
}

export function i64Words(a: BigInt64Array): I64Words {
  return {
    lo: new Uint32Array(a.buffer, a.byteOffset, a.length * 2),
    hi: new Int32Array(a.buffer, a.byteOffset, a.length * 2),
  };
}

/** Signed comparison of elements i and j. */
export function compareI64(w: I64Words, i: number, j: number): number {
  const hi = w.hi[2 * i + 1]! - w.hi[2 * j + 1]!;
  if (hi !== 0) return hi;
  return w.lo[2 * i]! - w.lo[2 * j]!;
}

/** Element i as a double; exact while |value| < 2^53 (±285 years of microseconds). */
export function i64ToNumber(w: I64Words, i: number): number {
  return w.hi[2 * i + 1]! * 4294967296 + w.lo[2 * i]!;
}
