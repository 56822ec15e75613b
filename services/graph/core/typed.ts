/**
 * Growable typed-array helpers for the graph core.
 *
 * Typed arrays keep the in-memory graph compact (no per-element object headers); these helpers
 * give them amortized O(1) append by doubling capacity. Pure, no I/O.
 */

export type NumericArray = Uint8Array | Uint32Array | Int32Array | Float64Array;

/**
 * Returns `a` when it already holds `min` elements, otherwise a copy with capacity
 * max(min, 2·|a|, 16); new slots are filled with `fill` (typed arrays default to 0).
 */
export function grow<T extends NumericArray>(a: T, min: number, fill = 0): T {
  if (a.length >= min) return a;
  const Ctor = a.constructor as new (n: number) => T;
  const b = new Ctor(Math.max(min, a.length * 2, 16));
  (b as unknown as { set(src: ArrayLike<number>): void }).set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** Bytes held by the backing buffers of the given arrays (capacity, not length in use). */
export function byteSize(...arrays: readonly NumericArray[]): number {
  let total = 0;
  for (const a of arrays) total += a.byteLength;
  return total;
}

/** `a` when it holds at most `n` elements, otherwise a copy of its first `n` (releases spare capacity). */
export function fit<T extends NumericArray>(a: T, n: number): T {
  return a.length > n ? (a.slice(0, n) as T) : a;
}

/** A new array of the same type with out[i] = a[order[i]] (order: new position → old index; every old index < a.length). */
export function gather<T extends NumericArray>(a: T, order: Uint32Array): T {
  const Ctor = a.constructor as new (n: number) => T;
  const out = new Ctor(order.length);
  for (let i = 0; i < order.length; i++) out[i] = a[order[i]!]!;
  return out;
}
