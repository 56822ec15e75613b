/** Monitor configuration: the only code of this service that reads process.env. */
import { EnvReader, DEFAULT_URLS, LOG_LEVELS } from '../lib/config.js';
import type { Env } from '../lib/config.js';

export const DEFAULT_ALERTS_TOPIC = 'provstream.alerts';
export const DEFAULT_REDIS_PREFIX = 'provstream:';

export interface MonitorConfig {
  kafkaBrokers: string[];
  eventsTopic: string;
  /** Partitions for the events topic when this service has to create it. */
  topicPartitions: number;
  groupId: string;
  /** Where a new consumer group starts: earliest (build state from history) or latest. */
  fromBeginning: boolean;
  alertsTopic: string;
  alertsTopicPartitions: number;
  redisUrl: string;
  /** Prefix of every Redis key of this deployment (rules, state, outbox, offsets). */
  redisPrefix: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  /** Optional rule file evaluated besides the registry (`provstream rules add`); '' = none. */
  rulesFile: string;
  rulesPollMs: number;
  webhookTimeoutMs: number;
  webhookAttempts: number;
  webhookInitialDelayMs: number;
  webhookMaxDelayMs: number;
  webhookConcurrency: number;
  tickIntervalMs: number;
  /** Outbox entries older than this are re-delivered by the sweeper (> the longest webhook retry). */
  outboxGraceMs: number;
  outboxSweepMs: number;
  /** HTTP server for /alerts/stream and /healthz; port 0 = any free port, -1 = no server. */
  httpHost: string;
  httpPort: number;
  maxBytesPerPartition: number;
  /** Events evaluated per Redis transaction: bounds CPU time between event-loop turns. */
  maxEventsPerTransaction: number;
  /** Partitions' batches handed to the processor at once (they share transactions). */
  partitionsConcurrently: number;
  maxWaitMs: number;
  /** Alerts wait up to this long to share one ClickHouse insert (the alerts topic never waits). */
  clickhouseLingerMs: number;
  sessionTimeoutMs: number;
  shutdownGraceMs: number;
  /** Graph service whose downstream lineage taint flags also follow; '' = the stream alone. */
  graphUrl: string;
  /** Deadline for one batch's lineage lookups. */
  graphTimeoutMs: number;
  graphConcurrency: number;
  /** After a failed lookup, the graph is not asked for this long. */
  graphBackoffMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

export function loadMonitorConfig(env: Env): MonitorConfig {
  const r = new EnvReader(env);
  const cfg: MonitorConfig = {
    kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
    eventsTopic: r.string('PROVSTREAM_TOPIC', DEFAULT_URLS.eventsTopic),
    topicPartitions: r.int('PROVSTREAM_TOPIC_PARTITIONS', 4, 1, 1024),
    groupId: r.string('MONITOR_GROUP_ID', 'provstream-monitor'),
    fromBeginning: r.oneOf('MONITOR_START', ['earliest', 'latest'] as const, 'earliest') === 'earliest',
    alertsTopic: r.string('MONITOR_ALERTS_TOPIC', DEFAULT_ALERTS_TOPIC),
    alertsTopicPartitions: r.int('MONITOR_ALERTS_TOPIC_PARTITIONS', 1, 1, 1024),
    redisUrl: r.url('REDIS_URL', DEFAULT_URLS.redisUrl, ['redis:', 'rediss:']),
    redisPrefix: r.string('MONITOR_REDIS_PREFIX', DEFAULT_REDIS_PREFIX),
    clickhouseUrl: r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']),
    clickhouseDatabase: r.identifier('CLICKHOUSE_DATABASE', DEFAULT_URLS.clickhouseDatabase),
    rulesFile: env['MONITOR_RULES_FILE'] ?? '',
    rulesPollMs: r.int('MONITOR_RULES_POLL_MS', 2_000, 100, 600_000),
    webhookTimeoutMs: r.int('MONITOR_WEBHOOK_TIMEOUT_MS', 5_000, 100, 120_000),
    webhookAttempts: r.int('MONITOR_WEBHOOK_ATTEMPTS', 5, 1, 50),
    webhookInitialDelayMs: r.int('MONITOR_WEBHOOK_BACKOFF_MS', 500, 1, 60_000),
    webhookMaxDelayMs: r.int('MONITOR_WEBHOOK_MAX_BACKOFF_MS', 10_000, 1, 600_000),
    webhookConcurrency: r.int('MONITOR_WEBHOOK_CONCURRENCY', 8, 1, 256),
    tickIntervalMs: r.int('MONITOR_TICK_INTERVAL_MS', 1_000, 50, 3_600_000),
    outboxGraceMs: r.int('MONITOR_OUTBOX_GRACE_MS', 120_000, 100, 86_400_000),
    outboxSweepMs: r.int('MONITOR_OUTBOX_SWEEP_MS', 5_000, 50, 3_600_000),
    httpHost: r.string('MONITOR_HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('MONITOR_HTTP_PORT', 18090, -1, 65_535),
    maxBytesPerPartition: r.int('MONITOR_MAX_BYTES_PER_PARTITION', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxEventsPerTransaction: r.int('MONITOR_MAX_EVENTS_PER_TRANSACTION', 500, 1, 100_000),
    partitionsConcurrently: r.int('MONITOR_PARTITIONS_CONCURRENTLY', 16, 1, 1024),
    maxWaitMs: r.int('MONITOR_MAX_WAIT_MS', 20, 0, 10_000),
    clickhouseLingerMs: r.int('MONITOR_CLICKHOUSE_LINGER_MS', 500, 0, 60_000),
    sessionTimeoutMs: r.int('MONITOR_SESSION_TIMEOUT_MS', 10_000, 6_000, 300_000),
    shutdownGraceMs: r.int('MONITOR_SHUTDOWN_GRACE_MS', 10_000, 0, 300_000),
    graphUrl: env['MONITOR_GRAPH_URL'] ? r.url('MONITOR_GRAPH_URL', 'http://127.0.0.1:18080', ['http:', 'https:']) : '',
    graphTimeoutMs: r.int('MONITOR_GRAPH_TIMEOUT_MS', 1_000, 10, 60_000),
    graphConcurrency: r.int('MONITOR_GRAPH_CONCURRENCY', 4, 1, 64),
    graphBackoffMs: r.int('MONITOR_GRAPH_BACKOFF_MS', 10_000, 0, 3_600_000),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done();
  return cfg;
}
