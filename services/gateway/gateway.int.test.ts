/**
 * The gateway listening on a real port, in front of real Kafka, Redis, the ingest process and
 * ClickHouse: what clients post ends up in the tables as the mapping says; every arrival order of
 * the same OpenLineage events ends in the same tables; PROV-JSON exported from ClickHouse reads
 * back identically; Kafka away answers 503.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startGatewayHarness } from '../../test/gateway.js';
import { services, TcpProxy, waitFor } from '../../test/helpers.js';
import type { GatewayHarness } from '../../test/gateway.js';
import { createKafka } from '../lib/kafka.js';
import { repoPath } from '../lib/paths.js';
import { sql } from '../lib/sql-literal.js';
import { sampleProject } from '../demo/sample.js';
import { buildApp } from './app.js';
import { TokenTable } from './auth.js';
import { KafkaPublisher } from './publisher.js';
import { GatewayService } from './service.js';
import { airflowStream, dbtStream, sparkStream } from './openlineage/fixtures.js';
import { MemoryRunStateStore } from './openlineage/run-state.js';
import { prepareOpenLineage, resolveOpenLineage } from './openlineage/translate.js';
import type { Fact } from './facts.js';
import { applyFacts } from './prov/apply-facts.js';
import { exportProv } from './prov/export.js';
import { MemoryLineageReader } from './prov/memory-reader.js';

const airflow = airflowStream();
const spark = sparkStream();
const dbt = dbtStream();
const streams = [...airflow.events, ...spark.events, ...dbt.events];

/** Deterministic shuffle (mulberry32) so a failure can be replayed. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  let a = seed;
  const rnd = () => ((a = (a + 0x6d2b79f5) | 0), (((a ^ (a >>> 15)) * (a | 1)) ^ 0) >>> 0) / 4294967296;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
const permutations = <T>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));

// The Spark SQL run: START, one RUNNING heartbeat, COMPLETE, and the START again (a duplicate): every order.
const sparkRun = [spark.events[1]!, spark.events[2]!, spark.events[5]!, spark.events[1]!];
const sparkOrders = permutations([0, 1, 2, 3]).filter((p, i, all) => all.findIndex((q) => q.map((k) => (k === 3 ? 0 : k)).join() === p.map((k) => (k === 3 ? 0 : k)).join()) === i);
const PROJECTS = ['ol', 'ol-reversed', 'ol-shuffled-1', 'ol-shuffled-2', 'ol-concurrent', ...sparkOrders.map((_, i) => `spark-${i}`), 'prov-a', 'prov-b', 'native'];

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness('gw', PROJECTS);
});
afterAll(async () => h?.close());

const post = async (project: string, path: string, body: unknown) => {
  const r = await h.request('POST', path, project, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  return r.body;
};

describe('OpenLineage through a listening gateway into ClickHouse', () => {
  beforeAll(async () => {
    // The same events four ways: batched per stream, reversed one by one, shuffled with duplicates.
    await post('ol', '/api/v1/lineage', airflow.events);
    for (const e of spark.events) await post('ol', '/api/v1/lineage', e);
    await post('ol', '/api/v1/lineage', dbt.events);
    for (const e of [...streams].reverse()) await post('ol-reversed', '/api/v1/lineage', e);
    const withDuplicates = shuffled([...streams, ...streams.slice(0, 8)], 7);
    for (let i = 0; i < withDuplicates.length; i += 5) await post('ol-shuffled-1', '/api/v1/lineage', withDuplicates.slice(i, i + 5));
    for (const e of shuffled(streams, 42)) await post('ol-shuffled-2', '/api/v1/lineage', e);
    // All at once: events of one run race through the run-state compare-and-set and share produce requests.
    await Promise.all(shuffled(streams, 3).map((e) => post('ol-concurrent', '/api/v1/lineage', e)));
    for (const [i, order] of sparkOrders.entries()) for (const k of order) await post(`spark-${i}`, '/api/v1/lineage', sparkRun[k]);
    await h.ingested();
  });

  it('runs end as the streams say (statuses, times), with their lineage', async () => {
    const status = async (runId: string) => (await h.db.query<{ s: string; st: number; et: number }>(sql`SELECT argMax(status, valid_from) AS s, argMax(start_time, valid_from) AS st, argMax(end_time, valid_from) AS et FROM vertices FINAL WHERE project = 'ol' AND id = ${`act:${runId}`}`))[0];
    expect(await status(airflow.runs['dag']!)).toEqual({ s: 'FAILED', st: Date.UTC(2024, 4, 1, 2, 0, 0), et: Date.UTC(2024, 4, 1, 2, 12, 0) });
    expect(await status(airflow.runs['report']!)).toMatchObject({ s: 'FAILED' });
    expect(await status(spark.runs['sql']!)).toMatchObject({ s: 'COMPLETED', st: Date.UTC(2024, 4, 1, 3, 0, 2) });
    expect(await status(dbt.runs['fct']!)).toMatchObject({ s: 'COMPLETED' });
    const informed = await h.db.query<{ n: number }>(sql`SELECT count() AS n FROM (SELECT DISTINCT src FROM edges WHERE project = 'ol' AND type = 'wasInformedBy' AND dst = ${`act:${airflow.runs['dag']}`})`);
    expect(informed[0]!.n).toBe(3);
    const columns = await h.db.query<{ value: string }>(sql`SELECT value_string AS value FROM properties FINAL WHERE project = 'ol' AND key = 'ol:columnLineage' AND subject LIKE 'edge:wasDerivedFrom:%' ORDER BY value LIMIT 100`);
    expect(columns.some((c) => c.value.includes('"output":"AMOUNT_EUR"'))).toBe(true);
    const metrics = await h.db.query<{ key: string; value: number }>(sql`SELECT key, value FROM metrics FINAL WHERE project = 'ol' AND key = 'ol.outputStatistics.rowCount' ORDER BY value`);
    expect(metrics.map((m) => m.value)).toEqual([48_208, 48_211, 88_120, 310_220]);
    expect(await h.db.query('SELECT * FROM dead_letters')).toEqual([]);
  });

  it('every order, duplicates, one by one, batched or all at once: the same tables', async () => {
    const reference = await h.tables('ol');
    expect((reference['vertices'] as unknown[]).length).toBe(38);
    for (const p of ['ol-reversed', 'ol-shuffled-1', 'ol-shuffled-2', 'ol-concurrent']) expect(await h.tables(p), p).toEqual(reference);
  });

  it(`a run's START, RUNNING, COMPLETE and a duplicate START in all ${sparkOrders.length} orders: the same tables`, async () => {
    const reference = await h.tables('spark-0');
    const act = (reference['vertices'] as Array<{ id: string; state: string }>).find((v) => v.id === `act:${spark.runs['sql']}`)!;
    expect(act.state).toMatch(/'COMPLETED',1714532402000,1714532495000/);
    for (let i = 1; i < sparkOrders.length; i++) expect(await h.tables(`spark-${i}`), `order ${sparkOrders[i]!.join(',')}`).toEqual(reference);
  });

  it('the PROV-JSON export read from ClickHouse is the export of the same facts held in memory', async () => {
    const prepared = [...airflow.events, ...spark.events, ...dbt.events].map((e) => {
      const p = prepareOpenLineage(e, { maxFacetBytes: 512 * 1024 });
      if (!p.ok) throw new Error('fixture');
      return p.prepared;
    });
    const store = new MemoryRunStateStore();
    const facts: Fact[] = [];
    // Same requests as project 'ol': airflow batched, spark one by one, dbt batched.
    for (const batch of [prepared.slice(0, 9), ...prepared.slice(9, 16).map((p) => [p]), prepared.slice(16)]) for (const k of await resolveOpenLineage('ol', batch, store)) facts.push({ time: k.event.time, payload: k.event.payload });
    const memory = new MemoryLineageReader(() => applyFacts(facts));
    for (const [vertex, direction, depth] of [[`act:${airflow.runs['transform']}`, 'both', 4], [`act:${spark.runs['sql']}`, 'upstream', 10], [`act:${dbt.runs['invocation']}`, 'downstream', 3]] as const) {
      const r = await h.request('GET', `/api/v1/lineage/${vertex}/prov?direction=${direction}&depth=${depth}`, 'ol');
      expect(r.status).toBe(200);
      expect(r.body).toEqual(exportProv((await memory.snapshot('ol', vertex, { depth, direction, maxVertices: 1e6 }))!));
    }
  });
});

describe('PROV-JSON through ClickHouse', () => {
  it('a document with every relation: exported from ClickHouse, imported into another project, exported again: identical', async () => {
    const doc = JSON.parse(readFileSync(repoPath('services', 'gateway', 'prov', 'fixtures', 'every-relation.json'), 'utf8')) as unknown;
    const a = await post('prov-a', '/api/v1/prov?time=2024-06-01T00:00:00Z', doc);
    await h.ingested();
    const dataset2 = a.ids['ex:dataset2'] as string;
    const first = await h.request('GET', `/api/v1/lineage/${dataset2}/prov?direction=both&depth=10`, 'prov-a');
    expect(first.status).toBe(200);
    expect(Object.keys(first.body['entity'])).toHaveLength(4);
    expect(Object.keys(first.body['activity'])).toHaveLength(2);
    expect(Object.keys(first.body['agent'])).toHaveLength(3);
    await post('prov-b', '/api/v1/prov?time=2024-06-02T00:00:00Z', first.body);
    await h.ingested();
    const second = await h.request('GET', `/api/v1/lineage/${dataset2}/prov?direction=both&depth=10`, 'prov-b');
    expect(second.body).toEqual(first.body);
    expect(first.body['wasStartedBy']).toBeDefined();
    expect(first.body['bundle']).toBeDefined();
  });
});

describe('native events and failures', () => {
  it('native events posted over HTTP are queryable', async () => {
    const sample = sampleProject('native');
    await post('native', '/api/v1/events', sample.events);
    await h.ingested();
    const [row] = await h.db.query<{ n: number }>(sql`SELECT uniqExact(event_id) AS n FROM events_raw WHERE project = 'native'`);
    expect(row!.n).toBe(sample.events.length);
  });

  it('Kafka unreachable: 503 with Retry-After, nothing accepted', async () => {
    const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'gw-dead', retries: 0, connectionTimeoutMs: 300 }, pino({ level: 'silent' }));
    const publisher = new KafkaPublisher(kafka, { topic: h.topic, maxEventBytes: 1 << 20, compression: 'none' });
    const t = TokenTable.parse('native:native-token-0123456789');
    const service = new GatewayService({ publisher, runStates: new MemoryRunStateStore(), lineage: null, limits: { maxEventsPerRequest: 10, maxFacetBytes: 1 << 20, exportMaxDepth: 5, exportMaxVertices: 100 }, log: pino({ level: 'silent' }) });
    const app = buildApp({ service, tokens: t.ok ? t.table : (undefined as never), bodyLimitBytes: 1 << 20, retryAfterSeconds: 7, log: pino({ level: 'silent' }), ready: async () => ({}) });
    try {
      const r = await app.inject({ method: 'POST', url: '/api/v1/lineage', payload: airflow.events[0] as object, headers: { authorization: 'Bearer native-token-0123456789' } });
      expect(r.statusCode).toBe(503);
      expect(r.headers['retry-after']).toBe('7');
      expect(r.json().error.message).toMatch(/Kafka is unavailable/);
    } finally {
      await app.close();
      await publisher.close();
    }
  });
});

describe('Redis (the OpenLineage run state) going away', () => {
  it('503 with Retry-After naming Redis while it is away; the same event is accepted once it is back', async () => {
    const proxy = await TcpProxy.start(TcpProxy.targetOf(services().redisUrl, 6379));
    const g = await startGatewayHarness('gw_redis', ['ol-redis'], { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, GATEWAY_RETRY_AFTER_SECONDS: '3' });
    try {
      const [start, complete] = [airflow.events[0]!, airflow.events[airflow.events.length - 1]!];
      expect((await g.request('POST', '/api/v1/lineage', 'ol-redis', start)).status).toBe(202);
      await proxy.cut();
      const refused = await g.request('POST', '/api/v1/lineage', 'ol-redis', complete);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('3');
      expect((refused.body as { error: { message: string } }).error.message).toMatch(/^Redis is unavailable: the OpenLineage run state .*(no connection to Redis \(is it running at REDIS_URL\?\)|ECONNREFUSED)/);
      await proxy.restore();
      // A client following Retry-After: the same event, until the gateway's connection is back.
      await waitFor('the gateway to accept the event again', async () => (await g.request('POST', '/api/v1/lineage', 'ol-redis', complete)).status === 202, 30_000, 500);
    } finally {
      await g.close();
      await proxy.cut();
    }
  });
});
