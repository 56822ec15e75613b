/**
 * Composition root of the ingest consumer (SPEC §3): config -> clients -> migrations -> topics ->
 * consumer, plus graceful shutdown. Run: `provstream ingest` or `node dist/services/ingest/main.js`.
 */
import { loadIngestConfig } from './config.js';
import type { IngestConfig } from './config.js';
import { createRootLogger, LogEvents } from '../lib/log.js';
import type { Logger } from '../lib/log.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { migrate } from '../lib/migrations.js';
import { connectAdmin, createKafka, ensureTopics, Partitioners } from '../lib/kafka.js';
import { retry } from '../lib/retry.js';
import { errorMessage } from '../lib/errors.js';
import { TableSink, DeadLetterSink } from './sinks.js';
import { IngestConsumer } from './consumer.js';

export interface RunningIngest {
  consumer: IngestConsumer;
  stop(): Promise<void>;
}

export async function startIngest(cfg: IngestConfig, log: Logger): Promise<RunningIngest> {
  const wh = await retry(() => connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase }, { create: true }), {
    attempts: 20,
    onRetry: (err, _a, delayMs) => log.warn({ err: errorMessage(err) }, `ClickHouse not reachable, retrying in ${delayMs} ms`),
  });
  const applied = await migrate(wh);
  if (applied.length) log.info({ event: LogEvents.migrationApplied, versions: applied }, 'migrations applied');

  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-ingest' }, log);
  const admin = kafka.admin();
  await connectAdmin(admin, cfg.kafkaBrokers, log);
  await ensureTopics(admin, [
    { topic: cfg.eventsTopic, numPartitions: cfg.topicPartitions },
    { topic: cfg.deadLetterTopic, numPartitions: 1 },
  ]);
  await admin.disconnect();

  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const tables = new TableSink(wh, { lingerMs: cfg.lingerMs, flushEvents: cfg.flushEvents });
  const consumer = new IngestConsumer(
    kafka,
    tables,
    new DeadLetterSink(producer, cfg.deadLetterTopic, wh),
    {
      topic: cfg.eventsTopic,
      groupId: cfg.groupId,
      maxEventBytes: cfg.maxEventBytes,
      maxBytesPerPartition: cfg.maxBytesPerPartition,
      maxWaitMs: cfg.maxWaitMs,
      partitionsConsumedConcurrently: cfg.partitionsConsumedConcurrently,
      pipeline: cfg.pipeline === 'on',
      maxPendingEvents: 2 * cfg.flushEvents + 20_000,
      sessionTimeoutMs: cfg.sessionTimeoutMs,
    },
    log.child({ module: 'ingest' }),
  );
  await consumer.start();
  log.info({ event: LogEvents.serviceStarted, topic: cfg.eventsTopic, group: cfg.groupId, database: cfg.clickhouseDatabase }, 'ingest consumer running');
  return {
    consumer,
    async stop() {
      log.info({ event: LogEvents.serviceStopping }, 'stopping ingest');
      await consumer.stop();
      await producer.disconnect();
      await wh.close();
      log.info({ event: LogEvents.serviceStopped, ...consumer.stats, insertGroups: tables.stats.groups }, 'ingest stopped');
    },
  };
}

/** Entry point for the process: runs until SIGINT/SIGTERM, then shuts down cleanly. */
export async function main(env = process.env): Promise<void> {
  const cfg = loadIngestConfig(env);
  const log = createRootLogger(cfg.logLevel, 'provstream-ingest');
  const running = await startIngest(cfg, log);
  const progress = setInterval(() => log.info({ ...running.consumer.stats }, 'ingest progress'), 10_000);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    log.info({ signal }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: errorMessage(err) }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
