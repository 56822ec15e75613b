/**
 * OpenLineage JSON from a Kafka topic (what OpenLineage's Kafka transport writes: one RunEvent
 * JSON per message; its key, the run or job, only matters for Kafka's ordering) -> provenance
 * events on the events topic, mapped exactly like POST /api/v1/lineage.
 *
 * Contract per partition batch (the ingest consumer's, services/ingest/consumer.ts): (1) parse,
 * validate and map every message; (2) the invalid ones are written to the dead-letter topic (and
 * the dead_letters table) with the reason and acknowledged; (3) the valid ones' run states are
 * folded and their events published and acknowledged by Kafka; (4) then the offsets are
 * committed. A crash before (4) re-delivers the batch; the republished events have the same ids
 * and the run-state fold of an event already folded changes nothing, so nothing is doubled.
 * Retriable failures (Kafka, Redis away) are retried with backoff until they pass or the consumer
 * stops (the batch then stays uncommitted).
 */
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { SupervisedConsumer, stopWithGrace } from '../../lib/kafka.js';
import type { Logger } from '../../lib/log.js';
import { LogEvents } from '../../lib/log.js';
import { retry } from '../../lib/retry.js';
import { errorMessage } from '../../lib/errors.js';
import { formatProblems } from '../../model/validate.js';
import type { DeadLetter } from '../../ingest/process.js';
import type { Publisher } from '../publisher.js';
import { prepareOpenLineage, resolveOpenLineage } from './translate.js';
import type { PreparedEvent } from './translate.js';
import type { RunStateStore } from './run-state.js';

/** Where invalid messages go (services/ingest/sinks.ts DeadLetterSink: topic + table). */
export interface DeadLetterWriter {
  write(letters: readonly DeadLetter[]): Promise<void>;
}

export interface OpenLineageConsumerOptions {
  topic: string;
  groupId: string;
  /** The project every event of the topic belongs to. */
  project: string;
  maxFacetBytes: number;
  sessionTimeoutMs?: number;
  fromBeginning?: boolean;
}

export interface OpenLineageConsumerStats {
  batches: number;
  events: number;
  published: number;
  deadLetters: number;
  retries: number;
}

export class OpenLineageConsumer {
  readonly stats: OpenLineageConsumerStats = { batches: 0, events: 0, published: 0, deadLetters: 0, retries: 0 };
  private supervisor: SupervisedConsumer | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly kafka: Kafka,
    private readonly publisher: Publisher,
    private readonly runStates: RunStateStore,
    private readonly deadLetters: DeadLetterWriter,
    private readonly opts: OpenLineageConsumerOptions,
    private readonly log: Logger,
  ) {}

  /** Joins the group; supervised: a consumer kafkajs gives up on is recreated with backoff. */
  async start(): Promise<void> {
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 10_000;
    this.supervisor = new SupervisedConsumer(
      () => this.kafka.consumer({ groupId: this.opts.groupId, sessionTimeout, heartbeatInterval: Math.floor(sessionTimeout / 5), maxWaitTimeInMs: 200 }),
      async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning ?? true });
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.handleBatch(consumer, p) });
      },
      this.log,
    );
    await this.supervisor.run();
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const prepared: PreparedEvent[] = [];
    const dead: DeadLetter[] = [];
    for (const m of batch.messages) {
      const value = m.value ?? Buffer.alloc(0);
      const letter = (reason: string, project = this.opts.project): DeadLetter => ({ source: { topic: batch.topic, partition: batch.partition, offset: m.offset }, reasonCode: 'invalid', reason, eventId: '', project, value });
      let json: unknown;
      try {
        json = JSON.parse(value.toString('utf8'));
      } catch (err) {
        dead.push(letter(`not JSON: ${errorMessage(err)}`));
        continue;
      }
      const p = prepareOpenLineage(json, { maxFacetBytes: this.opts.maxFacetBytes });
      if (p.ok) prepared.push(p.prepared);
      else dead.push(letter(`invalid OpenLineage event: ${formatProblems(p.problems)}`));
    }
    const ctx = { topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() };
    let published = 0;
    try {
      await retry(
        async () => {
          await this.deadLetters.write(dead);
          const events = await resolveOpenLineage(this.opts.project, prepared, this.runStates);
          await this.publisher.publish(events);
          published = events.length;
        },
        {
          attempts: Infinity,
          initialDelayMs: 200,
          maxDelayMs: 10_000,
          signal: this.stopping.signal,
          onRetry: (err, attempt, delayMs) => {
            this.stats.retries++;
            this.log.warn({ ...ctx, attempt, delayMs, err: errorMessage(err) }, `OpenLineage batch failed, retrying in ${delayMs} ms`);
            heartbeat().catch(() => undefined);
          },
        },
      );
    } catch (err) {
      this.log.warn({ ...ctx, err: errorMessage(err) }, 'OpenLineage batch abandoned uncommitted; it will be re-delivered');
      return;
    }
    if (!isRunning() || isStale()) return;
    resolveOffset(batch.lastOffset());
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }]);
    this.stats.batches++;
    this.stats.events += prepared.length;
    this.stats.published += published;
    this.stats.deadLetters += dead.length;
    for (const d of dead) this.log.info({ event: LogEvents.deadLetter, ...d.source, reason: d.reason }, 'OpenLineage message dead-lettered');
  }

  async stop(graceMs = 10_000): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor) return;
    await stopWithGrace(() => supervisor.stop(), this.stopping, graceMs, 'OpenLineage consumer');
  }
}
