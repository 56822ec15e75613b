/** Graph service configuration: the only code of this service that reads process.env. */
import { hostname } from 'node:os';
import { EnvReader, DEFAULT_URLS, LOG_LEVELS } from '../lib/config.js';
import type { Env } from '../lib/config.js';
import { DEFAULT_RELAYOUT_POLICY } from './project-graph.js';
import type { StreamStart } from './stream.js';

export interface GraphConfig {
  kafkaBrokers: string[];
  eventsTopic: string;
  /** Partitions for the events topic if this service has to create it. */
  topicPartitions: number;
  /** Names this instance; its consumer group is `provstream-graph.<instanceId>` (a full replica each). */
  instanceId: string;
  groupId: string;
  /** The ingest consumer group whose committed offsets are the bootstrap → stream handover point. */
  ingestGroupId: string;
  streamStart: StreamStart;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  redisUrl: string;
  /** Prefix of every Redis key this service writes (one per deployment or test). */
  cacheKeyPrefix: string;
  cacheTtlSeconds: number;
  /** How long an answer waits for ClickHouse to store its result before answering stored: false. */
  storeTimeoutMs: number;
  httpHost: string;
  /** 0 picks a free port (tests, the demo). */
  httpPort: number;
  /** Projects this instance holds (null: all of them). */
  projects: string[] | null;
  bootstrapPageRows: number;
  /** Lay a live graph out again once it grew by this fraction (0: only after the bootstrap) ... */
  relayoutGrowth: number;
  /** ... and by at least this many vertices. */
  relayoutMinVertices: number;
  /** How many recently applied event ids `waitFor` can recognise. */
  recentEventIds: number;
  defaultWaitMs: number;
  maxWaitMs: number;
  /** A wait for an id the graph does not remember asks ClickHouse about it after this long ... */
  waitLookupAfterMs: number;
  /** ... giving up on one lookup after this long. */
  waitLookupTimeoutMs: number;
  maxBytesPerPartition: number;
  fetchMaxWaitMs: number;
  sessionTimeoutMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

export function loadGraphConfig(env: Env): GraphConfig {
  const r = new EnvReader(env);
  const instanceId = r.string('GRAPH_INSTANCE_ID', hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'local');
  const projects = r.string('GRAPH_PROJECTS', '*');
  const cfg: GraphConfig = {
    kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
    eventsTopic: r.string('PROVSTREAM_TOPIC', DEFAULT_URLS.eventsTopic),
    topicPartitions: r.int('PROVSTREAM_TOPIC_PARTITIONS', 4, 1, 1024),
    instanceId,
    groupId: r.string('GRAPH_GROUP_ID', `provstream-graph.${instanceId}`),
    ingestGroupId: r.string('INGEST_GROUP_ID', 'provstream-ingest'),
    streamStart: r.oneOf('GRAPH_STREAM_START', ['ingest', 'earliest'] as const, 'ingest'),
    clickhouseUrl: r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']),
    clickhouseDatabase: r.identifier('CLICKHOUSE_DATABASE', DEFAULT_URLS.clickhouseDatabase),
    redisUrl: r.url('REDIS_URL', DEFAULT_URLS.redisUrl, ['redis:', 'rediss:']),
    cacheKeyPrefix: r.string('GRAPH_CACHE_PREFIX', 'provstream:graph:'),
    cacheTtlSeconds: r.int('GRAPH_CACHE_TTL_SECONDS', 3600, 1, 30 * 24 * 3600),
    storeTimeoutMs: r.int('GRAPH_STORE_TIMEOUT_MS', 10_000, 100, 600_000),
    httpHost: r.string('GRAPH_HTTP_HOST', '127.0.0.1'),
    httpPort: r.int('GRAPH_HTTP_PORT', 18080, 0, 65535),
    projects: projects === '*' ? null : projects.split(',').map((p) => p.trim()).filter(Boolean),
    bootstrapPageRows: r.int('GRAPH_BOOTSTRAP_PAGE_ROWS', 50_000, 1, 5_000_000),
    relayoutGrowth: r.int('GRAPH_RELAYOUT_GROWTH_PERCENT', DEFAULT_RELAYOUT_POLICY.growth * 100, 0, 10_000) / 100,
    relayoutMinVertices: r.int('GRAPH_RELAYOUT_MIN_VERTICES', DEFAULT_RELAYOUT_POLICY.minVertices, 1, 1_000_000_000),
    recentEventIds: r.int('GRAPH_RECENT_EVENT_IDS', 100_000, 1, 10_000_000),
    defaultWaitMs: r.int('GRAPH_WAIT_MS', 5000, 0, 600_000),
    maxWaitMs: r.int('GRAPH_MAX_WAIT_MS', 30_000, 0, 600_000),
    waitLookupAfterMs: r.int('GRAPH_WAIT_LOOKUP_AFTER_MS', 1000, 0, 600_000),
    waitLookupTimeoutMs: r.int('GRAPH_WAIT_LOOKUP_TIMEOUT_MS', 2000, 100, 60_000),
    maxBytesPerPartition: r.int('GRAPH_MAX_BYTES_PER_PARTITION', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    fetchMaxWaitMs: r.int('GRAPH_FETCH_MAX_WAIT_MS', 100, 0, 10_000),
    sessionTimeoutMs: r.int('GRAPH_SESSION_TIMEOUT_MS', 10_000, 6000, 300_000),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  };
  r.done();
  return cfg;
}
