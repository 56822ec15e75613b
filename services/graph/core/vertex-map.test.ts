import { describe, expect, it } from 'vitest';
import { ProvGraph } from './graph.js';
import { VertexMap, withVertexMaps } from './vertex-map.js';

describe('VertexMap', () => {
  it('reads 0 for unset vertices, and reset forgets every value', () => {
    const m = new VertexMap();
    expect(m.get(3)).toBe(0);
    m.set(3, 7);
    m.set(9, -2);
    expect([m.get(3), m.get(9), m.get(4)]).toEqual([7, -2, 0]);
    m.reset(10);
    expect([m.get(3), m.get(9)]).toEqual([0, 0]);
  });

  it('matches a Map over many keys, across growth, the switch to a dense array and resets', () => {
    const m = new VertexMap();
    for (const n of [50, 20_000, 300]) {
      m.reset(1_000_003);
      const model = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const v = (i * 7919) % 1_000_003;
        model.set(v, i - 5);
        m.set(v, i - 5);
      }
      for (const [v, x] of model) expect(m.get(v)).toBe(x);
      let unset = 1;
      while (model.has(unset)) unset++;
      expect(m.get(unset)).toBe(0);
      m.reset(1_000_003);
      for (const v of model.keys()) expect(m.get(v)).toBe(0);
    }
  });
});

describe('withVertexMaps', () => {
  const graph = new ProvGraph();
  for (let i = 0; i < 20; i++) graph.addVertex(`ent:e${i}`, 'entity', i);

  it('lends distinct empty maps, nested calls included, and takes them back even on a throw', () => {
    let first: VertexMap[] = [];
    withVertexMaps(graph, 2, (maps) => {
      first = maps;
      maps[0]!.set(1, 1);
      maps[1]!.set(1, 2);
      withVertexMaps(graph, 2, (inner) => {
        expect(inner.some((m) => maps.includes(m))).toBe(false);
        expect(inner[0]!.get(1)).toBe(0);
      });
      expect([maps[0]!.get(1), maps[1]!.get(1)]).toEqual([1, 2]);
    });
    expect(() =>
      withVertexMaps(graph, 4, (maps) => {
        maps[3]!.set(5, 5);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    // The pool holds the four maps again, reused and empty.
    withVertexMaps(graph, 4, (maps) => {
      expect(maps.filter((m) => first.includes(m))).toHaveLength(2);
      for (const m of maps) for (let v = 0; v < 20; v++) expect(m.get(v)).toBe(0);
    });
  });
});
