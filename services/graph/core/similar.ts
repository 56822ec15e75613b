/**
 * The similar-provenance part of a segment (SPEC §5): the same-generation language
 * x ⇝ s ⇝⁻¹ q with equal label strings on both halves, computed on the product graph.
 *
 * Pair (x, q) is reached at level ℓ when some path x ⇝ s and some path q ⇝ s (same source s)
 * carry the same label string of length ℓ. Level 0 holds (s, s) for every core source. From
 * (x, q) at level ℓ, for each in-edge q' → q of type t and each in-edge x' → x of the same type t,
 * (x', q') is reached at level ℓ + 1. BFS order gives each pair its shortest ℓ.
 *
 * Eligibility: the tail q ⇝ s must belong to a core path d ⇝ q ⇝ s of length ≤ L, i.e.
 * ℓ + distFromDst(q) ≤ L for the shortest ℓ. Going backwards ℓ grows by 1 and distFromDst(q')
 * ≥ distFromDst(q) − 1, so ℓ + distFromDst never decreases: pairs over the limit are pruned
 * without losing anything, and every q' kept is a core vertex.
 */
import type { ProvGraph } from './graph.js';
import { NumberSet } from './numset.js';
import type { VertexMap } from './vertex-map.js';

/** Boundary after resolution: what one traversal step may use. */
export interface TraversalBounds {
  /** Allowed edge types (bit = type code). */
  mask: number;
  /** Inclusive edge-time window. */
  from: number;
  to: number;
  /** Maximum path length in edges (∞ allowed). */
  maxLen: number;
  excluded: (v: number) => boolean;
}

/** BFS distances: `get(v)` is the distance or -1 when unreached; `order` the vertices reached. */
export interface Distances {
  order: number[];
  get(v: number): number;
}

export interface SimilarPart {
  /** Vertices outside the core with an eligible matching path, in discovery order. */
  vertices: number[];
  /** Length of the shortest eligible matching path of a similar vertex. */
  matchLength(v: number): number;
}

const TYPE_SLOTS = 8;

/**
 * The similar vertices. `fromDst` are core-search distances from Vdst; `core` the core vertices;
 * `matchPlusOne` and `coreIndex` are empty scratch maps (the answer's matchLength reads the first).
 * O(Σ over reached pairs of indeg(x)·indeg(q)) time, O(pairs) memory; pairs ≤ |V|·|core|.
 */
export function similarMatches(
  graph: ProvGraph,
  b: TraversalBounds,
  sources: readonly number[],
  fromDst: Distances,
  core: readonly number[],
  matchPlusOne: VertexMap, // shortest match length + 1; 0 = no match
  coreIndex: VertexMap, // index in `core` + 1; 0 = not core
): SimilarPart {
  const n = graph.vertexCount;
  const part: SimilarPart = { vertices: [], matchLength: (v) => matchPlusOne.get(v) - 1 };
  const coreSize = core.length;
  if (coreSize === 0) return part;
  core.forEach((v, i) => coreIndex.set(v, i + 1));
  if (!Number.isSafeInteger(n * coreSize)) throw new RangeError('segment too large for pair keys');
  const seen = new NumberSet();
  let xs: number[] = [];
  let qs: number[] = [];
  for (const s of sources) {
    if (coreIndex.get(s) === 0) continue;
    const key = s * coreSize + coreIndex.get(s) - 1;
    if (seen.has(key)) continue;
    seen.add(key);
    xs.push(s);
    qs.push(s);
  }
  // q-side predecessors of the current pair, bucketed by edge type code.
  const buckets: number[][] = Array.from({ length: TYPE_SLOTS }, () => []);
  for (let level = 0; xs.length > 0; level++) {
    const nextXs: number[] = [];
    const nextQs: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const q = qs[i]!;
      // Buckets are emptied lazily, on their first use for this pair (setting an array's length
      // is a runtime call in V8: clearing all eight per pair cost more than the matching).
      let typesWithCandidates = 0;
      graph.forEachNeighbour(q, 'in', b.mask, (q2, code) => {
        const d = fromDst.get(q2);
        if (d < 0 || d + level + 1 > b.maxLen || coreIndex.get(q2) === 0) return;
        if (((typesWithCandidates >>> code) & 1) === 0) {
          buckets[code]!.length = 0;
          typesWithCandidates |= 1 << code;
        }
        buckets[code]!.push(q2);
      }, b.to, b.from);
      if (typesWithCandidates === 0) continue;
      graph.forEachNeighbour(x, 'in', typesWithCandidates, (x2, code) => {
        if (b.excluded(x2)) return;
        for (const q2 of buckets[code]!) {
          const key = x2 * coreSize + coreIndex.get(q2) - 1;
          if (!seen.add(key)) continue;
          nextXs.push(x2);
          nextQs.push(q2);
          if (coreIndex.get(x2) === 0 && matchPlusOne.get(x2) === 0) {
            matchPlusOne.set(x2, level + 2);
            part.vertices.push(x2);
          }
        }
      }, b.to, b.from);
    }
    xs = nextXs;
    qs = nextQs;
  }
  return part;
}
