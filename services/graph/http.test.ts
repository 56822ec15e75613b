/**
 * The HTTP API on the §5.1 example, in-process (Fastify inject) with in-memory cache and sink:
 * shapes, the SPEC numbers through the event mapping, caching by graph version, waits, errors.
 * The same flow against real Kafka / ClickHouse / Redis is graph.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { validateEvent } from '../model/validate.js';
import { workedExampleEvents } from './example-events.js';
import { Freshness } from './freshness.js';
import { buildGraphApp } from './http.js';
import type { EventFacts, EventLookup } from './event-wait.js';
import { GraphQueries, type ResultCache, type ResultSink } from './operations.js';
import { ProjectGraphs } from './project-graph.js';

const log = pino({ level: 'silent' });
const example = workedExampleEvents('ex');
const { ids } = example;

class MemoryCache implements ResultCache {
  readonly entries = new Map<string, string>();
  async get(key: string) {
    return this.entries.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.entries.set(key, value);
  }
}

class MemorySink implements ResultSink {
  readonly stored: Array<{ op: string; queryId: string; rows: number }> = [];
  fail = false;
  async storeSegment(q: { queryId: string }, r: { vertices: unknown[] }) {
    if (this.fail) throw new Error('ClickHouse is away');
    this.stored.push({ op: 'segment', queryId: q.queryId, rows: r.vertices.length });
  }
  async storeSummary(q: { queryId: string }, s: { vertices: unknown[] }) {
    if (this.fail) throw new Error('ClickHouse is away');
    this.stored.push({ op: 'summarize', queryId: q.queryId, rows: s.vertices.length });
  }
}

describe('graph HTTP API (in-process)', () => {
  const graphs = new ProjectGraphs();
  const freshness = new Freshness('events', 1000);
  const cache = new MemoryCache();
  const sink = new MemorySink();
  const queries = new GraphQueries({ graphs, freshness, cache, sink, epoch: 'test-1', cacheTtlSeconds: 60, cachePrefix: 't:', log });
  const app = buildGraphApp({ queries, health: () => ({ serving: true, body: { status: freshness.currentStatus } }), projects: () => graphs.projects(), defaultWaitMs: 50, maxWaitMs: 1000, log });
  const base = '/api/v1/projects/ex';
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json() };
  };
  const post = async (url: string, payload: unknown) => {
    const r = await app.inject({ method: 'POST', url, payload: payload as object });
    return { status: r.statusCode, body: r.json() };
  };

  beforeAll(async () => {
    for (const ev of example.events) {
      expect(validateEvent(ev).ok).toBe(true);
      graphs.apply(ev.project, ev.payload, ev.time);
    }
    freshness.startPartitions([{ partition: 0, offset: 0, highWatermark: 0 }]);
    freshness.setStatus('catching-up');
    await app.ready();
  });
  afterAll(async () => app.close());

  it('answers 503 while the graph is loading', async () => {
    const f = new Freshness('events', 10);
    f.setStatus('bootstrapping');
    const q = new GraphQueries({ graphs, freshness: f, cache, sink, epoch: 'x', cacheTtlSeconds: 1, cachePrefix: 't:', log });
    const a = buildGraphApp({ queries: q, health: () => ({ serving: false, body: {} }), projects: () => [], defaultWaitMs: 0, maxWaitMs: 0, log });
    const r = await a.inject({ method: 'GET', url: `${base}/why/${ids['m1']}` });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('2');
    expect(r.json().error.code).toBe('unavailable');
    await a.close();
  });

  it('lineage upstream by artifact reference, with graph identity and freshness', async () => {
    const r = await get(`${base}/lineage/${encodeURIComponent('models/model.bin@1')}?direction=upstream&depth=2`);
    expect(r.status).toBe(200);
    expect(r.body.graph).toMatchObject({ epoch: 'test-1', vertices: 18, edges: 27 });
    expect(r.body.freshness.status).toBe('live');
    expect(r.body.cached).toBe(false);
    expect(r.body.result.root).toEqual({ id: ids['m1'], kind: 'entity', label: 'models/model.bin v1' });
    expect(r.body.result.vertices.map((v: { id: string; distance: number }) => [v.id, v.distance]).sort()).toEqual(
      [[ids['m1'], 0], [ids['a2'], 1], [ids['f1'], 2], [ids['t1'], 2]].sort(),
    );
  });

  it('lineage is cut at maxNodes (default 10,000) at a whole distance level, and says so', async () => {
    // Downstream of d1 by distance: 1, 2, 2, 3, … vertices; 5 fit through distance 2.
    const cut = await get(`${base}/lineage/${ids['d1']}?direction=downstream&maxNodes=7`);
    expect(cut.status).toBe(200);
    expect(cut.body.result).toMatchObject({ vertexCount: 5, maxNodes: 7, truncated: true, depthReached: 2 });
    expect(cut.body.result.vertices).toHaveLength(5);
    expect(Math.max(...cut.body.result.vertices.map((v: { distance: number }) => v.distance))).toBe(2);
    const atDepth = await get(`${base}/lineage/${ids['d1']}?direction=downstream&depth=2`);
    expect(cut.body.result.edges).toEqual(atDepth.body.result.edges);
    const whole = await get(`${base}/lineage/${ids['d1']}?direction=downstream`);
    expect(whole.body.result).toMatchObject({ vertexCount: 14, maxNodes: 10_000, truncated: false, depthReached: 6 });
  });

  it.each([
    ['0', 'maxNodes must be an integer from 1 to 1000000 (got "0")'],
    ['1000001', 'maxNodes must be an integer from 1 to 1000000 (got "1000001")'],
    ['many', 'maxNodes must be an integer from 1 to 1000000 (got "many")'],
    ['2.5', 'maxNodes must be an integer from 1 to 1000000 (got "2.5")'],
  ])('lineage maxNodes=%s is a 400', async (raw, message) => {
    const r = await get(`${base}/lineage/${ids['d1']}?direction=downstream&maxNodes=${raw}`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(message);
  });

  describe('as of a past time, a reference names what existed then', () => {
    // m1 (models/model.bin@1) is recorded at start + 20, m2 at + 40, m3 at + 50; d1 at + 1, d2 at + 25.
    const start = Date.UTC(2026, 0, 5, 9, 0, 0);
    const iso = (t: number) => new Date(t).toISOString();

    it('lineage of a bare artifact is from its newest version at that time', async () => {
      const r = await get(`${base}/lineage/${encodeURIComponent('models/model.bin')}?depth=1&asOf=${iso(start + 30)}`);
      expect(r.status).toBe(200);
      expect(r.body.result.root.id).toBe(ids['m1']);
      expect(r.body.result.vertices.map((v: { id: string }) => v.id).sort()).toEqual([ids['m1'], ids['a2']].sort());
      const now = await get(`${base}/lineage/${encodeURIComponent('models/model.bin')}?depth=1`);
      expect(now.body.result.root.id).toBe(ids['m3']);
    });

    it.each([
      ['lineage', 'models/model.bin', start + 5, `models/model.bin had no version at ${iso(start + 5)}; its first version \\(@1\\) is from ${iso(start + 20)} \\(project "ex"\\)`],
      ['why', 'models/model.bin@3', start + 45, `models/model.bin@3 did not exist yet at ${iso(start + 45)}; it was first recorded at ${iso(start + 50)}`],
      ['impact', ids['m2']!, start + 39, `${ids['m2']} did not exist yet at ${iso(start + 39)}`],
    ])('%s of %s before it existed is a 404 that says so', async (op, ref, asOf, message) => {
      const r = await get(`${base}/${op}/${encodeURIComponent(ref)}?asOf=${asOf}`);
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'not-found', id: ref, project: 'ex', asOf });
      expect(r.body.error.message).toMatch(new RegExp(message));
    });

    it('segment resolves sources and destinations at boundary.asOf', async () => {
      const r = await post(`${base}/segment`, { sources: ['data/raw.csv'], destinations: ['models/model.bin'], boundary: { asOf: iso(start + 22) } });
      expect(r.status).toBe(200);
      const role = (name: string) => r.body.result.vertices.filter((v: { role: string }) => v.role === name).map((v: { id: string }) => v.id);
      expect(role('source')).toEqual([ids['d1']]);
      expect(role('destination')).toEqual([ids['m1']]);
      const early = await post(`${base}/segment`, { sources: ['data/raw.csv'], destinations: ['models/model.bin@2'], boundary: { asOf: start + 30 } });
      expect(early.status).toBe(404);
      expect(early.body.error.message).toMatch(/models\/model.bin@2 did not exist yet at/);
    });
  });

  it('why and impact trees', async () => {
    const w = await get(`${base}/why/${ids['m1']}`);
    expect(w.body.result.ends.sort()).toEqual([ids['c1'], ids['d1'], ids['t1']].sort());
    expect(w.body.result.root.children[0].label).toBe('train (COMPLETED)');
    const i = await get(`${base}/impact/${encodeURIComponent('data/raw.csv@1')}?types=used,wasGeneratedBy`);
    expect(i.body.result.byArtifact.map((a: { artifact: string }) => a.artifact)).toEqual(['data/features.parquet', 'models/model.bin', 'reports/plot.png']);
  });

  it('diff of two runs', async () => {
    const r = await get(`${base}/diff?a=${ids['a2']}&b=${ids['a4']}`);
    expect(r.status).toBe(200);
    expect(r.body.result.kind).toBe('activity');
    expect(r.body.result.sections.inputs.changed.map((c: { key: string }) => c.key)).toEqual(['data/features.parquet']);
    expect(r.body.result.sections.agents.added).toEqual([{ key: 'bob', value: true }]);
  });

  it('segment({d1},{m1}) gives the SPEC core and similar part; the repeat comes from the cache', async () => {
    const body = { sources: [ids['d1']], destinations: [ids['m1']] };
    const r = await post(`${base}/segment`, body);
    expect(r.status).toBe(200);
    const role = (name: string) => r.body.result.vertices.filter((v: { role: string }) => v.role === name).map((v: { id: string }) => v.id).sort();
    expect(role('source')).toEqual([ids['d1']]);
    expect(role('destination')).toEqual([ids['m1']]);
    expect(role('core')).toEqual([ids['a2'], ids['f1'], ids['a1']].sort());
    expect(role('similar')).toEqual([ids['a5'], ids['m3']].sort());
    expect(r.body).toMatchObject({ cached: false, stored: true });
    const again = await post(`${base}/segment`, { sources: ['data/raw.csv@1'], destinations: ['models/model.bin@1'] });
    expect(again.body).toMatchObject({ cached: true, queryId: r.body.queryId, result: r.body.result });
    expect(sink.stored.filter((s) => s.queryId === r.body.queryId)).toHaveLength(1);
  });

  it('summarize of the two cores: 5 vertices × 2 members, 4 edges of frequency 2, compaction 0.5', async () => {
    const r = await post(`${base}/summarize`, {
      segments: [{ sources: [ids['d1']], destinations: [ids['m1']] }, { sources: [ids['d2']], destinations: [ids['m2']] }],
      labelKeys: { activity: 'command', entity: 'artifact' },
      k: 'inf',
    });
    expect(r.status).toBe(200);
    const s = r.body.result;
    expect(s.input).toEqual({ vertices: 10, edges: 8 });
    expect(s.summary).toEqual({ vertices: 5, edges: 4 });
    expect(s.compaction).toBe(0.5);
    expect(s.stable).toBe(true);
    expect(s.pathCheck).toMatchObject({ ok: true, maxLength: 6 });
    expect(s.vertices.every((v: { members: number }) => v.members === 2)).toBe(true);
    expect(s.edges.every((e: { frequency: number }) => e.frequency === 2)).toBe(true);
  });

  it('a new event changes the graph version, so the cached answer is not reused', async () => {
    const before = await post(`${base}/segment`, { sources: [ids['d1']], destinations: [ids['m1']] });
    expect(before.body.cached).toBe(true);
    graphs.apply('ex', { type: 'property', subject: ids['m1']!, key: 'stage', value: { kind: 'string', value: 'production' } }, Date.now());
    const after = await post(`${base}/segment`, { sources: [ids['d1']], destinations: [ids['m1']] });
    expect(after.body.cached).toBe(false);
    expect(after.body.graph.version).toBeGreaterThan(before.body.graph.version);
    expect(after.body.queryId).not.toBe(before.body.queryId);
  });

  it('waitFor resolves once the event is applied; a wait that runs out is a 504', async () => {
    const pending = get(`${base}/why/${ids['m1']}?waitFor=ev-late&waitMs=1000`);
    setTimeout(() => freshness.recordBatch(0, 0, 1, Date.now(), ['ev-late']), 20);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body.waitedMs).toBeGreaterThan(0);
    const late = await get(`${base}/why/${ids['m1']}?waitFor=ev-never&waitMs=30`);
    expect(late.status).toBe(504);
    expect(late.body.error.code).toBe('timeout');
  });

  it('waitFor an id the graph does not remember asks the event lookup: 422 dead-lettered, 200 applied long ago, 404 never seen; remembered ids never ask', async () => {
    const asked: string[] = [];
    const facts: Record<string, EventFacts> = {
      'ev-bad': { recorded: false, deadLetter: { reasonCode: 'invalid', reason: 'payload.artifact must not be empty', project: 'ex', time: 1 } },
      'ev-old': { recorded: true, deadLetter: null },
    };
    const events: EventLookup = { find: async (_project, id) => (asked.push(id), facts[id] ?? { recorded: false, deadLetter: null }) };
    const f = new Freshness('events', 1000);
    f.startPartitions([{ partition: 0, offset: 0, highWatermark: 0 }]);
    f.setStatus('catching-up'); // nothing to catch up: live
    f.recordBootstrapIds(['ev-known']);
    const q = new GraphQueries({ graphs, freshness: f, cache, sink, events, eventWait: { graceMs: 5, lookupTimeoutMs: 100 }, epoch: 'lookup', cacheTtlSeconds: 1, cachePrefix: 't:', log });
    const a = buildGraphApp({ queries: q, health: () => ({ serving: true, body: {} }), projects: () => [], defaultWaitMs: 50, maxWaitMs: 30_000, log });
    const ask = async (id: string) => {
      const r = await a.inject({ method: 'GET', url: `${base}/why/${ids['m1']}?waitFor=${id}&waitMs=20000` });
      return { status: r.statusCode, body: r.json() };
    };
    const started = Date.now();
    const bad = await ask('ev-bad');
    expect([bad.status, bad.body.error.code, bad.body.error.reasonCode]).toEqual([422, 'rejected', 'invalid']);
    expect(bad.body.error.message).toMatch(/payload.artifact must not be empty/);
    const old = await ask('ev-old');
    expect(old.status, JSON.stringify(old.body)).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000); // neither waited the 20 s out
    const known = await ask('ev-known');
    expect(known.status).toBe(200);
    expect(asked).toEqual(['ev-bad', 'ev-old']); // the remembered id cost no lookup
    const never = await a.inject({ method: 'GET', url: `${base}/why/${ids['m1']}?waitFor=ev-never&waitMs=30` });
    expect([never.statusCode, never.json().error.code]).toEqual([404, 'not-found']);
    expect(never.json().error.message).toMatch(/no event with id ev-never has reached provstream/);
    await a.close();
  });

  it('a failed store still answers, marked stored: false and not cached', async () => {
    sink.fail = true;
    try {
      const r = await post(`${base}/segment`, { sources: [ids['d2']], destinations: [ids['m2']], boundary: { maxLength: 4 } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ stored: false, cached: false });
      expect(r.body.storeError).toMatch(/ClickHouse is away/);
      const again = await post(`${base}/segment`, { sources: [ids['d2']], destinations: [ids['m2']], boundary: { maxLength: 4 } });
      expect(again.body.cached).toBe(false);
    } finally {
      sink.fail = false;
    }
  });

  it('a store ClickHouse does not acknowledge in time does not hold the answer', async () => {
    const slow: ResultSink = { storeSegment: () => new Promise(() => undefined), storeSummary: () => new Promise(() => undefined) };
    const q = new GraphQueries({ graphs, freshness, cache: new MemoryCache(), sink: slow, epoch: 'slow', cacheTtlSeconds: 1, cachePrefix: 't:', storeTimeoutMs: 30, log });
    const r = await q.segment('ex', { sources: [ids['d1']!], destinations: [ids['m1']!], boundary: {} }, { condition: {}, waitMs: 0 });
    expect(r).toMatchObject({ stored: false, cached: false });
    expect(r.storeError).toMatch(/did not acknowledge the result rows in time/);
    expect(r.result.vertices).toHaveLength(7);
  });

  it.each([
    [`${base}/why/ent:nope`, 404, /unknown vertex "ent:nope" in project "ex"/, { id: 'ent:nope' }],
    ['/api/v1/projects/other/why/x', 404, /project "other" has no provenance in the graph \(known projects: ex\)/, { project: 'other' }],
    [`${base}/lineage/${'x'}?direction=sideways`, 400, /direction must be one of upstream, downstream, both/, {}],
    [`${base}/lineage/x?types=used,madeUp&depth=-1`, 400, /depth must be an integer.*types has unknown edge type\(s\) "madeUp"/, {}],
    [`${base}/diff?a=${ids['a1']}`, 400, /b is required/, {}],
    [`${base}/diff?a=${ids['a1']}&b=${ids['m1']}`, 400, /two activities or two entity versions/, {}],
    ['/api/v1/nothing', 404, /no route GET \/api\/v1\/nothing/, {}],
  ])('GET %s → %i', async (url, status, message, context) => {
    const r = await get(url);
    expect(r.status).toBe(status);
    expect(r.body.error.message).toMatch(message);
    expect(r.body.error).toMatchObject(context);
  });

  it('rejects bad segment and summarize bodies with every problem named', async () => {
    const s = await post(`${base}/segment`, { sources: [ids['d1']], boundary: { exclude: [{ prop: 'x', op: '~' }], maxLength: 'long', hops: 1 } });
    expect(s.status).toBe(400);
    expect(s.body.error.message).toMatch(/body.destinations is required/);
    expect(s.body.error.message).toMatch(/body.boundary.exclude\[0\].op must be one of/);
    expect(s.body.error.message).toMatch(/body.boundary.maxLength must be an integer/);
    expect(s.body.error.message).toMatch(/body.boundary.hops is not a boundary field/);
    const m = await post(`${base}/summarize`, { segments: [], k: -1, extraEdgeTypes: ['wasAssociatedWith'], edgeTypes: ['usedBy'] });
    expect(m.status).toBe(400);
    expect(m.body.error.message).toMatch(/segments must be a list of 1 to/);
    expect(m.body.error.message).toMatch(/k must be an integer/);
    expect(m.body.error.message).toMatch(/extraEdgeTypes is no longer accepted: .*use edgeTypes/);
    expect(m.body.error.message).toMatch(/edgeTypes has unknown edge type\(s\) "usedBy"/);
    // A client's NaN arrives as null: reported, not read as "not given".
    const nul = await post(`${base}/segment`, { destinations: [ids['m1']], boundary: { maxLength: null, asOf: null, expansion: { hops: null, edges: ['used'] } } });
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toMatch(/body.boundary.maxLength must be an integer from 0 to 10000 \(got null; a NaN or Infinity becomes null in JSON/);
    expect(nul.body.error.message).toMatch(/body.boundary.asOf must be epoch milliseconds .*\(got null; a NaN/);
    expect(nul.body.error.message).toMatch(/body.boundary.expansion.hops must be an integer/);
    const nulSum = await post(`${base}/summarize`, { segments: [{ destinations: [ids['m1']] }], pathCheckLength: null });
    expect(nulSum.body.error.message).toMatch(/^pathCheckLength must be an integer from 0 to 12 \(got null/);
    const bad = await app.inject({ method: 'POST', url: `${base}/segment`, headers: { 'content-type': 'application/json' }, payload: '{nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('bad-request');
  });
});

describe('two instances with disjoint GRAPH_PROJECTS (issue 4: projects spread over instances)', () => {
  // Both consume every event (each instance reads all partitions); each keeps only its projects.
  const a = workedExampleEvents('team-a');
  const b = workedExampleEvents('team-b');
  const instance = (id: string, served: string[]) => {
    const graphs = new ProjectGraphs(new Set(served));
    const freshness = new Freshness('events', 1000);
    const queries = new GraphQueries({ graphs, freshness, cache: new MemoryCache(), sink: new MemorySink(), epoch: `${id}-e1`, instanceId: id, cacheTtlSeconds: 60, cachePrefix: 't:', log });
    const app = buildGraphApp({ queries, health: () => ({ serving: true, body: {} }), projects: () => graphs.projects(), defaultWaitMs: 0, maxWaitMs: 100, log });
    return { id, graphs, freshness, app };
  };
  const one = instance('graph-1', ['team-a']);
  const two = instance('graph-2', ['team-b', 'team-c']);
  const get = async (app: typeof one.app, url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json() };
  };

  beforeAll(async () => {
    for (const i of [one, two]) {
      for (const ev of [...a.events, ...b.events]) i.graphs.apply(ev.project, ev.payload, ev.time);
      i.freshness.startPartitions([{ partition: 0, offset: 0, highWatermark: 0 }]);
      i.freshness.setStatus('catching-up');
      await i.app.ready();
    }
  });
  afterAll(async () => {
    await one.app.close();
    await two.app.close();
  });

  it('each holds and lists only its own projects', async () => {
    expect((await get(one.app, '/api/v1/projects')).body.projects).toEqual(['team-a']);
    expect((await get(two.app, '/api/v1/projects')).body.projects).toEqual(['team-b']);
  });

  it.each([
    ['graph-1', 'team-a', a.ids['m1']!],
    ['graph-2', 'team-b', b.ids['m1']!],
  ])('%s answers lineage for %s', async (id, project, m1) => {
    const app = id === 'graph-1' ? one.app : two.app;
    const r = await get(app, `/api/v1/projects/${project}/lineage/${encodeURIComponent(m1)}?direction=upstream&depth=2`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ project, graph: { epoch: `${id}-e1`, vertices: 18 } });
    expect(r.body.result.vertexCount).toBe(4);
  });

  it.each([
    ['graph-1', 'team-b', 'project "team-b" is not served by graph instance "graph-1": it serves only "team-a" (GRAPH_PROJECTS=team-a); send the request to the instance whose GRAPH_PROJECTS lists "team-b", or to one without GRAPH_PROJECTS', 'team-a'],
    ['graph-2', 'team-a', 'project "team-a" is not served by graph instance "graph-2": it serves only "team-b", "team-c" (GRAPH_PROJECTS=team-b,team-c); send the request to the instance whose GRAPH_PROJECTS lists "team-a", or to one without GRAPH_PROJECTS', 'team-b,team-c'],
  ])('%s gives a 404 for %s that names itself and what it serves', async (id, project, message, servedProjects) => {
    const app = id === 'graph-1' ? one.app : two.app;
    for (const path of ['lineage/x', 'why/x', 'impact/x', 'diff?a=x&b=y']) {
      const r = await get(app, `/api/v1/projects/${project}/${path}`);
      expect(r.status).toBe(404);
      expect(r.body.error).toEqual({ code: 'not-found', message, project, instance: id, servedProjects });
    }
    const seg = await app.inject({ method: 'POST', url: `/api/v1/projects/${project}/segment`, payload: { destinations: ['x'] } });
    expect(seg.statusCode).toBe(404);
    expect(seg.json().error.message).toBe(message);
  });

  it('a served project with no events yet is "no provenance", not "not served"', async () => {
    const r = await get(two.app, '/api/v1/projects/team-c/lineage/x');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe('project "team-c" has no provenance in the graph (known projects: team-b)');
  });
});
