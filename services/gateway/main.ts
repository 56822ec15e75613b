/**
 * Composition root of the HTTP gateway: config -> clients (Kafka, Redis, ClickHouse) ->
 * publisher, run-state store, lineage reader -> service -> HTTP app (+ the OpenLineage topic
 * consumer when configured), and graceful shutdown. Run: `provstream gateway`.
 */
import type { FastifyInstance } from 'fastify';
import { loadGatewayConfig } from './config.js';
import type { GatewayConfig } from './config.js';
import { createRootLogger, LogEvents } from '../lib/log.js';
import type { Logger } from '../lib/log.js';
import { connectAdmin, createKafka, ensureTopics, Partitioners } from '../lib/kafka.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import type { Warehouse } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrations.js';
import { connectRedisRetrying, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { retry } from '../lib/retry.js';
import { errorMessage } from '../lib/errors.js';
import { stopOnSignals } from '../lib/shutdown.js';
import { DeadLetterSink } from '../ingest/sinks.js';
import { buildApp } from './app.js';
import { GatewayService } from './service.js';
import { KafkaPublisher } from './publisher.js';
import { MemoryRunStateStore } from './openlineage/run-state.js';
import type { RunStateStore } from './openlineage/run-state.js';
import { RedisRunStateStore } from './openlineage/run-state-redis.js';
import { OpenLineageConsumer } from './openlineage/consumer.js';
import { ClickHouseLineageReader } from './prov/reader.js';

export interface RunningGateway {
  app: FastifyInstance;
  /** http://host:port the gateway listens on (the real port when GATEWAY_PORT=0). */
  url: string;
  openLineage: OpenLineageConsumer | null;
  stop(): Promise<void>;
}

export async function startGateway(cfg: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const closers: Array<() => Promise<unknown>> = [];
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-gateway', retries: 2, connectionTimeoutMs: 3000 }, log);
  const admin = kafka.admin();
  await connectAdmin(admin, cfg.kafkaBrokers, log);
  await ensureTopics(admin, [
    { topic: cfg.eventsTopic, numPartitions: cfg.topicPartitions },
    ...(cfg.openLineageTopic ? [{ topic: cfg.openLineageTopic, numPartitions: cfg.topicPartitions }, { topic: cfg.openLineageDeadLetterTopic, numPartitions: 1 }] : []),
  ]);
  await admin.disconnect();

  const publisher = new KafkaPublisher(kafka, { topic: cfg.eventsTopic, maxEventBytes: cfg.maxEventBytes, compression: cfg.kafkaCompression });
  closers.push(() => publisher.close());

  let redis: Redis | null = null;
  let runStates: RunStateStore;
  if (cfg.runState === 'redis') {
    const client = createRedis(cfg.redisUrl, { connectionName: 'provstream-gateway', log });
    redis = client;
    await connectRedisRetrying(client, cfg.redisUrl, log);
    closers.push(() => client.quit());
    runStates = new RedisRunStateStore(client, cfg.redisPrefix, cfg.runStateTtlMs);
  } else runStates = new MemoryRunStateStore();

  let wh: Warehouse | null = null;
  if (cfg.clickhouseUrl) {
    const w = await retry(() => connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase }, { create: true }), {
      attempts: 20,
      onRetry: (err, _a, delayMs) => log.warn({ err: errorMessage(err) }, `ClickHouse not reachable, retrying in ${delayMs} ms`),
    });
    const applied = await migrate(w);
    if (applied.length) log.info({ event: LogEvents.migrationApplied, versions: applied }, 'migrations applied');
    closers.push(() => w.close());
    wh = w;
  }

  const service = new GatewayService({
    publisher,
    runStates,
    lineage: wh ? new ClickHouseLineageReader(wh) : null,
    limits: { maxEventsPerRequest: cfg.maxEventsPerRequest, maxFacetBytes: cfg.maxFacetBytes, exportMaxDepth: cfg.exportMaxDepth, exportMaxVertices: cfg.exportMaxVertices },
    log: log.child({ module: 'gateway' }),
  });
  const app = buildApp({
    service,
    tokens: cfg.tokens,
    bodyLimitBytes: cfg.maxBodyBytes,
    retryAfterSeconds: cfg.retryAfterSeconds,
    log,
    ready: async () => ({
      ...(redis ? { redis: await redis.ping().then(() => true, () => false) } : {}),
      ...(wh ? { clickhouse: await wh.ping().catch(() => false) } : {}),
    }),
  });
  const url = await app.listen({ host: cfg.host, port: cfg.port });

  let openLineage: OpenLineageConsumer | null = null;
  if (cfg.openLineageTopic) {
    if (!wh) throw new Error('GATEWAY_OPENLINEAGE_TOPIC needs ClickHouse (CLICKHOUSE_URL) for its dead_letters table');
    const dlqProducer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await dlqProducer.connect();
    closers.push(() => dlqProducer.disconnect());
    openLineage = new OpenLineageConsumer(
      kafka,
      publisher,
      runStates,
      new DeadLetterSink(dlqProducer, cfg.openLineageDeadLetterTopic, wh),
      { topic: cfg.openLineageTopic, groupId: cfg.openLineageGroupId, project: cfg.openLineageProject, maxFacetBytes: cfg.maxFacetBytes },
      log.child({ module: 'openlineage-consumer' }),
    );
    await openLineage.start();
  }
  log.info({ event: LogEvents.serviceStarted, url, topic: cfg.eventsTopic, runState: cfg.runState, openLineageTopic: cfg.openLineageTopic || null }, `gateway listening on ${url}`);
  return {
    app,
    url,
    openLineage,
    async stop() {
      log.info({ event: LogEvents.serviceStopping }, 'stopping gateway');
      await app.close();
      await openLineage?.stop();
      for (const close of closers.reverse()) await close().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'close failed'));
      log.info({ event: LogEvents.serviceStopped, ...(openLineage?.stats ?? {}) }, 'gateway stopped');
    },
  };
}

/** Entry point for the process: runs until SIGINT/SIGTERM, then shuts down cleanly. */
export async function main(env = process.env): Promise<void> {
  const cfg = loadGatewayConfig(env);
  const log = createRootLogger(cfg.logLevel, 'provstream-gateway');
  const running = await startGateway(cfg, log);
  stopOnSignals(() => running.stop(), log);
}
