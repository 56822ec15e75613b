/**
 * Composition root of the graph service (SPEC §4, §5, §6): config → ClickHouse (migrations) →
 * Redis → Kafka admin → HTTP API → handover offsets → bootstrap from ClickHouse → consumer group
 * → live. Run: `provstream graph` or `node dist/services/graph/main.js`.
 *
 * Scaling model: every instance is a full replica. It consumes every partition of the events
 * topic in its own consumer group (`provstream-graph.<GRAPH_INSTANCE_ID>`), because a project's
 * events are keyed `<project>|<run>` and so span partitions: an instance holding a partition
 * subset would hold fragments of every project's graph. Reads scale by adding instances behind
 * a load balancer; memory scales by GRAPH_PROJECTS (an instance holds only those projects and
 * answers 404 for the others, so a router can shard projects over instances).
 *
 * Startup order matters for the handover (see stream.ts): the ingest group's offsets are read
 * before the bootstrap reads ClickHouse, and the stream starts from them after it.
 */
import type { FastifyInstance } from 'fastify';
import { loadGraphConfig } from './config.js';
import type { GraphConfig } from './config.js';
import { createRootLogger, LogEvents } from '../lib/log.js';
import type { Logger } from '../lib/log.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrations.js';
import { connectAdmin, createKafka, ensureTopics } from '../lib/kafka.js';
import { connectRedisRetrying, createRedis } from '../lib/redis.js';
import { retry } from '../lib/retry.js';
import { errorMessage } from '../lib/errors.js';
import { bootstrapGraphs } from './bootstrap.js';
import { Freshness } from './freshness.js';
import { buildGraphApp } from './http.js';
import { GraphQueries } from './operations.js';
import { ProjectGraphs } from './project-graph.js';
import { ClickHouseEventLookup, ClickHouseResultSink, RedisResultCache } from './results.js';
import { GraphStream, handoverOffsets, positionGroup, type GraphStreamStats } from './stream.js';

export interface RunningGraph {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:18080. */
  url: string;
  app: FastifyInstance;
  graphs: ProjectGraphs;
  freshness: Freshness;
  queries: GraphQueries;
  epoch: string;
  /** Resolves when the bootstrap is done and the consumer runs; rejects if the graph cannot load. */
  ready: Promise<void>;
  streamStats(): GraphStreamStats;
  stop(): Promise<void>;
}

/** Starts the service; the HTTP API answers at once (healthz reports the bootstrap until `ready`). */
export async function startGraph(cfg: GraphConfig, log: Logger): Promise<RunningGraph> {
  const epoch = `${cfg.instanceId}-${Date.now().toString(36)}`;
  const wh = await retry(() => connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase }, { create: true }), {
    attempts: 20,
    onRetry: (err, _a, delayMs) => log.warn({ err: errorMessage(err) }, `ClickHouse not reachable, retrying in ${delayMs} ms`),
  });
  const applied = await migrate(wh);
  if (applied.length) log.info({ event: LogEvents.migrationApplied, versions: applied }, 'migrations applied');
  const redis = createRedis(cfg.redisUrl, { connectionName: 'provstream-graph', log });
  await connectRedisRetrying(redis, cfg.redisUrl, log, 10);

  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-graph' }, log);
  const admin = kafka.admin();
  await connectAdmin(admin, cfg.kafkaBrokers, log);
  await ensureTopics(admin, [{ topic: cfg.eventsTopic, numPartitions: cfg.topicPartitions }]);

  const graphs = new ProjectGraphs(cfg.projects ? new Set(cfg.projects) : null, { growth: cfg.relayoutGrowth, minVertices: cfg.relayoutMinVertices });
  const freshness = new Freshness(cfg.eventsTopic, cfg.recentEventIds);
  const queries = new GraphQueries({
    graphs,
    freshness,
    cache: new RedisResultCache(redis),
    sink: new ClickHouseResultSink(wh),
    events: new ClickHouseEventLookup(wh),
    eventWait: { graceMs: cfg.waitLookupAfterMs, lookupTimeoutMs: cfg.waitLookupTimeoutMs },
    epoch,
    instanceId: cfg.instanceId,
    cacheTtlSeconds: cfg.cacheTtlSeconds,
    cachePrefix: cfg.cacheKeyPrefix,
    storeTimeoutMs: cfg.storeTimeoutMs,
    log: log.child({ module: 'graph-queries' }),
  });
  const stream = new GraphStream(kafka, graphs, freshness, {
    topic: cfg.eventsTopic,
    groupId: cfg.groupId,
    maxBytesPerPartition: cfg.maxBytesPerPartition,
    maxWaitMs: cfg.fetchMaxWaitMs,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
  }, log.child({ module: 'graph-stream' }));
  const identities = () => graphs.projects().map((project) => ({ project, graph: queries.identity(graphs.get(project)!) }));
  const app = buildGraphApp({
    queries,
    projects: identities,
    health: () => {
      const f = freshness.report();
      const serving = f.status === 'live' || f.status === 'catching-up';
      return { serving, body: { status: f.status, instance: cfg.instanceId, epoch, groupId: cfg.groupId, projects: identities(), freshness: f, stream: stream.stats } };
    },
    defaultWaitMs: cfg.defaultWaitMs,
    maxWaitMs: cfg.maxWaitMs,
    log,
  });
  await app.listen({ host: cfg.httpHost, port: cfg.httpPort });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : cfg.httpPort;
  const url = `http://${cfg.httpHost}:${port}`;
  log.info({ event: LogEvents.serviceStarted, url, instance: cfg.instanceId, group: cfg.groupId, database: cfg.clickhouseDatabase }, `graph API on ${url}`);

  const stopping = new AbortController();
  const ready = (async () => {
    freshness.setStatus('bootstrapping');
    const start = await handoverOffsets(admin, cfg.eventsTopic, cfg.streamStart, cfg.ingestGroupId);
    log.info({ start, from: cfg.streamStart === 'ingest' ? `group ${cfg.ingestGroupId}` : 'earliest' }, 'stream will start from these offsets after the bootstrap');
    const info = await retry(() => bootstrapGraphs(wh, graphs, freshness, { pageRows: cfg.bootstrapPageRows, projects: cfg.projects, signal: stopping.signal }, log.child({ module: 'graph-bootstrap' })), {
      attempts: Infinity,
      signal: stopping.signal,
      onRetry: (err, _a, delayMs) => log.warn({ err: errorMessage(err) }, `bootstrap failed, retrying in ${delayMs} ms`),
    });
    freshness.recordBootstrap(info);
    await positionGroup(admin, cfg.groupId, cfg.eventsTopic, start, cfg.sessionTimeoutMs * 3, log);
    // High watermarks as of now (the topic grew during the bootstrap), so the lag is honest from the start.
    const highs = new Map((await admin.fetchTopicOffsets(cfg.eventsTopic)).map((p) => [p.partition, Number(p.high)]));
    await admin.disconnect();
    freshness.startPartitions(start.map((s) => ({ ...s, highWatermark: Math.max(s.highWatermark, highs.get(s.partition) ?? 0) })));
    stopping.signal.throwIfAborted();
    await stream.start();
    freshness.setStatus('catching-up');
    log.info({ status: freshness.currentStatus, projects: graphs.projects().length }, 'graph is serving');
  })();
  ready.catch(() => undefined); // observed by the caller; never an unhandled rejection here

  return {
    url,
    app,
    graphs,
    freshness,
    queries,
    epoch,
    ready,
    streamStats: () => ({ ...stream.stats }),
    async stop() {
      log.info({ event: LogEvents.serviceStopping }, 'stopping graph service');
      stopping.abort(new Error('graph service stopping'));
      await ready.catch(() => undefined);
      freshness.close();
      await app.close();
      await stream.stop();
      await admin.disconnect().catch(() => undefined);
      redis.disconnect();
      await wh.close();
      log.info({ event: LogEvents.serviceStopped, ...stream.stats }, 'graph service stopped');
    },
  };
}

/** Entry point for the process: runs until SIGINT/SIGTERM, then shuts down cleanly. */
export async function main(env = process.env): Promise<void> {
  const cfg = loadGraphConfig(env);
  const log = createRootLogger(cfg.logLevel, 'provstream-graph');
  const running = await startGraph(cfg, log);
  running.ready.catch((err: unknown) => {
    log.error({ err: errorMessage(err) }, 'the graph could not be loaded; stopping');
    void running.stop().finally(() => process.exit(1));
  });
  const progress = setInterval(() => {
    const f = running.freshness.report();
    log.info({ status: f.status, lagMessages: f.lagMessages, ...running.streamStats() }, 'graph progress');
  }, 30_000);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    log.info({ signal }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
