/**
 * Per-vertex property store backed by a shared string table.
 *
 * Why not one object per vertex: at 10^6 vertices JS objects cost ~100+ bytes each before any
 * property. Here every property is one record in parallel typed arrays (key id, tag, value,
 * next) linked from a per-vertex head, so a property costs 17 bytes and strings are interned once.
 * Numbers are stored inline (Float64), strings as string-table ids, booleans as 0/1.
 */
import { InternTable } from './intern.js';
import { byteSize, fit, grow } from './typed.js';

/** forEachRaw's codes for booleans (string ids are ≥ 0). */
const RAW_TRUE = -1;
const RAW_FALSE = -2;

/** A property value as the graph stores it (JSON values are stored as their string form). */
export type PropValue = string | number | boolean;

/**
 * Interns strings to dense ids; ids are stable for the table's lifetime. Backed by an
 * {@link InternTable} (characters off the JS heap), so get() returns a fresh string each call.
 */
export class StringTable {
  private readonly table = new InternTable();

  /** The id of `s`, allocating one when new. O(len) expected. */
  intern(s: string): number {
    return this.table.intern(s);
  }

  /** The id of `s` or undefined when it was never interned (lookups never allocate). */
  lookup(s: string): number | undefined {
    const id = this.table.lookup(s);
    return id < 0 ? undefined : id;
  }

  /** The string with id `id`; throws on an unknown id (a programming error). */
  get(id: number): string {
    return this.table.get(id);
  }

  get size(): number {
    return this.table.size;
  }

  /** Bytes held (buffers at capacity). */
  estimateBytes(): number {
    return this.table.byteSize();
  }

  /** Releases spare capacity (see InternTable.trim). */
  trim(): void {
    this.table.trim();
  }
}

const TAG_STRING = 0;
const TAG_NUMBER = 1;
const TAG_BOOL = 2;
const NONE = -1;

/** Properties of dense-indexed subjects (vertex indices). Not thread-safe; no I/O. */
export class PropStore {
  private head = new Int32Array(0);
  private key = new Uint32Array(0);
  private tag = new Uint8Array(0);
  private val = new Float64Array(0);
  private next = new Int32Array(0);
  private count = 0;
  /** 1 + the highest subject index set so far (the used part of `head`). */
  private subjects = 0;

  constructor(private readonly strings: StringTable) {}

  /** Sets subject `v`'s property; returns true when the stored value changed. O(props of v). */
  set(v: number, key: string, value: PropValue): boolean {
    this.head = grow(this.head, v + 1, NONE);
    if (v >= this.subjects) this.subjects = v + 1;
    const keyId = this.strings.intern(key);
    const [tag, num] = this.encode(value);
    for (let r = this.head[v]!; r !== NONE; r = this.next[r]!) {
      if (this.key[r] !== keyId) continue;
      if (this.tag[r] === tag && Object.is(this.val[r], num)) return false;
      this.tag[r] = tag;
      this.val[r] = num;
      return true;
    }
    const r = this.count++;
    this.key = grow(this.key, this.count);
    this.tag = grow(this.tag, this.count);
    this.val = grow(this.val, this.count);
    this.next = grow(this.next, this.count);
    this.key[r] = keyId;
    this.tag[r] = tag;
    this.val[r] = num;
    this.next[r] = this.head[v]!;
    this.head[v] = r;
    return true;
  }

  /** Subject `v`'s value for `key`, or undefined. Never allocates a string id. */
  get(v: number, key: string): PropValue | undefined {
    const keyId = this.strings.lookup(key);
    if (keyId === undefined || v >= this.head.length) return undefined;
    for (let r = this.head[v]!; r !== NONE; r = this.next[r]!) {
      if (this.key[r] === keyId) return this.decode(r);
    }
    return undefined;
  }

  /** All properties of `v` as a fresh object (insertion order not preserved). */
  entries(v: number): Record<string, PropValue> {
    const out: Record<string, PropValue> = {};
    if (v >= this.head.length) return out;
    for (let r = this.head[v]!; r !== NONE; r = this.next[r]!) {
      out[this.strings.get(this.key[r]!)] = this.decode(r);
    }
    return out;
  }

  /**
   * Calls `fn(keyId, isNumber, value)` per property of `v` without decoding a string: `value` is
   * the number itself for numbers, a string id for strings and RAW_TRUE / RAW_FALSE for booleans.
   * Key and string ids are the shared table's (decode values with decodeRaw).
   */
  forEachRaw(v: number, fn: (keyId: number, isNumber: boolean, value: number) => void): void {
    if (v >= this.head.length) return;
    for (let r = this.head[v]!; r !== NONE; r = this.next[r]!) {
      const tag = this.tag[r];
      const num = this.val[r]!;
      if (tag === TAG_NUMBER) fn(this.key[r]!, true, num);
      else fn(this.key[r]!, false, tag === TAG_BOOL ? (num === 1 ? RAW_TRUE : RAW_FALSE) : num);
    }
  }

  /** The value a forEachRaw code stands for (a string id, or RAW_TRUE / RAW_FALSE). */
  decodeRaw(code: number): string | boolean {
    if (code === RAW_TRUE) return true;
    if (code === RAW_FALSE) return false;
    return this.strings.get(code);
  }

  /**
   * Renumbers the subjects: subject v becomes newOf[v] (a permutation of 0..n-1, n ≥ every
   * subject set so far). Only the per-subject heads move; the records stay where they are. O(n).
   */
  permute(newOf: Uint32Array): void {
    const n = newOf.length;
    if (this.subjects > n) throw new RangeError(`permute: ${n} positions for ${this.subjects} subjects`);
    const head = new Int32Array(n).fill(NONE);
    for (let v = 0; v < this.subjects; v++) head[newOf[v]!] = this.head[v]!;
    this.head = head;
    this.subjects = n;
  }

  /** Releases spare capacity (arrays grow by doubling); later sets regrow them. */
  trim(): void {
    this.head = fit(this.head, this.subjects);
    this.key = fit(this.key, this.count);
    this.tag = fit(this.tag, this.count);
    this.val = fit(this.val, this.count);
    this.next = fit(this.next, this.count);
  }

  /** Bytes held by the store's typed arrays (capacity). */
  byteSize(): number {
    return byteSize(this.head, this.key, this.tag, this.val, this.next);
  }

  private encode(value: PropValue): [number, number] {
    if (typeof value === 'number') return [TAG_NUMBER, value];
    if (typeof value === 'boolean') return [TAG_BOOL, value ? 1 : 0];
    return [TAG_STRING, this.strings.intern(value)];
  }

  private decode(r: number): PropValue {
    const tag = this.tag[r];
    const num = this.val[r]!;
    if (tag === TAG_NUMBER) return num;
    if (tag === TAG_BOOL) return num === 1;
    return this.strings.get(num);
  }
}
