import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { ServiceUnavailableError } from '../lib/errors.js';
import { sampleProject } from '../demo/sample.js';
import { buildApp } from './app.js';
import { TokenTable } from './auth.js';
import { GatewayService } from './service.js';
import { MemoryPublisher } from './publisher.js';
import { MemoryRunStateStore } from './openlineage/run-state.js';
import type { RunStateStore } from './openlineage/run-state.js';
import { airflowStream } from './openlineage/fixtures.js';
import { applyFacts } from './prov/apply-facts.js';
import { exportProv } from './prov/export.js';
import { MemoryLineageReader } from './prov/memory-reader.js';

const ALPHA = 'alpha-token-0123456789';
const BETA = 'beta-token-0123456789ab';
const tokens = (() => {
  const t = TokenTable.parse(`alpha:${ALPHA},beta:${BETA}`);
  if (!t.ok) throw new Error('tokens');
  return t.table;
})();
const auth = (token = ALPHA) => ({ authorization: `Bearer ${token}` });

interface Harness {
  app: FastifyInstance;
  publisher: MemoryPublisher;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

function harness(opts: { bodyLimitBytes?: number; maxEventsPerRequest?: number; runStates?: RunStateStore } = {}): Harness {
  const publisher = new MemoryPublisher();
  const snapshotOf = (project: string) => applyFacts(publisher.published.filter((k) => k.event.project === project).map((k) => ({ time: k.event.time, payload: k.event.payload })));
  const service = new GatewayService({
    publisher,
    runStates: opts.runStates ?? new MemoryRunStateStore(),
    lineage: new MemoryLineageReader(snapshotOf),
    limits: { maxEventsPerRequest: opts.maxEventsPerRequest ?? 100, maxFacetBytes: 256 * 1024, exportMaxDepth: 20, exportMaxVertices: 10_000 },
    log: pino({ level: 'silent' }),
  });
  const app = buildApp({ service, tokens, bodyLimitBytes: opts.bodyLimitBytes ?? 1 << 20, retryAfterSeconds: 5, log: pino({ level: 'silent' }), ready: async () => ({ kafka: true }) });
  apps.push(app);
  return { app, publisher };
}

const airflow = airflowStream();
const post = (h: Harness, url: string, payload: unknown, headers: Record<string, string> = auth()) => h.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('authentication', () => {
  it('no token: 401 with WWW-Authenticate, nothing parsed or published', async () => {
    const h = harness();
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/lineage', payload: airflow.events[0] as object });
    expect(r.statusCode).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="provstream"');
    expect(r.json()).toEqual({ error: { code: 'unauthorized', message: expect.stringMatching(/missing Authorization/) } });
    expect(h.publisher.published).toEqual([]);
  });

  it('an unknown token: 401; a token of another project than ?project=: 403', async () => {
    const h = harness();
    expect((await post(h, '/api/v1/lineage', airflow.events[0], auth('not-a-token-at-all-0000'))).statusCode).toBe(401);
    const r = await post(h, '/api/v1/lineage?project=beta', airflow.events[0]);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.message).toBe('the token is for project alpha, not beta');
  });

  it('reads need a token too; health does not', async () => {
    const h = harness();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/lineage/ent:x/prov' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', checks: { kafka: true } });
  });
});

describe('POST /api/v1/lineage', () => {
  it('one event: 202 with counts; events keyed by the run in the token\'s project', async () => {
    const h = harness();
    const r = await post(h, '/api/v1/lineage', airflow.events[1]);
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ accepted: 1, published: h.publisher.published.length });
    expect(new Set(h.publisher.published.map((k) => k.key))).toEqual(new Set([`alpha|act:${airflow.runs['extract']}`]));
    expect(new Set(h.publisher.published.map((k) => k.event.project))).toEqual(new Set(['alpha']));
  });

  it('a batch (array): 202; the same batch again publishes the same events (idempotent ids)', async () => {
    const h = harness();
    const r = await post(h, '/api/v1/lineage', airflow.events);
    expect(r.statusCode).toBe(202);
    expect(r.json().accepted).toBe(airflow.events.length);
    const first = new Set(h.publisher.published.map((k) => k.event.eventId));
    h.publisher.published.length = 0;
    await post(h, '/api/v1/lineage', airflow.events);
    expect(new Set(h.publisher.published.map((k) => k.event.eventId))).toEqual(first);
  });

  it('an invalid batch: 400 listing every problem with its path; nothing published', async () => {
    const h = harness();
    const bad = structuredClone(airflow.events.slice(0, 3)) as Array<Record<string, unknown>>;
    (bad[1]!['run'] as Record<string, unknown>)['runId'] = 'nope';
    bad[2]!['eventTime'] = 'tomorrow';
    const r = await post(h, '/api/v1/lineage', bad);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toEqual({
      code: 'invalid-request',
      message: expect.stringMatching(/2 problem/),
      problems: [
        { path: '/1/run/runId', message: '"nope" is not a UUID' },
        { path: '/2/eventTime', message: expect.stringMatching(/RFC 3339/) },
      ],
    });
    expect(h.publisher.published).toEqual([]);
  });

  it('invalid JSON: 400; another content type: 415; an empty array: 400', async () => {
    const h = harness();
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/lineage', payload: '{"eventTime": ', headers: { ...auth(), 'content-type': 'application/json' } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toBe('the request body is not valid JSON');
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/lineage', payload: 'x', headers: { ...auth(), 'content-type': 'text/plain' } })).statusCode).toBe(415);
    expect((await post(h, '/api/v1/lineage', [])).statusCode).toBe(400);
  });

  it('a body over GATEWAY_MAX_BODY_BYTES: 413; more events than GATEWAY_MAX_EVENTS_PER_REQUEST: 413', async () => {
    const small = harness({ bodyLimitBytes: 4096, maxEventsPerRequest: 3 });
    const big = await post(small, '/api/v1/lineage', airflow.events);
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('payload-too-large');
    const many = harness({ maxEventsPerRequest: 3 });
    const r = await post(many, '/api/v1/lineage', airflow.events.slice(0, 4));
    expect(r.statusCode).toBe(413);
    expect(r.json().error.message).toMatch(/4 events in one request; at most 3/);
  });

  it('gzip-compressed bodies are accepted; the size limit applies after decompression', async () => {
    const h = harness({ bodyLimitBytes: 8192 });
    const one = gzipSync(JSON.stringify(airflow.events[1]));
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/lineage', payload: one, headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(r.statusCode).toBe(202);
    const bomb = gzipSync(JSON.stringify({ ...(airflow.events[1] as object), pad: 'x'.repeat(200_000) }));
    expect(bomb.length).toBeLessThan(8192);
    const r2 = await h.app.inject({ method: 'POST', url: '/api/v1/lineage', payload: bomb, headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(r2.statusCode).toBe(413);
  });

  it('Kafka unavailable: 503 with Retry-After; the retry publishes exactly what the first attempt would have', async () => {
    const reference = harness();
    await post(reference, '/api/v1/lineage', airflow.events.slice(0, 3));
    const h = harness();
    h.publisher.failWith = new ServiceUnavailableError('Kafka', 'broker 127.0.0.1:19092 unreachable');
    const r = await post(h, '/api/v1/lineage', airflow.events.slice(0, 3));
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error.code).toBe('unavailable');
    h.publisher.failWith = null;
    expect((await post(h, '/api/v1/lineage', airflow.events.slice(0, 3))).statusCode).toBe(202);
    const ids = (x: Harness) => new Set(x.publisher.published.map((k) => k.event.eventId));
    expect(ids(h)).toEqual(ids(reference));
  });

  it('the run-state store unavailable: 503', async () => {
    const failing: RunStateStore = { update: async () => Promise.reject(new ServiceUnavailableError('Redis', 'connect ECONNREFUSED')), close: async () => undefined };
    const h = harness({ runStates: failing });
    expect((await post(h, '/api/v1/lineage', airflow.events[1])).statusCode).toBe(503);
  });
});

describe('POST /api/v1/events (native)', () => {
  const sample = sampleProject('alpha');

  it('valid events of the token\'s project: 202', async () => {
    const h = harness();
    const r = await post(h, '/api/v1/events', sample.events.slice(0, 50));
    expect(r.statusCode).toBe(202);
    expect(r.json()).toEqual({ accepted: 50, published: 50 });
    expect(h.publisher.published.map((k) => k.event)).toEqual(sample.events.slice(0, 50));
  });

  it('events of another project: 403 with the paths; invalid ones: 400 with every problem', async () => {
    const h = harness();
    const other = sampleProject('beta').events.slice(0, 2);
    const r = await post(h, '/api/v1/events', [sample.events[0], ...other]);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.problems.map((p: { path: string }) => p.path)).toEqual(['/1/project', '/2/project']);
    const bad = await post(h, '/api/v1/events', { ...sample.events[0], eventId: 'x', time: 'now' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems.map((p: { path: string }) => p.path)).toEqual(['/eventId', '/time']);
    expect(h.publisher.published).toEqual([]);
  });
});

describe('PROV-JSON in and out', () => {
  it('POST /api/v1/prov: 202 with the id map; GET the lineage of a vertex: the PROV-JSON the store holds', async () => {
    const h = harness();
    await post(h, '/api/v1/lineage', airflow.events);
    const doc = { prefix: { ex: 'http://example.org/' }, entity: { 'ex:report': { 'prov:label': 'weekly report' } }, activity: { 'ex:render': {} }, wasGeneratedBy: { _g: { 'prov:entity': 'ex:report', 'prov:activity': 'ex:render' } } };
    const r = await post(h, '/api/v1/prov?time=2024-06-01T00:00:00Z', doc);
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body.counts).toMatchObject({ entities: 1, activities: 1, edges: 1 });
    const report = body.ids['ex:report'];
    const out = await h.app.inject({ method: 'GET', url: `/api/v1/lineage/${encodeURIComponent(report)}/prov?depth=3`, headers: auth() });
    expect(out.statusCode).toBe(200);
    const got = out.json();
    expect(Object.keys(got['entity'])).toEqual([report]);
    expect(Object.keys(got['activity'])).toEqual([body.ids['ex:render']]);

    const run = `act:${airflow.runs['transform']}`;
    const lineage = await h.app.inject({ method: 'GET', url: `/api/v1/lineage/${run}/prov?direction=both&depth=2`, headers: auth() });
    const walked = await new MemoryLineageReader(() => applyFacts(h.publisher.published.map((k) => ({ time: k.event.time, payload: k.event.payload })))).snapshot('alpha', run, { depth: 2, direction: 'both', maxVertices: 1e6 });
    expect(lineage.json()).toEqual(exportProv(walked!));
    expect(Object.keys(lineage.json()['activity'])).toContain(`act:${airflow.runs['dag']}`);
  });

  it('export problems: 404 for an unknown vertex or another project\'s; 400 for bad parameters', async () => {
    const h = harness();
    await post(h, '/api/v1/lineage', airflow.events[1]);
    const run = `act:${airflow.runs['extract']}`;
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/lineage/${run}/prov`, headers: auth(BETA) })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/lineage/ent:00000000000000000000000000000000/prov', headers: auth() })).statusCode).toBe(404);
    const bad = await h.app.inject({ method: 'GET', url: `/api/v1/lineage/nonsense/prov?depth=999&direction=sideways`, headers: auth() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems.map((p: { path: string }) => p.path)).toEqual(['/vertexId', '/depth', '/direction']);
  });

  it('an invalid document: 400 with paths; unknown routes: 404', async () => {
    const h = harness();
    const r = await post(h, '/api/v1/prov', { entity: { e: 1 } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.problems).toEqual([{ path: '/entity/e', message: 'must be an object of attributes, got number' }]);
    expect((await h.app.inject({ method: 'GET', url: '/api/v2/nothing', headers: auth() })).statusCode).toBe(404);
  });
});
