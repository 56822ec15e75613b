/**
 * The ingest stage: Kafka source -> processMessages -> sinks, then commit.
 *
 * Contract per partition batch: (1) decode/validate/map, (2) dead letters written and
 * acknowledged, (3) rows written and acknowledged by ClickHouse, (4) offsets resolved and
 * committed. A crash anywhere before (4) re-delivers the batch; the idempotent tables absorb
 * the repeat. A retriable failure (service away) is retried with backoff until it succeeds or
 * the consumer stops, in which case the batch is abandoned uncommitted (re-delivered later).
 * A non-retriable store failure (ClickHouse rejects the data) is narrowed down message by
 * message and the offenders are dead-lettered, so bad data never stops the consumer.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { SupervisedConsumer, groupConsumerConfig, stopWithGrace } from '../lib/kafka.js';
import type { Logger } from '../lib/log.js';
import { LogEvents } from '../lib/log.js';
import { retry } from '../lib/retry.js';
import { isRetriable, errorMessage } from '../lib/errors.js';
import { processMessages, eventsOf, sourceOf } from './process.js';
import type { InMessage, DeadLetter } from './process.js';
import type { TableSink, DeadLetterSink } from './sinks.js';

export interface IngestOptions {
  topic: string;
  groupId: string;
  maxEventBytes: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  partitionsConsumedConcurrently: number;
  sessionTimeoutMs: number;
  /** Start from the earliest offset when the group has no committed offset (default true). */
  fromBeginning?: boolean;
}

export interface IngestStats {
  batches: number;
  events: number;
  deadLetters: number;
  retries: number;
}

export class IngestConsumer {
  readonly stats: IngestStats = { batches: 0, events: 0, deadLetters: 0, retries: 0 };
  private supervisor: SupervisedConsumer | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly kafka: Kafka,
    private readonly tables: TableSink,
    private readonly deadLetters: DeadLetterSink,
    private readonly opts: IngestOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.supervisor = new SupervisedConsumer(
      () =>
        this.kafka.consumer(groupConsumerConfig(this.opts)),
      async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning ?? true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently,
          eachBatch: (payload) => this.handleBatch(consumer, payload),
        });
      },
      this.log,
    );
    await this.supervisor.run();
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const messages: InMessage[] = batch.messages.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: m.offset, value: m.value }));
    const processed = processMessages(messages, this.opts.maxEventBytes);
    const ctx = { topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() };
    try {
      await this.persist(async () => {
        await this.deadLetters.write(processed.deadLetters);
        try {
          await this.tables.write(processed.rows, () => heartbeat().catch(() => undefined));
        } catch (err) {
          if (isRetriable(err)) throw err;
          this.log.warn({ ...ctx, err: errorMessage(err) }, 'ClickHouse rejected a batch; writing it message by message');
          await this.writeOneByOne(messages);
        }
      }, heartbeat, ctx);
    } catch (err) {
      // Stopping (or the partition was revoked): leave the batch uncommitted; it is re-delivered.
      this.log.warn({ ...ctx, err: errorMessage(err) }, 'batch abandoned uncommitted; it will be re-delivered');
      return;
    }
    // Written and acknowledged: commit even when stopping (a clean stop must not re-deliver the
    // last batch), but not when the partition was revoked meanwhile (its new owner commits).
    if (isStale()) return;
    resolveOffset(batch.lastOffset());
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    try {
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    } catch (err) {
      // Typically a rebalance took the partition away: whoever owns it now re-delivers the
      // batch, and the idempotent tables absorb it. Nothing is lost by not committing.
      this.log.warn({ ...ctx, err: errorMessage(err) }, 'offset commit failed; the batch will be re-delivered');
      return;
    }
    await heartbeat().catch(() => undefined);
    this.stats.batches++;
    this.stats.events += processed.eventCount;
    this.stats.deadLetters += processed.deadLetters.length;
    for (const d of processed.deadLetters) this.log.info({ event: LogEvents.deadLetter, ...d.source, reasonCode: d.reasonCode, reason: d.reason }, 'dead-lettered');
    this.log.debug({ event: LogEvents.batchCommitted, ...ctx, events: processed.eventCount, deadLetters: processed.deadLetters.length }, 'batch committed');
  }

  private persist(fn: () => Promise<void>, heartbeat: () => Promise<void>, ctx: object): Promise<void> {
    return retry(async () => fn(), {
      attempts: Infinity,
      initialDelayMs: 200,
      maxDelayMs: 10_000,
      signal: this.stopping.signal,
      onRetry: (err, attempt, delayMs) => {
        this.stats.retries++;
        this.log.warn({ event: LogEvents.batchRetry, ...ctx, attempt, delayMs, err: errorMessage(err) }, `write failed, retrying in ${delayMs} ms`);
        heartbeat().catch(() => undefined);
      },
    });
  }

  /** Narrows a rejected batch down to single events (a batch frame's packed events one by one). */
  private async writeOneByOne(messages: InMessage[]): Promise<void> {
    for (const m of messages) {
      const events = eventsOf(m);
      for (const e of Array.isArray(events) ? events : [m]) {
        const one = processMessages([e], this.opts.maxEventBytes);
        try {
          // (its dead letters, if any, were written with the whole batch)
          await this.tables.write(one.rows);
        } catch (err) {
          if (isRetriable(err)) throw err;
          const letter: DeadLetter = {
            source: sourceOf(e),
            reasonCode: 'rejected-by-store',
            reason: `ClickHouse rejected the event's rows: ${errorMessage(err)}`,
            eventId: one.rows.events_raw[0]?.['event_id'] as string ?? '',
            project: one.rows.events_raw[0]?.['project'] as string ?? '',
            value: e.value ?? Buffer.alloc(0),
          };
          await this.deadLetters.write([letter]);
        }
      }
    }
  }

  /** Stops fetching, lets the in-flight batch finish (or abandons it if it is stuck retrying). */
  async stop(graceMs = 10_000): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor) return;
    await stopWithGrace(() => supervisor.stop(), this.stopping, graceMs, 'ingest');
  }
}
