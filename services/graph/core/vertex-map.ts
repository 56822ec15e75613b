/**
 * Vertex-keyed scratch maps for the per-query traversals (segment, similar, exclusions): an
 * open-addressing hash map in two Int32Arrays whose size follows what the query visits.
 *
 * Why: a zeroed `new Int32Array(graph.vertexCount)` per array per query made every segment query
 * cost O(|V|) besides its O(visited) walk (a 4 MB calloc plus a page fault per page touched at
 * 10^6 vertices, ~0.17 ms each, four to six arrays per query: ~2/3 of a typical segment query).
 * Here a map starts as a small hash map, which stays in the CPU caches for the typical query,
 * and turns into a zeroed array over the vertices once it holds more than DENSE_AFTER entries
 * (a large query, for which the allocation is noise and direct indexing beats probing). A dense
 * array with generation stamps kept in a pool (O(1) clear) was measured too: as fast at p50, but
 * it keeps 8 bytes per vertex per map alive (~48 MB for a 10^6-vertex graph). The sparse part is
 * not numset.ts's NumberMap (Float64 keys for any integer below 2^53, a new map per reset):
 * built on it, segment p50 was 1.08–1.21 ms against 0.90–0.93 with these Int32 arrays.
 * {@link withVertexMaps} lends maps from a per-graph pool for one synchronous computation and
 * takes them back. Pure, no I/O.
 */
import type { ProvGraph } from './graph.js';

const EMPTY = -1;
const MIN_SLOTS = 64;
/** Past this many entries a map turns into a dense array over the graph's vertices. */
const DENSE_AFTER = 8192;

export class VertexMap {
  /** Open addressing, linear probing, load ≤ 1/2: keys[i] = vertex or EMPTY. */
  private keys = new Int32Array(MIN_SLOTS).fill(EMPTY);
  private values = new Int32Array(MIN_SLOTS);
  private count = 0;
  /** The value of every vertex, once a large query made the map dense (null while sparse). */
  private dense: Int32Array | null = null;
  private vertices = 0;

  /** Forgets every value; `vertices` bounds the keys until the next reset. O(small). */
  reset(vertices: number): void {
    this.vertices = vertices;
    this.dense = null;
    if (this.count === 0) return;
    if (this.keys.length > MIN_SLOTS * 4) {
      this.keys = new Int32Array(MIN_SLOTS).fill(EMPTY);
      this.values = new Int32Array(MIN_SLOTS);
    } else this.keys.fill(EMPTY);
    this.count = 0;
  }

  /** The value of v (0 when unset since the last reset). */
  get(v: number): number {
    if (this.dense !== null) return this.dense[v]!;
    const mask = this.keys.length - 1;
    for (let slot = (Math.imul(v, 0x9e3779b1) >>> 0) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot]!;
      if (k === v) return this.values[slot]!;
      if (k === EMPTY) return 0;
    }
  }

  set(v: number, value: number): void {
    if (this.dense !== null) {
      this.dense[v] = value;
      return;
    }
    const mask = this.keys.length - 1;
    for (let slot = (Math.imul(v, 0x9e3779b1) >>> 0) & mask; ; slot = (slot + 1) & mask) {
      const k = this.keys[slot]!;
      if (k === v) {
        this.values[slot] = value;
        return;
      }
      if (k === EMPTY) {
        this.keys[slot] = v;
        this.values[slot] = value;
        if (++this.count * 2 > this.keys.length) this.grow();
        return;
      }
    }
  }

  /** Doubles the table, or past DENSE_AFTER entries moves them into a dense array. */
  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    if (this.count > DENSE_AFTER && this.vertices > 0) {
      const dense = new Int32Array(this.vertices);
      for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) dense[keys[i]!] = values[i]!;
      this.dense = dense;
      return;
    }
    this.keys = new Int32Array(keys.length * 2).fill(EMPTY);
    this.values = new Int32Array(keys.length * 2);
    const mask = this.keys.length - 1;
    for (let i = 0; i < keys.length; i++) {
      const v = keys[i]!;
      if (v === EMPTY) continue;
      let slot = (Math.imul(v, 0x9e3779b1) >>> 0) & mask;
      while (this.keys[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.keys[slot] = v;
      this.values[slot] = values[i]!;
    }
  }
}

const pools = new WeakMap<ProvGraph, VertexMap[]>();

/**
 * Calls `fn` with `count` empty maps, and returns them to the graph's pool afterwards (also when
 * `fn` throws). Nested calls get other maps.
 */
export function withVertexMaps<T>(graph: ProvGraph, count: number, fn: (maps: VertexMap[]) => T): T {
  let pool = pools.get(graph);
  if (!pool) pools.set(graph, (pool = []));
  const maps: VertexMap[] = [];
  for (let i = 0; i < count; i++) {
    const m = pool.pop() ?? new VertexMap();
    m.reset(graph.vertexCount);
    maps.push(m);
  }
  try {
    return fn(maps);
  } finally {
    pool.push(...maps);
  }
}
