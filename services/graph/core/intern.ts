/**
 * String interning off the JS heap: strings get dense ids 0..n-1 in first-seen order.
 *
 * Why: a graph of 10^6 vertices interns 10^6 ids plus as many property strings (content hashes,
 * commands). As JS strings behind a Map they cost ~70 bytes each on top of their characters, and
 * every major GC walks all of them, which made loading a large graph GC-bound. Here characters
 * live in one growable byte buffer (Latin-1, one byte per character), with a Uint32 offset and
 * hash per id and an open-addressing table of ids (load ≤ 1/2): about len + 20 bytes, and no
 * object for the GC to trace. The rare string with a character above U+00FF is kept as a JS
 * string in a side map (same ids, same semantics).
 *
 * Costs: intern / lookup O(len) expected (hash + one comparison); get() allocates a new string
 * each call (decode), so hot loops should compare ids, not strings. Pure, no I/O.
 */
import { grow } from './typed.js';

const EMPTY = -1;

/** 32-bit FNV-1a over UTF-16 code units, plus whether every unit fits one byte. */
function hashOf(s: string): { hash: number; latin1: boolean } {
  let h = 0x811c9dc5;
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    max |= c;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return { hash: h >>> 0, latin1: max < 256 };
}

type Latin1Buffer = Buffer & { latin1Slice?: (start: number, end: number) => string };

/** Buffer#latin1Slice skips toString's argument handling (~2× faster for short ids); same result. */
function decodeLatin1(buf: Latin1Buffer, start: number, end: number): string {
  return typeof buf.latin1Slice === 'function' ? buf.latin1Slice(start, end) : buf.toString('latin1', start, end);
}

export class InternTable {
  private bytes = new Uint8Array(256);
  private view = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  private used = 0;
  /** offsets[i] = start of string i; offsets[count] = end of the last one. */
  private offsets = new Uint32Array(17);
  private hashes = new Uint32Array(16);
  private slots = new Int32Array(32).fill(EMPTY);
  private count = 0;
  private readonly wide = new Map<number, string>();

  get size(): number {
    return this.count;
  }

  /** The id of `s`, allocating the next one when new. O(len) expected. */
  intern(s: string): number {
    const { hash, latin1 } = hashOf(s);
    const found = this.find(s, hash);
    if (found !== EMPTY) return found;
    const id = this.count++;
    this.hashes = grow(this.hashes, this.count);
    this.offsets = grow(this.offsets, this.count + 1);
    if (latin1) {
      if (this.used + s.length > this.bytes.length) {
        this.bytes = grow(this.bytes, this.used + s.length);
        this.view = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
      }
      for (let i = 0; i < s.length; i++) this.bytes[this.used + i] = s.charCodeAt(i);
      this.used += s.length;
    } else this.wide.set(id, s);
    this.offsets[id + 1] = this.used;
    this.hashes[id] = hash;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id, hash);
    return id;
  }

  /** The id of `s`, or -1 when it was never interned. Never allocates. */
  lookup(s: string): number {
    return this.find(s, hashOf(s).hash);
  }

  /** The string with id `id` (a fresh string each call); RangeError for an unknown id. */
  get(id: number): string {
    if (!(id >= 0 && id < this.count)) throw new RangeError(`unknown string id ${id}`);
    const start = this.offsets[id]!;
    const end = this.offsets[id + 1]!;
    if (start === end) return this.wide.get(id) ?? '';
    return decodeLatin1(this.view, start, end);
  }

  /** Bytes held: buffers at capacity plus an estimate for the rare wide strings. */
  byteSize(): number {
    let wide = 0;
    for (const s of this.wide.values()) wide += 16 + 2 * s.length + 40;
    return this.bytes.byteLength + this.offsets.byteLength + this.hashes.byteLength + this.slots.byteLength + wide;
  }

  /** Releases spare capacity of the character buffer and the per-id arrays (after a bulk load). */
  trim(): void {
    if (this.bytes.length > this.used) {
      this.bytes = this.bytes.slice(0, Math.max(this.used, 1));
      this.view = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    }
    if (this.hashes.length > this.count) this.hashes = this.hashes.slice(0, Math.max(this.count, 1));
    if (this.offsets.length > this.count + 1) this.offsets = this.offsets.slice(0, this.count + 1);
  }

  /**
   * Renumbers the strings: afterwards string `order[i]` has id i (`order` is a permutation of
   * 0..size-1). The characters are copied in the new order, so strings with nearby ids are
   * nearby in memory. O(total length + size).
   */
  permute(order: Uint32Array): void {
    if (order.length !== this.count) throw new RangeError(`permute: ${order.length} positions for ${this.count} strings`);
    const bytes = new Uint8Array(Math.max(this.used, 1));
    const offsets = new Uint32Array(this.count + 1);
    const hashes = new Uint32Array(Math.max(this.count, 1));
    const wide = new Map<number, string>();
    let used = 0;
    for (let i = 0; i < this.count; i++) {
      const old = order[i]!;
      const start = this.offsets[old]!;
      const end = this.offsets[old + 1]!;
      bytes.set(this.bytes.subarray(start, end), used);
      used += end - start;
      offsets[i + 1] = used;
      hashes[i] = this.hashes[old]!;
      const w = this.wide.get(old);
      if (w !== undefined) wide.set(i, w);
    }
    this.bytes = bytes;
    this.view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offsets = offsets;
    this.hashes = hashes;
    this.wide.clear();
    for (const [id, w] of wide) this.wide.set(id, w);
    this.rehash(this.slots.length);
  }

  private find(s: string, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot]!;
      if (id === EMPTY) return EMPTY;
      if (this.hashes[id] === hash && this.equals(id, s)) return id;
    }
  }

  private equals(id: number, s: string): boolean {
    const start = this.offsets[id]!;
    const end = this.offsets[id + 1]!;
    if (start === end) {
      const w = this.wide.get(id);
      return w !== undefined ? w === s : s.length === 0;
    }
    if (end - start !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (this.bytes[start + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  private place(id: number, hash: number): void {
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.slots[slot] = id;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity).fill(EMPTY);
    for (let id = 0; id < this.count; id++) this.place(id, this.hashes[id]!);
  }
}
