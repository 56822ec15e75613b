/**
 * Graph segmentation (SPEC §5, our PgSeg): the part of the graph that explains how destination
 * vertices were derived from source vertices.
 *
 * Definitions (E_B = edges of an allowed type, time within the window, both ends not excluded;
 * a path is a walk along E_B in PROV direction; |p| its number of edges; L = maxLength):
 * - core: v with a path d ⇝ v ⇝ s, d ∈ Vdst, s ∈ Vsrc, of total length ≤ L. With Vsrc empty
 *   (as given by the caller, before exclusions): v with a path d ⇝ v of length ≤ L.
 * - similar: x ∉ core with a path x ⇝ s whose label string equals that of the tail q ⇝ s of a
 *   core path d ⇝ q ⇝ s with |d ⇝ q| + |q ⇝ s| ≤ L (so |x ⇝ s| = |q ⇝ s|). None when Vsrc is empty.
 * - expansion: vertices reached from core ∪ similar by ≤ hops out-edges of the expansion types
 *   (time window and exclusions still apply; L does not).
 * Paths are walks, not simple paths: identical on DAGs (provenance graphs), and it keeps every
 * step polynomial on graphs with cycles (simple-path constraints would make core membership
 * NP-hard there).
 *
 * Algorithm: BFS from Vdst along out-edges (distFromDst, depth ≤ L); BFS from the reached
 * sources along in-edges restricted to vertices reached from Vdst (distToSrc); core =
 * distFromDst + distToSrc ≤ L. Similar: level-synchronous BFS on the product graph from the
 * pairs (s, s) backwards along equally-labelled in-edges of both components; pair (x, q) at
 * level ℓ means x ⇝ s and q ⇝ s share a label string of length ℓ; pairs with
 * ℓ + distFromDst(q) > L are pruned (that sum never decreases going backwards). See similar.ts.
 * Complexity: O(visited vertices + their edges) for core and expansion (per-vertex state in
 * scratch maps sized by what the query visits: vertex-map.ts); O(Σ over reached pairs of
 * indeg(x)·indeg(q)) for the similar part, O(|E|²) worst case.
 *
 * There is no separate "as of" parameter: the time window's upper bound plays that role for
 * edges (vertex times are never later than their edges', see graph.ts).
 */
import { LINEAGE_EDGE_TYPES, type EdgeType, type VertexKind } from '../../model/types.js';
import { compileExclusion, type VertexPredicate } from './boundary.js';
import { edgeTypeMask, edgeTypeOfCode, type Direction, type ProvGraph } from './graph.js';
import { similarMatches, type Distances, type SimilarPart, type TraversalBounds } from './similar.js';
import { withVertexMaps, type VertexMap } from './vertex-map.js';
import { SEGMENT_ROLES, type SegmentRole } from '../limits.js';

export interface SegmentBoundary {
  /** Excluded vertices are never traversed; an excluded source or destination is simply absent. */
  exclude?: readonly VertexPredicate[];
  /** Edge types that make paths (default: SPEC §5 lineage edges). */
  edgeTypes?: readonly EdgeType[];
  /** Maximum path length in edges for the whole path d ⇝ s (default ∞). */
  maxLength?: number;
  /** Edges whose time lies outside [from, to] (inclusive, ms) are not traversed. */
  timeWindow?: { from?: number; to?: number };
  /** Context added around the result by following `edges` outward (PROV direction) ≤ `hops` times. */
  expansion?: { hops: number; edges: readonly EdgeType[] };
}

export { SEGMENT_ROLES, type SegmentRole };

export interface SegmentVertex {
  id: string;
  index: number;
  kind: VertexKind;
  role: SegmentRole;
  /** Core vertices (with Vsrc non-empty): length of the shortest boundary path to a source. */
  toSource: number | null;
  /** Core vertices: length of the shortest boundary path from a destination. */
  fromDestination: number | null;
  /** Similar vertices: length of the shortest matching path x ⇝ s. */
  matchLength: number | null;
  /** Expansion vertices: hops from the core ∪ similar part. */
  hops: number | null;
}

/** An edge in PROV direction. */
export interface SegmentEdge {
  type: EdgeType;
  from: string;
  to: string;
  time: number;
}

export interface SegmentResult {
  /** Sorted by vertex index. */
  vertices: SegmentVertex[];
  /** Induced edges among result vertices: allowed ∪ expansion types, within the time window. */
  edges: SegmentEdge[];
  /** graph.version the result was computed at. */
  graphVersion: number;
}

/**
 * segment(Vsrc, Vdst, boundary) as defined in the module comment (SPEC §5 and its §5.1 example).
 * Unknown ids are ignored like excluded ones. Throws RangeError on an invalid boundary
 * (negative or fractional maxLength / hops). Complexity: see the module comment.
 */
export function segment(
  graph: ProvGraph,
  sources: readonly string[],
  destinations: readonly string[],
  boundary: SegmentBoundary = {},
): SegmentResult {
  const maxLen = boundary.maxLength ?? Infinity;
  const hops = boundary.expansion?.hops ?? 0;
  if (!(maxLen >= 0) || (maxLen !== Infinity && !Number.isInteger(maxLen))) throw new RangeError(`invalid maxLength ${maxLen}`);
  if (!(hops >= 0) || !Number.isInteger(hops)) throw new RangeError(`invalid expansion hops ${hops}`);
  const expansionMask = hops > 0 ? edgeTypeMask(boundary.expansion?.edges ?? []) : 0;
  // Every step below touches only visited vertices (scratch maps sized by what the query
  // visits), so a query costs O(visited + their edges), not O(|V|).
  return withVertexMaps(graph, 6, ([memo, fromDstMap, toSrcMap, stateMap, matchMap, coreMap]) => {
    const bounds: TraversalBounds = {
      mask: edgeTypeMask(boundary.edgeTypes ?? LINEAGE_EDGE_TYPES),
      from: boundary.timeWindow?.from ?? -Infinity,
      to: boundary.timeWindow?.to ?? Infinity,
      maxLen,
      excluded: compileExclusion(graph, boundary.exclude, memo),
    };
    const dst = resolve(graph, destinations, bounds.excluded);
    const src = resolve(graph, sources, bounds.excluded);
    const fromDst = distances(graph, dst, 'out', bounds, null, fromDstMap!);
    // Sources not reached from Vdst cannot end a core path; every vertex on a path from a reached
    // vertex is itself reached, so the second BFS may stay inside the first one's visit set.
    const toSrc = sources.length === 0 ? null : distances(graph, src.filter((s) => fromDst.get(s) >= 0), 'in', bounds, fromDst, toSrcMap!);
    const core = toSrc === null ? fromDst.order : toSrc.order.filter((v) => fromDst.get(v) + toSrc.get(v) <= maxLen);
    const similar = sources.length === 0 ? null : similarMatches(graph, bounds, src, fromDst, core, matchMap!, coreMap!);
    return assemble(graph, bounds, src, dst, hops, expansionMask, fromDst, toSrc, core, similar, stateMap!);
  });
}

/** Expansion around core ∪ similar, then the result vertices (roles, distances) and induced edges. */
function assemble(
  graph: ProvGraph,
  bounds: TraversalBounds,
  src: readonly number[],
  dst: readonly number[],
  hops: number,
  expansionMask: number,
  fromDst: Distances,
  toSrc: Distances | null,
  core: readonly number[],
  similar: SimilarPart | null,
  state: VertexMap, // 0 outside, 1 core, 2 similar, 3 expansion
): SegmentResult {
  for (const v of core) state.set(v, 1);
  for (const v of similar?.vertices ?? []) state.set(v, 2);
  const result = [...core, ...(similar?.vertices ?? [])];
  const hopsOf = new Map<number, number>();
  let frontier = result.slice();
  for (let h = 1; h <= hops && frontier.length > 0; h++) {
    const next: number[] = [];
    for (const u of frontier) {
      graph.forEachNeighbour(u, 'out', expansionMask, (w) => {
        if (state.get(w) !== 0 || bounds.excluded(w)) return;
        state.set(w, 3);
        hopsOf.set(w, h);
        next.push(w);
      }, bounds.to, bounds.from);
    }
    result.push(...next);
    frontier = next;
  }

  const srcSet = new Set(src);
  const dstSet = new Set(dst);
  const vertices: SegmentVertex[] = [];
  const edges: SegmentEdge[] = [];
  const edgeMask = bounds.mask | expansionMask;
  result.sort((a, b) => a - b);
  for (const v of result) {
    const st = state.get(v);
    const role: SegmentRole = st === 1 ? (srcSet.has(v) ? 'source' : dstSet.has(v) ? 'destination' : 'core') : st === 2 ? 'similar' : 'expansion';
    vertices.push({
      id: graph.idOf(v),
      index: v,
      kind: graph.kindOf(v),
      role,
      toSource: st === 1 && toSrc ? toSrc.get(v) : null,
      fromDestination: st === 1 ? fromDst.get(v) : null,
      matchLength: st === 2 && similar ? similar.matchLength(v) : null,
      hops: st === 3 ? hopsOf.get(v)! : null,
    });
    graph.forEachNeighbour(v, 'out', edgeMask, (w, code, time) => {
      if (state.get(w) !== 0) edges.push({ type: edgeTypeOfCode(code), from: graph.idOf(v), to: graph.idOf(w), time });
    }, bounds.to, bounds.from);
  }
  return { vertices, edges, graphVersion: graph.version };
}

/** Known, non-excluded, de-duplicated vertex indices of `ids`. */
function resolve(graph: ProvGraph, ids: readonly string[], excluded: (v: number) => boolean): number[] {
  const out = new Set<number>();
  for (const id of ids) {
    const v = graph.indexOf(id);
    if (v >= 0 && !excluded(v)) out.add(v);
  }
  return [...out];
}

/**
 * Multi-source BFS along `dir` within the bounds, depth ≤ maxLen; when `within` is given only
 * vertices it reached are entered. O(visited + their edges).
 */
function distances(graph: ProvGraph, starts: readonly number[], dir: Direction, b: TraversalBounds, within: Distances | null, plusOne: VertexMap): Distances {
  // plusOne: distance + 1; 0 = unreached
  const order: number[] = [];
  for (const s of starts) {
    if (plusOne.get(s) !== 0) continue;
    plusOne.set(s, 1);
    order.push(s);
  }
  for (let head = 0; head < order.length; head++) {
    const u = order[head]!;
    const d = plusOne.get(u); // = dist(u) + 1 = dist of its neighbours
    if (d > b.maxLen) continue;
    graph.forEachNeighbour(u, dir, b.mask, (w) => {
      if (plusOne.get(w) !== 0 || (within !== null && within.get(w) < 0) || b.excluded(w)) return;
      plusOne.set(w, d + 1);
      order.push(w);
    }, b.to, b.from);
  }
  return { order, get: (v) => plusOne.get(v) - 1 };
}
