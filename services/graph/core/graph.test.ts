import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activityId, entityId } from '../../model/ids.js';
import { EDGE_TYPES } from '../../model/types.js';
import { ANY_EDGE_TYPE, EDGE_TYPE_CODE, edgeTypeMask, ProvGraph } from './graph.js';

describe('ProvGraph vertices', () => {
  it('forEachPropRaw gives every property undecoded; propText / propValue decode them to what props() says', () => {
    const g = new ProvGraph();
    g.addVertex('ent:a', 'entity', 1, { artifact: 'data/x.csv', rows: 12, pii: true, ok: false, name: 'true' });
    const v = g.indexOf('ent:a');
    const decoded: Record<string, unknown> = {};
    g.forEachPropRaw(v, (key, isNumber, value) => {
      decoded[g.propText(key)] = isNumber ? value : g.propValue(value);
    });
    expect(decoded).toEqual(g.props(v));
    expect(decoded).toEqual({ artifact: 'data/x.csv', rows: 12, pii: true, ok: false, name: 'true' });
  });

  it('creates placeholders for edge endpoints, kind inferred from the id prefix', () => {
    const g = new ProvGraph();
    expect(g.addEdge('used', 'act:run1', 'ent:abc', 5)).toBe(true);
    const a = g.indexOf('act:run1');
    const e = g.indexOf('ent:abc');
    expect([g.kindOf(a), g.kindOf(e)]).toEqual(['activity', 'entity']);
    expect(g.isPlaceholder(a) && g.isPlaceholder(e)).toBe(true);
    expect(g.timeOf(e)).toBe(5);
    g.addVertex('ent:abc', 'entity', 9, { artifact: 'data/x.csv' });
    expect(g.isPlaceholder(e)).toBe(false);
    expect(g.timeOf(e)).toBe(5); // the earliest assertion wins
    expect(g.prop(e, 'artifact')).toBe('data/x.csv');
    expect(g.vertexCount).toBe(2);
  });

  it('rejects an endpoint whose id names no kind', () => {
    const g = new ProvGraph();
    expect(() => g.addEdge('used', 'act:x', 'weird-id', 1)).toThrow(RangeError);
  });

  it('addVertex is idempotent and only bumps the version on change', () => {
    const g = new ProvGraph();
    g.addVertex('agt:alice', 'agent', 3, { name: 'alice', active: true }, 'Alice');
    const v0 = g.version;
    g.addVertex('agt:alice', 'agent', 3, { name: 'alice', active: true }, 'Alice');
    expect(g.version).toBe(v0);
    g.addVertex('agt:alice', 'agent', 7, { active: false });
    expect(g.version).toBe(v0 + 1);
    const v = g.indexOf('agt:alice');
    expect(g.props(v)).toEqual({ name: 'alice', active: false });
    expect(g.labelOf(v)).toBe('Alice');
    expect(g.timeOf(v)).toBe(3);
    expect(g.setProp('agt:alice', 'score', 1.5, 3)).toBe(true);
    expect(g.setProp('agt:alice', 'score', 1.5, 3)).toBe(false);
    expect(g.prop(v, 'score')).toBe(1.5);
    expect(g.prop(v, 'missing')).toBeUndefined();
    expect(g.hasVertex('agt:bob')).toBe(false);
    expect(g.indexOf('agt:bob')).toBe(-1);
  });
});

describe('ProvGraph edges', () => {
  it('the same (type, from, to) twice is one edge with the earliest time', () => {
    const g = new ProvGraph({ compactMinEdges: 0 });
    g.addEdge('used', 'act:a', 'ent:e', 10);
    const v = g.version;
    expect(g.addEdge('used', 'act:a', 'ent:e', 12)).toBe(false);
    expect(g.version).toBe(v);
    expect(g.addEdge('used', 'act:a', 'ent:e', 4)).toBe(true);
    expect(g.edgeCount).toBe(1);
    const a = g.indexOf('act:a');
    expect(g.neighbours(a, 'out')).toEqual([{ vertex: g.indexOf('ent:e'), type: 'used', time: 4 }]);
    expect(g.neighbours(g.indexOf('ent:e'), 'in')).toEqual([{ vertex: a, type: 'used', time: 4 }]);
    expect(g.timeOf(a)).toBe(4); // endpoints never later than their edges
    expect(g.addEdge('wasInformedBy', 'act:a', 'act:b', 1)).toBe(true); // another type, another edge
    expect(g.edgeCount).toBe(2);
  });

  it('filters neighbours by type mask and [notBefore, asOf]', () => {
    const g = new ProvGraph();
    g.addEdge('used', 'act:a', 'ent:1', 1);
    g.addEdge('used', 'act:a', 'ent:2', 5);
    g.addEdge('wasAssociatedWith', 'act:a', 'agt:x', 3);
    const a = g.indexOf('act:a');
    const seen: Array<[number, number, number]> = [];
    g.forEachNeighbour(a, 'out', edgeTypeMask(['used']), (w, c, t) => seen.push([w, c, t]), 4);
    expect(seen).toEqual([[g.indexOf('ent:1'), EDGE_TYPE_CODE.used, 1]]);
    expect(g.neighbours(a, 'out', ANY_EDGE_TYPE, 3).map((n) => n.type).sort()).toEqual(['used', 'wasAssociatedWith']);
    const late: number[] = [];
    g.forEachNeighbour(a, 'out', ANY_EDGE_TYPE, (w) => late.push(w), Infinity, 4);
    expect(late).toEqual([g.indexOf('ent:2')]);
    expect(() => g.neighbours(99, 'out')).toThrow(RangeError);
  });

  // Model check: random edge streams (duplicates, out-of-order times, tiny compaction thresholds
  // so CSR and buffer mix) against a plain Map model.
  it('matches a naive edge model across compactions', () => {
    const op = fc.record({
      type: fc.constantFrom(...EDGE_TYPES),
      from: fc.integer({ min: 0, max: 9 }),
      to: fc.integer({ min: 0, max: 9 }),
      time: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 6 }), fc.boolean(), (ops, minEdges, compactAtEnd) => {
        const g = new ProvGraph({ compactMinEdges: minEdges, compactFraction: 0.3 });
        const model = new Map<string, number>();
        const id = (i: number): string => (i % 2 === 0 ? `ent:e${i}` : `act:a${i}`);
        for (const o of ops) {
          const key = `${o.type}|${id(o.from)}|${id(o.to)}`;
          const prev = model.get(key);
          const expectChange = prev === undefined || o.time < prev;
          const versionBefore = g.version;
          // A duplicate never changes anything: its endpoints exist and are no later than it.
          expect(g.addEdge(o.type, id(o.from), id(o.to), o.time)).toBe(expectChange);
          expect(g.version).toBe(versionBefore + (expectChange ? 1 : 0));
          if (expectChange) model.set(key, o.time);
        }
        const ids = Array.from({ length: g.vertexCount }, (_, v) => g.idOf(v));
        const version = g.version;
        if (compactAtEnd) g.compact();
        expect(g.version).toBe(version); // compaction is not a logical change
        expect(Array.from({ length: g.vertexCount }, (_, v) => g.idOf(v))).toEqual(ids); // indices are stable
        expect(g.edgeCount).toBe(model.size);
        const actual = new Map<string, number>();
        g.forEachEdge((f, t, c, time) => actual.set(`${EDGE_TYPES[c]}|${g.idOf(f)}|${g.idOf(t)}`, time));
        expect(actual).toEqual(model);
        const incoming = new Map<string, number>();
        for (let v = 0; v < g.vertexCount; v++) {
          for (const n of g.neighbours(v, 'in')) incoming.set(`${n.type}|${g.idOf(n.vertex)}|${g.idOf(v)}`, n.time);
        }
        expect(incoming).toEqual(model);
      }),
      { numRuns: 400 },
    );
  });
});

/** Deterministic ids shaped like real ones (ent:32 hex, act:uuid). */
function uuidFor(i: number): string {
  const h = createHash('sha256').update(String(i)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

describe('ProvGraph.relayout', () => {
  /** Everything the graph holds, by id (no indices), and its version. */
  function content(g: ProvGraph): unknown {
    const vertices: Record<string, unknown> = {};
    for (let v = 0; v < g.vertexCount; v++) {
      vertices[g.idOf(v)] = { kind: g.kindOf(v), time: g.timeOf(v), placeholder: g.isPlaceholder(v), label: g.labelOf(v), props: g.props(v) };
    }
    const out: string[] = [];
    const incoming: string[] = [];
    g.forEachEdge((f, t, c, time) => out.push(`${EDGE_TYPES[c]}|${g.idOf(f)}|${g.idOf(t)}|${time}`));
    for (let v = 0; v < g.vertexCount; v++) for (const n of g.neighbours(v, 'in')) incoming.push(`${n.type}|${g.idOf(n.vertex)}|${g.idOf(v)}|${n.time}`);
    return { vertices, out: out.sort(), incoming: incoming.sort(), version: g.version, edges: g.edgeCount };
  }

  it('keeps the content, places every vertex after its upstream neighbours (DAG), and later updates still deduplicate', () => {
    const op = fc.record({
      type: fc.constantFrom(...EDGE_TYPES),
      a: fc.integer({ min: 0, max: 11 }),
      b: fc.integer({ min: 0, max: 11 }),
      time: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 50 }), fc.array(op, { maxLength: 20 }), fc.integer({ min: 0, max: 6 }), (before, after, minEdges) => {
        const g = new ProvGraph({ compactMinEdges: minEdges, compactFraction: 0.3 });
        // Higher number → lower number: a DAG. Odd numbers are activities, some with a label and
        // a property; one id has a character above U+00FF (kept apart by the intern table).
        const id = (i: number): string => (i % 2 === 0 ? `ent:e${i}${i === 4 ? 'é€' : ''}` : `act:a${i}`);
        const add = (o: { type: (typeof EDGE_TYPES)[number]; a: number; b: number; time: number }) => {
          if (o.a === o.b) return;
          g.addEdge(o.type, id(Math.max(o.a, o.b)), id(Math.min(o.a, o.b)), o.time);
        };
        for (const o of before) {
          add(o);
          if (o.a % 2 === 1) g.addVertex(id(o.a), 'activity', o.time, { step: o.b, cmd: `run ${o.b}` }, `job${o.a}`);
        }
        const expected = content(g);
        const n = g.vertexCount;
        const newOf = g.relayout();
        expect(newOf.length).toBe(n);
        expect([...newOf].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(content(g)).toEqual(expected);
        for (let v = 0; v < n; v++) for (const w of g.neighbours(v, 'out')) expect(w.vertex).toBeLessThan(v);
        // The same events again change nothing; new ones land as on a graph never relaid out.
        const twin = new ProvGraph({ compactMinEdges: minEdges, compactFraction: 0.3 });
        for (const o of before) {
          if (o.a !== o.b) twin.addEdge(o.type, id(Math.max(o.a, o.b)), id(Math.min(o.a, o.b)), o.time);
          if (o.a % 2 === 1) twin.addVertex(id(o.a), 'activity', o.time, { step: o.b, cmd: `run ${o.b}` }, `job${o.a}`);
        }
        const version = g.version;
        for (const o of before) add(o);
        expect(g.version).toBe(version);
        for (const o of after) {
          add(o);
          if (o.a !== o.b) twin.addEdge(o.type, id(Math.max(o.a, o.b)), id(Math.min(o.a, o.b)), o.time);
        }
        const got = content(g) as { version: number };
        const want = content(twin) as { version: number };
        expect({ ...got, version: 0 }).toEqual({ ...want, version: 0 });
        g.compact();
        expect({ ...(content(g) as object), version: 0 }).toEqual({ ...want, version: 0 });
      }),
      { numRuns: 300 },
    );
  });
});

describe('ProvGraph memory', () => {
  it('stays ≤ 150 bytes/edge at 10^5 vertices and 3·10^5 edges (estimate from array sizes)', () => {
    const g = new ProvGraph();
    const entities = 66_000;
    const activities = 33_000;
    const agents = 1_000;
    const ent = (i: number): string => entityId(`data/file-${i % 5000}.csv`, `sha256:${i}`);
    const act = (i: number): string => activityId(uuidFor(i));
    const agt = (i: number): string => `agt:user-${i}`;
    let rnd = 42;
    const next = (k: number): number => {
      rnd = (rnd * 1103515245 + 12345) % 2147483648;
      return rnd % k;
    };
    for (let i = 0; i < agents; i++) g.addVertex(agt(i), 'agent', 0, { name: `user-${i}` });
    for (let i = 0; i < activities; i++) {
      g.addVertex(act(i), 'activity', i, { command: i % 2 ? 'train' : 'clean' });
      for (let u = 0; u < 4; u++) g.addEdge('used', act(i), ent(next(entities)), i);
      g.addEdge('wasAssociatedWith', act(i), agt(next(agents)), i);
    }
    for (let i = 0; i < entities; i++) {
      g.addVertex(ent(i), 'entity', i, { artifact: `data/file-${i % 5000}.csv` });
      g.addEdge('wasGeneratedBy', ent(i), act(next(activities)), i);
      g.addEdge('wasDerivedFrom', ent(i), ent(next(entities)), i);
      if (i % 2 === 1) g.addEdge('wasRevisionOf', ent(i), ent(i - 1), i);
    }
    g.compact();
    expect(g.vertexCount).toBe(100_000);
    expect(g.edgeCount).toBeGreaterThan(295_000);
    const m = g.memoryEstimate();
    // Edge arrays: 21 bytes/edge (13 out + 8 in) + 16 bytes/vertex (offsets, buffer heads);
    // the id strings and map dominate the rest.
    expect(m.edgeBytes / g.edgeCount).toBeLessThan(28);
    expect(m.bytesPerEdge).toBeLessThanOrEqual(150);
  }, 60_000); // not a timing test: only a generous ceiling for a loaded CI machine
});
