/**
 * Compact in-memory provenance graph of one project (SPEC §1, §4 "in-memory graph index").
 *
 * Layout (why: 10^6 vertices / 3·10^6 edges must fit in ≤ 150 bytes per edge and traversals must
 * not chase pointers): vertices are interned to dense indices 0..n-1 by an {@link InternTable}
 * (id characters off the JS heap, so a large graph is not a million objects for the GC); kind (Uint8), time (Float64 ms), placeholder flag (Uint8) and
 * label (string-table id, Int32) live in parallel typed arrays; properties in a string-table-backed
 * {@link PropStore}; edges in CSR form for both directions plus an append buffer ({@link EdgeStore}).
 *
 * Invariants: a vertex index never changes (compaction included) except through
 * {@link ProvGraph.relayout}, which renumbers every vertex at once; an edge (type, from, to) is
 * stored once, with the earliest time seen; a vertex's time is the earliest time anything asserted
 * it (its own event or an incident edge), so an "as of T" view never shows an edge whose endpoint
 * it hides. Pure: no I/O. Callbacks must not mutate the graph they iterate.
 */
import { kindOfId } from '../../model/ids.js';
import { EDGE_TYPES, VERTEX_KINDS, type EdgeType, type VertexKind } from '../../model/types.js';
import { EdgeStore, type EdgeVisitor, type NeighbourVisitor } from './edges.js';
import { InternTable } from './intern.js';
import { PropStore, StringTable, type PropValue } from './props.js';
import { byteSize, fit, gather, grow } from './typed.js';

export type { PropValue } from './props.js';
export type { EdgeVisitor, NeighbourVisitor } from './edges.js';

/** Dense code of each edge type: its index in EDGE_TYPES (bit position in a type mask). */
export const EDGE_TYPE_CODE: Readonly<Record<EdgeType, number>> = Object.fromEntries(
  EDGE_TYPES.map((t, i) => [t, i]),
) as Record<EdgeType, number>;

/** The edge type with code `code` (throws on an unknown code: a programming error). */
export function edgeTypeOfCode(code: number): EdgeType {
  const t = EDGE_TYPES[code];
  if (t === undefined) throw new RangeError(`unknown edge type code ${code}`);
  return t;
}

/** Bit mask (bit = type code) selecting the given edge types. */
export function edgeTypeMask(types: Iterable<EdgeType>): number {
  let mask = 0;
  for (const t of types) mask |= 1 << EDGE_TYPE_CODE[t];
  return mask;
}

/** Mask selecting every edge type. */
export const ANY_EDGE_TYPE = (1 << EDGE_TYPES.length) - 1;

const KIND_CODE: Readonly<Record<VertexKind, number>> = { entity: 0, activity: 1, agent: 2 };

/** 'out' follows PROV direction (derived → source, i.e. upstream); 'in' the reverse. */
export type Direction = 'out' | 'in';

export interface Neighbour {
  vertex: number;
  type: EdgeType;
  time: number;
}

export interface ProvGraphOptions {
  /** Compact when buffered edges exceed this fraction of CSR edges (default 1/8) ... */
  compactFraction?: number;
  /** ... and this absolute number (default 1024), so small graphs do not compact constantly. */
  compactMinEdges?: number;
}

/** Footprint; typed arrays and intern tables counted at capacity (only a buffered-edge map is estimated). */
export interface MemoryEstimate {
  vertexBytes: number;
  edgeBytes: number;
  propBytes: number;
  idBytes: number;
  totalBytes: number;
  bytesPerEdge: number;
}

const NO_LABEL = -1;

export class ProvGraph {
  private readonly ids = new InternTable();
  private readonly strings = new StringTable();
  private readonly store = new PropStore(this.strings);
  private readonly edges: EdgeStore;
  private kinds = new Uint8Array(0);
  private times = new Float64Array(0);
  private placeholder = new Uint8Array(0);
  private labels = new Int32Array(0);
  private changes = 0;

  constructor(options: ProvGraphOptions = {}) {
    this.edges = new EdgeStore(options.compactFraction ?? 1 / 8, options.compactMinEdges ?? 1024);
  }

  /** Bumped on every logical change (vertex, property, label, edge, earlier time); not by compaction. */
  get version(): number {
    return this.changes;
  }

  get vertexCount(): number {
    return this.ids.size;
  }

  get edgeCount(): number {
    return this.edges.count;
  }

  /** Edges not yet merged into CSR (for tests and metrics). */
  get bufferedEdgeCount(): number {
    return this.edges.buffered;
  }

  /**
   * Records a vertex's own event and returns its index. Idempotent: repeating it changes nothing.
   * A placeholder created by an earlier edge becomes a real vertex of `kind`; the time only ever
   * moves earlier; `props` are merged (later values win); `label` replaces the label. O(|props|).
   */
  addVertex(id: string, kind: VertexKind, time: number, props?: Readonly<Record<string, PropValue>>, label?: string): number {
    let v = this.ids.lookup(id);
    let changed = false;
    if (v < 0) {
      v = this.intern(id, kind, time, 0);
      changed = true;
    } else {
      if (this.placeholder[v] === 1 || this.kinds[v] !== KIND_CODE[kind]) {
        this.placeholder[v] = 0;
        this.kinds[v] = KIND_CODE[kind];
        changed = true;
      }
      if (time < this.times[v]!) {
        this.times[v] = time;
        changed = true;
      }
    }
    if (label !== undefined) {
      const l = this.strings.intern(label);
      if (this.labels[v] !== l) {
        this.labels[v] = l;
        changed = true;
      }
    }
    if (props) for (const [k, value] of Object.entries(props)) if (this.store.set(v, k, value)) changed = true;
    if (changed) this.changes++;
    return v;
  }

  /** Sets one property, creating a placeholder vertex (at `time`) for an unknown id. True if changed. */
  setProp(id: string, key: string, value: PropValue, time: number): boolean {
    const before = this.changes;
    const v = this.ensure(id, time);
    const changed = this.store.set(v, key, value) || this.changes !== before;
    this.changes = before + (changed ? 1 : 0);
    return changed;
  }

  /**
   * Records edge (type, from → to) at `time`, PROV direction. Idempotent: the same triple twice is
   * one edge keeping the earliest time. Unknown endpoints become placeholders whose kind comes from
   * the id prefix (RangeError when the prefix names no kind). Returns true when the graph changed.
   * O(log deg(from)) plus amortized O(1) compaction.
   */
  addEdge(type: EdgeType, fromId: string, toId: string, time: number): boolean {
    const code = EDGE_TYPE_CODE[type];
    if (code === undefined) throw new RangeError(`unknown edge type ${String(type)}`);
    const before = this.changes;
    const f = this.ensure(fromId, time);
    const t = this.ensure(toId, time);
    const changed = this.edges.upsert(f, t, code, time) || this.changes !== before;
    this.changes = before + (changed ? 1 : 0);
    return changed;
  }

  hasVertex(id: string): boolean {
    return this.ids.lookup(id) >= 0;
  }

  /** The index of `id`, or -1 when unknown. */
  indexOf(id: string): number {
    return this.ids.lookup(id);
  }

  /** The id of vertex `v` (a fresh string each call); RangeError for an unknown index. */
  idOf(v: number): string {
    if (!(v >= 0 && v < this.ids.size)) throw new RangeError(`no vertex ${v}`);
    return this.ids.get(v);
  }

  kindOf(v: number): VertexKind {
    return VERTEX_KINDS[this.kinds[v]!]!;
  }

  timeOf(v: number): number {
    return this.times[v]!;
  }

  /** True while only edges/properties referenced the vertex and its own event has not arrived. */
  isPlaceholder(v: number): boolean {
    return this.placeholder[v] === 1;
  }

  labelOf(v: number): string | null {
    const l = this.labels[v]!;
    return l === NO_LABEL ? null : this.strings.get(l);
  }

  prop(v: number, key: string): PropValue | undefined {
    return this.store.get(v, key);
  }

  props(v: number): Record<string, PropValue> {
    return this.store.entries(v);
  }

  /**
   * {@link props} without decoding: `fn(keyId, isNumber, value)` per property, the number itself
   * or a code for a string or boolean ({@link propText} decodes keys, {@link propValue} codes).
   * For aggregations over many vertices that decode only what they report.
   */
  forEachPropRaw(v: number, fn: (keyId: number, isNumber: boolean, value: number) => void): void {
    this.store.forEachRaw(v, fn);
  }

  /** The key a forEachPropRaw key id stands for. */
  propText(keyId: number): string {
    return this.strings.get(keyId);
  }

  /** The string or boolean a forEachPropRaw value code stands for. */
  propValue(code: number): string | boolean {
    return this.store.decodeRaw(code);
  }

  /**
   * Calls `fn(neighbour, typeCode, time)` for each edge of `v` in direction `dir` whose type bit is
   * in `mask` and whose time lies in [notBefore, asOf]. O(deg(v)), allocation-free. RangeError for
   * an unknown index.
   */
  forEachNeighbour(v: number, dir: Direction, mask: number, fn: NeighbourVisitor, asOf = Infinity, notBefore = -Infinity): void {
    if (!(v >= 0 && v < this.ids.size)) throw new RangeError(`no vertex ${v}`);
    this.edges.forEach(v, dir, mask, fn, asOf, notBefore);
  }

  /**
   * Breadth-first search in place ({@link EdgeStore.bfs}): queue[0, tail) holds the start
   * vertices, stamped with `generation` at distance 0; appends every vertex first reached over
   * edges of `dir` in `mask` no later than asOf, whose own time is no later than asOf either, up
   * to distance maxDepth, and returns the new tail. `onEdge` sees every followed edge. The arrays
   * must hold vertexCount entries. The walk stops as soon as the tail reaches `limit`.
   */
  bfs(
    queue: Uint32Array,
    tail: number,
    stamp: Uint32Array,
    dist: Uint32Array,
    generation: number,
    dir: Direction,
    mask: number,
    maxDepth: number,
    asOf: number,
    onEdge: EdgeVisitor | null,
    limit = Infinity,
  ): number {
    return this.edges.bfs(queue, tail, stamp, dist, generation, dir, mask, maxDepth, asOf, asOf === Infinity ? null : this.times, onEdge, limit);
  }

  /** Allocating convenience over {@link forEachNeighbour}. */
  neighbours(v: number, dir: Direction, mask = ANY_EDGE_TYPE, asOf = Infinity): Neighbour[] {
    const out: Neighbour[] = [];
    this.forEachNeighbour(v, dir, mask, (w, c, time) => out.push({ vertex: w, type: edgeTypeOfCode(c), time }), asOf);
    return out;
  }

  /** Calls `fn(from, to, typeCode, time)` once per edge. O(n + m). */
  forEachEdge(fn: (from: number, to: number, typeCode: number, time: number) => void): void {
    for (let v = 0; v < this.ids.size; v++) this.edges.forEach(v, 'out', ANY_EDGE_TYPE, (w, c, tm) => fn(v, w, c, tm), Infinity, -Infinity);
  }

  /**
   * Merges buffered edges into CSR (also automatic in addEdge) and releases the spare capacity
   * every growable array keeps (they grow by doubling): call it after a bulk load such as a
   * bootstrap; later additions regrow amortized O(1). Safe any time. O(n + m + b log b).
   */
  compact(): void {
    this.edges.compact();
    this.edges.trim();
    const n = this.ids.size;
    this.kinds = fit(this.kinds, n);
    this.times = fit(this.times, n);
    this.placeholder = fit(this.placeholder, n);
    this.labels = fit(this.labels, n);
    this.store.trim();
    this.strings.trim();
    this.ids.trim();
  }

  /**
   * Renumbers the vertices for locality and returns the mapping (old index → new index). The
   * new order is a depth-first postorder over the upstream (PROV-direction) edges, the searches
   * started from the newest vertices first: a vertex comes right after the part of its upstream
   * closure not placed before it. Its kind, time, label, id characters, properties and edges
   * follow it, so an upstream lineage walk reads mostly contiguous memory instead of one
   * random cache line per array per vertex (on a graph much larger than the CPU caches, lineage
   * at depth 20 got ~3× faster; services/graph/README.md, "Performance").
   *
   * Content is unchanged (same ids, kinds, times, labels, properties, edges) and so is
   * {@link version}; every index held from before is invalid afterwards. Vertices added later
   * are appended after the laid-out ones. Meant for after a bulk load (the service's bootstrap).
   * O((n + m) + n log n) time; transient memory about the size of the edge arrays.
   */
  relayout(): Uint32Array {
    this.compact();
    const n = this.ids.size;
    const times = this.times;
    const roots = new Uint32Array(n);
    for (let v = 0; v < n; v++) roots[v] = v;
    roots.sort((a, b) => times[b]! - times[a]! || b - a);
    const order = this.edges.postorder(roots);
    const newOf = new Uint32Array(n);
    for (let i = 0; i < n; i++) newOf[order[i]!] = i;
    this.ids.permute(order);
    this.kinds = gather(this.kinds, order);
    this.times = gather(this.times, order);
    this.placeholder = gather(this.placeholder, order);
    this.labels = gather(this.labels, order);
    this.store.permute(newOf);
    this.edges.renumber(order, newOf);
    return newOf;
  }

  /** Footprint from the capacities of the typed arrays and intern tables that hold everything. O(1). */
  memoryEstimate(): MemoryEstimate {
    const vertexBytes = byteSize(this.kinds, this.times, this.placeholder, this.labels);
    const edgeBytes = this.edges.byteSize();
    const propBytes = this.store.byteSize() + this.strings.estimateBytes();
    const idBytes = this.ids.byteSize();
    const totalBytes = vertexBytes + edgeBytes + propBytes + idBytes;
    return { vertexBytes, edgeBytes, propBytes, idBytes, totalBytes, bytesPerEdge: totalBytes / Math.max(1, this.edges.count) };
  }

  /** {@link memoryEstimate}().bytesPerEdge: the memory budget metric (target ≤ 150). */
  bytesPerEdge(): number {
    return this.memoryEstimate().bytesPerEdge;
  }

  private ensure(id: string, time: number): number {
    const v = this.ids.lookup(id);
    if (v < 0) {
      const kind = kindOfId(id);
      if (kind === null) throw new RangeError(`cannot infer the kind of vertex id ${JSON.stringify(id)}`);
      this.changes++;
      return this.intern(id, kind, time, 1);
    }
    if (time < this.times[v]!) {
      this.times[v] = time;
      this.changes++;
    }
    return v;
  }

  private intern(id: string, kind: VertexKind, time: number, placeholder: 0 | 1): number {
    const v = this.ids.intern(id);
    this.kinds = grow(this.kinds, v + 1);
    this.times = grow(this.times, v + 1);
    this.placeholder = grow(this.placeholder, v + 1);
    this.labels = grow(this.labels, v + 1, NO_LABEL);
    this.edges.ensureVertices(v + 1);
    this.kinds[v] = KIND_CODE[kind];
    this.times[v] = time;
    this.placeholder[v] = placeholder;
    return v;
  }
}
