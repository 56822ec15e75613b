/**
 * A set of non-negative integers below 2^53 in typed arrays (open addressing, linear probing,
 * load ≤ 1/2). Why: the similar-provenance search visits up to millions of (x, q) pairs keyed by
 * x·|core| + i; those keys exceed V8's small integers, so a JS Set boxes every one of them and
 * spent most of a large segment's time hashing and allocating. Pure, no I/O.
 */
const EMPTY = -1;

/** Slots for `expected` keys at load ≤ 1/2: a power of two, at least 16. */
function capacityFor(expected: number): number {
  let capacity = 16;
  while (capacity < expected * 2) capacity *= 2;
  return capacity;
}

export class NumberSet {
  private keys: Float64Array;
  private count = 0;

  constructor(expected = 16) {
    this.keys = new Float64Array(capacityFor(expected)).fill(EMPTY);
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key` (an integer in [0, 2^53)); true when it was not in the set. O(1) expected. */
  add(key: number): boolean {
    const mask = this.keys.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot]!;
      if (k === key) return false;
      if (k === EMPTY) {
        this.keys[slot] = key;
        if (++this.count * 2 > this.keys.length) this.resize(this.keys.length * 2);
        return true;
      }
    }
  }

  has(key: number): boolean {
    const mask = this.keys.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot]!;
      if (k === key) return true;
      if (k === EMPTY) return false;
    }
  }

  private resize(capacity: number): void {
    const old = this.keys;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    const mask = capacity - 1;
    for (const key of old) {
      if (key === EMPTY) continue;
      let slot = hash(key) & mask;
      while (this.keys[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.keys[slot] = key;
    }
  }
}

/** Mixes both 32-bit halves of an integer key below 2^53. */
function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A map from non-negative integers below 2^53 to numbers, in typed arrays like NumberSet
 * (~32 bytes per entry at load ≤ 1/2; a JS Map with boxed keys and values costs ~3x that).
 */
export class NumberMap {
  private keys: Float64Array;
  private values: Float64Array;
  private count = 0;

  constructor(expected = 16) {
    const capacity = capacityFor(expected);
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  get(key: number): number | undefined {
    const mask = this.keys.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot]!;
      if (k === key) return this.values[slot]!;
      if (k === EMPTY) return undefined;
    }
  }

  /** Sets `key` (an integer in [0, 2^53)) to `value`. O(1) expected. */
  set(key: number, value: number): void {
    const mask = this.keys.length - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot]!;
      if (k === key) {
        this.values[slot] = value;
        return;
      }
      if (k === EMPTY) {
        this.keys[slot] = key;
        this.values[slot] = value;
        if (++this.count * 2 > this.keys.length) this.resize(this.keys.length * 2);
        return;
      }
    }
  }

  byteSize(): number {
    return this.keys.byteLength + this.values.byteLength;
  }

  /** Calls `fn(key, value)` for every entry, in no particular order; `fn` must not change the map. */
  forEach(fn: (key: number, value: number) => void): void {
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (key !== EMPTY) fn(key, this.values[i]!);
    }
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(capacity).fill(EMPTY);
    this.values = new Float64Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i]!;
      if (key === EMPTY) continue;
      let slot = hash(key) & mask;
      while (this.keys[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.keys[slot] = key;
      this.values[slot] = oldValues[i]!;
    }
  }
}
