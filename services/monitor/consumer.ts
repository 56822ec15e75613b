/**
 * The monitor's Kafka source: a consumer group member on the events topic, following
 * services/ingest/consumer.ts's contract. Per partition batch: processor.processBatch (evaluate,
 * commit state + applied offset + outbox in Redis, piece by piece), and the Kafka offset after
 * each piece. The batches of one fetch are handed to the processor concurrently, which gives them
 * shared transactions. A crash before a Kafka commit re-delivers that part of the batch; the
 * applied offset in Redis makes the repeat a no-op. On stop, the batch in progress finishes, or
 * its uncommitted part is abandoned after the grace period.
 *
 * It also tracks which partitions this member owns: the ticker runs on the owner of partition 0
 * (one ticking instance at a time; see ticker.ts).
 */
import { groupConsumerConfig, stopWithGrace } from '../lib/kafka.js';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { MONITOR_LOG } from './processor.js';
import type { MonitorProcessor } from './processor.js';

export interface MonitorConsumerOptions {
  topic: string;
  groupId: string;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  /** Batches of this many partitions handled at once (the processor gives them shared transactions). */
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  fromBeginning: boolean;
}

export class MonitorConsumer {
  private consumer: Consumer | undefined;
  private readonly stopping = new AbortController();
  private owned: number[] = [];
  private running = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly processor: MonitorProcessor,
    private readonly opts: MonitorConsumerOptions,
    private readonly log: Logger,
  ) {}

  /** Partitions of the events topic assigned to this member (as of the last rebalance). */
  get partitions(): readonly number[] {
    return this.owned;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Aborted when the monitor stops (for work started outside batches, e.g. ticks). */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer(groupConsumerConfig(this.opts));
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.owned = [...(e.payload.memberAssignment[this.opts.topic] ?? [])].sort((a, b) => a - b);
      this.running = true; // also after kafkajs restarted the consumer following a crash
      this.log.info({ partitions: this.owned, topic: this.opts.topic }, 'partitions assigned');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.running = false;
      this.log.error({ err: errorMessage(e.payload.error), restart: e.payload.restart }, 'Kafka consumer crashed');
    });
    if (this.log.isLevelEnabled('debug')) this.traceFetches(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // The batches of one fetch (one per partition) reach the processor together, which commits
      // them in shared transactions: one round of Redis round trips per fetch instead of one per
      // partition (latency under load: bench-monitor). Each partition's batches stay in order.
      partitionsConsumedConcurrently: this.opts.partitionsConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.running = true;
  }

  /**
   * Debug log of each fetch: wall ms from request to decoded batches, the CPU ms the process spent
   * meanwhile (decoding runs on this thread), and the Fetch request's own round trip and size.
   */
  private traceFetches(consumer: Consumer): void {
    let started: { at: number; cpu: NodeJS.CpuUsage } | undefined;
    let request: { ms: number; bytes: number } | undefined;
    consumer.on(consumer.events.FETCH_START, () => {
      started = { at: performance.now(), cpu: process.cpuUsage() };
    });
    consumer.on(consumer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'Fetch') request = { ms: e.payload.duration, bytes: e.payload.size };
    });
    consumer.on(consumer.events.FETCH, () => {
      if (!started) return;
      const cpu = process.cpuUsage(started.cpu);
      this.log.debug({ event: MONITOR_LOG.fetch, ms: Math.round(performance.now() - started.at), cpuMs: Math.round((cpu.user + cpu.system) / 1000), request }, 'fetched');
      started = undefined;
      request = undefined;
    });
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const ctx = { topic: batch.topic, partition: batch.partition, firstOffset: batch.firstOffset(), lastOffset: batch.lastOffset() };
    const beat = setInterval(() => heartbeat().catch(() => undefined), Math.max(500, Math.floor(this.opts.sessionTimeoutMs / 5)));
    // The Kafka offset follows each piece the processor committed (without waiting, except for
    // the batch's last): consumer-group lag moves during a long batch, and less is re-delivered
    // after a crash (re-delivered pieces are skipped anyway: Redis holds the applied offset).
    let committing: Promise<unknown> = Promise.resolve();
    const commit = (next: string): void => {
      if (!isRunning() || isStale()) return;
      committing = this.consumer!.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      committing.catch(() => undefined); // only the last one is awaited; a later one supersedes this
    };
    try {
      await this.processor.processBatch(
        { topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, messages: batch.messages.map((m) => ({ offset: m.offset, value: m.value })) },
        this.stopping.signal,
        commit,
      );
    } catch (err) {
      // Stopping, or a failure that is not retriable: leave the rest of the batch uncommitted (re-delivered).
      this.log.warn({ ...ctx, err: errorMessage(err) }, 'batch abandoned: its uncommitted part will be re-delivered');
      return;
    } finally {
      clearInterval(beat);
    }
    if (!isRunning() || isStale()) return;
    resolveOffset(batch.lastOffset());
    await committing; // the commit of the batch's last piece
  }

  /** Stops fetching; lets the batch in progress finish, or abandons it after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const consumer = this.consumer;
    this.running = false;
    if (!consumer) return;
    await stopWithGrace(() => consumer.disconnect(), this.stopping, graceMs, 'monitor');
  }
}
