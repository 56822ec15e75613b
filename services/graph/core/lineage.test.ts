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
