/**
 * The monitor's stream processor: one Kafka batch (or one tick) -> rule evaluation against
 * Redis -> one atomic commit -> alert delivery.
 *
 * Per batch of one partition, split into pieces of at most maxEventsPerTransaction events:
 *   1. decode and validate the messages (bad ones are skipped: ingest dead-letters them);
 *   2. queue the piece; a transaction takes the pieces waiting when it starts (at most one per
 *      partition, maxEventsPerTransaction events in all), so the batches of one Kafka fetch,
 *      handed in concurrently, share one round of Redis round trips instead of one each;
 *   3. begin the transaction (transaction.ts): messages below a partition's applied offset were
 *      evaluated already (a crash after EXEC, before the Kafka commit) and are skipped;
 *   4. evaluateBatch (batch-evaluator.ts) with the rule set's candidates per event; when a graph
 *      service is configured and the pieces hold taint flags, their downstream lineage is
 *      fetched once, before the transaction (graph-lineage.ts), and passed in;
 *   5. commit: mutations + alerts (into the outbox) + every partition's applied offset and
 *      progress, in one MULTI/EXEC; on a conflict (another instance touched a key we read) go
 *      back to 3;
 *   6. deliver the alerts (delivery.ts) in the background and resolve the pieces: the caller may
 *      commit their Kafka offsets now, because state, offsets and undelivered alerts became
 *      durable together.
 * Transactions and ticks run one at a time per process (one WATCH connection); instances
 * coordinate through WATCH. Redis or sink outages are retried with backoff until `signal`
 * aborts; then the rest of the batch is abandoned uncommitted and re-delivered later.
 */
import { eventCountOf } from '../model/codec.js';
import { decodePiece, partitionKey, takeForTransaction, type BatchInput, type Piece } from './pieces.js';
import { ProvstreamError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { retry } from '../lib/retry.js';
import { evaluateBatch, flagLineageRequests, type WorkItem } from './batch-evaluator.js';
import type { ExternalLineage } from './core/index.js';
import type { LineageSource } from './graph-lineage.js';
import type { BatchOutcome } from './batch-evaluator.js';
import type { AlertDelivery } from './delivery.js';
import { outboxEntries, type OutboxEntry } from './outbox.js';
import type { RuleSet } from './rule-source.js';
import type { AppliedThrough, StateTransactions, Txn } from './transaction.js';
import { tickTime } from './tick-time.js';

export const MONITOR_LOG = {
  batch: 'monitor.batch.committed',
  conflict: 'monitor.batch.conflict',
  retry: 'monitor.batch.retry',
  invalid: 'monitor.event.invalid',
  evalError: 'monitor.rule.error',
  tick: 'monitor.tick',
  /** debug: one Kafka fetch (consumer.ts) */
  fetch: 'monitor.fetch',
} as const;

export type { BatchInput, InMessage } from './pieces.js';

export interface ProcessorStats {
  batches: number;
  events: number;
  replayedSkipped: number;
  invalid: number;
  evaluations: number;
  alerts: number;
  suppressed: number;
  evalErrors: number;
  conflicts: number;
  passes: number;
  loads: number;
  ticks: number;
  lastCommitAt: number;
  /** Wall-clock ms spent in batch transactions (queue wait excluded): the rest of the time the processor was idle or waiting. */
  transactionMs: number;
  /** Wall-clock ms the processor waited for alert deliveries (more than maxPendingDeliveries in flight). */
  deliveryWaitMs: number;
  /** Downstream lineage lookups sent to the graph service (one per flagged root). */
  graphLookups: number;
  /** Lookups that failed (unreachable, slow, error): those flags tainted what the stream saw only. */
  graphFailures: number;
  /** Lookups not sent while backing off after a failure (stream only, too). */
  graphSkipped: number;
  /** Answers from a graph that was catching up (may miss the newest derivations). */
  graphLagging: number;
  /** Answers cut at the taint rule's maxVisit + 1 vertices (used as complete up to their depth). */
  graphTruncated: number;
  /** Wall-clock ms spent waiting for the graph service. */
  graphMs: number;
}

export interface ProcessorOptions {
  /** Batches whose alerts may be in delivery at once before processBatch waits. */
  maxPendingDeliveries: number;
  /** Messages evaluated and committed per Redis transaction (a Kafka batch is split). */
  maxEventsPerTransaction: number;
  /** Downstream lineage of taint flags (the graph service, MONITOR_GRAPH_URL); absent = the stream alone. */
  graph?: LineageSource;
}

interface Waiting {
  piece: Piece;
  signal: AbortSignal;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** performance.now() when queued. */
  queuedAt: number;
}

class ConflictError extends ProvstreamError {
  constructor() {
    super('another monitor instance changed state this batch read; re-evaluating', true);
  }
}

export class MonitorProcessor {
  readonly stats: ProcessorStats = { batches: 0, events: 0, replayedSkipped: 0, invalid: 0, evaluations: 0, alerts: 0, suppressed: 0, evalErrors: 0, conflicts: 0, passes: 0, loads: 0, ticks: 0, lastCommitAt: 0, transactionMs: 0, deliveryWaitMs: 0, graphLookups: 0, graphFailures: 0, graphSkipped: 0, graphLagging: 0, graphTruncated: 0, graphMs: 0 };
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private readonly watermarks = new Map<string, number>();
  /** Pieces of batches waiting for a transaction (see commitWaiting). */
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly txns: StateTransactions,
    private readonly rules: () => RuleSet,
    private readonly delivery: AlertDelivery,
    private readonly log: Logger,
    private readonly opts: ProcessorOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Evaluates and commits one batch, in pieces of at most `maxEventsPerTransaction` events
   * (bounded work between two event-loop turns, so heartbeats keep flowing, and bounded MULTIs);
   * resolves once all of it is durable in Redis (see header). Batches of different partitions
   * handed in concurrently (the consumer runs partitions concurrently) share transactions: the
   * pieces waiting when a transaction starts go into it, up to `maxEventsPerTransaction` events.
   * `onApplied(nextOffset)` is called after each piece's commit (the consumer commits the Kafka
   * offset as it goes, so lag moves during a long batch).
   */
  async processBatch(input: BatchInput, signal: AbortSignal, onApplied?: (nextOffset: string) => void): Promise<void> {
    const size = this.opts.maxEventsPerTransaction;
    // Pieces of whole messages holding at most `size` events (a batch frame counts its events).
    for (let i = 0; i < input.messages.length; ) {
      signal.throwIfAborted();
      let j = i + 1;
      let events = eventCountOf(input.messages[i]!.value);
      while (j < input.messages.length) {
        const n = eventCountOf(input.messages[j]!.value);
        if (events + n > size) break;
        events += n;
        j++;
      }
      const piece = decodePiece({ ...input, messages: input.messages.slice(i, j) }, (offset) => this.invalid(input, offset));
      await this.submit(piece, signal);
      onApplied?.(piece.nextOffset);
      i = j;
    }
  }

  /** Queues a piece for the next transaction; resolves once it is committed. */
  private submit(piece: Piece, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ piece, signal, resolve, reject, queuedAt: performance.now() });
      // One transaction job per piece queued: a job takes every piece waiting when it starts
      // (so later jobs may find nothing left to do), and jobs run one at a time.
      void this.exclusive(() => this.commitWaiting());
    });
  }

  /**
   * Takes the waiting pieces (one per partition, `maxEventsPerTransaction` events in all, the
   * first always) and applies them in one transaction: WATCH and read their applied offsets, skip
   * what was applied already, evaluate, commit state + alerts + every partition's offset.
   */
  private async commitWaiting(): Promise<void> {
    const taken = takeForTransaction(this.waiting, this.opts.maxEventsPerTransaction);
    if (taken.length === 0) return;
    const pieces = taken.map((w) => w.piece);
    const signal = taken.length === 1 ? taken[0]!.signal : AbortSignal.any(taken.map((w) => w.signal));
    const ctx = { pieces: pieces.map((p) => `${partitionKey(p.ref)}@${p.nextOffset}`) };
    const t0 = performance.now();
    const ms = { waited: Math.round(t0 - Math.min(...taken.map((w) => w.queuedAt))), begin: 0, evaluate: 0, commit: 0 };
    try {
      // Outside the transaction (no WATCH held while waiting) and once for all its retries: an
      // answer is keyed by the rule's shape, so a rule set reloaded meanwhile only misses it.
      const external = await this.flagLineage(pieces, signal);
      const outcome = await this.withRetry(signal, ctx, async () => {
        const tb = performance.now();
        const txn = await this.txns.begin(pieces.map((p) => p.ref));
        const te = performance.now();
        ms.begin = Math.round(te - tb);
        try {
          const now = this.clock();
          const { todo, applied, skipped } = this.unapplied(txn, pieces, now);
          if (applied.length === 0) {
            await txn.abort();
            return { skipped, outcome: undefined, entries: [], evaluated: 0 };
          }
          const set = this.rules();
          const r = await evaluateBatch(todo.map((e) => ({ event: e.event, rules: set.index.candidates(e.event) })), now, txn.load, external);
          const tc = performance.now();
          ms.evaluate = Math.round(tc - te);
          const entries = outboxEntries(r.alerts, set.byId);
          const c = await txn.commit({ mutations: r.mutations, alerts: entries, applied });
          ms.commit = Math.round(performance.now() - tc);
          if (!c.committed) throw new ConflictError();
          this.reportFailedCommands(c.failed, ctx);
          for (const a of applied) this.watermarks.set(partitionKey(a.partition), a.progress.watermark);
          return { skipped, outcome: r, entries, evaluated: todo.length };
        } catch (err) {
          await txn.abort();
          throw err;
        }
      });
      this.stats.batches++;
      this.stats.transactionMs += Math.round(performance.now() - t0);
      this.stats.replayedSkipped += outcome.skipped;
      if (outcome.outcome) {
        this.stats.events += outcome.evaluated;
        this.record(outcome.outcome, { ...ctx, events: outcome.evaluated, ms, lag: pieces.reduce((n, p) => n + p.lag, 0) });
        await this.deliverInBackground(outcome.entries, signal);
      }
      for (const w of taken) w.resolve();
    } catch (err) {
      for (const w of taken) w.reject(err);
    }
  }

  /**
   * The graph service's downstream lineage of the pieces' taint flags, or undefined (no graph
   * configured, no taint rule, no flag). Without flags this costs one type check per event.
   */
  private async flagLineage(pieces: readonly Piece[], signal: AbortSignal): Promise<ExternalLineage | undefined> {
    const graph = this.opts.graph;
    if (!graph) return undefined;
    const set = this.rules();
    if (set.taint.length === 0) return undefined;
    // Only property events can flag; flagLineageRequests checks each taint rule's project and
    // `when` itself, so the rule index is not asked.
    const items: WorkItem[] = [];
    for (const p of pieces) for (const { event } of p.events) if (event.payload.type === 'property') items.push({ event, rules: set.taint });
    const requests = flagLineageRequests(items);
    if (requests.length === 0) return undefined;
    const t0 = performance.now();
    const got = await graph.fetch(requests, signal);
    this.stats.graphMs += Math.round(performance.now() - t0);
    this.stats.graphLookups += got.requests;
    this.stats.graphFailures += got.failed;
    this.stats.graphSkipped += got.skipped;
    this.stats.graphLagging += got.lagging;
    this.stats.graphTruncated += got.truncated;
    return got.lineage.size > 0 ? got.lineage : undefined;
  }

  /**
   * The pieces' events not applied yet (by the applied offsets `txn` read), and for every piece
   * with any, its partition's new offset and progress (watermark: the largest event time so far).
   */
  private unapplied(txn: Txn, pieces: readonly Piece[], now: number): { todo: Piece['events']; applied: Array<Required<AppliedThrough>>; skipped: number } {
    const todo: Piece['events'] = [];
    const applied: Array<Required<AppliedThrough>> = [];
    let skipped = 0;
    for (const p of pieces) {
      const from = txn.appliedOffset(p.ref);
      if (from !== null && from > p.last) {
        skipped += p.events.length; // all of it applied already (re-delivered)
        continue;
      }
      const mine = from === null ? p.events : p.events.filter((e) => e.offset >= from);
      skipped += p.events.length - mine.length;
      let watermark = this.watermarks.get(partitionKey(p.ref)) ?? 0;
      for (const e of mine) {
        todo.push(e);
        if (e.event.time > watermark) watermark = e.event.time;
      }
      applied.push({ partition: p.ref, nextOffset: p.nextOffset, progress: { watermark, lag: p.lag, at: now } });
    }
    return { todo, applied, skipped };
  }

  /**
   * Fires expired absence deadlines of every timed rule at the tick time (tick-time.ts: the wall
   * clock, held back to the event-time watermark of partitions that are still catching up).
   */
  async tick(topic: string, signal: AbortSignal): Promise<number> {
    const set = this.rules();
    if (set.timed.length === 0) return 0;
    const now = tickTime(this.clock(), await this.txns.progress(topic));
    let fired = 0;
    for (const rule of set.timed) {
      const { r, entries } = await this.exclusive(() =>
        this.withRetry(signal, { ruleId: rule.id, tick: now }, async () => {
          const txn = await this.txns.begin();
          try {
            const out = await evaluateBatch([{ event: null, rules: [rule] }], now, txn.load);
            const entries = outboxEntries(out.alerts, set.byId);
            const c = await txn.commit({ mutations: out.mutations, alerts: entries });
            if (!c.committed) throw new ConflictError();
            this.reportFailedCommands(c.failed, { ruleId: rule.id, tick: now });
            return { r: out, entries };
          } catch (err) {
            await txn.abort();
            throw err;
          }
        }),
      );
      this.stats.ticks++;
      this.record(r, { ruleId: rule.id, tick: now });
      fired += r.alerts.length;
      await this.deliverInBackground(entries, signal);
    }
    if (fired > 0) this.log.info({ event: MONITOR_LOG.tick, at: now, alerts: fired }, 'absence deadlines fired');
    return fired;
  }

  /** Waits for the deliveries started so far (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private invalid(input: BatchInput, offset: string): void {
    this.stats.invalid++;
    this.log.debug({ event: MONITOR_LOG.invalid, topic: input.topic, partition: input.partition, offset }, 'skipping a message that is not a valid event (ingest dead-letters it)');
  }

  private reportFailedCommands(failed: string[], ctx: Record<string, unknown>): void {
    if (failed.length === 0) return;
    this.stats.evalErrors += failed.length;
    this.log.error({ event: MONITOR_LOG.evalError, ...ctx, failed: failed.slice(0, 5), count: failed.length }, 'Redis rejected state writes of a committed batch (foreign keys under the prefix?); the rest was applied');
  }

  private record(r: BatchOutcome, ctx: Record<string, unknown>): void {
    this.stats.evaluations += r.stats.evaluations;
    this.stats.alerts += r.alerts.length;
    this.stats.suppressed += r.suppressed.length;
    this.stats.evalErrors += r.errors.length;
    this.stats.passes += r.stats.passes;
    this.stats.loads += r.stats.loads;
    this.stats.lastCommitAt = this.clock();
    for (const e of r.errors) this.log.error({ event: MONITOR_LOG.evalError, ...ctx, ruleId: e.ruleId, eventId: e.eventId, err: e.message }, 'rule evaluation failed; the rule skipped this event');
    this.log.debug({ event: MONITOR_LOG.batch, ...ctx, alerts: r.alerts.length, mutations: r.mutations.length, ...r.stats }, 'committed');
  }

  private async deliverInBackground(entries: readonly OutboxEntry[], signal: AbortSignal): Promise<void> {
    if (entries.length === 0) return;
    if (this.pending.size >= this.opts.maxPendingDeliveries) {
      const t0 = performance.now();
      while (this.pending.size >= this.opts.maxPendingDeliveries) await Promise.race(this.pending);
      this.stats.deliveryWaitMs += Math.round(performance.now() - t0);
    }
    const p = this.delivery.deliver(entries, signal).catch((err: unknown) => {
      this.log.warn({ alerts: entries.length, err: errorMessage(err) }, 'alert delivery abandoned (stopping); the alerts stay in the outbox');
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private withRetry<T>(signal: AbortSignal, ctx: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    return retry(fn, {
      attempts: Infinity,
      initialDelayMs: 20,
      maxDelayMs: 5_000,
      signal,
      onRetry: (err, attempt, delayMs) => {
        if (err instanceof ConflictError) {
          this.stats.conflicts++;
          this.log.info({ event: MONITOR_LOG.conflict, ...ctx, attempt }, err.message);
        } else this.log.warn({ event: MONITOR_LOG.retry, ...ctx, attempt, delayMs, err: errorMessage(err) }, `batch failed, retrying in ${delayMs} ms`);
      },
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}
