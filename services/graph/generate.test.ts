import { describe, expect, it } from 'vitest';
import { kindOfId } from '../model/ids.js';
import { validateEvent, formatProblems } from '../model/validate.js';
import type { EdgeType, ProvEvent } from '../model/types.js';
import { ProvGraph } from './core/graph.js';
import { lineage } from './core/lineage.js';
import { DEFAULT_START_TIME, generateProject, MIN_VERTICES, type GenerateStats } from './generate.js';
import { SeededRandom, Zipf } from './random.js';

function collect(vertices: number, seed = 's', project = 'gen-test'): { events: ProvEvent[]; keys: string[]; stats: GenerateStats } {
  const g = generateProject({ project, vertices, seed });
  const events: ProvEvent[] = [];
  const keys: string[] = [];
  for (const e of g.events) {
    events.push(e.event);
    keys.push(e.key);
  }
  return { events, keys, stats: g.stats };
}

const small = collect(3_000);

describe('generateProject', () => {
  it('is deterministic for a seed and project, and differs for another seed', () => {
    const again = collect(3_000);
    expect(again.events).toEqual(small.events);
    expect(again.keys).toEqual(small.keys);
    const other = collect(3_000, 'other');
    expect(other.events.map((e) => e.eventId)).not.toEqual(small.events.map((e) => e.eventId));
    expect(other.stats.edges).not.toBe(small.stats.edges);
  });

  it.each([MIN_VERTICES, 1_000, 3_000, 20_000])('produces %i vertices within a few, with about 3 edges each', (n) => {
    const { events, stats } = n === 3_000 ? small : collect(n);
    const ids = new Set<string>();
    let edges = 0;
    for (const e of events) {
      const p = e.payload;
      if (p.type === 'entity' || p.type === 'activity' || p.type === 'agent') ids.add(p.id);
      if (p.type === 'relation') edges++;
    }
    expect(ids.size).toBe(stats.vertices);
    expect(stats.vertices).toBeGreaterThanOrEqual(n);
    expect(stats.vertices).toBeLessThanOrEqual(n + 10);
    expect(edges).toBe(stats.edges);
    const perVertex = stats.edges / stats.vertices;
    expect(perVertex).toBeGreaterThan(n < 1_000 ? 2.4 : 2.8);
    expect(perVertex).toBeLessThan(3.4);
  });

  it('emits only events that pass validateEvent', () => {
    for (const e of small.events) {
      const v = validateEvent(structuredClone(e));
      if (!v.ok) expect.fail(`${e.payload.type} event ${e.eventId}: ${formatProblems(v.problems)}`);
    }
  });

  it('never refers to a vertex before its own event, and never states an edge twice', () => {
    const seen = new Set<string>();
    const edges = new Set<string>();
    const need = (id: string, what: string) => {
      if (!seen.has(id)) expect.fail(`${what} refers to ${id} before its event`);
    };
    for (const e of small.events) {
      const p = e.payload;
      switch (p.type) {
        case 'entity':
        case 'activity':
        case 'agent':
          seen.add(p.id);
          break;
        case 'relation': {
          need(p.from, `${p.relation} edge`);
          need(p.to, `${p.relation} edge`);
          const key = `${p.relation} ${p.from} ${p.to}`;
          expect(edges.has(key), key).toBe(false);
          edges.add(key);
          break;
        }
        case 'property':
        case 'metric':
          need(p.subject, p.type);
          break;
      }
    }
  });

  it('keeps the counters equal to what it emitted', () => {
    const byType: Record<string, number> = {};
    const byEdge: Partial<Record<EdgeType, number>> = {};
    const byKind = { entity: 0, activity: 0, agent: 0 };
    const ids = new Set<string>();
    for (const e of small.events) {
      const p = e.payload;
      byType[p.type] = (byType[p.type] ?? 0) + 1;
      if (p.type === 'relation') byEdge[p.relation] = (byEdge[p.relation] ?? 0) + 1;
      if ((p.type === 'entity' || p.type === 'activity' || p.type === 'agent') && !ids.has(p.id)) {
        ids.add(p.id);
        byKind[p.type]++;
      }
    }
    expect(small.stats.events).toBe(small.events.length);
    expect(small.stats.eventsByType).toEqual(byType);
    expect(Object.fromEntries(Object.entries(small.stats.edgesByType).filter(([, n]) => n > 0))).toEqual(byEdge);
    expect(small.stats.verticesByKind).toEqual(byKind);
  });

  it('simulates a collaborative project: failures, re-runs, branches, abandoned experiments, hot datasets', () => {
    const { stats, events } = collect(20_000);
    expect(stats.runsByStatus.FAILED).toBeGreaterThan(0);
    expect(stats.runsByStatus.ABORTED).toBeGreaterThan(0);
    expect(stats.reruns).toBeGreaterThan(0);
    expect(stats.branchedExperiments).toBeGreaterThan(0);
    expect(stats.abandonedExperiments).toBeGreaterThan(0);
    expect(Object.keys(stats.runsByName).sort()).toEqual(['evaluate', 'featurize', 'ingest', 'report', 'train']);
    for (const t of ['used', 'wasGeneratedBy', 'wasDerivedFrom', 'wasRevisionOf', 'wasInformedBy', 'wasAssociatedWith', 'wasAttributedTo', 'actedOnBehalfOf'] as const) {
      expect(stats.edgesByType[t], t).toBeGreaterThan(0);
    }
    // Skew: the most used dataset or feature artifact takes a large share of all such uses.
    const uses = Object.values(stats.usesByDataset).sort((a, b) => b - a);
    const total = uses.reduce((a, b) => a + b, 0);
    expect(uses[0]! / total).toBeGreaterThan(0.15);
    expect(uses.length).toBeGreaterThanOrEqual(5);
    expect(uses[0]! / uses[uses.length - 1]!).toBeGreaterThan(5);
    expect(events.filter((e) => e.payload.type === 'metric').length).toBeGreaterThan(stats.runsByName['train']!);
  });

  it('loads into a ProvGraph with no placeholder left, and recent entities have deep lineage', () => {
    const g = new ProvGraph();
    for (const e of small.events) {
      const p = e.payload;
      if (p.type === 'relation') g.addEdge(p.relation, p.from, p.to, e.time);
      else if (p.type === 'entity' || p.type === 'activity' || p.type === 'agent') g.addVertex(p.id, p.type, e.time);
    }
    expect(g.vertexCount).toBe(small.stats.vertices);
    expect(g.edgeCount).toBe(small.stats.edges);
    for (let v = 0; v < g.vertexCount; v++) if (g.isPlaceholder(v)) expect.fail(`${g.idOf(v)} was never stated`);
    const lastModel = [...small.events].reverse().find((e) => e.payload.type === 'entity' && e.payload.artifact.startsWith('models/'))!;
    const up = lineage(g, (lastModel.payload as { id: string }).id, { direction: 'upstream', maxDepth: 20 });
    expect(Math.max(...up.vertices.map((v) => v.distance))).toBe(20);
  });

  it('spreads event times over the span and keys run events by the run', () => {
    const times = small.events.map((e) => e.time);
    expect(Math.min(...times)).toBe(DEFAULT_START_TIME);
    expect(Math.max(...times)).toBeLessThan(DEFAULT_START_TIME + 310 * 86_400_000);
    small.events.forEach((e, i) => {
      const p = e.payload;
      if (p.type === 'metric' && kindOfId(p.subject) === 'activity') expect(small.keys[i]).toBe(`gen-test|${p.subject}`);
    });
  });

  it('streams: the first event of a 10^8-vertex project comes at once', () => {
    const started = performance.now();
    const first = generateProject({ project: 'huge', vertices: 1e8, seed: 'x' }).events.next();
    expect(first.done).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000); // generous: it is microseconds
  });

  it('rejects sizes it cannot honour', () => {
    expect(() => generateProject({ project: 'p', vertices: MIN_VERTICES - 1 })).toThrow(RangeError);
    expect(() => generateProject({ project: 'p', vertices: 1.5e3 + 0.5 })).toThrow(RangeError);
  });
});

describe('SeededRandom and Zipf', () => {
  it('repeat for a seed and stay in range', () => {
    const a = new SeededRandom('k');
    const b = new SeededRandom('k');
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new SeededRandom('k').uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new SeededRandom('other').next()).not.toBe(xs[0]);
  });

  it('Zipf favours low ranks like 1/r^s', () => {
    const z = new Zipf(10, 1);
    const rng = new SeededRandom('z');
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[z.draw(rng)]!++;
    // P(0) / P(1) = 2 and P(0) / P(9) = 10 for s = 1.
    expect(counts[0]! / counts[1]!).toBeCloseTo(2, 0);
    expect(counts[0]! / counts[9]!).toBeGreaterThan(8);
    expect(counts[0]! / counts[9]!).toBeLessThan(12);
  });
});
