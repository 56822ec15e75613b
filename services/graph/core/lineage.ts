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
  if (query.direction !== 'both') return oneWay(graph, starts, query.direction === 'upstream' ? 'out' : 'in', mask, maxDepth, asOf, withEdges);
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
    const { queue, dist, count } = bfs(graph, starts, dir, mask, maxDepth, asOf, onEdge);
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
  const edges: LineageEdge[] = new Array<LineageEdge>(from.length);
  for (let i = 0; i < from.length; i++) {
    edges[i] = { type: edgeTypeOfCode(codes[i]!), from: found.get(from[i]!)!.id, to: found.get(to[i]!)!.id, time: times[i]! };
  }
  return { vertices: [...found.values()].sort((a, b) => a.distance - b.distance || a.index - b.index), edges };
}

/**
 * One direction: the BFS queue is the answer (each vertex once, levels in distance order), so no
 * map is needed: levels are sorted by index in place, and edge endpoints find their vertex's id
 * through `pos`, so each id string is produced once.
 */
function oneWay(graph: ProvGraph, starts: readonly number[], dir: Direction, mask: number, maxDepth: number, asOf: number, withEdges: boolean): LineageResult {
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
  const { queue, dist, pos, count } = bfs(graph, starts, dir, mask, maxDepth, asOf, onEdge);
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
  return { vertices, edges };
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
 * visited vertices in BFS order, dist their distances.
 */
function bfs(
  graph: ProvGraph,
  starts: readonly number[],
  dir: Direction,
  mask: number,
  maxDepth: number,
  asOf: number,
  onEdge: EdgeVisitor | null,
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
  const count = graph.bfs(queue, tail, stamp, dist, generation, dir, mask, maxDepth, asOf, onEdge);
  return { queue, dist, pos, count };
}
