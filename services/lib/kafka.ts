/**
 * Kafka adapter: builds kafkajs clients whose logs go through our pino logger, and creates topics.
 * The only module besides the emitter SDK that imports kafkajs.
 */
import { Kafka, logLevel as KafkaLogLevel, CompressionTypes, Partitioners } from 'kafkajs';
import type { Admin, ITopicConfig, KafkaConfig, logCreator } from 'kafkajs';
import type { Logger } from './log.js';
import { ServiceUnavailableError, errorMessage } from './errors.js';

export { CompressionTypes, Partitioners };

export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  /** How long one connection attempt may take (ms). */
  connectionTimeoutMs?: number;
  /** kafkajs-internal retries before an operation fails (our own retry helper wraps those). */
  retries?: number;
}

function pinoLogCreator(logger: Logger): logCreator {
  const log = logger.child({ module: 'kafkajs' });
  return () => ({ level, log: entry }) => {
    const { message, ...extra } = entry;
    if (level === KafkaLogLevel.ERROR) log.error(extra, message);
    else if (level === KafkaLogLevel.WARN) log.warn(extra, message);
    else if (level === KafkaLogLevel.INFO) log.debug(extra, message);
  };
}

export function createKafka(cfg: KafkaClientConfig, logger: Logger): Kafka {
  const config: KafkaConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    connectionTimeout: cfg.connectionTimeoutMs ?? 3000,
    requestTimeout: 30_000,
    retry: { retries: cfg.retries ?? 5, initialRetryTime: 100, maxRetryTime: 5000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: pinoLogCreator(logger),
  };
  return new Kafka(config);
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: ITopicConfig['configEntries'];
}

/** Creates the topics that do not exist yet (existing ones are left as they are). */
export async function ensureTopics(admin: Admin, topics: TopicSpec[]): Promise<void> {
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.numPartitions, replicationFactor: 1, configEntries: t.configEntries ?? [] })),
    });
  } catch (err) {
    if (/already exists/i.test(errorMessage(err))) return;
    throw new ServiceUnavailableError('Kafka', `could not create topics ${topics.map((t) => t.topic).join(', ')}: ${errorMessage(err)}`, {}, { cause: err });
  }
}
