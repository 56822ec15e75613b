/**
 * Lineage queries (SPEC §4): upstream / downstream closure of vertices with depth, edge-type and
 * as-of-time filters, answered from the in-memory {@link ProvGraph}.
 *
 * BFS with generation-stamped visit marks: one Uint32Array of stamps (plus distance and queue
 * arrays) per graph is kept in a WeakMap and reused, so a query costs O(visited + their edges),
 * not O(|V|) for clearing. Not reentrant per graph (queries are synchronous, so fine).
 */
import { LINEAGE_EDGE_TYPES, type EdgeType, type VertexKind } from '../../model/types.js';
import { edgeTypeMask, edgeTypeOfCode, type Direction, type EdgeVisitor, type ProvGraph } from './graph.js';
import { grow } from './typed.js';

export type LineageDirection = 'upstream' | 'downstream' | 'both';

export interface LineageQuery {
  /** upstream = follow PROV direction (what X came from); downstream = reverse (what came from X). */
  direction: LineageDirection;
  /** Maximum distance in edges from the start vertices (default unbounded). */
  maxDepth?: number;
  /** Edge types followed (default: the lineage edges of SPEC §5). */
  edgeTypes?: readonly EdgeType[];
  /** Ignore edges and vertices whose time is later than this (default: now, i.e. everything). */
  asOf?: number;
  /** false: return the vertices only (`edges` empty), for callers that need just the closure. Default true. */
  edges?: boolean;
  /**
   * At most this many vertices (default unbounded). A larger closure is cut at whole distance
   * levels: the answer is exactly the one for `maxDepth: depthReached` (every vertex within that
   * distance, and its edges), with `truncated: true`. The start vertices are always returned.
   */
  maxNodes?: number;
}

export interface LineageVertex {
  id: string;
  index: number;
  kind: VertexKind;
  /** Shortest distance in edges from the start set. */
  distance: number;
  /** How it was reached; for 'both', a vertex reached both ways keeps the shorter (upstream on ties). */
  direction: 'start' | 'upstream' | 'downstream';
}

/** An edge, always in PROV direction (from = derived, to = source). */
export interface LineageEdge {
  type: EdgeType;
  from: string;
  to: string;
  time: number;
}

export interface LineageResult {
  vertices: LineageVertex[];
  /** Every edge the BFS followed (both ends within the depth limit), each once. */
  edges: LineageEdge[];
  /** True when `maxNodes` cut the closure: it has vertices at distance depthReached + 1 (within maxDepth) not returned. */
  truncated: boolean;
  /** Truncated: the distance up to which the answer is complete; otherwise the greatest distance returned (0 when only the start, -1 when nothing). */
  depthReached: number;
}

interface Scratch {
  stamp: Uint32Array;
  dist: Uint32Array;
  queue: Uint32Array;
  /** Position of a vertex in the sorted result (valid while stamp = generation). */
  pos: Uint32Array;
  generation: number;
}

const scratchByGraph = new WeakMap<ProvGraph, Scratch>();

function scratchFor(graph: ProvGraph): Scratch {
  let s = scratchByGraph.get(graph);
  if (!s) {
    s = { stamp: new Uint32Array(0), dist: new Uint32Array(0), queue: new Uint32Array(0), pos: new Uint32Array(0), generation: 0 };
    scratchByGraph.set(graph, s);
  }
  const n = graph.vertexCount;
  s.stamp = grow(s.stamp, n);
  s.dist = grow(s.dist, n);
  s.queue = grow(s.queue, n);
  s.pos = grow(s.pos, n);
  if (s.generation === 0xffffffff) {
    s.stamp.fill(0);
    s.generation = 0;
  }
  s.generation++;
  return s;
}

/**
 * Lineage closure of `start` (ids; unknown ids and vertices later than asOf are ignored).
 * 'both' is the union of the upstream and the downstream closures, not an undirected walk (which
 * would wander into siblings that are no lineage of the start). O(visited vertices + their edges
 * of the selected types); edges of 'both' are de-duplicated with a hash set.
 *
 * maxNodes: the walk stops once it has found maxNodes + 1 vertices; the last complete level d is
 * then known (the walk was expanding level d when it found the extra vertex), and the answer is
 * computed again with maxDepth d, so a cut answer is exactly "everything within distance d", never
 * an arbitrary part of a level. The extra walk costs at most another maxNodes vertices.
 */
export function lineage(graph: ProvGraph, start: string | readonly string[], query: LineageQuery): LineageResult {
  const starts: number[] = [];
  for (const id of typeof start === 'string' ? [start] : start) {
    const v = graph.indexOf(id);
    if (v >= 0) starts.push(v);
  }
  const mask = edgeTypeMask(query.edgeTypes ?? LINEAGE_EDGE_TYPES);
  const maxDepth = query.maxDepth ?? Infinity;
  const asOf = query.asOf ?? Infinity;
  const withEdges = query.edges ?? true;
  const maxNodes = query.maxNodes ?? Infinity;
  if (query.direction !== 'both') {
    const dir = query.direction === 'upstream' ? 'out' : 'in';
    const r = oneWay(graph, starts, dir, mask, maxDepth, asOf, withEdges, maxNodes);
    return typeof r === 'number' ? cut(oneWay(graph, starts, dir, mask, r, asOf, withEdges, Infinity) as LineageResult) : r;
  }
  const found = new Map<number, LineageVertex>();
  // Followed edges as numbers; ids are attached at the end from `found` (every endpoint of a
  // followed edge is a found vertex), so each id string is produced once per query.
  const from: number[] = [];
  const to: number[] = [];
  const codes: number[] = [];
  const times: number[] = [];
  const n = graph.vertexCount;
  const seenEdges = new Set<number | string>();
  for (const dir of ['out', 'in'] as const) {
    const onEdge = withEdges
      ? (u: number, w: number, code: number, time: number): void => {
          const f = dir === 'out' ? u : w;
          const t = dir === 'out' ? w : u;
          const key = n < 2 ** 24 ? (f * n + t) * 8 + code : `${f},${t},${code}`;
          if (seenEdges.has(key)) return;
          seenEdges.add(key);
          from.push(f);
          to.push(t);
          codes.push(code);
          times.push(time);
        }
      : null;
    const { queue, dist, count } = bfs(graph, starts, dir, mask, maxDepth, asOf, onEdge, maxNodes);
    for (let i = 0; i < count; i++) {
      const v = queue[i]!;
      const distance = dist[v]!;
      const prev = found.get(v);
      if (!prev || distance < prev.distance) {
        const direction = distance === 0 ? 'start' : dir === 'out' ? 'upstream' : 'downstream';
        found.set(v, { id: prev?.id ?? graph.idOf(v), index: v, kind: graph.kindOf(v), distance, direction });
      }
    }
  }
  const depth = maxNodes === Infinity ? Infinity : unionDepth(found, maxDepth, maxNodes);
  if (depth < maxDepth) return cut(lineage(graph, start, { ...query, maxDepth: depth, maxNodes: Infinity }));
  const edges: LineageEdge[] = new Array<LineageEdge>(from.length);
  for (let i = 0; i < from.length; i++) {
    edges[i] = { type: edgeTypeOfCode(codes[i]!), from: found.get(from[i]!)!.id, to: found.get(to[i]!)!.id, time: times[i]! };
  }
  const vertices = [...found.values()].sort((a, b) => a.distance - b.distance || a.index - b.index);
  return { vertices, edges, truncated: false, depthReached: vertices.length ? vertices[vertices.length - 1]!.distance : -1 };
}

const cut = (r: LineageResult): LineageResult => ({ ...r, truncated: true });

/**
 * 'both': the greatest d ≤ maxDepth whose union of the two closures within distance d has at
 * most maxNodes vertices (0 at least: the start is always returned). `found` holds, at its shorter
 * distance, every vertex the two walks found. A walk stopped at maxNodes + 1 vertices inside
 * level D has all of levels < D in `found`, and more than maxNodes vertices within D, so the
 * count overflows at D or before and the d returned is one whose union is complete in `found`.
 */
function unionDepth(found: ReadonlyMap<number, LineageVertex>, maxDepth: number, maxNodes: number): number {
  const perLevel: number[] = [];
  for (const v of found.values()) perLevel[v.distance] = (perLevel[v.distance] ?? 0) + 1;
  let total = 0;
  for (let d = 0; d < perLevel.length; d++) {
    total += perLevel[d] ?? 0;
    if (total > maxNodes) return Math.max(0, d - 1);
  }
  return maxDepth;
}

/**
 * One direction: the BFS queue is the answer (each vertex once, levels in distance order), so no
 * map is needed: levels are sorted by index in place, and edge endpoints find their vertex's id
 * through `pos`, so each id string is produced once. When the walk finds more than maxNodes
 * vertices it returns, instead of a result, the depth up to which it was complete (no id made).
 */
function oneWay(graph: ProvGraph, starts: readonly number[], dir: Direction, mask: number, maxDepth: number, asOf: number, withEdges: boolean, maxNodes: number): LineageResult | number {
  const from: number[] = [];
  const to: number[] = [];
  const codes: number[] = [];
  const times: number[] = [];
  const out = dir === 'out';
  const onEdge = withEdges
    ? (u: number, w: number, code: number, time: number): void => {
        from.push(out ? u : w);
        to.push(out ? w : u);
        codes.push(code);
        times.push(time);
      }
    : null;
  const { queue, dist, pos, count } = bfs(graph, starts, dir, mask, maxDepth, asOf, onEdge, maxNodes);
  if (count > maxNodes) return Math.max(0, dist[queue[maxNodes]!]! - 1);
  for (let a = 0; a < count; ) {
    let b = a + 1;
    while (b < count && dist[queue[b]!] === dist[queue[a]!]) b++;
    sortRange(queue, a, b);
    a = b;
  }
  const direction = out ? 'upstream' : 'downstream';
  const vertices = new Array<LineageVertex>(count);
  for (let i = 0; i < count; i++) {
    const v = queue[i]!;
    const distance = dist[v]!;
    if (withEdges) pos[v] = i;
    vertices[i] = { id: graph.idOf(v), index: v, kind: graph.kindOf(v), distance, direction: distance === 0 ? 'start' : direction };
  }
  const edges = new Array<LineageEdge>(from.length);
  for (let i = 0; i < from.length; i++) {
    edges[i] = { type: edgeTypeOfCode(codes[i]!), from: vertices[pos[from[i]!]!]!.id, to: vertices[pos[to[i]!]!]!.id, time: times[i]! };
  }
  return { vertices, edges, truncated: false, depthReached: count ? dist[queue[count - 1]!]! : -1 };
}

/** Sorts a[lo, hi) ascending: insertion sort for the short levels of a lineage walk (no subarray view to allocate), the typed-array sort beyond. */
function sortRange(a: Uint32Array, lo: number, hi: number): void {
  if (hi - lo > 32) {
    a.subarray(lo, hi).sort();
    return;
  }
  for (let i = lo + 1; i < hi; i++) {
    const x = a[i]!;
    let j = i;
    for (; j > lo && a[j - 1]! > x; j--) a[j] = a[j - 1]!;
    a[j] = x;
  }
}

/**
 * Level-ordered BFS from `starts` (those no later than asOf), each vertex once at its distance;
 * `onEdge` sees each followed edge. Returns the scratch arrays: queue[0, count) holds the
 * visited vertices in BFS order, dist their distances. Stops after maxNodes + 1 vertices.
 */
function bfs(
  graph: ProvGraph,
  starts: readonly number[],
  dir: Direction,
  mask: number,
  maxDepth: number,
  asOf: number,
  onEdge: EdgeVisitor | null,
  maxNodes: number,
): { queue: Uint32Array; dist: Uint32Array; pos: Uint32Array; count: number } {
  const s = scratchFor(graph);
  const { stamp, dist, queue, pos, generation } = s;
  let tail = 0;
  for (const v of starts) {
    if (stamp[v] === generation || graph.timeOf(v) > asOf) continue;
    stamp[v] = generation;
    dist[v] = 0;
    queue[tail++] = v;
  }
  const count = graph.bfs(queue, tail, stamp, dist, generation, dir, mask, maxDepth, asOf, onEdge, maxNodes + 1);
  return { queue, dist, pos, count };
}
