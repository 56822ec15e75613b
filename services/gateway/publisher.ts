/**
 * Publishing provenance events to Kafka (Avro, services/model/codec.ts) with acknowledged
 * delivery: `publish` resolves only when Kafka acknowledged every event (acks = all replicas), so
 * the gateway answers 202 only for events that are in Kafka. When Kafka is unreachable it
 * rejects with a retriable ServiceUnavailableError (the HTTP layer answers 503 + Retry-After);
 * part of the batch may already be in Kafka then, which is harmless: event ids are deterministic
 * (./facts.ts), so the client's retry produces the same events and the tables collapse repeats.
 */
import type { Kafka, Producer } from 'kafkajs';
import { CompressionTypes, Partitioners } from '../lib/kafka.js';
import { InputError, ProvstreamError, ServiceUnavailableError, errorMessage } from '../lib/errors.js';
import { encodeEvent, packByKey } from '../model/codec.js';
import type { KeyedEvent } from './facts.js';

export interface Publisher {
  /** Resolves once Kafka acknowledged every event; see the module comment for failures. */
  publish(events: readonly KeyedEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface KafkaPublisherOptions {
  topic: string;
  /** An encoded event larger than this is refused (the ingest consumer would dead-letter it). */
  maxEventBytes: number;
  compression: 'gzip' | 'none';
  /** Messages per produce request. */
  chunkSize?: number;
  /** Produce requests in flight at once (group commit: the others wait and go together). */
  maxInFlight?: number;
}

/**
 * Encodes events the caller has validated (every accept path of ./service.ts does, before it
 * publishes); the Avro encoder still refuses a record that does not fit the schema, which would
 * be a gateway bug, never the client's.
 */
export function encodeForKafka(events: readonly KeyedEvent[], maxEventBytes: number): Array<{ key: string; value: Buffer }> {
  return events.map(({ key, event }) => {
    let value: Buffer;
    try {
      value = encodeEvent(event);
    } catch (err) {
      throw new ProvstreamError(`internal: the gateway built an event that does not fit the Avro schema (${event.eventId}): ${errorMessage(err)}`, false, { eventId: event.eventId });
    }
    if (value.length > maxEventBytes) throw new InputError(`an event of ${value.length} bytes (subject of ${event.payload.type}) is over the limit of ${maxEventBytes} bytes`, { eventId: event.eventId });
    return { key, value };
  });
}

/**
 * Group commit: while `maxInFlight` produce requests are in flight, the events of every request
 * that arrives wait, and all of them go together in the next one. Idle, a request is sent at once;
 * under load many small requests (one OpenLineage event each) share a produce request instead of
 * paying one acks=all round trip each. A failed produce request fails every request in it.
 */
export class KafkaPublisher implements Publisher {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;
  private readonly waiting: Array<{ messages: Array<{ key: string; value: Buffer }>; done: (err?: Error) => void }> = [];
  private inFlight = 0;

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaPublisherOptions,
  ) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 } });
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = null));
  }

  private connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = null;
      throw err;
    });
    return this.connected;
  }

  publish(events: readonly KeyedEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const messages = encodeForKafka(events, this.opts.maxEventBytes);
    return new Promise((resolve, reject) => {
      this.waiting.push({ messages, done: (err) => (err ? reject(err) : resolve()) });
      if (this.inFlight < (this.opts.maxInFlight ?? 3)) void this.sendWaiting();
    });
  }

  private async sendWaiting(): Promise<void> {
    this.inFlight++;
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0);
      const messages = group.flatMap((g) => g.messages);
      const chunk = this.opts.chunkSize ?? 5000;
      try {
        await this.connect();
        for (let i = 0; i < messages.length; i += chunk) {
          await this.producer.send({
            topic: this.opts.topic,
            acks: -1,
            compression: this.opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
            // Each key's events as one batch frame (schemas/EVOLUTION.md): far less per-record work.
            messages: packByKey(messages.slice(i, i + chunk)),
          });
        }
        for (const g of group) g.done();
      } catch (err) {
        const e = new ServiceUnavailableError('Kafka', `could not publish ${messages.length} event(s) to ${this.opts.topic}: ${errorMessage(err)}`, { topic: this.opts.topic }, { cause: err });
        for (const g of group) g.done(e);
      }
    }
    this.inFlight--;
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
  }
}

/** Keeps what it is given (unit tests; `--dry-run`). `failWith` makes the next publishes fail. */
export class MemoryPublisher implements Publisher {
  readonly published: KeyedEvent[] = [];
  failWith: Error | null = null;

  async publish(events: readonly KeyedEvent[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    encodeForKafka(events, Number.MAX_SAFE_INTEGER);
    this.published.push(...events);
  }

  async close(): Promise<void> {}
}
