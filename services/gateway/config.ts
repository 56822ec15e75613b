/** Gateway configuration: the only code of this service that reads process.env. */
import { EnvReader, DEFAULT_URLS, LOG_LEVELS } from '../lib/config.js';
import type { Env } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import { TokenTable } from './auth.js';

/** What every writer through the gateway's mapping shares (the gateway, `provstream import`). */
export interface GatewayPipelineConfig {
  kafkaBrokers: string[];
  eventsTopic: string;
  kafkaCompression: 'gzip' | 'none';
  maxFacetBytes: number;
  maxEventBytes: number;
  runState: 'redis' | 'memory';
  redisUrl: string;
  redisPrefix: string;
  runStateTtlMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

export interface GatewayConfig extends GatewayPipelineConfig {
  host: string;
  port: number;
  tokens: TokenTable;
  /** Partitions for the events topic when the gateway creates it. */
  topicPartitions: number;
  maxBodyBytes: number;
  maxEventsPerRequest: number;
  retryAfterSeconds: number;
  /** Empty: no ClickHouse, no export. */
  clickhouseUrl: string;
  clickhouseDatabase: string;
  exportMaxDepth: number;
  exportMaxVertices: number;
  /** OpenLineage JSON from a Kafka topic (what OpenLineage's Kafka transport writes); empty: off. */
  openLineageTopic: string;
  openLineageGroupId: string;
  openLineageProject: string;
  openLineageDeadLetterTopic: string;
}

function pipeline(r: EnvReader): GatewayPipelineConfig {
  return {
    kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
    eventsTopic: r.string('PROVSTREAM_TOPIC', DEFAULT_URLS.eventsTopic),
    kafkaCompression: r.oneOf('GATEWAY_KAFKA_COMPRESSION', ['gzip', 'none'] as const, 'gzip'),
    maxFacetBytes: r.int('GATEWAY_MAX_FACET_BYTES', 512 * 1024, 1024, 8 * 1024 * 1024),
    maxEventBytes: r.int('GATEWAY_MAX_EVENT_BYTES', 1024 * 1024, 1024, 8 * 1024 * 1024),
    runState: r.oneOf('GATEWAY_RUN_STATE', ['redis', 'memory'] as const, 'redis'),
    redisUrl: r.url('REDIS_URL', DEFAULT_URLS.redisUrl, ['redis:', 'rediss:']),
    redisPrefix: r.string('GATEWAY_REDIS_PREFIX', 'provstream:gateway:'),
    runStateTtlMs: r.int('GATEWAY_RUN_STATE_TTL_HOURS', 30 * 24, 1, 24 * 3650) * 3_600_000,
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}

/** The shared settings alone (for `provstream import`: no HTTP, no tokens). */
export function loadGatewayPipelineConfig(env: Env): GatewayPipelineConfig {
  const r = new EnvReader(env);
  const cfg = pipeline(r);
  r.done();
  return cfg;
}

export function loadGatewayConfig(env: Env): GatewayConfig {
  const r = new EnvReader(env);
  const tokens = TokenTable.parse(env['PROVSTREAM_GATEWAY_TOKENS'] ?? '');
  const olTopic = env['GATEWAY_OPENLINEAGE_TOPIC'] ?? '';
  const cfg = {
    ...pipeline(r),
    host: r.string('GATEWAY_HOST', '127.0.0.1'),
    port: r.int('GATEWAY_PORT', 8480, 0, 65535),
    topicPartitions: r.int('PROVSTREAM_TOPIC_PARTITIONS', 4, 1, 1024),
    maxBodyBytes: r.int('GATEWAY_MAX_BODY_BYTES', 8 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxEventsPerRequest: r.int('GATEWAY_MAX_EVENTS_PER_REQUEST', 5000, 1, 1_000_000),
    retryAfterSeconds: r.int('GATEWAY_RETRY_AFTER_SECONDS', 5, 1, 3600),
    clickhouseUrl: env['CLICKHOUSE_URL'] === '' ? '' : r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']),
    clickhouseDatabase: r.identifier('CLICKHOUSE_DATABASE', DEFAULT_URLS.clickhouseDatabase),
    exportMaxDepth: r.int('GATEWAY_EXPORT_MAX_DEPTH', 50, 1, 1000),
    exportMaxVertices: r.int('GATEWAY_EXPORT_MAX_VERTICES', 50_000, 1, 10_000_000),
    openLineageTopic: olTopic,
    openLineageGroupId: r.string('GATEWAY_OPENLINEAGE_GROUP_ID', 'provstream-gateway-openlineage'),
    openLineageProject: olTopic ? r.string('GATEWAY_OPENLINEAGE_PROJECT') : (env['GATEWAY_OPENLINEAGE_PROJECT'] ?? ''),
    openLineageDeadLetterTopic: r.string('GATEWAY_OPENLINEAGE_DLQ_TOPIC', `${olTopic || 'openlineage'}.dlq`),
  };
  let problems: string[] = [];
  try {
    r.done();
  } catch (err) {
    problems = err instanceof ConfigError ? err.problems : [String(err)];
  }
  if (!tokens.ok) problems.push(...tokens.problems.map((p) => `PROVSTREAM_GATEWAY_TOKENS: ${p}`));
  if (problems.length || !tokens.ok) throw new ConfigError(problems);
  return { ...cfg, tokens: tokens.table };
}
