/**
 * The monitor's stream processor: one Kafka batch (or one tick) -> rule evaluation against
 * Redis -> one atomic commit -> alert delivery.
 *
 * Per batch of one partition:
 *   1. decode and validate the messages (bad ones are skipped: ingest dead-letters them);
 *   2. begin a transaction (transaction.ts); messages below the partition's applied offset were
 *      evaluated already (a crash after EXEC, before the Kafka commit) and are skipped;
 *   3. evaluateBatch (batch-evaluator.ts) with the rule set's candidates per event;
 *   4. commit: mutations + alerts (into the outbox) + applied offset + progress, in one
 *      MULTI/EXEC; on a conflict (another instance touched a key we read) go back to 2;
 *   5. deliver the alerts (delivery.ts) in the background and return: the caller may commit the
 *      Kafka offset now, because state, offset and undelivered alerts became durable together.
 * Batches and ticks run one at a time per process (one WATCH connection); instances coordinate
 * through WATCH. Redis or sink outages are retried with backoff until `signal` aborts; then the
 * batch is abandoned uncommitted and re-delivered later.
 */
import { decodeEvent, splitFrames, eventCountOf } from '../model/codec.js';
import type { ProvEvent } from '../model/types.js';
import { validateEvent } from '../model/validate.js';
import { ProvstreamError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { retry } from '../lib/retry.js';
import { evaluateBatch } from './batch-evaluator.js';
import type { BatchOutcome } from './batch-evaluator.js';
import type { AlertDelivery } from './delivery.js';
import type { RuleSet } from './rule-source.js';
import type { StateTransactions } from './transaction.js';
import { tickTime } from './tick-time.js';

export const MONITOR_LOG = {
  batch: 'monitor.batch.committed',
  conflict: 'monitor.batch.conflict',
  retry: 'monitor.batch.retry',
  invalid: 'monitor.event.invalid',
  evalError: 'monitor.rule.error',
  tick: 'monitor.tick',
} as const;

export interface InMessage {
  offset: string;
  value: Buffer | null;
}

export interface BatchInput {
  topic: string;
  partition: number;
  messages: readonly InMessage[];
  /** The partition's high watermark when the batch was fetched (for lag). */
  highWatermark: string;
}

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
}

export interface ProcessorOptions {
  /** Batches whose alerts may be in delivery at once before processBatch waits. */
  maxPendingDeliveries: number;
  /** Messages evaluated and committed per Redis transaction (a Kafka batch is split). */
  maxEventsPerTransaction: number;
}

class ConflictError extends ProvstreamError {
  constructor() {
    super('another monitor instance changed state this batch read; re-evaluating', true);
  }
}

export class MonitorProcessor {
  readonly stats: ProcessorStats = { batches: 0, events: 0, replayedSkipped: 0, invalid: 0, evaluations: 0, alerts: 0, suppressed: 0, evalErrors: 0, conflicts: 0, passes: 0, loads: 0, ticks: 0, lastCommitAt: 0 };
  private lock: Promise<unknown> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private readonly watermarks = new Map<string, number>();

  constructor(
    private readonly txns: StateTransactions,
    private readonly rules: () => RuleSet,
    private readonly delivery: AlertDelivery,
    private readonly log: Logger,
    private readonly opts: ProcessorOptions,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Evaluates and commits one batch, in transactions of at most `maxEventsPerTransaction`
   * messages (bounded work between two event-loop turns, so heartbeats keep flowing, and bounded
   * MULTIs); resolves once all of it is durable in Redis (see header).
   */
  async processBatch(input: BatchInput, signal: AbortSignal): Promise<void> {
    const size = this.opts.maxEventsPerTransaction;
    // Chunks of whole messages holding at most `size` events (a batch frame counts its events).
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
      await this.processChunk({ ...input, messages: input.messages.slice(i, j) }, signal);
      i = j;
    }
  }

  private async processChunk(input: BatchInput, signal: AbortSignal): Promise<void> {
    if (input.messages.length === 0) return;
    const events = this.decode(input);
    const last = BigInt(input.messages[input.messages.length - 1]!.offset);
    const nextOffset = (last + 1n).toString();
    const lag = Number(BigInt(input.highWatermark) - (last + 1n));
    const wmKey = `${input.topic}:${input.partition}`;
    const outcome = await this.exclusive(() =>
      this.withRetry(signal, { topic: input.topic, partition: input.partition, nextOffset }, async () => {
        const txn = await this.txns.begin({ topic: input.topic, partition: input.partition });
        try {
          const applied = txn.appliedOffset;
          const todo = applied === null ? events : events.filter((e) => e.offset >= applied);
          if (applied !== null && applied > last) {
            await txn.abort();
            return { skipped: events.length, outcome: undefined };
          }
          const set = this.rules();
          const now = this.clock();
          const r = await evaluateBatch(todo.map((e) => ({ event: e.event, rules: set.index.candidates(e.event) })), now, txn.load);
          let watermark = this.watermarks.get(wmKey) ?? 0;
          for (const e of todo) if (e.event.time > watermark) watermark = e.event.time;
          const c = await txn.commit({ mutations: r.mutations, alerts: r.alerts, nextOffset, progress: { watermark, lag, at: now } });
          if (!c.committed) throw new ConflictError();
          this.reportFailedCommands(c.failed, { topic: input.topic, partition: input.partition, nextOffset });
          this.watermarks.set(wmKey, watermark);
          return { skipped: events.length - todo.length, outcome: r };
        } catch (err) {
          await txn.abort();
          throw err;
        }
      }),
    );
    this.stats.batches++;
    this.stats.replayedSkipped += outcome.skipped;
    if (outcome.outcome) {
      this.stats.events += events.length - outcome.skipped;
      this.record(outcome.outcome, { topic: input.topic, partition: input.partition, nextOffset });
      await this.deliverInBackground(outcome.outcome, signal);
    }
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
      const r = await this.exclusive(() =>
        this.withRetry(signal, { ruleId: rule.id, tick: now }, async () => {
          const txn = await this.txns.begin(null);
          try {
            const out = await evaluateBatch([{ event: null, rules: [rule] }], now, txn.load);
            const c = await txn.commit({ mutations: out.mutations, alerts: out.alerts });
            if (!c.committed) throw new ConflictError();
            this.reportFailedCommands(c.failed, { ruleId: rule.id, tick: now });
            return out;
          } catch (err) {
            await txn.abort();
            throw err;
          }
        }),
      );
      this.stats.ticks++;
      this.record(r, { ruleId: rule.id, tick: now });
      fired += r.alerts.length;
      await this.deliverInBackground(r, signal);
    }
    if (fired > 0) this.log.info({ event: MONITOR_LOG.tick, at: now, alerts: fired }, 'absence deadlines fired');
    return fired;
  }

  /** Waits for the deliveries started so far (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private decode(input: BatchInput): Array<{ offset: bigint; event: ProvEvent }> {
    const out: Array<{ offset: bigint; event: ProvEvent }> = [];
    for (const m of input.messages) {
      const offset = BigInt(m.offset);
      let frames: Buffer[] = [];
      try {
        frames = splitFrames(m.value ?? Buffer.alloc(0));
      } catch {
        frames = [];
      }
      // A batch frame's events share its offset: the message is applied (or skipped) as a whole.
      for (const frame of frames.length > 0 ? frames : [null]) {
        try {
          const v = frame ? validateEvent(decodeEvent(frame)) : null;
          if (v?.ok) {
            out.push({ offset, event: v.event });
            continue;
          }
        } catch {
          // counted below
        }
        this.stats.invalid++;
        this.log.debug({ event: MONITOR_LOG.invalid, topic: input.topic, partition: input.partition, offset: m.offset }, 'skipping a message that is not a valid event (ingest dead-letters it)');
      }
    }
    return out;
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

  private async deliverInBackground(r: BatchOutcome, signal: AbortSignal): Promise<void> {
    if (r.alerts.length === 0) return;
    while (this.pending.size >= this.opts.maxPendingDeliveries) await Promise.race(this.pending);
    const p = this.delivery.deliver(r.alerts, signal).catch((err: unknown) => {
      this.log.warn({ alerts: r.alerts.length, err: errorMessage(err) }, 'alert delivery abandoned (stopping); the alerts stay in the outbox');
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
