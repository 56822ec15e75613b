/** SPEC §5.1 worked example, reproduced exactly (normative). */
import { describe, expect, it } from 'vitest';
import { segment, type SegmentBoundary, type SegmentResult } from './segment.js';
import { summarize } from './summarize.js';
import { act, agt, buildWorkedExample, ent } from './worked-example.js';

const byRole = (r: SegmentResult, role: string): string[] => r.vertices.filter((v) => v.role === role).map((v) => v.id).sort();
const ids = (r: SegmentResult): string[] => r.vertices.map((v) => v.id).sort();
const sorted = (xs: string[]): string[] => [...xs].sort();

describe.each([
  { name: 'vertices first', edgesFirst: false },
  { name: 'edges first (placeholders)', edgesFirst: true },
])('§5.1 segment — $name', ({ edgesFirst }) => {
  const graph = buildWorkedExample({ edgesFirst, compactMinEdges: 4 });

  it('core = {m1, a2, f1, a1, d1}, similar = {a5, m3}', () => {
    const r = segment(graph, [ent('d1')], [ent('m1')]);
    expect(byRole(r, 'source')).toEqual([ent('d1')]);
    expect(byRole(r, 'destination')).toEqual([ent('m1')]);
    expect(byRole(r, 'core')).toEqual(sorted([act('a2'), ent('f1'), act('a1')]));
    expect(byRole(r, 'similar')).toEqual(sorted([act('a5'), ent('m3')]));
    expect(byRole(r, 'expansion')).toEqual([]);
    const dist = Object.fromEntries(r.vertices.map((v) => [v.id, [v.fromDestination, v.toSource, v.matchLength]]));
    expect(dist).toEqual({
      [ent('m1')]: [0, 4, null],
      [act('a2')]: [1, 3, null],
      [ent('f1')]: [2, 2, null],
      [act('a1')]: [3, 1, null],
      [ent('d1')]: [4, 0, null],
      [act('a5')]: [null, null, 3],
      [ent('m3')]: [null, null, 4],
    });
    const edges = r.edges.map((e) => `${e.from} ${e.type} ${e.to}`).sort();
    expect(edges).toEqual(
      sorted([
        `${ent('m1')} wasGeneratedBy ${act('a2')}`,
        `${act('a2')} used ${ent('f1')}`,
        `${ent('f1')} wasGeneratedBy ${act('a1')}`,
        `${act('a1')} used ${ent('d1')}`,
        `${act('a5')} used ${ent('f1')}`,
        `${ent('m3')} wasGeneratedBy ${act('a5')}`,
      ]),
    );
  });

  it('expansion {hops: 1, edges: [used, wasAssociatedWith]} adds c1, t1, alice, bob', () => {
    const r = segment(graph, [ent('d1')], [ent('m1')], { expansion: { hops: 1, edges: ['used', 'wasAssociatedWith'] } });
    expect(byRole(r, 'expansion')).toEqual(sorted([ent('c1'), ent('t1'), agt('alice'), agt('bob')]));
    expect(r.vertices.filter((v) => v.role === 'expansion').every((v) => v.hops === 1)).toBe(true);
    expect(byRole(r, 'similar')).toEqual(sorted([act('a5'), ent('m3')]));
  });

  it('excluding artifact scripts/* changes nothing', () => {
    const plain = segment(graph, [ent('d1')], [ent('m1')]);
    const r = segment(graph, [ent('d1')], [ent('m1')], { exclude: [{ artifact: 'scripts/*' }] });
    expect(r.vertices).toEqual(plain.vertices);
    expect(r.edges).toEqual(plain.edges);
  });

  it('excluding f1 empties the result', () => {
    const r = segment(graph, [ent('d1')], [ent('m1')], { exclude: [{ id: ent('f1') }] });
    expect(r.vertices).toEqual([]);
    expect(r.edges).toEqual([]);
  });

  it('segment({d2}, {m2}) is the chain m2 ← a4 ← f2 ← a3 ← d2 with nothing similar', () => {
    const r = segment(graph, [ent('d2')], [ent('m2')]);
    expect(ids(r)).toEqual(sorted([ent('m2'), act('a4'), ent('f2'), act('a3'), ent('d2')]));
    expect(byRole(r, 'similar')).toEqual([]);
  });

  it('a4 and m2 are not similar in segment({d1},{m1}) (they reach d1 only via wasRevisionOf)', () => {
    const r = segment(graph, [ent('d1')], [ent('m1')]);
    expect(ids(r)).not.toContain(act('a4'));
    expect(ids(r)).not.toContain(ent('m2'));
  });

  it.each<[string, SegmentBoundary, string[]]>([
    ['maxLength 4 keeps the whole core path', { maxLength: 4 }, [ent('m1'), act('a2'), ent('f1'), act('a1'), ent('d1'), act('a5'), ent('m3')]],
    ['maxLength 3 cuts the only path', { maxLength: 3 }, []],
    ['excluding agent bob removes a5 (and so m3)', { exclude: [{ agent: 'bob' }] }, [ent('m1'), act('a2'), ent('f1'), act('a1'), ent('d1')]],
    ['window ending before a5 ran drops a5/m3', { timeWindow: { to: 49 } }, [ent('m1'), act('a2'), ent('f1'), act('a1'), ent('d1')]],
    ['without used edges nothing connects', { edgeTypes: ['wasGeneratedBy', 'wasRevisionOf'] }, []],
  ])('boundary: %s', (_name, boundary, expected) => {
    expect(ids(segment(graph, [ent('d1')], [ent('m1')], boundary))).toEqual(sorted(expected));
  });
});

describe('§5.1 summarize', () => {
  const graph = buildWorkedExample();
  const s1 = segment(graph, [ent('d1')], [ent('m1')]);
  const s2 = segment(graph, [ent('d2')], [ent('m2')]);
  const K = { activity: 'command', entity: 'artifact' } as const;

  it('k = ∞ over the cores: 5 vertices × 2 members, 4 edges of frequency 2, compaction 0.5', () => {
    const sum = summarize(graph, [s1, s2], K, Infinity);
    expect(sum.input).toEqual({ vertices: 10, edges: 8 });
    expect(sum.summary).toEqual({ vertices: 5, edges: 4 });
    expect(sum.compaction).toBe(0.5);
    expect(sum.stable).toBe(true);
    expect(sum.vertices.map((v) => v.label).sort()).toEqual(
      [
        'activity(command=clean)',
        'activity(command=train)',
        'entity(artifact=data/features.parquet)',
        'entity(artifact=data/raw.csv)',
        'entity(artifact=models/model.bin)',
      ],
    );
    expect(sum.vertices.every((v) => v.members === 2 && v.segments === 2)).toBe(true);
    expect(sum.edges.every((e) => e.frequency === 2 && e.segments === 2)).toBe(true);
    const label = (b: number): string => sum.vertices[b]!.label;
    expect(sum.edges.map((e) => `${label(e.from)} ${e.type} ${label(e.to)}`).sort()).toEqual(
      [
        'activity(command=clean) used entity(artifact=data/raw.csv)',
        'activity(command=train) used entity(artifact=data/features.parquet)',
        'entity(artifact=data/features.parquet) wasGeneratedBy activity(command=clean)',
        'entity(artifact=models/model.bin) wasGeneratedBy activity(command=train)',
      ],
    );
    const train = sum.vertices.find((v) => v.label === 'activity(command=train)')!;
    expect(train.vertexIds.sort()).toEqual([act('a2'), act('a4')]);
    expect(train.numeric['durationMs']).toEqual({ count: 2, min: 200, max: 400, mean: 300 });
    expect(sum.checkNoFalsePaths(6).ok).toBe(true);
  });
});
