/**
 * Composition root of the monitor (SPEC §4, continuous monitoring queries): config -> clients
 * (ClickHouse + migrations, Kafka topics, producer, two Redis connections) -> rule source ->
 * sinks and delivery -> processor -> Kafka consumer, ticker, outbox sweeper, live feed + HTTP,
 * and graceful shutdown. Run: `provstream monitor` or `node dist/services/monitor/main.js`.
 */
import { loadMonitorConfig } from './config.js';
import type { MonitorConfig } from './config.js';
import { createRootLogger, LogEvents } from '../lib/log.js';
import type { Logger } from '../lib/log.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrations.js';
import { connectAdmin, createKafka, ensureTopics, Partitioners } from '../lib/kafka.js';
import { connectRedisRetrying, createRedis } from '../lib/redis.js';
import { retry } from '../lib/retry.js';
import { errorMessage } from '../lib/errors.js';
import { stopOnSignals } from '../lib/shutdown.js';
import { ClickHouseAlertSink, KafkaAlertSink } from './alert-sinks.js';
import { MonitorConsumer } from './consumer.js';
import { GraphLineageClient } from './graph-lineage.js';
import { AlertDelivery } from './delivery.js';
import { AlertFeed } from './feed.js';
import { startHttp } from './http.js';
import type { MonitorHttp } from './http.js';
import { Outbox } from './outbox.js';
import { MonitorProcessor } from './processor.js';
import { RuleRegistry } from './rule-registry.js';
import { RuleSource } from './rule-source.js';
import { Periodic } from './ticker.js';
import { StateTransactions } from './transaction.js';
import { WebhookDispatcher } from './webhook.js';

export interface RunningMonitor {
  processor: MonitorProcessor;
  consumer: MonitorConsumer;
  rules: RuleSource;
  http: MonitorHttp | undefined;
  stop(): Promise<void>;
}

export async function startMonitor(cfg: MonitorConfig, log: Logger): Promise<RunningMonitor> {
  const wh = await retry(() => connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase }, { create: true }), {
    attempts: 20,
    onRetry: (err, _a, delayMs) => log.warn({ err: errorMessage(err) }, `ClickHouse not reachable, retrying in ${delayMs} ms`),
  });
  const applied = await migrate(wh);
  if (applied.length) log.info({ event: LogEvents.migrationApplied, versions: applied }, 'migrations applied');

  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-monitor' }, log);
  const admin = kafka.admin();
  await connectAdmin(admin, cfg.kafkaBrokers, log);
  await ensureTopics(admin, [
    { topic: cfg.eventsTopic, numPartitions: cfg.topicPartitions },
    { topic: cfg.alertsTopic, numPartitions: cfg.alertsTopicPartitions },
  ]);
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const redis = createRedis(cfg.redisUrl, { connectionName: 'provstream-monitor', log });
  const txRedis = createRedis(cfg.redisUrl, { connectionName: 'provstream-monitor-txn', transactional: true, log });
  await connectRedisRetrying(redis, cfg.redisUrl, log);
  await connectRedisRetrying(txRedis, cfg.redisUrl, log);

  const rules = new RuleSource(new RuleRegistry(redis, cfg.redisPrefix), cfg.rulesFile || null, cfg.rulesPollMs, log.child({ module: 'rules' }));
  await rules.start();

  const outbox = new Outbox(redis, cfg.redisPrefix);
  const webhooks = new WebhookDispatcher(
    { timeoutMs: cfg.webhookTimeoutMs, attempts: cfg.webhookAttempts, initialDelayMs: cfg.webhookInitialDelayMs, maxDelayMs: cfg.webhookMaxDelayMs, concurrency: cfg.webhookConcurrency, maxQueued: 10_000 },
    (f) => wh.insert('alert_webhook_failures', [{ alert_id: f.alert.alertId, rule_id: f.alert.ruleId, url: f.target, attempts: f.attempts, status: f.status, error: f.error, time: Date.now() }]),
    log.child({ module: 'webhook' }),
  );
  const delivery = new AlertDelivery([new KafkaAlertSink(producer, cfg.alertsTopic), new ClickHouseAlertSink(wh, Date.now, cfg.clickhouseLingerMs)], webhooks, outbox, log.child({ module: 'delivery' }));
  const txns = new StateTransactions(txRedis, cfg.redisPrefix, cfg.groupId);
  const graph = cfg.graphUrl
    ? new GraphLineageClient({ url: cfg.graphUrl, timeoutMs: cfg.graphTimeoutMs, concurrency: cfg.graphConcurrency, backoffMs: cfg.graphBackoffMs }, log.child({ module: 'graph-lineage' }))
    : undefined;
  const processor = new MonitorProcessor(txns, () => rules.current(), delivery, log.child({ module: 'processor' }), {
    maxPendingDeliveries: 64,
    maxEventsPerTransaction: cfg.maxEventsPerTransaction,
    ...(graph ? { graph } : {}),
  });
  const consumer = new MonitorConsumer(
    kafka,
    processor,
    { topic: cfg.eventsTopic, groupId: cfg.groupId, maxBytesPerPartition: cfg.maxBytesPerPartition, maxWaitMs: cfg.maxWaitMs, partitionsConcurrently: cfg.partitionsConcurrently, sessionTimeoutMs: cfg.sessionTimeoutMs, fromBeginning: cfg.fromBeginning },
    log.child({ module: 'consumer' }),
  );
  const sweeper = new Periodic('outbox sweep', cfg.outboxSweepMs, () => delivery.sweep(cfg.outboxGraceMs, consumer.signal), log);
  const ticker = new Periodic('absence tick', cfg.tickIntervalMs, async () => (consumer.partitions.includes(0) ? processor.tick(cfg.eventsTopic, consumer.signal) : 0), log);

  let feed: AlertFeed | undefined;
  let http: MonitorHttp | undefined;
  if (cfg.httpPort >= 0) {
    feed = new AlertFeed(kafka, cfg.alertsTopic, log.child({ module: 'feed' }));
    await feed.start();
    http = await startHttp(
      cfg.httpHost,
      cfg.httpPort,
      feed,
      (from) => new AlertFeed(kafka, cfg.alertsTopic, log.child({ module: 'feed' }), from),
      async () => {
        // Without Redis no transaction can commit: not healthy, and the outbox is not asked
        // (its read would wait for the reconnect attempts).
        const redisUp = redis.status === 'ready' && txRedis.status === 'ready';
        return {
          ok: consumer.isRunning && redisUp,
          details: { partitions: consumer.partitions, rules: rules.current().rules.length, redis: redisUp ? 'connected' : 'reconnecting', outbox: redisUp ? await outbox.size().catch(() => null) : null, ...processor.stats, ...delivery.stats },
        };
      },
      log.child({ module: 'http' }),
    );
  }

  await consumer.start();
  sweeper.start();
  ticker.start();
  log.info({ event: LogEvents.serviceStarted, topic: cfg.eventsTopic, group: cfg.groupId, alertsTopic: cfg.alertsTopic, rules: rules.current().rules.length, prefix: cfg.redisPrefix }, 'monitor running');

  return {
    processor,
    consumer,
    rules,
    http,
    async stop() {
      log.info({ event: LogEvents.serviceStopping }, 'stopping monitor');
      await ticker.stop();
      await sweeper.stop();
      await consumer.stop(cfg.shutdownGraceMs);
      await processor.flush();
      await webhooks.close(cfg.shutdownGraceMs);
      await delivery.drain();
      rules.stop();
      await http?.close();
      await feed?.stop();
      await producer.disconnect();
      await Promise.all([redis.quit().catch(() => undefined), txRedis.quit().catch(() => undefined)]);
      await wh.close();
      log.info({ event: LogEvents.serviceStopped, ...processor.stats, ...delivery.stats }, 'monitor stopped');
    },
  };
}

/** Entry point for the process: runs until SIGINT/SIGTERM, then shuts down cleanly. */
export async function main(env = process.env): Promise<void> {
  const cfg = loadMonitorConfig(env);
  const log = createRootLogger(cfg.logLevel, 'provstream-monitor');
  const running = await startMonitor(cfg, log);
  const progress = setInterval(() => log.info({ ...running.processor.stats }, 'monitor progress'), 10_000);
  stopOnSignals(async () => {
    clearInterval(progress);
    await running.stop();
  }, log);
}
