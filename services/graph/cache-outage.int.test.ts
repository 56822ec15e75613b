/**
 * The graph service's result cache (Redis) going away: queries are still answered, computed
 * instead of cached, with a warning per failed read or write; once Redis is back, repeats come
 * from the cache again. Redis sits behind a proxy that is cut; results go to a real ClickHouse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { freshDatabase, services, TcpProxy, uniqueName, waitFor } from '../../test/helpers.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { workedExampleEvents } from './example-events.js';
import { Freshness } from './freshness.js';
import { buildGraphApp } from './http.js';
import { GraphQueries } from './operations.js';
import { ProjectGraphs } from './project-graph.js';
import { ClickHouseResultSink, RedisResultCache } from './results.js';

describe('graph queries with the result cache (Redis) going away', () => {
  const example = workedExampleEvents('cache-outage');
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  let proxy: TcpProxy;
  let redis: Redis;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let app: ReturnType<typeof buildGraphApp>;

  beforeAll(async () => {
    proxy = await TcpProxy.start(TcpProxy.targetOf(services().redisUrl, 6379));
    const url = `redis://127.0.0.1:${proxy.port}`;
    redis = createRedis(url, { connectionName: 'provstream-graph-cache-test' });
    await connectRedis(redis, url);
    db = await freshDatabase('graph_cache_outage');
    const graphs = new ProjectGraphs();
    for (const ev of example.events) graphs.apply(ev.project, ev.payload, ev.time);
    const freshness = new Freshness('events', 1000);
    freshness.startPartitions([{ partition: 0, offset: 0, highWatermark: 0 }]);
    freshness.setStatus('catching-up');
    const queries = new GraphQueries({ graphs, freshness, cache: new RedisResultCache(redis), sink: new ClickHouseResultSink(db), epoch: uniqueName('epoch'), cacheTtlSeconds: 60, cachePrefix: `${uniqueName('graph-cache')}:`, cacheTimeoutMs: 500, log });
    app = buildGraphApp({ queries, health: () => ({ serving: true, body: { status: freshness.currentStatus } }), projects: () => graphs.projects(), defaultWaitMs: 50, maxWaitMs: 1000, log });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
    await proxy?.cut();
    await db?.drop();
  });

  const segment = async () => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/projects/cache-outage/segment', payload: { sources: [example.ids['d1']], destinations: [example.ids['m1']] } });
    return { status: r.statusCode, body: r.json() as { cached: boolean; stored: boolean; result: { vertices: unknown[] } } };
  };

  it('answers while Redis is away (computed, with a warning), and caches again once it is back', async () => {
    const first = await segment();
    expect(first.status).toBe(200);
    expect(first.body.cached).toBe(false);
    expect((await segment()).body.cached).toBe(true);

    await proxy.cut();
    const during = await segment();
    expect(during.status).toBe(200);
    expect(during.body.cached).toBe(false);
    expect(during.body.result).toEqual(first.body.result);
    expect(warnings.some((w) => w.includes('result cache read failed; computing'))).toBe(true);

    await proxy.restore();
    await waitFor('repeats to come from the cache again', async () => (await segment()).body.cached, 30_000, 300);
  });
});
