/**
 * Per-vertex property store backed by a shared string table.
 *
 * Why not one object per vertex: at 10^6 vertices JS objects cost ~100+ bytes each before any
 * property. Here every property is one record in parallel typed arrays (key id, tag, value,
 * next) linked from a per-vertex head, so a property costs 17 bytes and strings are interned once.
 * Numbers are stored inline (Float64), strings as string-table ids, booleans as 0/1.
 */
import { byteSize, grow } from './typed.js';

/** A property value as the graph stores it (JSON values are stored as their string form). */
export type PropValue = string | number | boolean;

/** Interns strings to dense ids; ids are stable for the table's lifetime. */
export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];

  /** The id of `s`, allocating one when new. O(1) expected. */
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /** The id of `s` or undefined when it was never interned (lookups never allocate). */
  lookup(s: string): number | undefined {
    return this.ids.get(s);
  }

  /** The string with id `id`; throws on an unknown id (a programming error). */
  get(id: number): string {
    const s = this.strings[id];
    if (s === undefined) throw new RangeError(`unknown string id ${id}`);
    return s;
  }

  get size(): number {
    return this.strings.length;
  }

  /** Rough heap estimate: string bodies + headers, map entry and array slot per string. */
  estimateBytes(): number {
    let chars = 0;
    for (const s of this.strings) chars += s.length;
    return chars + this.strings.length * (24 + 40 + 8);
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

  constructor(private readonly strings: StringTable) {}

  /** Sets subject `v`'s property; returns true when the stored value changed. O(props of v). */
  set(v: number, key: string, value: PropValue): boolean {
    this.head = grow(this.head, v + 1, NONE);
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
