import { describe, expect, it } from 'vitest';
import { ProvGraph } from './graph.js';
import { lineage, type LineageQuery } from './lineage.js';
import { act, buildWorkedExample, ent } from './worked-example.js';

const g = buildWorkedExample();
const short = (id: string): string => id.slice(4);
const dist = (start: string, q: LineageQuery): Record<string, number> =>
  Object.fromEntries(lineage(g, start, q).vertices.map((v) => [short(v.id), v.distance]));

describe('lineage on the §5.1 graph', () => {
  it.each<[string, string, LineageQuery, Record<string, number>]>([
    ['upstream of m1', 'm1', { direction: 'upstream' }, { m1: 0, a2: 1, f1: 2, t1: 2, a1: 3, d1: 4, c1: 4 }],
    ['upstream of m1, depth 2', 'm1', { direction: 'upstream', maxDepth: 2 }, { m1: 0, a2: 1, f1: 2, t1: 2 }],
    ['upstream of m3 by generation/revision only', 'm3', { direction: 'upstream', edgeTypes: ['wasGeneratedBy', 'wasRevisionOf'] }, { m3: 0, a5: 1, m2: 1, a4: 2, m1: 2, a2: 3 }],
    [
      'downstream of d1',
      'd1',
      { direction: 'downstream' },
      { d1: 0, a1: 1, d2: 1, f1: 2, a3: 2, a2: 3, a5: 3, f2: 3, m1: 4, m3: 4, a4: 4, a6: 5, m2: 5, p1: 6 },
    ],
    ['downstream of d1 as of 25', 'd1', { direction: 'downstream', asOf: 25 }, { d1: 0, a1: 1, d2: 1, f1: 2, a2: 3, m1: 4 }],
    ['downstream of d1 as of 0 (before d1 existed)', 'd1', { direction: 'downstream', asOf: 0 }, {}],
    ['both from f1, depth 1', 'f1', { direction: 'both', maxDepth: 1 }, { f1: 0, a1: 1, a2: 1, a5: 1, f2: 1 }],
    ['agents included when asked', 'a2', { direction: 'upstream', maxDepth: 1, edgeTypes: ['wasAssociatedWith'] }, { a2: 0, alice: 1 }],
  ])('%s', (_name, start, q, expected) => {
    const id = start.startsWith('a') && start !== 'alice' ? act(start) : ent(start);
    expect(dist(id, q)).toEqual(expected);
  });

  it('reports directions and the edges followed (PROV direction)', () => {
    const r = lineage(g, ent('f1'), { direction: 'both', maxDepth: 1 });
    const dirs = Object.fromEntries(r.vertices.map((v) => [short(v.id), v.direction]));
    expect(dirs).toEqual({ f1: 'start', a1: 'upstream', a2: 'downstream', a5: 'downstream', f2: 'downstream' });
    expect(r.edges.map((e) => `${short(e.from)} ${e.type} ${short(e.to)}`).sort()).toEqual([
      'a2 used f1',
      'a5 used f1',
      'f1 wasGeneratedBy a1',
      'f2 wasRevisionOf f1',
    ]);
  });

  it('includes edges between already-visited vertices, each once', () => {
    const h = new ProvGraph();
    h.addEdge('wasDerivedFrom', 'ent:c', 'ent:b', 1);
    h.addEdge('wasDerivedFrom', 'ent:c', 'ent:a', 1);
    h.addEdge('wasDerivedFrom', 'ent:b', 'ent:a', 1);
    const r = lineage(h, 'ent:c', { direction: 'upstream' });
    expect(r.vertices.map((v) => [v.id, v.distance])).toEqual([['ent:c', 0], ['ent:b', 1], ['ent:a', 1]]);
    expect(r.edges).toHaveLength(3);
    const both = lineage(h, 'ent:b', { direction: 'both' });
    expect(both.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['ent:b>ent:a', 'ent:c>ent:b']);
  });

  it('with edges: false returns the same vertices and no edges, in every direction', () => {
    for (const direction of ['upstream', 'downstream', 'both'] as const) {
      for (const start of [ent('m1'), ent('f1'), act('a2')]) {
        const full = lineage(g, start, { direction, maxDepth: 3 });
        const closure = lineage(g, start, { direction, maxDepth: 3, edges: false });
        expect(closure.vertices).toEqual(full.vertices);
        expect(closure.edges).toEqual([]);
        expect(full.edges.length).toBeGreaterThan(0);
      }
    }
  });

  it('ignores unknown start ids and reuses its marks across many queries', () => {
    expect(lineage(g, 'ent:nope', { direction: 'upstream' }).vertices).toEqual([]);
    for (let i = 0; i < 1000; i++) expect(lineage(g, [ent('m1'), ent('m2')], { direction: 'upstream', maxDepth: 1 }).vertices).toHaveLength(4);
  });

  it('sees vertices added after earlier queries (marks grow with the graph)', () => {
    const h = new ProvGraph();
    h.addEdge('used', 'act:1', 'ent:1', 1);
    expect(lineage(h, 'act:1', { direction: 'upstream' }).vertices).toHaveLength(2);
    for (let i = 2; i < 50; i++) h.addEdge('wasDerivedFrom', `ent:${i - 1}`, `ent:${i}`, 1);
    expect(lineage(h, 'act:1', { direction: 'upstream' }).vertices).toHaveLength(50);
  });
});

describe('lineage maxNodes: a closure too large is cut at whole distance levels', () => {
  // Downstream of d1 by level: 1, 2, 2, 3, 3, 2, 1 vertices (14 in all).
  it.each<[number, boolean, number, number]>([
    // maxNodes, truncated, depthReached, vertices returned
    [1, true, 0, 1],
    [2, true, 0, 1],
    [3, true, 1, 3],
    [5, true, 2, 5],
    [7, true, 2, 5],
    [8, true, 3, 8],
    [13, true, 5, 13],
    [14, false, 6, 14],
    [1_000, false, 6, 14],
  ])('downstream of d1, maxNodes %i: truncated %s, complete to distance %i, %i vertices', (maxNodes, truncated, depthReached, count) => {
    const r = lineage(g, ent('d1'), { direction: 'downstream', maxNodes });
    expect({ truncated: r.truncated, depthReached: r.depthReached, count: r.vertices.length }).toEqual({ truncated, depthReached, count });
  });

  it('a cut answer is exactly the answer at its depthReached, for every start, direction and limit', () => {
    const starts = [...Array(g.vertexCount).keys()].map((v) => g.idOf(v));
    for (const direction of ['upstream', 'downstream', 'both'] as const) {
      for (const start of starts) {
        const full = lineage(g, start, { direction });
        for (let maxNodes = 1; maxNodes <= full.vertices.length; maxNodes++) {
          const r = lineage(g, start, { direction, maxNodes });
          const label = `${direction} ${start} maxNodes ${maxNodes}`;
          expect(r.truncated, label).toBe(full.vertices.length > maxNodes);
          expect(r.vertices.length, label).toBeLessThanOrEqual(maxNodes);
          if (!r.truncated) {
            expect(r, label).toEqual(full);
            continue;
          }
          expect(r, label).toEqual({ ...lineage(g, start, { direction, maxDepth: r.depthReached }), truncated: true });
          // the next level would not have fitted
          expect(lineage(g, start, { direction, maxDepth: r.depthReached + 1 }).vertices.length, label).toBeGreaterThan(maxNodes);
        }
      }
    }
  });

  it('respects maxDepth as well, and is not truncated when maxDepth already keeps it small', () => {
    expect(lineage(g, ent('d1'), { direction: 'downstream', maxDepth: 2, maxNodes: 5 })).toMatchObject({ truncated: false, depthReached: 2 });
    expect(lineage(g, ent('d1'), { direction: 'downstream', maxDepth: 3, maxNodes: 5 })).toMatchObject({ truncated: true, depthReached: 2 });
  });

  it('a root with a huge fan-out (edges still in the append buffer) comes back alone, truncated at distance 0', () => {
    const h = new ProvGraph();
    h.addEdge('used', 'act:first', 'ent:raw', 1);
    h.compact();
    for (let i = 0; i < 500; i++) h.addEdge('used', `act:${i}`, 'ent:raw', 2);
    const r = lineage(h, 'ent:raw', { direction: 'downstream', maxNodes: 100 });
    expect(r).toEqual({ vertices: [expect.objectContaining({ id: 'ent:raw', distance: 0 })], edges: [], truncated: true, depthReached: 0 });
    expect(lineage(h, 'ent:raw', { direction: 'downstream', maxNodes: 502 })).toMatchObject({ truncated: false, depthReached: 1 });
    expect(lineage(h, 'ent:raw', { direction: 'downstream', maxNodes: 501 })).toMatchObject({ truncated: true, depthReached: 0 });
  });

  it('both: the union of the two closures counts against maxNodes', () => {
    // f1: upstream a1 (1), d1 (2); downstream a2, a5, f2 (1), ...
    const full = lineage(g, ent('f1'), { direction: 'both', maxDepth: 1 });
    expect(full.vertices).toHaveLength(5);
    expect(lineage(g, ent('f1'), { direction: 'both', maxDepth: 1, maxNodes: 4 })).toMatchObject({ truncated: true, depthReached: 0, vertices: [expect.objectContaining({ distance: 0 })] });
    expect(lineage(g, ent('f1'), { direction: 'both', maxDepth: 1, maxNodes: 5 })).toMatchObject({ truncated: false, depthReached: 1 });
  });
});

describe('ProvGraph.bfs limit', () => {
  it('stops as soon as the queue holds `limit` vertices, in the CSR part and in the append buffer', () => {
    const h = new ProvGraph();
    for (let i = 0; i < 50; i++) h.addEdge('used', `act:${i}`, 'ent:raw', 1);
    h.compact();
    for (let i = 50; i < 100; i++) h.addEdge('used', `act:${i}`, 'ent:raw', 1);
    const n = h.vertexCount;
    for (const limit of [1, 2, 30, 51, 75, 101, Infinity]) {
      const queue = new Uint32Array(n);
      const stamp = new Uint32Array(n);
      const dist = new Uint32Array(n);
      queue[0] = h.indexOf('ent:raw');
      stamp[queue[0]!] = 1;
      const seen: number[] = [];
      const tail = h.bfs(queue, 1, stamp, dist, 1, 'in', 0xff, Infinity, Infinity, (_u, w) => seen.push(w), limit);
      expect(tail, `limit ${limit}`).toBe(Math.min(Math.max(limit, 1), 101));
      expect(seen.length, `limit ${limit}`).toBe(tail - 1);
    }
  });
});
