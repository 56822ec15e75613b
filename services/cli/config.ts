/** CLI configuration: the only CLI code that reads process.env. Flags override these. */
import { EnvReader, DEFAULT_URLS, LOG_LEVELS } from '../lib/config.js';
import type { Env } from '../lib/config.js';

export interface CliConfig {
  kafkaBrokers: string[];
  eventsTopic: string;
  deadLetterTopic: string;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  /** The read-only user for `provstream sql` (empty: the default user with readonly=2). */
  clickhouseReadUser: string;
  clickhouseReadPassword: string;
  redisUrl: string;
  /** The graph service the lineage / why / impact / diff / segment / summarize commands call. */
  graphUrl: string;
  project: string;
  spillDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
}

export function loadCliConfig(env: Env): CliConfig {
  const r = new EnvReader(env);
  const cfg: CliConfig = {
    kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
    eventsTopic: r.string('PROVSTREAM_TOPIC', DEFAULT_URLS.eventsTopic),
    deadLetterTopic: r.string('PROVSTREAM_DLQ_TOPIC', DEFAULT_URLS.deadLetterTopic),
    clickhouseUrl: r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']),
    clickhouseDatabase: r.identifier('CLICKHOUSE_DATABASE', DEFAULT_URLS.clickhouseDatabase),
    clickhouseReadUser: r.string('CLICKHOUSE_READ_USER', 'default'),
    clickhouseReadPassword: env['CLICKHOUSE_READ_PASSWORD'] ?? '',
    redisUrl: r.url('REDIS_URL', DEFAULT_URLS.redisUrl, ['redis:', 'rediss:']),
    graphUrl: r.url('GRAPH_URL', 'http://127.0.0.1:18080', ['http:', 'https:']),
    project: r.string('PROVSTREAM_PROJECT', 'default'),
    spillDir: r.string('PROVSTREAM_SPILL_DIR', `${env['HOME'] ?? '/tmp'}/.provstream/spill`),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'warn'),
  };
  r.done();
  return cfg;
}
