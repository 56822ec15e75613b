/** Event → graph mapping: idempotence, order independence, references. */
import { describe, expect, it } from 'vitest';
import { activityId, agentId, edgeId, entityId } from '../model/ids.js';
import type { Activity, Payload } from '../model/types.js';
import { ProjectGraph, ProjectGraphs } from './project-graph.js';

const raw1 = entityId('data/raw.csv', 'sha256:1');
const raw2 = entityId('data/raw.csv', 'sha256:2');
const run = activityId('r1');
const alice = agentId('Alice');

const entity = (id: string, version: number | null): Payload => ({ type: 'entity', id, artifact: 'data/raw.csv', version, contentHash: 'sha256:x', entityType: 'dataset', sizeBytes: null });
const activity = (status: Activity['status'], endTime: number | null): Payload => ({
  type: 'activity', id: run, name: 'clean', command: 'python clean.py', status, startTime: 100, endTime, exitCode: endTime === null ? null : 0,
  workdir: null, params: { lr: '0.1' }, env: { SEED: '1' },
});

describe('ProjectGraph.apply', () => {
  it('maps every payload kind to vertices, edges and properties', () => {
    const g = new ProjectGraph('p');
    expect(g.apply(entity(raw1, 1), 10)).toBe('changed');
    expect(g.apply(activity('COMPLETED', 400), 20)).toBe('changed');
    expect(g.apply({ type: 'agent', id: alice, name: 'Alice', agentType: 'person', email: null }, 5)).toBe('changed');
    expect(g.apply({ type: 'relation', relation: 'used', from: run, to: raw1, role: 'input' }, 20)).toBe('changed');
    expect(g.apply({ type: 'property', subject: raw1, key: 'pii', value: { kind: 'bool', value: true } }, 30)).toBe('changed');
    expect(g.apply({ type: 'property', subject: raw1, key: 'schema', value: { kind: 'json', value: '{"a":1}' } }, 30)).toBe('changed');
    expect(g.apply({ type: 'metric', subject: run, key: 'loss', step: 1, value: 0.5, time: 21 }, 21)).toBe('changed');
    const v = g.graph.indexOf(run);
    expect(g.graph.props(v)).toEqual({
      name: 'clean', command: 'python clean.py', status: 'COMPLETED', startTime: 100, endTime: 400, exitCode: 0, durationMs: 300,
      'params.lr': '0.1', 'env.SEED': '1', 'metric.loss': 0.5,
    });
    expect(g.graph.props(g.graph.indexOf(raw1))).toEqual({ artifact: 'data/raw.csv', version: 1, contentHash: 'sha256:x', entityType: 'dataset', pii: true, schema: '{"a":1}' });
    expect(g.graph.props(g.graph.indexOf(alice))).toEqual({ name: 'Alice', agentType: 'person' });
    expect(g.graph.neighbours(v, 'out').map((n) => [g.graph.idOf(n.vertex), n.type])).toEqual([[raw1, 'used']]);
  });

  it('is idempotent: the same events twice change nothing the second time', () => {
    const g = new ProjectGraph('p');
    const events: Array<[Payload, number]> = [[entity(raw1, 1), 1], [activity('RUNNING', null), 2], [{ type: 'relation', relation: 'used', from: run, to: raw1, role: null }, 2]];
    for (const [p, t] of events) g.apply(p, t);
    const version = g.graph.version;
    for (const [p, t] of events) expect(g.apply(p, t)).toBe('unchanged');
    expect(g.graph.version).toBe(version);
  });

  it('an older activity state never overwrites a newer one (replay after bootstrap)', () => {
    const g = new ProjectGraph('p');
    g.apply(activity('COMPLETED', 400), 400);
    expect(g.apply(activity('RUNNING', null), 100)).toBe('changed'); // only the vertex time moves earlier
    const v = g.graph.indexOf(run);
    expect(g.graph.prop(v, 'status')).toBe('COMPLETED');
    expect(g.graph.timeOf(v)).toBe(100);
    g.apply(activity('FAILED', 500), 500);
    expect(g.graph.prop(v, 'status')).toBe('FAILED');
  });

  it('properties keep the latest value by event time, metrics the highest step', () => {
    const g = new ProjectGraph('p');
    const prop = (value: string): Payload => ({ type: 'property', subject: raw1, key: 'stage', value: { kind: 'string', value } });
    g.apply(prop('production'), 50);
    expect(g.apply(prop('staging'), 40)).toBe('unchanged');
    g.apply(prop('archived'), 60);
    const metric = (step: number, value: number): Payload => ({ type: 'metric', subject: run, key: 'loss', step, value, time: step });
    g.apply(metric(3, 0.3), 3);
    expect(g.apply(metric(1, 0.9), 1)).toBe('unchanged');
    g.apply(metric(4, 0.2), 4);
    expect(g.graph.prop(g.graph.indexOf(raw1), 'stage')).toBe('archived');
    expect(g.graph.prop(g.graph.indexOf(run), 'metric.loss')).toBe(0.2);
  });

  it('skips what the graph cannot hold: edge properties', () => {
    const g = new ProjectGraph('p');
    expect(g.apply({ type: 'property', subject: edgeId('used', run, raw1), key: 'weight', value: { kind: 'number', value: 1 } }, 1)).toBe('skipped');
    expect(g.graph.vertexCount).toBe(0);
  });

  it('resolves ids, artifact@version and artifact (latest)', () => {
    const g = new ProjectGraph('p');
    g.apply(entity(raw2, 2), 20);
    g.apply(entity(raw1, 1), 10);
    g.apply(activity('RUNNING', null), 5);
    expect(g.resolve(run)).toBe(g.graph.indexOf(run));
    expect(g.resolve('data/raw.csv@1')).toBe(g.graph.indexOf(raw1));
    expect(g.resolve('data/raw.csv@2')).toBe(g.graph.indexOf(raw2));
    expect(g.resolve('data/raw.csv')).toBe(g.graph.indexOf(raw2));
    expect(g.resolve('data/raw.csv@latest')).toBe(g.graph.indexOf(raw2));
    expect(g.resolve('data/raw.csv@3')).toBe(-1);
    expect(g.resolve('data/raw.csv@x')).toBe(-1);
    expect(g.resolve('nope')).toBe(-1);
    expect(g.artifactNames()).toEqual(['data/raw.csv']);
  });

  describe('as of a time', () => {
    // raw1 (v1) at 10, raw2 (v2) at 20, the run at 5; times are epoch ms.
    const g = new ProjectGraph('p');
    g.apply(entity(raw2, 2), 20);
    g.apply(entity(raw1, 1), 10);
    g.apply(activity('RUNNING', null), 5);
    const iso = (t: number) => new Date(t).toISOString();
    it.each([
      ['data/raw.csv', 25, raw2],
      ['data/raw.csv', 20, raw2],
      ['data/raw.csv', 19, raw1],
      ['data/raw.csv@latest', 15, raw1],
      ['data/raw.csv@1', 10, raw1],
      [raw1, 10, raw1],
      [run, 5, run],
    ])('%s as of %i is %s', (ref, asOf, id) => {
      expect(g.lookup(ref, asOf)).toEqual({ vertex: g.graph.indexOf(id) });
      expect(g.resolve(ref, asOf)).toBe(g.graph.indexOf(id));
    });
    it.each([
      ['data/raw.csv', 9, `data/raw.csv had no version at ${iso(9)}; its first version (@1) is from ${iso(10)}`],
      ['data/raw.csv@2', 19, `data/raw.csv@2 did not exist yet at ${iso(19)}; it was first recorded at ${iso(20)}`],
      [raw1, 9, `${raw1} did not exist yet at ${iso(9)}; it was first recorded at ${iso(10)}`],
      [run, 4, `${run} did not exist yet at ${iso(4)}; it was first recorded at ${iso(5)}`],
    ])('%s as of %i: not yet', (ref, asOf, problem) => {
      expect(g.lookup(ref, asOf)).toEqual({ vertex: -1, notYet: true, problem });
    });
  });

  it.each([
    ['data/raw.csv@9', /^data\/raw.csv has no version 9 \(its versions: 1, 2\)$/],
    ['data/raw.csv@x', /^data\/raw.csv has no version "x" \(a version is a number, or "latest"\)/],
    ['raw.csv', /give a vertex id .*; did you mean data\/raw.csv\?$/],
    ['data/raw', /did you mean data\/raw.csv\?$/],
    ['elsewhere/raw.csv@1', /did you mean data\/raw.csv\?$/],
    ['nope', /^give a vertex id \(ent:…, act:…, agt:…\) or an artifact reference[^?]*$/],
    ['ent:nope', /^give a vertex id[^?]*$/],
  ])('an unknown reference %s says what exists', (ref, problem) => {
    const g = new ProjectGraph('p');
    g.apply(entity(raw1, 1), 10);
    g.apply(entity(raw2, 2), 20);
    const found = g.lookup(ref);
    expect(found.vertex).toBe(-1);
    expect(found.notYet).toBeUndefined();
    expect(found.problem).toMatch(problem);
  });

  it('keeps many artifacts with many versions apart, each version listed once', () => {
    const g = new ProjectGraph('p');
    const ids: string[][] = [];
    for (let round = 0; round < 2; round++) {
      for (let a = 0; a < 50; a++) {
        for (let n = 1; n <= 20; n++) {
          const id = entityId(`data/part-${a}.csv`, `sha256:${String(a * 100 + n).padStart(64, '0')}`);
          (ids[a] ??= [])[n] = id;
          g.apply({ type: 'entity', id, artifact: `data/part-${a}.csv`, contentHash: `sha256:${String(a * 100 + n).padStart(64, '0')}`, version: n, entityType: 'file', sizeBytes: null }, 1000 + n);
        }
      }
    }
    expect(g.artifactNames()).toEqual(Array.from({ length: 50 }, (_, a) => `data/part-${a}.csv`));
    for (const a of [0, 17, 49]) {
      for (const n of [1, 7, 20]) expect(g.resolve(`data/part-${a}.csv@${n}`)).toBe(g.graph.indexOf(ids[a]![n]!));
      expect(g.resolve(`data/part-${a}.csv`)).toBe(g.graph.indexOf(ids[a]![20]!));
    }
  });

  it('property times and metric steps are kept per (vertex, key): an older value or step is ignored', () => {
    const g = new ProjectGraph('p');
    g.apply(entity(raw1, 1), 1);
    expect(g.apply({ type: 'property', subject: raw1, key: 'quality', value: { kind: 'string', value: 'good' } }, 10)).toBe('changed');
    expect(g.apply({ type: 'property', subject: raw1, key: 'quality', value: { kind: 'string', value: 'old' } }, 5)).toBe('unchanged');
    expect(g.apply({ type: 'property', subject: raw1, key: 'owner', value: { kind: 'string', value: 'bob' } }, 5)).toBe('changed');
    expect(g.graph.prop(g.graph.indexOf(raw1), 'quality')).toBe('good');
    g.apply(activity('RUNNING', null), 5);
    expect(g.apply({ type: 'metric', subject: run, key: 'loss', step: 3, value: 0.3, time: 30 }, 30)).toBe('changed');
    expect(g.apply({ type: 'metric', subject: run, key: 'loss', step: 2, value: 0.9, time: 40 }, 40)).toBe('unchanged');
    expect(g.apply({ type: 'metric', subject: run, key: 'acc', step: 1, value: 0.5, time: 40 }, 40)).toBe('changed');
    expect(g.graph.prop(g.graph.indexOf(run), 'metric.loss')).toBe(0.3);
  });
});

describe('ProjectGraph.relayout', () => {
  it('moves the per-vertex state with the vertices: references, older states, property times and metric steps', () => {
    const g = new ProjectGraph('p');
    const versions = Array.from({ length: 6 }, (_, n) => entityId('data/raw.csv', `sha256:${n}`));
    versions.forEach((id, n) => g.apply({ type: 'entity', id, artifact: 'data/raw.csv', version: n + 1, contentHash: `sha256:${n}`, entityType: 'dataset', sizeBytes: null }, 10 + n));
    for (let n = 1; n < versions.length; n++) g.apply({ type: 'relation', relation: 'wasRevisionOf', from: versions[n]!, to: versions[n - 1]!, role: null }, 20 + n);
    g.apply(activity('COMPLETED', 200), 50);
    g.apply({ type: 'relation', relation: 'used', from: run, to: versions[2]!, role: null }, 60);
    g.apply({ type: 'property', subject: versions[3]!, key: 'quality', value: { kind: 'string', value: 'good' } }, 70);
    g.apply({ type: 'metric', subject: run, key: 'loss', step: 3, value: 0.3, time: 80 }, 80);
    const before = versions.map((id) => g.graph.indexOf(id));
    g.relayout();
    const after = versions.map((id) => g.graph.indexOf(id));
    expect(after).not.toEqual(before); // the newest version's closure comes first: the order changed
    for (let n = 0; n < versions.length; n++) expect(g.resolve(`data/raw.csv@${n + 1}`)).toBe(after[n]);
    expect(g.resolve('data/raw.csv')).toBe(after[5]);
    // What was applied before the relayout still wins against older events.
    g.apply(activity('RUNNING', null), 40); // moves the vertex's time earlier, not its state
    expect(g.graph.prop(g.graph.indexOf(run), 'status')).toBe('COMPLETED');
    expect(g.apply({ type: 'property', subject: versions[3]!, key: 'quality', value: { kind: 'string', value: 'old' } }, 65)).toBe('unchanged');
    expect(g.apply({ type: 'metric', subject: run, key: 'loss', step: 2, value: 0.9, time: 90 }, 90)).toBe('unchanged');
    expect(g.apply({ type: 'metric', subject: run, key: 'loss', step: 4, value: 0.2, time: 95 }, 95)).toBe('changed');
    // New versions append to the artifact's list.
    const v7 = entityId('data/raw.csv', 'sha256:7');
    g.apply({ type: 'entity', id: v7, artifact: 'data/raw.csv', version: 7, contentHash: 'sha256:7', entityType: 'dataset', sizeBytes: null }, 100);
    expect(g.resolve('data/raw.csv')).toBe(g.graph.indexOf(v7));
    expect(g.resolve('data/raw.csv@1')).toBe(after[0]);
  });
});

describe('ProjectGraphs.relayoutGrown', () => {
  const addEntities = (gs: ProjectGraphs, project: string, from: number, to: number) => {
    for (let i = from; i < to; i++) gs.apply(project, { type: 'entity', id: entityId('data/x.csv', `sha256:${i}`), artifact: 'data/x.csv', version: i + 1, contentHash: `sha256:${i}`, entityType: 'dataset', sizeBytes: null }, i);
  };

  it('lays a graph out again once it grew by the policy (fraction and minimum), each project on its own', () => {
    const gs = new ProjectGraphs(null, { growth: 0.5, minVertices: 10 });
    addEntities(gs, 'a', 0, 9);
    expect(gs.relayoutGrown()).toEqual([]); // 9 new vertices < the minimum of 10
    addEntities(gs, 'a', 9, 20);
    addEntities(gs, 'b', 0, 5);
    expect(gs.relayoutGrown().map((r) => [r.project, r.vertices, r.added])).toEqual([['a', 20, 20]]);
    expect(gs.get('a')!.verticesSinceRelayout).toBe(0);
    addEntities(gs, 'a', 20, 29);
    expect(gs.relayoutGrown()).toEqual([]); // 9 < 0.5 × 20 and < 10
    addEntities(gs, 'a', 29, 30);
    expect(gs.relayoutGrown().map((r) => r.added)).toEqual([10]);
    expect(gs.get('a')!.resolve('data/x.csv@30')).toBe(gs.get('a')!.graph.indexOf(entityId('data/x.csv', 'sha256:29')));
  });

  it('never relays out with growth 0', () => {
    const gs = new ProjectGraphs(null, { growth: 0, minVertices: 1 });
    addEntities(gs, 'a', 0, 50);
    expect(gs.relayoutGrown()).toEqual([]);
  });
});

describe('ProjectGraphs', () => {
  it('keeps one graph per project and ignores projects it does not serve', () => {
    const all = new ProjectGraphs();
    all.apply('b', entity(raw1, 1), 1);
    all.apply('a', entity(raw1, 1), 1);
    expect(all.projects()).toEqual(['a', 'b']);
    const some = new ProjectGraphs(new Set(['a']));
    expect(some.apply('b', entity(raw1, 1), 1)).toBe('skipped');
    expect(some.apply('a', entity(raw1, 1), 1)).toBe('changed');
    expect(some.projects()).toEqual(['a']);
  });
});
