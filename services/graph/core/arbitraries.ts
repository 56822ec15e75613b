/**
 * fast-check generators of small random provenance graphs and boundaries, for property tests
 * only. Graphs have ≤ 12 vertices; edge types come from a small per-case palette so that equal
 * label strings (the similar-provenance case) are common; events arrive in a random interleaving
 * and with tiny compaction thresholds so placeholders, CSR and append buffer all get exercised;
 * in about half of the cases the graph is relaid out (renumbered) at some point of the stream.
 */
import fc from 'fast-check';
import { EDGE_ENDPOINTS, EDGE_TYPES, LINEAGE_EDGE_TYPES, type EdgeType, type VertexKind } from '../../model/types.js';
import type { VertexPredicate } from './boundary.js';
import type { RawEdge, RawGraph, RawVertex } from './bruteforce.js';
import { ProvGraph, type PropValue } from './graph.js';
import type { SegmentBoundary } from './segment.js';

export interface GraphSpec {
  kinds: VertexKind[];
  props: Array<Record<string, PropValue>>;
  /** Whether the vertex's own event arrives (otherwise it exists only as a placeholder, if at all). */
  added: boolean[];
  edges: Array<{ from: number; to: number; type: EdgeType; time: number }>;
  /** Interleaving of vertex and edge events: true = next vertex event. */
  interleave: boolean[];
  compactMinEdges: number;
  /** Before which step of the interleaving the graph is relaid out (ProvGraph.relayout; at the
   * end when past the last step), or never (undefined). */
  relayoutAt?: number | undefined;
}

const PREFIX: Record<VertexKind, string> = { entity: 'ent', activity: 'act', agent: 'agt' };
export const vertexId = (kind: VertexKind, i: number): string => `${PREFIX[kind]}:v${i}`;

const ARTIFACTS = ['data/a.csv', 'data/b.csv', 'scripts/x.py', 'models/m.bin'];

function arbProps(kind: VertexKind): fc.Arbitrary<Record<string, PropValue>> {
  const score = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
  const base =
    kind === 'entity'
      ? fc.record({ artifact: fc.constantFrom(...ARTIFACTS), score })
      : kind === 'activity'
        ? fc.record({ command: fc.constantFrom('clean', 'train'), score })
        : fc.record({ name: fc.constantFrom('alice', 'bob'), score });
  return base.map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Record<string, PropValue>);
}

export interface GraphShape {
  /** Every edge goes from a higher to a lower vertex number. */
  acyclic: boolean;
  /** Edge types follow the endpoint kinds as in PROV (activity→entity is `used`, …), which
   * makes equal label strings, hence similar provenance, common. Otherwise types are random. */
  provTyped?: boolean;
  maxVertices?: number;
  maxEdges?: number;
}

/** The PROV edge types that connect `from` → `to` (EDGE_ENDPOINTS), or null when none does. */
function provTypes(from: VertexKind, to: VertexKind): EdgeType[] {
  return EDGE_TYPES.filter((t) => EDGE_ENDPOINTS[t][0] === from && EDGE_ENDPOINTS[t][1] === to);
}

/** A random graph of the given shape. */
export function arbGraphSpec(options: GraphShape): fc.Arbitrary<GraphSpec> {
  const maxVertices = options.maxVertices ?? 12;
  return fc
    .record({
      kinds: fc.array(fc.constantFrom<VertexKind>('entity', 'entity', 'activity', 'activity', 'agent'), { minLength: Math.min(4, maxVertices), maxLength: maxVertices, size: 'max' }),
      palette: fc.oneof(
        { arbitrary: fc.subarray([...LINEAGE_EDGE_TYPES], { minLength: 1, maxLength: 2 }), weight: 3 },
        { arbitrary: fc.subarray([...LINEAGE_EDGE_TYPES], { minLength: 1, maxLength: 3 }), weight: 1 },
        { arbitrary: fc.subarray([...EDGE_TYPES], { minLength: 1, maxLength: 4 }), weight: 1 },
      ),
      compactMinEdges: fc.integer({ min: 0, max: 6 }),
    })
    .chain(({ kinds, palette, compactMinEdges }) => {
      const n = kinds.length;
      const edge = fc
        .record({
          a: fc.integer({ min: 0, max: n - 1 }),
          b: fc.integer({ min: 0, max: n - 1 }),
          type: fc.constantFrom(...palette),
          time: fc.integer({ min: 0, max: 9 }),
        })
        .filter((e) => !options.acyclic || e.a !== e.b)
        .map((e) => {
          const [from, to] = options.acyclic ? [Math.max(e.a, e.b), Math.min(e.a, e.b)] : [e.a, e.b];
          const typed = options.provTyped ? provTypes(kinds[from]!, kinds[to]!) : [];
          const type = typed.length > 0 ? typed[EDGE_TYPES.indexOf(e.type) % typed.length]! : e.type;
          return { from, to, type, time: e.time };
        });
      return fc.record({
        kinds: fc.constant(kinds),
        props: fc.tuple(...kinds.map((k) => arbProps(k))),
        added: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        edges: options.acyclic && n < 2 ? fc.constant([]) : fc.array(edge, { maxLength: options.maxEdges ?? 28, size: 'max' }),
        interleave: fc.array(fc.boolean(), { maxLength: 40 }),
        compactMinEdges: fc.constant(compactMinEdges),
        relayoutAt: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
      });
    });
}

export interface BuiltGraph {
  graph: ProvGraph;
  raw: RawGraph;
  /** Ids of vertices that exist (added or referenced by an edge). */
  ids: string[];
}

/** Feeds the spec's events to a ProvGraph and builds the equivalent raw graph for brute force. */
export function buildFromSpec(spec: GraphSpec): BuiltGraph {
  const graph = new ProvGraph({ compactMinEdges: spec.compactMinEdges, compactFraction: 0.25 });
  const id = (i: number): string => vertexId(spec.kinds[i]!, i);
  const vertexEvents = spec.kinds.map((_, i) => i).filter((i) => spec.added[i]);
  const edges: RawEdge[] = spec.edges.map((e) => ({ type: e.type, from: id(e.from), to: id(e.to), time: e.time }));
  let vi = 0;
  let ei = 0;
  let laidOut = false;
  for (let step = 0; vi < vertexEvents.length || ei < edges.length; step++) {
    if (step === spec.relayoutAt) {
      graph.relayout();
      laidOut = true;
    }
    const takeVertex = ei >= edges.length || (vi < vertexEvents.length && (spec.interleave[step] ?? true));
    if (takeVertex) {
      const i = vertexEvents[vi++]!;
      graph.addVertex(id(i), spec.kinds[i]!, i, spec.props[i]);
    } else {
      const e = edges[ei++]!;
      graph.addEdge(e.type, e.from, e.to, e.time);
    }
  }
  if (spec.relayoutAt !== undefined && !laidOut) graph.relayout();
  const exists = new Set([...vertexEvents.map(id), ...edges.flatMap((e) => [e.from, e.to])]);
  const vertices: RawVertex[] = spec.kinds
    .map((kind, i) => ({ id: id(i), kind, props: spec.added[i] ? spec.props[i]! : {} }))
    .filter((v) => exists.has(v.id));
  return { graph, raw: { vertices, edges }, ids: vertices.map((v) => v.id) };
}

function arbPredicate(ids: readonly string[], depth = 0): fc.Arbitrary<VertexPredicate> {
  const ops = fc.constantFrom('=', '!=', '<', '<=', '>', '>=' as const);
  const leaves: Array<fc.Arbitrary<VertexPredicate>> = [
    fc.constantFrom<VertexKind>('entity', 'activity', 'agent').map((kind) => ({ kind })),
    fc.constantFrom(...ids, 'ent:unknown').map((id) => ({ id })),
    fc.constantFrom('data/*', 'scripts/*', '**', 'models/?.bin', '*.csv', 'data/**', 'x').map((artifact) => ({ artifact })),
    fc.constantFrom(...ids, 'nobody').map((agent) => ({ agent })),
    fc.record({ prop: fc.constant('score'), op: ops, value: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ prop: fc.constant('command'), op: ops, value: fc.constantFrom('clean', 'train') }),
  ];
  if (depth === 0) leaves.push(fc.array(arbPredicate(ids, 1), { minLength: 1, maxLength: 2 }).map((all) => ({ all })));
  return fc.oneof(...leaves);
}

/** `arb` with probability 1/(1 + absentWeight), otherwise undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, absentWeight = 1): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: absentWeight }, { arbitrary: arb, weight: 1 });
}

/** A random boundary over the given vertex ids; unbounded length only when `acyclic`. */
export function arbBoundary(ids: readonly string[], acyclic: boolean): fc.Arbitrary<SegmentBoundary> {
  const maxLength = acyclic ? fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 6 })) : fc.integer({ min: 0, max: 5 });
  return fc
    .record({
      exclude: sometimes(fc.array(arbPredicate(ids), { minLength: 1, maxLength: 2 }), 3),
      edgeTypes: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 2 },
        { arbitrary: fc.subarray([...LINEAGE_EDGE_TYPES], { minLength: 1 }), weight: 1 },
        { arbitrary: fc.subarray([...EDGE_TYPES], { minLength: 1 }), weight: 1 },
      ),
      maxLength,
      timeWindow: sometimes(fc.record({ from: fc.integer({ min: 0, max: 5 }), to: fc.integer({ min: 3, max: 9 }) }, { requiredKeys: [] }), 2),
      expansion: sometimes(fc.record({ hops: fc.integer({ min: 0, max: 2 }), edges: fc.subarray([...EDGE_TYPES]) })),
    })
    .map((b) => Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as SegmentBoundary);
}

export interface SegmentCase {
  spec: GraphSpec;
  sources: string[];
  destinations: string[];
  boundary: SegmentBoundary;
}

/** A graph plus a segment query over it. */
export function arbSegmentCase(options: GraphShape): fc.Arbitrary<SegmentCase> {
  return arbGraphSpec(options).chain((spec) => {
    const { ids } = buildFromSpec(spec);
    const pool = [...ids, 'ent:unknown'];
    // Edges mostly point from higher to lower numbers, so sources are drawn mostly from the lower
    // half and destinations from the upper half: that makes core paths (and similar ones) common.
    const half = Math.ceil(ids.length / 2);
    const low = [...ids.slice(0, half), 'ent:unknown'];
    const high = ids.length > 1 ? ids.slice(half) : pool;
    const pick = (biased: readonly string[], minLength: number): fc.Arbitrary<string[]> =>
      fc.oneof(
        { arbitrary: fc.subarray([...biased], { minLength: Math.min(minLength, biased.length), maxLength: Math.min(2, biased.length) }), weight: 3 },
        { arbitrary: fc.subarray(pool, { minLength, maxLength: Math.min(3, pool.length) }), weight: 1 },
      );
    return fc.record({
      spec: fc.constant(spec),
      sources: pick(low, 0),
      destinations: pick(high, 1),
      boundary: arbBoundary(ids.length > 0 ? ids : ['ent:unknown'], options.acyclic),
    });
  });
}
