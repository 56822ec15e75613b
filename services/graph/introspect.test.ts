/** why / impact / diff on the SPEC §5.1 worked example. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../lib/errors.js';
import { act, agt, buildWorkedExample, ent } from './core/worked-example.js';
import { diffVertices, looksLikeCode, type ActivityDiff, type EntityDiff } from './diff.js';
import { impact, why, type TreeNode } from './introspect.js';

const graph = buildWorkedExample();
const ix = (id: string): number => graph.indexOf(id);

/** A tree as nested "via label" strings, refs marked with *, for readable assertions. */
function shape(n: TreeNode): unknown {
  const head = `${n.via ?? 'root'} ${n.label}${n.seen ? ' *' : ''}${n.truncated ? ' …' : ''}`;
  return n.children.length === 0 ? head : { [head]: n.children.map(shape) };
}

describe('why', () => {
  it('m1: the derivation tree back to its sources, with agents', () => {
    const t = why(graph, ix(ent('m1')));
    expect(shape(t.root)).toEqual({
      'root models/model.bin v1': [
        {
          'wasGeneratedBy train': [
            { 'used data/features.parquet v1': [{ 'wasGeneratedBy clean': ['used data/raw.csv v1', 'used scripts/clean.py v1'] }] },
            'used scripts/train.py v1',
          ],
        },
      ],
    });
    expect(t.root.children[0]!.agents).toEqual(['alice']);
    expect(t.ends.sort()).toEqual([ent('c1'), ent('d1'), ent('t1')].sort());
    expect(t.vertexCount).toBe(7);
    expect(t.truncated).toBe(false);
  });

  it('depth limit marks the cut', () => {
    const t = why(graph, ix(ent('m1')), { maxDepth: 2 });
    expect(t.vertexCount).toBe(4);
    expect(t.truncated).toBe(true);
    const f1 = t.root.children[0]!.children.find((c) => c.id === ent('f1'))!;
    expect(f1.truncated).toBe(true);
    expect(f1.children).toEqual([]);
  });

  it('a vertex reached twice is expanded once and referenced after', () => {
    // p1 ← a6 ← m1 ← a2, and with revisions m3 → m2 → m1: m1 is reachable two ways.
    const t = why(graph, ix(ent('m3')), { edgeTypes: ['wasGeneratedBy', 'used', 'wasRevisionOf'] });
    const ids: string[] = [];
    const refs: string[] = [];
    const walk = (n: TreeNode): void => {
      (n.seen ? refs : ids).push(n.id);
      n.children.forEach(walk);
    };
    walk(t.root);
    expect(new Set(ids).size).toBe(ids.length);
    expect(refs).toContain(ent('f1'));
  });

  it('as of a time before a5 ran, m3 has no history', () => {
    const t = why(graph, ix(ent('m3')), { asOf: 49 });
    expect(t.root.children).toEqual([]);
  });
});

describe('impact', () => {
  it('d1: everything derived from it, grouped by artifact, runs and people', () => {
    const r = impact(graph, ix(ent('d1')));
    expect(r.byArtifact).toEqual([
      { artifact: 'data/features.parquet', versions: [{ id: ent('f1'), version: 1 }, { id: ent('f2'), version: 2 }] },
      { artifact: 'data/raw.csv', versions: [{ id: ent('d2'), version: 2 }] },
      { artifact: 'models/model.bin', versions: [{ id: ent('m1'), version: 1 }, { id: ent('m2'), version: 2 }, { id: ent('m3'), version: 3 }] },
      { artifact: 'reports/plot.png', versions: [{ id: ent('p1'), version: 1 }] },
    ]);
    expect(r.activities.map((a) => a.id).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map(act).sort());
    expect(r.agents).toEqual(['alice', 'bob']);
    expect(r.vertexCount).toBe(14);
    expect(r.ends.sort()).toEqual([ent('m3'), ent('p1')].sort());
  });

  it('without revisions only what was computed from d1', () => {
    const r = impact(graph, ix(ent('d1')), { edgeTypes: ['used', 'wasGeneratedBy'] });
    expect(r.byArtifact.map((a) => `${a.artifact}:${a.versions.map((v) => v.version).join(',')}`)).toEqual([
      'data/features.parquet:1',
      'models/model.bin:1,3',
      'reports/plot.png:1',
    ]);
    expect(r.agents).toEqual(['alice', 'bob']);
  });
});

describe('diff', () => {
  const g = buildWorkedExample();
  g.setProp(act('a2'), 'params.lr', '0.01', 20);
  g.setProp(act('a4'), 'params.lr', '0.1', 40);
  g.setProp(act('a4'), 'params.epochs', '5', 40);
  g.setProp(act('a2'), 'env.CUDA', '12', 20);
  g.setProp(act('a4'), 'env.CUDA', '12', 40);
  g.setProp(act('a2'), 'metric.loss', 0.5, 20);
  g.setProp(act('a4'), 'metric.loss', 0.4, 40);
  g.setProp(ent('m2'), 'stage', 'production', 40);
  const d = (a: string, b: string) => diffVertices(g, g.indexOf(a), g.indexOf(b));

  it('a2 vs a4: new features version, same code, other agent, changed params and metrics', () => {
    const r = d(act('a2'), act('a4')) as ActivityDiff;
    expect(r.kind).toBe('activity');
    expect(r.sections.inputs).toEqual({
      added: [],
      removed: [],
      changed: [{ key: 'data/features.parquet', a: [{ id: ent('f1'), version: 1 }], b: [{ id: ent('f2'), version: 2 }] }],
      unchanged: [],
    });
    expect(r.sections.code).toEqual({ added: [], removed: [], changed: [], unchanged: ['scripts/train.py'] });
    expect(r.sections.agents).toEqual({ added: [{ key: 'bob', value: true }], removed: [{ key: 'alice', value: true }], changed: [], unchanged: [] });
    expect(r.sections.params).toEqual({ added: [{ key: 'epochs', value: '5' }], removed: [], changed: [{ key: 'lr', a: '0.01', b: '0.1' }], unchanged: [] });
    expect(r.sections.env).toEqual({ added: [], removed: [], changed: [], unchanged: ['CUDA'] });
    expect(r.sections.metrics.changed).toEqual([{ key: 'loss', a: 0.5, b: 0.4 }]);
    expect(r.sections.attributes.changed).toEqual([{ key: 'durationMs', a: 200, b: 400 }]);
    expect(r.sections.attributes.unchanged).toEqual(['command']);
    expect(r.sections.outputs.changed).toEqual([{ key: 'models/model.bin', a: [{ id: ent('m1'), version: 1 }], b: [{ id: ent('m2'), version: 2 }] }]);
  });

  it('a2 vs a5: same inputs, other agent and output', () => {
    const r = d(act('a2'), act('a5')) as ActivityDiff;
    expect(r.sections.inputs.changed).toEqual([]);
    expect(r.sections.inputs.unchanged).toEqual(['data/features.parquet']);
    expect(r.sections.agents.added.map((x) => x.key)).toEqual(['bob']);
    expect(r.sections.outputs.changed.map((x) => x.key)).toEqual(['models/model.bin']);
  });

  it('m1 vs m2: version, user properties, and the diff of the runs that made them', () => {
    const r = d(ent('m1'), ent('m2')) as EntityDiff;
    expect(r.kind).toBe('entity');
    expect(r.sections.attributes.changed).toEqual([{ key: 'version', a: 1, b: 2 }]);
    expect(r.sections.attributes.unchanged).toEqual(['artifact']);
    expect(r.sections.properties.added).toEqual([{ key: 'stage', value: 'production' }]);
    expect(r.generatedBy?.a.id).toBe(act('a2'));
    expect(r.generatedBy?.b.id).toBe(act('a4'));
    expect(r.generatedBy?.sections.inputs.changed.map((x) => x.key)).toEqual(['data/features.parquet']);
  });

  it('a vertex with itself differs in nothing', () => {
    const r = d(act('a2'), act('a2')) as ActivityDiff;
    for (const s of Object.values(r.sections)) expect([s.added, s.removed, s.changed]).toEqual([[], [], []]);
  });

  it('kinds must match and agents are not diffed', () => {
    expect(() => d(act('a1'), ent('m1'))).toThrow(InputError);
    expect(() => d(act('a1'), ent('m1'))).toThrow(/two activities or two entity versions/);
    expect(() => d(agt('alice'), agt('bob'))).toThrow(InputError);
  });

  it.each([
    ['scripts/train.py', null, true],
    ['notebooks/eda.ipynb', null, true],
    ['data/raw.csv', null, false],
    ['models/model.bin', null, false],
    ['pipeline', 'code', true],
    ['config.yaml', 'config', false],
  ])('looksLikeCode(%s, %s) = %s', (artifact, type, expected) => {
    expect(looksLikeCode(artifact, type)).toBe(expected);
  });
});
