/**
 * The path constraint of SPEC §6: a summary must invent no derivation path.
 *
 * Check 1 (soundness of the summary): every summary walk B0 -t1-> B1 … -tl-> Bl with l ≤ L has a
 * witness, a walk u0 -t1-> u1 … in one input segment with ui ∈ Bi. Each summary walk is followed
 * with the set of input nodes that end a witness of its prefix; an empty set is a false path.
 * Memoized on (block, frontier set, remaining length). Worst case exponential in L (the number
 * of summary walks), in practice small: a stable partition keeps every frontier non-empty and
 * repeats few frontiers.
 *
 * Check 2 (completeness): every input segment walk maps onto a summary walk. A walk maps iff each
 * of its edges maps, so it suffices (and is equivalent) to check every input edge. O(m).
 */
import { edgeTypeOfCode } from './graph.js';
import type { EdgeType } from '../../model/types.js';

/** Disjoint union of the segments: node = (segment, vertex); typed edges in CSR, both ways. */
export interface UnionGraph {
  nodeCount: number;
  edgeCount: number;
  /** Graph vertex index and segment index of each node. */
  vertex: Uint32Array;
  segment: Uint32Array;
  outOff: Uint32Array;
  outTgt: Uint32Array;
  outType: Uint8Array;
  /** Edge times (epoch ms), in outTgt's order. */
  outTime: Float64Array;
  inOff: Uint32Array;
  inSrc: Uint32Array;
  inType: Uint8Array;
}

export interface PathCheck {
  /** True when neither a false path nor an unmapped edge was found. */
  ok: boolean;
  /** A summary walk (blocks and edge types) with no witness in any segment. */
  falsePath: { blocks: number[]; types: EdgeType[] } | null;
  /** An input edge (segment, vertex ids) whose image is not a summary edge. */
  unmappedEdge: { segment: number; from: string; to: string; type: EdgeType } | null;
  /** (block, frontier) states examined: a cost indicator. */
  statesExplored: number;
}

export interface SummaryEdgeRef {
  typeCode: number;
  from: number;
  to: number;
}

/**
 * Runs both checks; `block[node]` is the node's summary vertex, `maxLength` is L ≥ 0, `idOf`
 * names graph vertices in the report.
 */
export function checkSummaryPaths(
  union: UnionGraph,
  block: Int32Array,
  blockCount: number,
  summaryEdges: readonly SummaryEdgeRef[],
  maxLength: number,
  idOf: (vertex: number) => string,
): PathCheck {
  const keys = new Set<number>();
  const adjacency: SummaryEdgeRef[][] = Array.from({ length: blockCount }, () => []);
  for (const e of summaryEdges) {
    keys.add((e.from * blockCount + e.to) * 8 + e.typeCode);
    adjacency[e.from]!.push(e);
  }
  for (let u = 0; u < union.nodeCount; u++) {
    for (let i = union.outOff[u]!; i < union.outOff[u + 1]!; i++) {
      const w = union.outTgt[i]!;
      const code = union.outType[i]!;
      if (!keys.has((block[u]! * blockCount + block[w]!) * 8 + code)) {
        const unmappedEdge = { segment: union.segment[u]!, from: idOf(union.vertex[u]!), to: idOf(union.vertex[w]!), type: edgeTypeOfCode(code) };
        return { ok: false, falsePath: null, unmappedEdge, statesExplored: 0 };
      }
    }
  }

  const members: number[][] = Array.from({ length: blockCount }, () => []);
  for (let u = 0; u < union.nodeCount; u++) members[block[u]!]!.push(u);
  const memo = new Map<string, number>();
  const stamp = new Int32Array(union.nodeCount);
  let generation = 0;
  let statesExplored = 0;
  const blocks: number[] = [];
  const types: EdgeType[] = [];

  const explore = (b: number, frontier: number[], remaining: number): boolean => {
    if (remaining === 0) return true;
    const key = `${b}|${frontier.join(',')}`;
    if ((memo.get(key) ?? -1) >= remaining) return true;
    memo.set(key, remaining);
    statesExplored++;
    for (const e of adjacency[b]!) {
      generation++;
      const next: number[] = [];
      for (const u of frontier) {
        for (let i = union.outOff[u]!; i < union.outOff[u + 1]!; i++) {
          const w = union.outTgt[i]!;
          if (union.outType[i] !== e.typeCode || block[w] !== e.to || stamp[w] === generation) continue;
          stamp[w] = generation;
          next.push(w);
        }
      }
      blocks.push(e.to);
      types.push(edgeTypeOfCode(e.typeCode));
      if (next.length === 0) return false;
      next.sort((x, y) => x - y);
      if (!explore(e.to, next, remaining - 1)) return false;
      blocks.pop();
      types.pop();
    }
    return true;
  };
  for (let b = 0; b < blockCount; b++) {
    blocks.length = 0;
    types.length = 0;
    blocks.push(b);
    if (!explore(b, members[b]!, maxLength)) {
      return { ok: false, falsePath: { blocks: [...blocks], types: [...types] }, unmappedEdge: null, statesExplored };
    }
  }
  return { ok: true, falsePath: null, unmappedEdge: null, statesExplored };
}
