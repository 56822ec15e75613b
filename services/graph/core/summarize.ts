/**
 * Graph summarization (SPEC §6, our PgSum): merge many segments into one "what usually happens"
 * graph by a bisimulation quotient.
 *
 * - Input: the disjoint union of the segments; node = (segment, vertex), so a vertex in two
 *   segments counts once in each. A segment's edges are all graph edges between its vertices
 *   (of every type unless the caller restricts them), whatever their time.
 * - Measured: 1,000 segments of ~19 vertices (19,000 nodes, 23,000 edges) summarize in ~0.2 s
 *   (7 rounds to the fixpoint). Segments of generated projects (`make bench-graph`) are larger
 *   and deeper (revision chains: ~20 rounds); signatures are therefore hashed numbers, not
 *   strings (refine.ts).
 * - Labels: kind plus the values of the properties K names for that kind (missing → null).
 * - Partition: start from labels; each round splits blocks by signature = (own block, set of
 *   (direction, edge type, neighbour block) over all edges). After k rounds this is
 *   k-bisimilarity in both directions; at a fixpoint (k = ∞) it is the coarsest stable partition
 *   refining the labels, i.e. the bisimulation quotient Paige–Tarjan computes. Signature
 *   refinement costs O(n + m log Δ) per round and at most n rounds (in practice ≈ the segments'
 *   diameter); Paige–Tarjan's O(m log n) was not needed for the ≤ 2 s / 1,000-segment target.
 * - Stable ⇒ no false paths: if some member of B has a t-edge into C, all members of B do, so any
 *   summary walk can be followed from any member of its first block inside one segment.
 */
import { EDGE_TYPES, type EdgeType, type VertexKind } from '../../model/types.js';
import { EDGE_TYPE_CODE, edgeTypeMask, edgeTypeOfCode, type PropValue, type ProvGraph } from './graph.js';
import { checkSummaryPaths, type PathCheck, type UnionGraph } from './pathcheck.js';
import { Refiner } from './refine.js';
import type { SegmentRole } from './segment.js';
import { DEFAULT_ROLES } from '../limits.js';

export type { PathCheck } from './pathcheck.js';

/** Properties that make up labels, per kind, e.g. { activity: ['command'], entity: ['artifact'] }. */
export type LabelKeys = Partial<Record<VertexKind, string | readonly string[]>>;

/** A segment: vertex ids, or a segment() result (filtered by SummarizeOptions.roles). */
export type SegmentInput = readonly string[] | { readonly vertices: ReadonlyArray<{ readonly id: string; readonly role: SegmentRole }> };

export interface SummarizeOptions {
  /**
   * Edge types taken between a segment's vertices. Default: every type, as SPEC §6 defines a
   * segment's edges ("all edges of the graph between its vertices"); e.g. a segment with its
   * expansion role keeps the wasAssociatedWith edges to its agents. Pass LINEAGE_EDGE_TYPES to
   * summarize derivation only.
   */
  edgeTypes?: readonly EdgeType[];
  /** Roles of segment() results that are summarized (default: source, destination, core). */
  roles?: readonly SegmentRole[];
}

export interface NumericAggregate {
  count: number;
  min: number;
  max: number;
  mean: number;
}

/** Counts of the values of a non-numeric property (strings, booleans) over the members that have it. */
export interface ValueCounts {
  /** Members that have the property. */
  count: number;
  /** Distinct values among them. */
  distinct: number;
  /** The most frequent values, at most VALUE_COUNTS_TOP, by count (then value). */
  top: Array<{ value: string | boolean; count: number }>;
}

/** How many values ValueCounts.top lists. */
export const VALUE_COUNTS_TOP = 5;

export interface SummaryVertex {
  /** Index of this summary vertex (summary edges refer to it). */
  block: number;
  kind: VertexKind;
  /** Human-readable label, e.g. `activity(command=train)`. */
  label: string;
  labelValues: Record<string, PropValue | null>;
  /** Input nodes (segment, vertex) it stands for. */
  members: number;
  /** Distinct segments it appears in. */
  segments: number;
  /** Distinct graph vertex ids among its members. */
  vertexIds: string[];
  /** Per numeric property over its members. */
  numeric: Record<string, NumericAggregate>;
  /** Per string or boolean property over its members, e.g. status: COMPLETED 9, FAILED 1. */
  values: Record<string, ValueCounts>;
}

export interface SummaryEdge {
  type: EdgeType;
  from: number;
  to: number;
  /** Input edges it stands for. */
  frequency: number;
  /** Distinct segments those edges lie in. */
  segments: number;
  /** The times of those edges (epoch ms). */
  time: NumericAggregate;
}

export interface Summary {
  vertices: SummaryVertex[];
  edges: SummaryEdge[];
  /** Which summary vertex each input node went to. */
  members: Array<{ segment: number; id: string; block: number }>;
  input: { vertices: number; edges: number };
  /** Per input segment (in order): its nodes and edges in the input. */
  segments: Array<{ vertices: number; edges: number }>;
  summary: { vertices: number; edges: number };
  /** (summary vertices + edges) / (input vertices + edges); 1 for an empty input. */
  compaction: number;
  /** Refinement rounds that split something. */
  rounds: number;
  /** True when the partition is a fixpoint (stable): then no false path exists. */
  stable: boolean;
  /** Path-constraint check up to walk length L (see pathcheck.ts). */
  checkNoFalsePaths(maxLength: number): PathCheck;
}

export { DEFAULT_ROLES };

/**
 * summarize(segments, K, k) as in the module comment; k ≥ 0 rounds, Infinity = fixpoint. Throws
 * RangeError for an unknown vertex id or a negative / fractional k. Complexity: O(Σ segment sizes
 * and their out-degrees) to build the input plus O(rounds · (n + m log Δ)) to refine.
 */
export function summarize(graph: ProvGraph, segments: readonly SegmentInput[], labelKeys: LabelKeys, k: number, options: SummarizeOptions = {}): Summary {
  if (!(k >= 0) || (k !== Infinity && !Number.isInteger(k))) throw new RangeError(`invalid k ${k}`);
  const union = buildUnion(graph, segments, edgeTypeMask(options.edgeTypes ?? EDGE_TYPES), options.roles ?? DEFAULT_ROLES);
  const n = union.nodeCount;

  // Round 0: blocks by label.
  const labelOf = (v: number): { key: string; values: Record<string, PropValue | null> } => {
    const kind = graph.kindOf(v);
    const keys = labelKeys[kind];
    const values: Record<string, PropValue | null> = {};
    for (const key of typeof keys === 'string' ? [keys] : keys ?? []) values[key] = graph.prop(v, key) ?? null;
    return { key: JSON.stringify([kind, values]), values };
  };
  const labelIds = new Map<string, number>();
  const labelInfo: Array<{ kind: VertexKind; values: Record<string, PropValue | null> }> = [];
  let block: Int32Array = new Int32Array(n);
  for (let u = 0; u < n; u++) {
    const v = union.vertex[u]!;
    const { key, values } = labelOf(v);
    let id = labelIds.get(key);
    if (id === undefined) {
      id = labelInfo.length;
      labelIds.set(key, id);
      labelInfo.push({ kind: graph.kindOf(v), values });
    }
    block[u] = id;
  }
  let count = labelInfo.length;

  let rounds = 0;
  let stable = false;
  const refiner = new Refiner(union);
  for (;;) {
    const next = refiner.refine(block);
    if (next.count === count) {
      stable = true;
      break;
    }
    if (rounds >= k) break;
    block = next.block;
    count = next.count;
    rounds++;
  }

  // Summary vertices and edges with frequencies.
  const firstNodeLabel = new Int32Array(count).fill(-1);
  const members = new Int32Array(count);
  const segs = new Int32Array(count);
  const lastSeg = new Int32Array(count).fill(-1);
  const ids: Array<Set<string>> = Array.from({ length: count }, () => new Set());
  // Per block and property key id: numeric aggregates, and counts by value code (string ids and
  // boolean codes, graph.forEachPropRaw): nothing is decoded but the keys and the top values.
  const numeric: Array<Map<number, NumericAggregate> | undefined> = new Array(count);
  const categorical: Array<Map<number, Map<number, number>> | undefined> = new Array(count);
  let b = 0;
  const addProp = (key: number, isNumber: boolean, value: number): void => {
    if (!isNumber) {
      const byKey = (categorical[b] ??= new Map());
      let byValue = byKey.get(key);
      if (!byValue) byKey.set(key, (byValue = new Map()));
      byValue.set(value, (byValue.get(value) ?? 0) + 1);
      return;
    }
    const byKey = (numeric[b] ??= new Map());
    const agg = byKey.get(key);
    if (agg) {
      agg.count++;
      agg.min = Math.min(agg.min, value);
      agg.max = Math.max(agg.max, value);
      agg.mean += value; // sum until finalized below
    } else byKey.set(key, { count: 1, min: value, max: value, mean: value });
  };
  const memberList: Summary['members'] = [];
  for (let u = 0; u < n; u++) {
    b = block[u]!;
    const v = union.vertex[u]!;
    const seg = union.segment[u]!;
    if (firstNodeLabel[b] === -1) firstNodeLabel[b] = u;
    members[b]!++;
    if (lastSeg[b] !== seg) {
      lastSeg[b] = seg;
      segs[b]!++;
    }
    const id = graph.idOf(v);
    ids[b]!.add(id);
    memberList.push({ segment: seg, id, block: b });
    graph.forEachPropRaw(v, addProp);
  }
  const vertices: SummaryVertex[] = [];
  for (let b = 0; b < count; b++) {
    const v = union.vertex[firstNodeLabel[b]!]!;
    const { values } = labelOf(v);
    const kind = graph.kindOf(v);
    const agg: Record<string, NumericAggregate> = {};
    for (const [key, a] of numeric[b] ?? []) agg[graph.propText(key)] = { ...a, mean: a.mean / a.count };
    const text = Object.entries(values).map(([key, val]) => `${key}=${String(val)}`).join(',');
    const counts: Record<string, ValueCounts> = {};
    for (const [key, byValue] of categorical[b] ?? []) counts[graph.propText(key)] = valueCounts(byValue, (code) => graph.propValue(code));
    vertices.push({ block: b, kind, label: `${kind}(${text})`, labelValues: values, members: members[b]!, segments: segs[b]!, vertexIds: [...ids[b]!], numeric: agg, values: counts });
  }
  const edgeIndex = new Map<number, number>();
  const edges: SummaryEdge[] = [];
  const edgeLastSeg: number[] = [];
  for (let u = 0; u < n; u++) {
    for (let i = union.outOff[u]!; i < union.outOff[u + 1]!; i++) {
      const code = union.outType[i]!;
      const from = block[u]!;
      const to = block[union.outTgt[i]!]!;
      const key = (from * count + to) * 8 + code;
      let e = edgeIndex.get(key);
      if (e === undefined) {
        e = edges.length;
        edgeIndex.set(key, e);
        edges.push({ type: edgeTypeOfCode(code), from, to, frequency: 0, segments: 0, time: { count: 0, min: Infinity, max: -Infinity, mean: 0 } });
        edgeLastSeg.push(-1);
      }
      const edge = edges[e]!;
      edge.frequency++;
      const time = union.outTime[i]!;
      edge.time.count++;
      if (time < edge.time.min) edge.time.min = time;
      if (time > edge.time.max) edge.time.max = time;
      edge.time.mean += time; // sum until finalized below
      if (edgeLastSeg[e] !== union.segment[u]) {
        edgeLastSeg[e] = union.segment[u]!;
        edge.segments++;
      }
    }
  }
  for (const e of edges) e.time.mean /= e.time.count;
  const perSegment = segments.map(() => ({ vertices: 0, edges: 0 }));
  for (let u = 0; u < n; u++) {
    const stats = perSegment[union.segment[u]!]!;
    stats.vertices++;
    stats.edges += union.outOff[u + 1]! - union.outOff[u]!;
  }
  const inputSize = n + union.edgeCount;
  const summarySize = vertices.length + edges.length;
  const finalBlock = block;
  const refs = edges.map((e) => ({ typeCode: EDGE_TYPE_CODE[e.type], from: e.from, to: e.to }));
  return {
    vertices,
    edges,
    members: memberList,
    input: { vertices: n, edges: union.edgeCount },
    segments: perSegment,
    summary: { vertices: vertices.length, edges: edges.length },
    compaction: inputSize === 0 ? 1 : summarySize / inputSize,
    rounds,
    stable,
    checkNoFalsePaths: (maxLength) => checkSummaryPaths(union, finalBlock, count, refs, maxLength, (v) => graph.idOf(v)),
  };
}

/** Counts by value, the most frequent first (ties by value: strings before booleans, then in order). */
function valueCounts(byCode: ReadonlyMap<number, number>, decode: (code: number) => string | boolean): ValueCounts {
  let count = 0;
  const candidates: Array<[number, number]> = [];
  for (const [code, c] of byCode) {
    count += c;
    candidates.push([code, c]);
  }
  // Only values whose count can reach the top are decoded: the TOP-th largest count is the bar.
  const least = candidates.length > VALUE_COUNTS_TOP ? candidates.map(([, c]) => c).sort((x, y) => y - x)[VALUE_COUNTS_TOP - 1]! : 0;
  const top = candidates
    .filter(([, c]) => c >= least)
    .map(([code, c]) => ({ value: decode(code), count: c }))
    .sort((x, y) => y.count - x.count || (typeof x.value === typeof y.value ? (x.value < y.value ? -1 : x.value > y.value ? 1 : 0) : typeof x.value === 'string' ? -1 : 1))
    .slice(0, VALUE_COUNTS_TOP);
  return { count, distinct: byCode.size, top };
}

/** Builds the disjoint union of the segments with their induced edges of the `mask` types. */
function buildUnion(graph: ProvGraph, segments: readonly SegmentInput[], mask: number, roles: readonly SegmentRole[]): UnionGraph {
  const stamp = new Int32Array(graph.vertexCount).fill(-1);
  const nodeOf = new Int32Array(graph.vertexCount);
  const vertex: number[] = [];
  const segment: number[] = [];
  const from: number[] = [];
  const to: number[] = [];
  const type: number[] = [];
  const time: number[] = [];
  const roleSet = new Set(roles);
  segments.forEach((seg, s) => {
    const ids = 'vertices' in seg ? seg.vertices.filter((v) => roleSet.has(v.role)).map((v) => v.id) : (seg as readonly string[]);
    const first = vertex.length;
    for (const id of ids) {
      const v = graph.indexOf(id);
      if (v < 0) throw new RangeError(`segment ${s}: unknown vertex ${id}`);
      if (stamp[v] === s) continue;
      stamp[v] = s;
      nodeOf[v] = vertex.length;
      vertex.push(v);
      segment.push(s);
    }
    for (let u = first; u < vertex.length; u++) {
      graph.forEachNeighbour(vertex[u]!, 'out', mask, (w, code, t) => {
        if (stamp[w] !== s) return;
        from.push(u);
        to.push(nodeOf[w]!);
        type.push(code);
        time.push(t);
      });
    }
  });
  const n = vertex.length;
  const m = from.length;
  const csr = (src: number[], dst: number[]): { off: Uint32Array; adj: Uint32Array; typ: Uint8Array; tim: Float64Array } => {
    const off = new Uint32Array(n + 1);
    for (const x of src) off[x + 1]!++;
    for (let i = 0; i < n; i++) off[i + 1]! += off[i]!;
    const cursor = off.slice(0, n);
    const adj = new Uint32Array(m);
    const typ = new Uint8Array(m);
    const tim = new Float64Array(m);
    for (let e = 0; e < m; e++) {
      const at = cursor[src[e]!]!++;
      adj[at] = dst[e]!;
      typ[at] = type[e]!;
      tim[at] = time[e]!;
    }
    return { off, adj, typ, tim };
  };
  const out = csr(from, to);
  const inn = csr(to, from);
  return {
    nodeCount: n,
    edgeCount: m,
    vertex: Uint32Array.from(vertex),
    segment: Uint32Array.from(segment),
    outOff: out.off,
    outTgt: out.adj,
    outType: out.typ,
    outTime: out.tim,
    inOff: inn.off,
    inSrc: inn.adj,
    inType: inn.typ,
  };
}
