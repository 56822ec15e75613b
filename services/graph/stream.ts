/**
 * The graph's Kafka source: keeps the live graphs current from the events topic after the
 * bootstrap. Source → processor (decode, validate, ProjectGraph.apply) → no sink: the "sink" is
 * memory, so a batch is done when it is applied, and Freshness records it in the same tick.
 *
 * Handover from the bootstrap (no gap, duplicates allowed): before the bootstrap reads
 * ClickHouse, {@link handoverOffsets} takes the ingest group's committed offsets. Ingest commits
 * only after ClickHouse acknowledged a batch, so every event before those offsets is in the
 * tables the bootstrap then reads; the graph's own group is positioned there
 * ({@link positionGroup}) and consumes onwards. Events both in the tables and after the offsets
 * are applied twice, which the graph absorbs (idempotent, order-independent apply). Partitions
 * without an ingest commit start at their earliest retained offset.
 *
 * Group offsets are committed as batches are applied, only so that standard Kafka tools show this
 * instance's lag; they are never used for recovery (a restart bootstraps again).
 */
import type { Admin, EachBatchPayload, Kafka } from 'kafkajs';
import { SupervisedConsumer, groupConsumerConfig } from '../lib/kafka.js';
import type { Logger } from '../lib/log.js';
import { ProvstreamError, errorMessage } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import { decodeEvent, splitFrames } from '../model/codec.js';
import { validateEvent } from '../model/validate.js';
import type { Freshness } from './freshness.js';
import type { ProjectGraphs } from './project-graph.js';

export interface StartOffset {
  partition: number;
  offset: number;
  highWatermark: number;
}

/** Where the stream starts: the ingest group's committed offsets ('ingest') or the earliest retained ones. */
export type StreamStart = 'ingest' | 'earliest';

export async function handoverOffsets(admin: Admin, topic: string, start: StreamStart, ingestGroupId: string): Promise<StartOffset[]> {
  // Retried: a young broker answers "not the correct coordinator" while it places the group.
  const ends = await retry(() => admin.fetchTopicOffsets(topic), { attempts: 10, initialDelayMs: 200 });
  const committed =
    start === 'ingest' ? (await retry(() => admin.fetchOffsets({ groupId: ingestGroupId, topics: [topic] }), { attempts: 10, initialDelayMs: 200 }))[0]?.partitions ?? [] : [];
  return ends
    .map((e) => {
      const low = Number(e.low);
      const c = committed.find((p) => p.partition === e.partition);
      const offset = c && c.offset !== '-1' ? Math.max(low, Number(c.offset)) : low;
      return { partition: e.partition, offset, highWatermark: Number(e.high) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Sets `groupId`'s committed offsets to `offsets`. Kafka allows that only while the group has no
 * members, so a previous run of the same instance must have left it: retried until `waitMs`.
 */
export async function positionGroup(admin: Admin, groupId: string, topic: string, offsets: readonly StartOffset[], waitMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + waitMs;
  await retry(
    async () => {
      try {
        await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) });
      } catch (err) {
        const retriable = Date.now() < deadline;
        throw new ProvstreamError(
          `could not position consumer group ${groupId} on ${topic}: ${errorMessage(err)}. Another graph instance may be running with the same ` +
            'GRAPH_INSTANCE_ID (each instance needs its own: it holds a full replica), or a previous run has not left the group yet.',
          retriable,
          { groupId, topic },
          { cause: err },
        );
      }
    },
    { attempts: Infinity, initialDelayMs: 500, maxDelayMs: 3000, onRetry: (err, attempt) => log.warn({ attempt, err: errorMessage(err) }, 'consumer group busy; retrying') },
  );
}

export interface GraphStreamOptions {
  topic: string;
  groupId: string;
  maxBytesPerPartition: number;
  maxWaitMs: number;
  sessionTimeoutMs: number;
}

export interface GraphStreamStats {
  batches: number;
  /** Valid events applied (to some project's graph, or skipped as not served). */
  events: number;
  /** Messages that did not decode or validate (ingest dead-letters them; the graph ignores them). */
  invalid: number;
}

export class GraphStream {
  readonly stats: GraphStreamStats = { batches: 0, events: 0, invalid: 0 };
  private supervisor: SupervisedConsumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly graphs: ProjectGraphs,
    private readonly freshness: Freshness,
    private readonly opts: GraphStreamOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Joins the group and starts applying batches from the group's committed offsets. Supervised:
   * a consumer kafkajs gives up on (crash without restart) is recreated with backoff.
   */
  async start(): Promise<void> {
    this.supervisor = new SupervisedConsumer(
      () =>
        this.kafka.consumer(groupConsumerConfig(this.opts)),
      async (consumer) => {
        await consumer.connect();
        await consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
        await consumer.run({ autoCommit: true, autoCommitInterval: 5000, eachBatchAutoResolve: true, eachBatch: async (payload) => this.handleBatch(payload) });
      },
      this.log,
    );
    await this.supervisor.run();
  }

  /** Synchronous apply of the whole batch, so a query never sees it half-applied. */
  private async handleBatch({ batch, heartbeat }: EachBatchPayload): Promise<void> {
    const high = Number(batch.highWatermark);
    if (batch.messages.length === 0) {
      this.freshness.recordHighWatermark(batch.partition, high);
      return;
    }
    const ids: string[] = [];
    let maxTime: number | null = null;
    for (const m of batch.messages) {
      let frames: Buffer[];
      try {
        if (!m.value || m.value.length === 0) throw new Error('empty message');
        frames = splitFrames(m.value);
      } catch {
        this.stats.invalid++;
        continue;
      }
      for (const frame of frames) {
        let decoded;
        try {
          decoded = decodeEvent(frame);
        } catch {
          this.stats.invalid++;
          continue;
        }
        const v = validateEvent(decoded);
        if (!v.ok) {
          this.stats.invalid++;
          continue;
        }
        this.graphs.apply(v.event.project, v.event.payload, v.event.time);
        ids.push(v.event.eventId);
        maxTime = Math.max(maxTime ?? -Infinity, v.event.time);
      }
    }
    for (const r of this.graphs.relayoutGrown()) this.log.info(r, `graph of project ${r.project} laid out again for locality (${r.added} vertices added since the last layout)`);
    this.freshness.recordBatch(batch.partition, Number(batch.lastOffset()), high, maxTime, ids);
    this.stats.batches++;
    this.stats.events += ids.length;
    this.log.debug({ partition: batch.partition, lastOffset: batch.lastOffset(), events: ids.length }, 'graph batch applied');
    await heartbeat();
  }

  /** Leaves the group (offsets of applied batches are committed on the way out). */
  async stop(): Promise<void> {
    await this.supervisor?.stop();
  }
}
