import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EDGE_TYPES, LINEAGE_EDGE_TYPES, type EdgeType, type VertexKind } from '../../model/types.js';
import { arbGraphSpec, buildFromSpec, type GraphSpec } from './arbitraries.js';
import { bruteBisimulation, dedupeEdges, type RawGraph } from './bruteforce.js';
import { ProvGraph } from './graph.js';
import { segment } from './segment.js';
import { summarize, VALUE_COUNTS_TOP, type LabelKeys } from './summarize.js';
import { buildWorkedExample, ent } from './worked-example.js';

/** Block ids renumbered by first occurrence, so two partitions compare with toEqual. */
function canonical(blocks: readonly number[]): number[] {
  const ids = new Map<number, number>();
  return blocks.map((b) => {
    if (!ids.has(b)) ids.set(b, ids.size);
    return ids.get(b)!;
  });
}

/** The disjoint union built independently from the raw graph (the oracle's input). */
function rawUnion(raw: RawGraph, segments: readonly string[][], K: LabelKeys, types: readonly EdgeType[]) {
  const labels: string[] = [];
  const edges: Array<[number, number, string]> = [];
  const segmentSizes: Array<{ vertices: number; edges: number }> = [];
  const all = dedupeEdges(raw.edges).filter((e) => types.includes(e.type));
  segments.forEach((seg) => {
    const index = new Map<string, number>();
    for (const id of seg) {
      if (index.has(id)) continue;
      index.set(id, labels.length);
      const v = raw.vertices.find((x) => x.id === id)!;
      const keys = K[v.kind];
      const values = (typeof keys === 'string' ? [keys] : keys ?? []).map((k) => v.props[k] ?? null);
      labels.push(JSON.stringify([v.kind, ...values]));
    }
    const before = edges.length;
    for (const e of all) {
      const f = index.get(e.from);
      const t = index.get(e.to);
      if (f !== undefined && t !== undefined) edges.push([f, t, e.type]);
    }
    segmentSizes.push({ vertices: index.size, edges: edges.length - before });
  });
  return { labels, edges, segmentSizes };
}

/** True when every summary walk of length ≤ L has a witness walk in the union (by enumeration). */
function bruteNoFalsePaths(block: readonly number[], edges: ReadonlyArray<readonly [number, number, string]>, summaryEdges: ReadonlyArray<{ type: string; from: number; to: number }>, L: number): boolean {
  const witnessed = (walk: ReadonlyArray<{ type: string; to: number }>, start: number): boolean => {
    const extend = (u: number, i: number): boolean =>
      i === walk.length || edges.some(([f, t, type]) => f === u && type === walk[i]!.type && block[t] === walk[i]!.to && extend(t, i + 1));
    return block.some((b, u) => b === start && extend(u, 0));
  };
  const walks = (start: number, prefix: Array<{ type: string; to: number }>, at: number): boolean => {
    if (prefix.length > 0 && !witnessed(prefix, start)) return false;
    if (prefix.length === L) return true;
    return summaryEdges.filter((e) => e.from === at).every((e) => walks(start, [...prefix, { type: e.type, to: e.to }], e.to));
  };
  const blocks = new Set(block);
  return [...blocks].every((b) => walks(b, [], b));
}

const arbK: fc.Arbitrary<LabelKeys> = fc.record({
  entity: fc.subarray(['artifact', 'score']),
  activity: fc.subarray(['command', 'score']),
  agent: fc.subarray(['name']),
});

const arbSummaryCase = arbGraphSpec({ acyclic: false, maxVertices: 10, maxEdges: 24 }).chain((spec: GraphSpec) => {
  const { ids } = buildFromSpec(spec);
  const segment = fc.subarray(ids, { minLength: Math.min(1, ids.length) });
  return fc.record({
    spec: fc.constant(spec),
    segments: fc.array(segment, { minLength: 1, maxLength: 3 }),
    K: arbK,
    k: fc.constantFrom(0, 1, 2, 3, Infinity),
    edgeTypes: fc.oneof(fc.constant(undefined), fc.subarray([...EDGE_TYPES], { minLength: 1 })),
  });
});

describe('summarize properties (random graphs, random segments)', () => {
  it('is the k-bisimulation partition, counts add up, and the path constraint holds when stable', () => {
    let unstable = 0;
    fc.assert(
      fc.property(arbSummaryCase, ({ spec, segments, K, k, edgeTypes }) => {
        const { graph, raw } = buildFromSpec(spec);
        const sum = summarize(graph, segments, K, k, edgeTypes ? { edgeTypes } : {});
        const union = rawUnion(raw, segments, K, edgeTypes ?? EDGE_TYPES);
        // Partition = the relation-based oracle's (hence coarsest: the oracle computes the
        // greatest k-bisimulation, an equivalence whose classes are exactly the coarsest blocks).
        expect(canonical(sum.members.map((m) => m.block))).toEqual(bruteBisimulation(union.labels, union.edges, k));
        expect(sum.input).toEqual({ vertices: union.labels.length, edges: union.edges.length });
        expect(sum.vertices.reduce((a, v) => a + v.members, 0)).toBe(union.labels.length);
        expect(sum.edges.reduce((a, e) => a + e.frequency, 0)).toBe(union.edges.length);
        expect(sum.edges.every((e) => e.time.count === e.frequency && e.time.min <= e.time.mean && e.time.mean <= e.time.max)).toBe(true);
        expect(sum.summary).toEqual({ vertices: sum.vertices.length, edges: sum.edges.length });
        expect(sum.segments).toEqual(segments.map((_, i) => ({ vertices: union.segmentSizes[i]!.vertices, edges: union.segmentSizes[i]!.edges })));
        if (union.labels.length > 0) expect(sum.compaction).toBeCloseTo((sum.vertices.length + sum.edges.length) / (union.labels.length + union.edges.length), 12);
        if (k === Infinity) expect(sum.stable).toBe(true);
        const check = sum.checkNoFalsePaths(4);
        expect(check.unmappedEdge).toBeNull(); // every segment path maps onto the summary
        if (sum.stable) expect(check.ok).toBe(true); // every summary path exists in a segment
        else unstable++;
        const blocks = sum.members.map((m) => m.block);
        expect(sum.checkNoFalsePaths(3).ok).toBe(bruteNoFalsePaths(blocks, union.edges, sum.edges, 3));
      }),
      { numRuns: 3000 },
    );
    expect(unstable).toBeGreaterThan(0); // the generator does produce unstable (finite-k) cases
  }, 60_000);

  it('k = 0 merges by label only', () => {
    fc.assert(
      fc.property(arbSummaryCase, ({ spec, segments, K }) => {
        const { graph, raw } = buildFromSpec(spec);
        const sum = summarize(graph, segments, K, 0);
        const { labels } = rawUnion(raw, segments, K, EDGE_TYPES);
        expect(canonical(sum.members.map((m) => m.block))).toEqual(canonical(labels.map((l) => labels.indexOf(l))));
        expect(sum.rounds).toBe(0);
      }),
      { numRuns: 300 },
    );
  }, 30_000);

  it('k = ∞ is a fixpoint: more rounds change nothing', () => {
    fc.assert(
      fc.property(arbSummaryCase, ({ spec, segments, K }) => {
        const { graph } = buildFromSpec(spec);
        const full = summarize(graph, segments, K, Infinity);
        const again = summarize(graph, segments, K, full.rounds);
        const more = summarize(graph, segments, K, full.rounds + 3);
        expect(again.stable && more.stable).toBe(true);
        expect(again.members).toEqual(full.members);
        expect(more.members).toEqual(full.members);
      }),
      { numRuns: 300 },
    );
  }, 30_000);
});

describe('summarize examples', () => {
  it('k = 0 can invent a false path that k = ∞ does not', () => {
    // Segment A: x used y.  Segment B: y2 wasGeneratedBy z.  y and y2 share a label, and so do
    // x and z (activities, no K keys): the label-only quotient has X used Y wasGeneratedBy X,
    // a derivation no segment contains.
    const g = new ProvGraph();
    g.addVertex('ent:y', 'entity', 0, { artifact: 'a' });
    g.addVertex('ent:y2', 'entity', 0, { artifact: 'a' });
    g.addEdge('used', 'act:x', 'ent:y', 1);
    g.addEdge('wasGeneratedBy', 'ent:y2', 'act:z', 1);
    const segments = [['act:x', 'ent:y'], ['ent:y2', 'act:z']];
    const flat = summarize(g, segments, { entity: 'artifact' }, 0);
    expect(flat.summary).toEqual({ vertices: 2, edges: 2 });
    expect(flat.stable).toBe(false);
    const check = flat.checkNoFalsePaths(2);
    expect(check.ok).toBe(false);
    expect(check.falsePath?.types).toHaveLength(2);
    expect(flat.checkNoFalsePaths(1).ok).toBe(true);
    const exact = summarize(g, segments, { entity: 'artifact' }, Infinity);
    expect(exact.summary).toEqual({ vertices: 4, edges: 2 });
    expect(exact.checkNoFalsePaths(5).ok).toBe(true);
  });

  it('summarizes similar vertices too when their role is requested', () => {
    const g = buildWorkedExample();
    const s1 = segment(g, [ent('d1')], [ent('m1')]);
    const s2 = segment(g, [ent('d2')], [ent('m2')]);
    const K = { activity: 'command', entity: 'artifact' } as const;
    const sum = summarize(g, [s1, s2], K, Infinity, { roles: ['source', 'destination', 'core', 'similar'] });
    expect(sum.input.vertices).toBe(12); // + a5, m3
    expect(sum.vertices.reduce((a, v) => a + v.members, 0)).toBe(12);
    expect(sum.checkNoFalsePaths(8).ok).toBe(true);
  });

  it("takes every edge between a segment's vertices (SPEC §6): expanded agents stay attached", () => {
    const g = buildWorkedExample();
    const expansion = { hops: 1, edges: ['used', 'wasAssociatedWith'] as EdgeType[] };
    const s1 = segment(g, [ent('d1')], [ent('m1')], { expansion });
    const s2 = segment(g, [ent('d2')], [ent('m2')], { expansion });
    const K = { activity: 'command', entity: 'artifact' } as const;
    const roles = ['source', 'destination', 'core', 'expansion'] as const;
    const sum = summarize(g, [s1, s2], K, Infinity, { roles });
    // s1: its 5 core vertices, c1, t1, alice (a1, a2) and bob (expanded from the similar a5,
    // which is not summarized); s2: its 5 core vertices, c1, t1, bob (a3, a4). Edges: 4 core
    // ones per segment, 2 `used` of c1/t1 per segment, 2 wasAssociatedWith per segment.
    expect(sum.input).toEqual({ vertices: 17, edges: 16 });
    const associated = sum.edges.filter((e) => e.type === 'wasAssociatedWith');
    expect(associated.reduce((n, e) => n + e.frequency, 0)).toBe(4);
    expect(sum.checkNoFalsePaths(8).ok).toBe(true);
    // Restricted to the lineage types, the 4 wasAssociatedWith edges go: no agent has an edge.
    const lineageOnly = summarize(g, [s1, s2], K, Infinity, { roles, edgeTypes: LINEAGE_EDGE_TYPES });
    expect(lineageOnly.input).toEqual({ vertices: 17, edges: 12 });
    const agents = new Set(lineageOnly.vertices.filter((v) => v.kind === 'agent').map((v) => v.block));
    expect(agents.size).toBeGreaterThan(0);
    expect(lineageOnly.edges.some((e) => agents.has(e.from) || agents.has(e.to))).toBe(false);
  });

  it('aggregates string and boolean properties by value, and edge times (SPEC §6: vertices and edges)', () => {
    const g = new ProvGraph();
    const segments: string[][] = [];
    const statuses = ['COMPLETED', 'COMPLETED', 'FAILED', 'COMPLETED', 'ABORTED', 'COMPLETED'];
    statuses.forEach((status, i) => {
      g.addVertex(`act:train${i}`, 'activity', 10 * i, { command: 'train', status, cached: i % 2 === 0, host: `h${i}`, durationMs: 100 + i });
      g.addVertex(`ent:model${i}`, 'entity', 10 * i, { artifact: 'models/model.bin' });
      g.addEdge('wasGeneratedBy', `ent:model${i}`, `act:train${i}`, 1000 + 10 * i);
      segments.push([`ent:model${i}`, `act:train${i}`]);
    });
    const sum = summarize(g, segments, { activity: 'command', entity: 'artifact' }, Infinity);
    expect(sum.summary).toEqual({ vertices: 2, edges: 1 });
    const train = sum.vertices.find((v) => v.kind === 'activity')!;
    expect(train.values['status']).toEqual({ count: 6, distinct: 3, top: [{ value: 'COMPLETED', count: 4 }, { value: 'ABORTED', count: 1 }, { value: 'FAILED', count: 1 }] });
    expect(train.values['cached']).toEqual({ count: 6, distinct: 2, top: [{ value: false, count: 3 }, { value: true, count: 3 }] });
    expect(train.values['host']).toMatchObject({ count: 6, distinct: 6 });
    expect(train.values['host']!.top).toHaveLength(VALUE_COUNTS_TOP);
    expect(train.values['durationMs']).toBeUndefined(); // numeric: in `numeric`
    expect(train.numeric['durationMs']).toEqual({ count: 6, min: 100, max: 105, mean: 102.5 });
    expect(sum.edges[0]!.time).toEqual({ count: 6, min: 1000, max: 1050, mean: 1025 });
  });

  it('rejects unknown vertices and invalid k', () => {
    const g = buildWorkedExample();
    expect(() => summarize(g, [['ent:nope']], {}, 1)).toThrow(RangeError);
    expect(() => summarize(g, [], {}, -1)).toThrow(RangeError);
    expect(() => summarize(g, [], {}, 1.5)).toThrow(RangeError);
    const empty = summarize(g, [], {}, Infinity);
    expect(empty.compaction).toBe(1);
    expect(empty.checkNoFalsePaths(3).ok).toBe(true);
  });

  it('merges 1,000 pipeline segments into one small, path-faithful summary', () => {
    // Runs of clean → train → evaluate on successive raw versions; every 10th run skips
    // evaluation and every 7th also reads a config file, so the summary has a few variants.
    const g = new ProvGraph();
    const segments: string[][] = [];
    for (let i = 0; i < 1000; i++) {
      const kind = (id: string, k: VertexKind, props: Record<string, string | number>): string => {
        g.addVertex(id, k, i, props);
        return id;
      };
      const raw = kind(`ent:raw${i}`, 'entity', { artifact: 'data/raw.csv', version: i + 1 });
      const clean = kind(`act:clean${i}`, 'activity', { command: 'clean', durationMs: 100 + (i % 13) });
      const feat = kind(`ent:feat${i}`, 'entity', { artifact: 'data/features.parquet' });
      const train = kind(`act:train${i}`, 'activity', { command: 'train', durationMs: 1000 + (i % 17) });
      const model = kind(`ent:model${i}`, 'entity', { artifact: 'models/model.bin', accuracy: 0.8 + (i % 10) / 100 });
      g.addEdge('used', clean, raw, i);
      g.addEdge('wasGeneratedBy', feat, clean, i);
      g.addEdge('used', train, feat, i);
      g.addEdge('wasGeneratedBy', model, train, i);
      if (i > 0) g.addEdge('wasRevisionOf', raw, `ent:raw${i - 1}`, i);
      if (i % 7 === 0) g.addEdge('used', train, kind('ent:cfg', 'entity', { artifact: 'conf/train.yaml' }), i);
      let last = model;
      if (i % 10 !== 0) {
        const evaluate = kind(`act:eval${i}`, 'activity', { command: 'evaluate' });
        last = kind(`ent:report${i}`, 'entity', { artifact: 'reports/metrics.json' });
        g.addEdge('used', evaluate, model, i);
        g.addEdge('wasGeneratedBy', last, evaluate, i);
      }
      const seg = segment(g, [raw], [last]);
      segments.push(seg.vertices.filter((v) => v.role !== 'similar').map((v) => v.id));
    }
    const sum = summarize(g, segments, { activity: 'command', entity: 'artifact' }, Infinity);
    expect(sum.input.vertices).toBe(900 * 7 + 100 * 5);
    expect(sum.stable).toBe(true);
    expect(sum.summary.vertices).toBeLessThanOrEqual(12);
    expect(sum.compaction).toBeLessThan(0.01);
    const model = sum.vertices.filter((v) => v.label === 'entity(artifact=models/model.bin)');
    expect(model.reduce((a, v) => a + v.members, 0)).toBe(1000);
    expect(model[0]!.numeric['accuracy']!.min).toBeCloseTo(0.8);
    expect(sum.checkNoFalsePaths(6).ok).toBe(true);
  });
});
