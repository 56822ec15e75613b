/**
 * AlertDelivery: gets committed alerts (already in the Redis outbox, see transaction.ts) to
 * every destination, then removes them from the outbox.
 *
 *   1. the log sinks (Kafka alerts topic, ClickHouse `alerts`), each through its own queue,
 *      retried with backoff until it acknowledges or the monitor stops (then the alerts stay in
 *      the outbox); one write at a time per sink with everything queued meanwhile (group
 *      commit). A sink may linger (`AlertSink.lingerMs`) to gather larger writes: ClickHouse
 *      does, because every insert is a part to write and merge (tens of small inserts a second
 *      cost it a third of a core); the alerts topic does not, so it never waits for ClickHouse;
 *   2. webhooks in the background (webhook.ts: bounded retries, failures recorded);
 *   3. outbox removal once 1 and 2 are settled for an alert.
 *
 * sweep() re-delivers outbox entries older than a grace period: alerts of an instance that
 * crashed after its EXEC. The grace must exceed the longest webhook retry sequence so a live
 * instance's pending webhooks are not repeated; alerts in flight in this process are skipped.
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { retry } from '../lib/retry.js';
import type { AlertSink } from './alert-sinks.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { WebhookDispatcher } from './webhook.js';

export const DELIVERY_LOG = { retry: 'monitor.delivery.retry', swept: 'monitor.outbox.swept' } as const;

/** A lingering sink writes at once when this many alerts are queued. */
export const LINGER_FLUSH_ALERTS = 20_000;

export interface DeliveryStats {
  alerts: number;
  webhooks: number;
  swept: number;
  retries: number;
}

/** One deliver() call: settled once every sink acknowledged it, or one gave up. */
interface Batch {
  entries: readonly OutboxEntry[];
  signal: AbortSignal;
  /** Sinks that have not acknowledged yet. */
  waiting: number;
  settled: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A sink's queue: one write at a time, each taking every batch queued meanwhile. */
class SinkQueue {
  private queue: Batch[] = [];
  private queued = 0;
  private writing = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly sink: AlertSink,
    private readonly onWritten: (b: Batch) => void,
    private readonly onFailed: (b: Batch, err: unknown) => void,
    private readonly onRetry: (err: unknown, attempt: number, delayMs: number, alerts: number) => void,
  ) {}

  push(b: Batch): void {
    this.queue.push(b);
    this.queued += b.entries.length;
    if (this.queued >= LINGER_FLUSH_ALERTS || b.signal.aborted) this.wake?.();
    void this.pump();
  }

  /** Waits up to the sink's linger (from now) unless enough is queued or a batch's monitor stops. */
  private async linger(): Promise<void> {
    const ms = this.sink.lingerMs ?? 0;
    if (ms <= 0 || this.queued >= LINGER_FLUSH_ALERTS || this.queue.some((b) => b.signal.aborted)) return;
    // A stopping monitor writes what it has at once (listening only while lingering: the
    // signals live as long as the monitor, a listener per batch would pile up).
    const signals = [...new Set(this.queue.map((b) => b.signal))];
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = null;
        for (const sig of signals) sig.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
      for (const sig of signals) sig.addEventListener('abort', done, { once: true });
    });
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        await this.linger();
        const group = this.queue.splice(0);
        this.queued = 0;
        const live = group.filter((b) => !b.settled);
        if (live.length === 0) continue;
        const alerts = live.flatMap((b) => b.entries.map((e) => e.alert));
        try {
          await retry(() => this.sink.write(alerts), {
            attempts: Infinity,
            initialDelayMs: 200,
            maxDelayMs: 10_000,
            signal: AbortSignal.any(live.map((b) => b.signal)),
            onRetry: (err, attempt, delayMs) => this.onRetry(err, attempt, delayMs, alerts.length),
          });
        } catch (err) {
          for (const b of live) this.onFailed(b, err);
          continue;
        }
        for (const b of live) this.onWritten(b);
      }
    } finally {
      this.writing = false;
    }
  }
}

export class AlertDelivery {
  readonly stats: DeliveryStats = { alerts: 0, webhooks: 0, swept: 0, retries: 0 };
  private readonly inFlight = new Set<string>();
  private readonly background = new Set<Promise<void>>();
  private readonly queues: SinkQueue[];

  constructor(
    sinks: readonly AlertSink[],
    private readonly webhooks: WebhookDispatcher,
    private readonly outbox: Outbox,
    private readonly log: Logger,
  ) {
    this.queues = sinks.map(
      (sink) =>
        new SinkQueue(
          sink,
          (b) => {
            if (--b.waiting === 0 && !b.settled) this.track(this.settle(b));
          },
          (b, err) => {
            if (b.settled) return;
            b.settled = true;
            for (const e of b.entries) this.inFlight.delete(e.alert.alertId);
            b.reject(err);
          },
          (err, attempt, delayMs, alerts) => {
            this.stats.retries++;
            this.log.warn({ event: DELIVERY_LOG.retry, sink: sink.name, alerts, attempt, delayMs, err: errorMessage(err) }, `alert sink ${sink.name} failed, retrying in ${delayMs} ms`);
          },
        ),
    );
  }

  /**
   * Resolves when the log sinks acknowledged every alert and the webhooks are queued. Rejects
   * only when `signal` aborts during retries (the alerts stay in the outbox).
   */
  async deliver(entries: readonly OutboxEntry[], signal: AbortSignal): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) this.inFlight.add(e.alert.alertId);
    await new Promise<void>((resolve, reject) => {
      const b: Batch = { entries, signal, waiting: this.queues.length, settled: false, resolve, reject };
      if (this.queues.length === 0) return void this.track(this.settle(b));
      for (const q of this.queues) q.push(b);
    });
  }

  /** Every log sink has the batch: webhooks, outbox removal, then the caller may go on. */
  private async settle(b: Batch): Promise<void> {
    b.settled = true;
    this.stats.alerts += b.entries.length;
    try {
      await this.notifyAndForget(b.entries);
      b.resolve();
    } catch (err) {
      b.reject(err);
    }
  }

  /** Webhooks in the background; outbox removal once an alert has nothing pending. */
  private async notifyAndForget(entries: readonly OutboxEntry[]): Promise<void> {
    const plain: string[] = [];
    for (const { alert: a, webhooks: urls } of entries) {
      if (urls.length === 0) {
        plain.push(a.alertId);
        continue;
      }
      const dones: Promise<void>[] = [];
      for (const url of urls) dones.push((await this.webhooks.submit(a, url)).done);
      this.stats.webhooks += urls.length;
      this.track(Promise.all(dones).then(() => this.forget([a.alertId])));
    }
    await this.forget(plain);
  }

  /** Delivers outbox entries committed more than `graceMs` ago (not in flight here). */
  async sweep(graceMs: number, signal: AbortSignal, limit = 500): Promise<number> {
    const due = (await this.outbox.due(Date.now() - graceMs, limit)).filter((e) => !this.inFlight.has(e.alert.alertId));
    if (due.length === 0) return 0;
    this.log.info({ event: DELIVERY_LOG.swept, alerts: due.length }, 'delivering alerts left in the outbox (an instance stopped between commit and delivery)');
    await this.deliver(due, signal);
    this.stats.swept += due.length;
    return due.length;
  }

  /** Waits for background webhook completions (and their outbox removals). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  private track(p: Promise<void>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private async forget(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      await retry(() => this.outbox.remove(ids), { attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 });
    } catch (err) {
      // Left in the outbox: the sweeper delivers them again later (idempotent), nothing is lost.
      this.log.warn({ alerts: ids.length, err: errorMessage(err) }, 'could not remove delivered alerts from the outbox');
    } finally {
      for (const id of ids) this.inFlight.delete(id);
    }
  }
}
