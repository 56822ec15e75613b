/** Ingest consumer configuration: the only code of this service that reads process.env. */
import { EnvReader, DEFAULT_URLS, LOG_LEVELS } from '../lib/config.js';
import type { Env } from '../lib/config.js';

export interface IngestConfig {
  kafkaBrokers: string[];
  eventsTopic: string;
  deadLetterTopic: string;
  /** Partitions for topics this service creates when they are missing. */
  topicPartitions: number;
  groupId: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  /** Events larger than this (encoded) are dead-lettered as oversized. */
  maxEventBytes: number;
  /** Bytes fetched per partition per batch: bounds batch size and memory. */
  maxBytesPerPartition: number;
  /** How long the broker may wait to fill a fetch: lower means fresher, higher means bigger batches. */
  maxWaitMs: number;
  partitionsConsumedConcurrently: number;
  /** on: fetch and map the next batch while ClickHouse writes the last; off: one batch at a time. */
  pipeline: 'on' | 'off';
  /** Group commit: how long a batch may wait for others to join its insert, and the group size that does not wait. */
  lingerMs: number;
  flushEvents: number;
  sessionTimeoutMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

export function loadIngestConfig(env: Env): IngestConfig {
  const r = new EnvReader(env);
  const cfg: IngestConfig = {
    kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
    eventsTopic: r.string('PROVSTREAM_TOPIC', DEFAULT_URLS.eventsTopic),
    deadLetterTopic: r.string('PROVSTREAM_DLQ_TOPIC', DEFAULT_URLS.deadLetterTopic),
    topicPartitions: r.int('PROVSTREAM_TOPIC_PARTITIONS', 4, 1, 1024),
    groupId: r.string('INGEST_GROUP_ID', 'provstream-ingest'),
    clickhouseUrl: r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']),
    clickhouseDatabase: r.identifier('CLICKHOUSE_DATABASE', DEFAULT_URLS.clickhouseDatabase),
    maxEventBytes: r.int('INGEST_MAX_EVENT_BYTES', 1024 * 1024, 256, 8 * 1024 * 1024),
    maxBytesPerPartition: r.int('INGEST_MAX_BYTES_PER_PARTITION', 2 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxWaitMs: r.int('INGEST_MAX_WAIT_MS', 100, 0, 10_000),
    partitionsConsumedConcurrently: r.int('INGEST_CONCURRENCY', 4, 1, 64),
    pipeline: r.oneOf('INGEST_PIPELINE', ['on', 'off'] as const, 'on'),
    lingerMs: r.int('INGEST_LINGER_MS', 500, 0, 60_000),
    flushEvents: r.int('INGEST_FLUSH_EVENTS', 50_000, 1, 10_000_000),
    sessionTimeoutMs: r.int('INGEST_SESSION_TIMEOUT_MS', 10_000, 6000, 300_000),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done();
  return cfg;
}
