/**
 * Lineage taint with the graph service, on real Kafka, ClickHouse and Redis: the sample project's
 * derivations happen BEFORE the taint rule exists (the monitor evaluates them with no taint rule,
 * so its state holds no children lists), the graph service (started in-process, following the
 * topic) learns them; then the rule is added and the pii flag arrives. With MONITOR_GRAPH_URL the
 * already-derived entities alert, with the ids a monitor that had the rule all along gives, and
 * their marks make later stream derivations tainted; without it (or with a graph that does not
 * answer) the flag alerts nothing and the batch is committed all the same.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, freshDatabase, services, silentLogger, uniqueName } from '../../test/helpers.js';
import { batch, deleteRedisPrefix, produceEvents, RecordingSink } from '../../test/monitor.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { entityId } from '../model/ids.js';
import type { ProvEvent } from '../model/types.js';
import { loadGraphConfig } from '../graph/config.js';
import { startGraph, type RunningGraph } from '../graph/main.js';
import { dryRun } from './core/index.js';
import type { Alert } from './core/index.js';
import { AlertDelivery } from './delivery.js';
import { fixtureStream, parseOrThrow } from './fixtures.js';
import { GraphLineageClient } from './graph-lineage.js';
import { Outbox } from './outbox.js';
import { MonitorProcessor } from './processor.js';
import { RuleSet } from './rule-source.js';
import { StateTransactions } from './transaction.js';
import { WebhookDispatcher } from './webhook.js';

const log = silentLogger;
const [piiRule] = parseOrThrow(`rules: [{id: pii-lineage, kind: taint, severity: critical, dedupWindow: 0, notify: [feed], taint: {when: "pii = true"}}]`);



describe('lineage taint with the graph service (MONITOR_GRAPH_URL)', () => {
  const project = uniqueName('gtaint');
  const topic = uniqueName('gtaint_events');
  const { events, keys } = fixtureStream([project]);
  const flag = events[events.length - 1]!;
  const derivations = events.slice(0, -1);
  /**
   * What a monitor that had the rule from the start alerts on the flag (the sample's own earlier
   * pii flags left out: under the rule they would have tainted some of the same entities first).
   */
  const isPiiFlag = (e: ProvEvent) => e.payload.type === 'property' && e.payload.key === 'pii';
  const expected = dryRun([piiRule!], [...derivations.filter((e) => !isPiiFlag(e)), flag]).alerts;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let graph: RunningGraph | undefined;
  let redis: Redis;
  const txConnections: Redis[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    expect(expected.length).toBeGreaterThan(1);
    expect(new Set(expected.map((a) => a.alertId)).size).toBe(expected.length);
    db = await freshDatabase('gtaint');
    await createTopics([{ topic, numPartitions: 1 }]);
    await produceEvents(topic, derivations, keys.slice(0, -1));
    const cfg = loadGraphConfig({
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      CLICKHOUSE_URL: services().clickhouseUrl,
      CLICKHOUSE_DATABASE: db.database,
      REDIS_URL: services().redisUrl,
      PROVSTREAM_TOPIC: topic,
      GRAPH_STREAM_START: 'earliest',
      GRAPH_INSTANCE_ID: uniqueName('gtaint'),
      GRAPH_HTTP_PORT: '0',
      GRAPH_CACHE_PREFIX: `${uniqueName('gtaintcache')}:`,
      GRAPH_SESSION_TIMEOUT_MS: '6000',
    });
    graph = await startGraph(cfg, silentLogger);
    await graph.ready;
    // The graph has applied every derivation (it follows the topic from the earliest offset).
    const last = derivations[derivations.length - 1]!;
    const root = flag.payload.type === 'property' ? flag.payload.subject : '';
    const res = await fetch(`${graph.url}/api/v1/projects/${encodeURIComponent(project)}/lineage/${encodeURIComponent(root)}?direction=downstream&waitFor=${last.eventId}&waitMs=30000`);
    expect(res.status, await res.clone().text()).toBe(200);
    redis = createRedis(services().redisUrl);
    await connectRedis(redis, services().redisUrl);
  }, 120_000);

  afterAll(async () => {
    await graph?.stop();
    for (const p of prefixes) await deleteRedisPrefix(redis, p);
    for (const c of txConnections) c.disconnect();
    redis?.disconnect();
    await deleteTopics([topic]);
    await db?.drop();
  });

  /** A processor whose rule set starts empty; `addRule()` is `provstream rules add`. */
  async function monitor(graphUrl: string | undefined) {
    const prefix = uniqueName('gtaint') + ':';
    prefixes.push(prefix);
    const tx = createRedis(services().redisUrl, { transactional: true });
    await connectRedis(tx, services().redisUrl);
    txConnections.push(tx);
    const sink = new RecordingSink();
    const webhooks = new WebhookDispatcher({ timeoutMs: 1000, attempts: 1, initialDelayMs: 10, maxDelayMs: 10, concurrency: 1, maxQueued: 10 }, async () => undefined, log);
    const delivery = new AlertDelivery([sink], webhooks, new Outbox(redis, prefix), log);
    let set = new RuleSet([]);
    const lineage = graphUrl ? new GraphLineageClient({ url: graphUrl, timeoutMs: 2000, concurrency: 4, backoffMs: 10_000 }, log) : undefined;
    const processor = new MonitorProcessor(new StateTransactions(tx, prefix, 'g'), () => set, delivery, log, { maxPendingDeliveries: 2, maxEventsPerTransaction: 500, ...(lineage ? { graph: lineage } : {}) });
    const signal = new AbortController().signal;
    let offset = 0;
    const feed = async (evs: readonly ProvEvent[]): Promise<Alert[]> => {
      const before = sink.alerts.length;
      await processor.processBatch(batch(evs, offset), signal);
      offset += evs.length;
      await processor.flush();
      return sink.alerts.slice(before);
    };
    return { processor, feed, addRule: () => (set = new RuleSet([piiRule!])) };
  }

  it('derivations before the rule, then the flag: the graph-known descendants alert, once, with the ids of an always-on rule', async () => {
    const m = await monitor(graph!.url);
    expect(await m.feed(derivations)).toEqual([]);
    expect(m.processor.stats.graphLookups).toBe(0); // no flag, no lookup
    m.addRule();
    const onFlag = await m.feed([flag]);
    expect(onFlag.map((a) => a.alertId).sort()).toEqual(expected.map((a) => a.alertId).sort());
    expect(onFlag.map((a) => a.subject).sort()).toEqual(expected.map((a) => a.subject).sort());
    for (const a of onFlag) expect(a.eventIds).toEqual([flag.eventId]);
    expect(m.processor.stats).toMatchObject({ graphLookups: 1, graphFailures: 0, graphSkipped: 0 });

    // Marks were written: a later stream derivation from a graph-found descendant is tainted.
    const from = onFlag[onFlag.length - 1]!;
    const report = entityId('reports/late.html', 'sha256:' + 'ab'.repeat(32));
    const derived: ProvEvent = { ...flag, eventId: randomUUID(), time: flag.time + 1000, payload: { type: 'relation', relation: 'wasDerivedFrom', from: report, to: from.subject, role: null } };
    const later = await m.feed([derived]);
    expect(later.map((a) => [a.subject, a.vertexIds])).toEqual([[report, [...from.vertexIds, report]]]);
    // The flag again (replayed by a producer) alerts nothing new.
    expect(await m.feed([{ ...flag, eventId: randomUUID() }])).toEqual([]);
  });

  it('without MONITOR_GRAPH_URL the same flag alerts nothing (the stream never saw the derivations under the rule)', async () => {
    const m = await monitor(undefined);
    await m.feed(derivations);
    m.addRule();
    expect(await m.feed([flag])).toEqual([]);
    expect(m.processor.stats).toMatchObject({ graphLookups: 0, batches: 2 });
  });

  it('a graph service that does not answer: stream only, counted, the batch committed', async () => {
    const m = await monitor('http://127.0.0.1:9'); // discard port: connection refused
    await m.feed(derivations);
    m.addRule();
    expect(await m.feed([flag])).toEqual([]);
    expect(m.processor.stats).toMatchObject({ graphLookups: 1, graphFailures: 1, batches: 2, events: events.length });
  });
});
