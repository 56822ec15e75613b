/**
 * Kafka adapter: builds kafkajs clients whose logs go through our pino logger, and creates topics.
 * The only module besides the emitter SDK that imports kafkajs.
 */
import { Kafka, logLevel as KafkaLogLevel, CompressionTypes, Partitioners } from 'kafkajs';
import { useFastGzip } from './gzip-codec.js';
import type { Admin, Consumer, ConsumerConfig, ITopicConfig, KafkaConfig, logCreator } from 'kafkajs';
import { backoffDelay, retry, sleep } from './retry.js';
import type { Logger } from './log.js';
import { NotFoundError, ServiceUnavailableError, errorMessage } from './errors.js';
import type { ProvstreamError } from './errors.js';

export { CompressionTypes, Partitioners };

export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  /** How long one connection attempt may take (ms). */
  connectionTimeoutMs?: number;
  /** kafkajs-internal retries before an operation fails (our own retry helper wraps those). */
  retries?: number;
}

/** kafkajs's logs of a broker it cannot reach: logged at every connection attempt, with a stack. */
const UNREACHABLE = /^Connection error|^Failed to connect to seed broker|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|Connection timeout/;

/** At most one warning about unreachable brokers per this long; the others go to debug. */
const UNREACHABLE_EVERY_MS = 30_000;

function pinoLogCreator(logger: Logger): logCreator {
  const log = logger.child({ module: 'kafkajs' });
  let lastUnreachable = Number.NEGATIVE_INFINITY;
  return () => ({ level, log: entry }) => {
    const { message, ...extra } = entry;
    if ((level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) && UNREACHABLE.test(message)) {
      // kafkajs logs two lines with a stack at every connection attempt (a dozen per second of
      // an outage); one short warning per 30 s is enough, the caller's own retry line or final
      // error (kafkaFailure) says what to do about it.
      const { broker, retryCount } = extra as { broker?: unknown; retryCount?: unknown };
      const fields = { ...(broker !== undefined ? { broker } : {}), ...(retryCount !== undefined ? { retryCount } : {}) };
      const now = Date.now();
      if (now - lastUnreachable >= UNREACHABLE_EVERY_MS) {
        lastUnreachable = now;
        log.warn(fields, `${message} (kafkajs; such lines are shown once per ${UNREACHABLE_EVERY_MS / 1000} s, the rest at debug level)`);
      } else log.debug(fields, message);
    } else if (level === KafkaLogLevel.ERROR) log.error(extra, message);
    else if (level === KafkaLogLevel.WARN) log.warn(extra, message);
    else if (level === KafkaLogLevel.INFO) log.debug(extra, message);
  };
}

export function createKafka(cfg: KafkaClientConfig, logger: Logger): Kafka {
  useFastGzip();
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

/**
 * A kafkajs failure as a message a user can act on: a topic the brokers do not have (NotFound;
 * `missingTopic` says where it comes from), or brokers that did not answer (retriable), naming
 * the broker list and KAFKA_BROKERS rather than kafkajs' bare "Connection error".
 */
export function kafkaFailure(err: unknown, brokers: readonly string[], topic?: { name: string; missing: string }): ProvstreamError {
  const msg = errorMessage(err);
  if (topic && /does not host this topic-partition|unknown topic/i.test(msg)) {
    return new NotFoundError(`Kafka at ${brokers.join(', ')} has no topic ${topic.name}: ${topic.missing}`, { topic: topic.name });
  }
  return new ServiceUnavailableError('Kafka', `no answer from the brokers ${brokers.join(', ')} (KAFKA_BROKERS): ${msg}; is Kafka running (provstream up), and does KAFKA_BROKERS list its host:port?`, { brokers: brokers.join(',') }, { cause: err });
}

/**
 * Connects a service's admin client at start-up, waiting for Kafka (services may start in any
 * order): a warning per attempt, and after `attempts` (about a minute with kafkajs's own retries)
 * kafkaFailure's message: the brokers, KAFKA_BROKERS, what to check. kafkajs gives up on a
 * connection with a non-retriable error, hence the wrapping inside the retried call.
 */
export async function connectAdmin(admin: Admin, brokers: readonly string[], log: Logger, attempts = 10): Promise<void> {
  await retry(
    async () => {
      try {
        await admin.connect();
      } catch (err) {
        throw kafkaFailure(err, brokers);
      }
    },
    { attempts, initialDelayMs: 200, maxDelayMs: 5_000, onRetry: (err, _a, delayMs) => log.warn({ brokers: brokers.join(','), err: errorMessage(err) }, `Kafka at ${brokers.join(', ')} not reachable, retrying in ${delayMs} ms`) },
  );
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

/**
 * The consumer settings of our group members (ingest, monitor, graph stream): heartbeat at a fifth
 * of the session timeout, fetches bounded per partition (8 partitions' worth in all), kafkajs'
 * own retries before it reports a crash.
 */
export function groupConsumerConfig(o: { groupId: string; sessionTimeoutMs: number; maxBytesPerPartition: number; maxWaitMs: number }): ConsumerConfig {
  return {
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: Math.floor(o.sessionTimeoutMs / 5),
    maxBytesPerPartition: o.maxBytesPerPartition,
    maxBytes: o.maxBytesPerPartition * 8,
    maxWaitTimeInMs: o.maxWaitMs,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 10_000 },
  };
}

/**
 * A clean stop: `disconnect` lets the batch in progress finish; if that takes longer than
 * `graceMs`, `stopping` is aborted so work stuck retrying gives up (its batch stays uncommitted and
 * is re-delivered). `stopping` is aborted in the end either way.
 */
export async function stopWithGrace(disconnect: () => Promise<void>, stopping: AbortController, graceMs: number, what: string): Promise<void> {
  const timer = setTimeout(() => stopping.abort(new Error(`${what} stopping`)), graceMs);
  try {
    await disconnect();
  } finally {
    clearTimeout(timer);
    stopping.abort(new Error(`${what} stopped`));
  }
}

/**
 * Keeps a consumer running across kafkajs crashes it does not recover from by itself (e.g. a
 * member kicked out of its group under load: "The coordinator is not aware of this member",
 * kafkajs issue 1466 — the consumer stops while the process stays alive). On a CRASH event with
 * `restart: false`, the consumer is disconnected and a new one is created and started after a
 * jittered backoff. Offsets are only committed after the sinks acknowledged, so a restart only
 * re-delivers. `stop()` ends supervision and disconnects the current consumer.
 */
export class SupervisedConsumer {
  private current: Consumer | undefined;
  private stopped = false;
  private restarts = 0;

  constructor(
    private readonly create: () => Consumer,
    private readonly start: (consumer: Consumer) => Promise<void>,
    private readonly log: Logger,
  ) {}

  get consumer(): Consumer | undefined {
    return this.current;
  }

  async run(): Promise<void> {
    const consumer = this.create();
    this.current = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || this.stopped || consumer !== this.current) return;
      this.restarts++;
      const delayMs = backoffDelay(Math.min(this.restarts, 8), 500, 30_000);
      this.log.error({ err: errorMessage(e.payload.error), groupId: e.payload.groupId, delayMs }, 'Kafka consumer crashed and will not restart itself; recreating it');
      void this.recreate(consumer, delayMs);
    });
    await this.start(consumer);
  }

  private async recreate(old: Consumer, delayMs: number): Promise<void> {
    await old.disconnect().catch(() => undefined);
    await sleep(delayMs);
    if (this.stopped) return;
    try {
      await this.run();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'restarting the Kafka consumer failed; trying again');
      if (!this.stopped) void this.recreate(this.current ?? old, backoffDelay(8, 500, 30_000));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.disconnect();
  }
}
