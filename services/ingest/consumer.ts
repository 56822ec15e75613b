/**
 * The ingest stage: Kafka source -> processMessages -> sinks, then commit.
 *
 * Contract per partition batch: (1) decode/validate/map, (2) dead letters written and
 * acknowledged, (3) rows written and acknowledged by ClickHouse, (4) the offset committed once
 * (3) holds for this batch and every earlier batch of its partition. Steps (2)-(4) run in the
 * background (pipelining: the next batch is fetched and mapped meanwhile), with at most
 * `maxPendingEvents` events waiting for or in writes. A crash anywhere before (4) re-delivers
 * from the last committed offset; the idempotent tables absorb the repeat. A clean stop drains
 * the pipeline before leaving the group, so it commits everything it wrote.
 *
 * A retriable failure (service away) is retried with backoff until it succeeds or the consumer
 * stops, in which case the batch is abandoned uncommitted (re-delivered later). A non-retriable
 * store failure (ClickHouse rejects the data) is narrowed down event by event and the offenders
 * are dead-lettered, so bad data never stops the consumer.
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { SupervisedConsumer, groupConsumerConfig, stopWithGrace } from '../lib/kafka.js';
import type { Logger } from '../lib/log.js';
import { LogEvents } from '../lib/log.js';
import { retry } from '../lib/retry.js';
import { isRetriable, errorMessage } from '../lib/errors.js';
import { processMessages, eventsOf, sourceOf } from './process.js';
import { decodeEvent } from '../model/codec.js';
import type { InMessage, DeadLetter, ProcessedBatch as Processed } from './process.js';
import type { TableSink, DeadLetterSink } from './sinks.js';

export interface IngestOptions {
  topic: string;
  groupId: string;
  maxEventBytes: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  partitionsConsumedConcurrently: number;
  /** Return from a batch before its write is acknowledged (default true); false: one batch at a time. */
  pipeline?: boolean;
  /**
   * Events decoded and waiting for (or in) ClickHouse writes before the consumer stops fetching
   * (~450 bytes of row text each). Keep it above two insert groups (TableSink flushEvents): one in
   * flight and the next filling, or a consumer catching up idles while ClickHouse writes.
   */
  maxPendingEvents: number;
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

/** Event id and project of an event that decoded (it did: it had rows), for its dead letter. */
function identityOf(m: InMessage): { eventId: string; project: string } {
  try {
    const ev = decodeEvent(m.value ?? Buffer.alloc(0));
    return { eventId: ev.eventId, project: ev.project };
  } catch {
    return { eventId: '', project: '' };
  }
}

type BatchContext = { topic: string; partition: number; firstOffset: string | null; lastOffset: string };

/** One consumer instance's batches between "handed to us" and "committed". */
interface Pipeline {
  /** Handlers still running (decoding, or waiting for room in the pipeline). */
  handlers: Set<Promise<void>>;
  /** Writes not yet acknowledged (or abandoned). */
  writing: Set<Promise<boolean>>;
  /** Events in `writing`. */
  writingEvents: number;
  /** Per topic/partition: the latest batch's outcome, true if it and every batch before it were written. */
  chains: Map<string, Promise<boolean>>;
  /** Every batch not yet committed (or given up). */
  all: Set<Promise<boolean>>;
}

export class IngestConsumer {
  readonly stats: IngestStats = { batches: 0, events: 0, deadLetters: 0, retries: 0 };
  private supervisor: SupervisedConsumer | undefined;
  private readonly stopping = new AbortController();
  private readonly pipelines = new WeakMap<Consumer, Pipeline>();

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
          eachBatch: (payload) => {
            const handlers = this.pipelineOf(consumer).handlers;
            const handled = this.handleBatch(consumer, payload);
            handlers.add(handled);
            return handled.finally(() => handlers.delete(handled));
          },
        });
      },
      this.log,
    );
    await this.supervisor.run();
  }

  /**
   * Pipelined: the batch is decoded and mapped here, its write is queued, and the handler returns
   * (after resolving the offset, which only moves the fetch position: autoCommit is off) so kafkajs
   * fetches the next batch while ClickHouse acknowledges this one. The offset is committed later,
   * once the batch's rows are acknowledged AND every earlier batch of the partition was written
   * (`Pipeline.chains`), so a crash at any moment re-delivers from the last fully written batch.
   * At most `maxPendingEvents` wait for or are in writes (memory stays bounded).
   */
  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const pipeline = this.pipelineOf(consumer);
    const messages: InMessage[] = batch.messages.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: m.offset, value: m.value }));
    const processed = processMessages(messages, this.opts.maxEventBytes);
    const ctx = { topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() };
    // Room for this batch: bounded by events, not batches. Bounding by batches made small batches
    // (a fetch returns as soon as any partition has data) queue behind each other, one insert
    // group each; the TableSink merges everything waiting into the next group instead.
    while (pipeline.writingEvents > 0 && pipeline.writingEvents + processed.eventCount > this.opts.maxPendingEvents) await Promise.race(pipeline.writing);
    if (this.stopping.signal.aborted) return; // abandoned: not resolved, re-delivered

    const written = this.write(processed, messages, heartbeat, ctx);
    pipeline.writing.add(written);
    pipeline.writingEvents += processed.eventCount;
    void written.finally(() => {
      pipeline.writing.delete(written);
      pipeline.writingEvents -= processed.eventCount;
    });
    const key = `${batch.topic}/${batch.partition}`;
    const before = pipeline.chains.get(key) ?? Promise.resolve(true);
    const committed = Promise.all([before, written]).then(async ([earlierWritten, ok]) => {
      if (!earlierWritten || !ok) return false;
      await this.commit(consumer, batch.lastOffset(), isStale, heartbeat, ctx, processed);
      return true;
    }).catch((err: unknown) => {
      // Only commit() can throw here (not expected: it handles its own failures), after the rows
      // were written: the chain stays "written", and a later batch's commit covers this one.
      this.log.error({ ...ctx, err: errorMessage(err) }, 'committing a batch failed; a later commit covers it');
      return true;
    });
    pipeline.chains.set(key, committed);
    pipeline.all.add(committed);
    void committed.finally(() => {
      pipeline.all.delete(committed);
      if (pipeline.chains.get(key) === committed) pipeline.chains.delete(key);
    });
    if (this.opts.pipeline === false) await committed;
    resolveOffset(batch.lastOffset());
  }

  /** Resolves true once the batch's dead letters and rows are acknowledged; false if abandoned (stopping). */
  private async write(processed: Processed, messages: InMessage[], heartbeat: () => Promise<void>, ctx: BatchContext): Promise<boolean> {
    try {
      await this.persist(async () => {
        await this.deadLetters.write(processed.deadLetters);
        try {
          await this.tables.write(processed.tables, () => heartbeat().catch(() => undefined));
        } catch (err) {
          if (isRetriable(err)) throw err;
          this.log.warn({ ...ctx, err: errorMessage(err) }, 'ClickHouse rejected a batch; writing it message by message');
          await this.writeOneByOne(messages);
        }
      }, heartbeat, ctx);
      return true;
    } catch (err) {
      // Stopping: leave the batch uncommitted; it is re-delivered.
      this.log.warn({ ...ctx, err: errorMessage(err) }, 'batch abandoned uncommitted; it will be re-delivered');
      return false;
    }
  }

  private async commit(consumer: Consumer, lastOffset: string, isStale: () => boolean, heartbeat: () => Promise<void>, ctx: BatchContext, processed: Processed): Promise<void> {
    // Written and acknowledged: commit even when stopping (a clean stop must not re-deliver the
    // last batch), but not when the partition was revoked meanwhile (its new owner commits).
    if (isStale()) return;
    const next = (BigInt(lastOffset) + 1n).toString();
    try {
      await consumer.commitOffsets([{ topic: ctx.topic, partition: ctx.partition, offset: next }]);
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

  private pipelineOf(consumer: Consumer): Pipeline {
    let p = this.pipelines.get(consumer);
    if (!p) this.pipelines.set(consumer, (p = { handlers: new Set(), writing: new Set(), writingEvents: 0, chains: new Map(), all: new Set() }));
    return p;
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
          await this.tables.writeAlone(one.tables);
        } catch (err) {
          if (isRetriable(err)) throw err;
          const letter: DeadLetter = {
            source: sourceOf(e),
            reasonCode: 'rejected-by-store',
            reason: `ClickHouse rejected the event's rows: ${errorMessage(err)}`,
            ...identityOf(e),
            value: e.value ?? Buffer.alloc(0),
          };
          await this.deadLetters.write([letter]);
        }
      }
    }
  }

  /**
   * Stops fetching, lets the batches in the pipeline be written and committed (or abandons them
   * if they are stuck retrying after `graceMs`), then leaves the group. Committing needs group
   * membership, hence draining before the disconnect.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor) return;
    await stopWithGrace(async () => {
      const consumer = supervisor.consumer;
      const pipeline = consumer && this.pipelines.get(consumer);
      if (consumer && pipeline) {
        try {
          consumer.pause([{ topic: this.opts.topic }]);
        } catch {
          // not running (yet): nothing is fetched anyway
        }
        while (pipeline.handlers.size > 0 || pipeline.all.size > 0) await Promise.allSettled([...pipeline.handlers, ...pipeline.all]);
      }
      await supervisor.stop();
    }, this.stopping, graceMs, 'ingest');
  }
}
