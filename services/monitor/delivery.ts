/**
 * AlertDelivery: gets committed alerts (already in the Redis outbox, see transaction.ts) to
 * every destination, then removes them from the outbox.
 *
 *   1. the log sinks (Kafka alerts topic, ClickHouse `alerts`), together, retried with backoff
 *      until they acknowledge or the monitor stops (then the alerts stay in the outbox), one
 *      write at a time with everything queued meanwhile (group commit);
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
import type { Alert } from './core/index.js';
import type { Outbox } from './outbox.js';
import type { WebhookDispatcher } from './webhook.js';

export const DELIVERY_LOG = { retry: 'monitor.delivery.retry', swept: 'monitor.outbox.swept' } as const;

export interface DeliveryStats {
  alerts: number;
  webhooks: number;
  swept: number;
  retries: number;
}

export class AlertDelivery {
  readonly stats: DeliveryStats = { alerts: 0, webhooks: 0, swept: 0, retries: 0 };
  private readonly inFlight = new Set<string>();
  private readonly background = new Set<Promise<void>>();
  private readonly queue: Array<{ alerts: readonly Alert[]; signal: AbortSignal; resolve: () => void; reject: (err: unknown) => void }> = [];
  private writing = false;

  constructor(
    private readonly sinks: readonly AlertSink[],
    private readonly webhooks: WebhookDispatcher,
    private readonly outbox: Outbox,
    private readonly log: Logger,
  ) {}

  /**
   * Resolves when the log sinks acknowledged every alert and the webhooks are queued. Rejects
   * only when `signal` aborts during retries (the alerts stay in the outbox).
   *
   * Group commit: one write to the log sinks at a time, taking every alert queued meanwhile, so
   * under load the sinks see a few large writes (ClickHouse parts) rather than many small ones.
   */
  async deliver(alerts: readonly Alert[], signal: AbortSignal): Promise<void> {
    if (alerts.length === 0) return;
    for (const a of alerts) this.inFlight.add(a.alertId);
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ alerts, signal, resolve, reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0);
        const alerts = group.flatMap((g) => g.alerts);
        try {
          await retry(() => Promise.all(this.sinks.map((s) => s.write(alerts))).then(() => undefined), {
            attempts: Infinity,
            initialDelayMs: 200,
            maxDelayMs: 10_000,
            signal: AbortSignal.any(group.map((g) => g.signal)),
            onRetry: (err, attempt, delayMs) => {
              this.stats.retries++;
              this.log.warn({ event: DELIVERY_LOG.retry, alerts: alerts.length, attempt, delayMs, err: errorMessage(err) }, `alert sinks failed, retrying in ${delayMs} ms`);
            },
          });
        } catch (err) {
          for (const a of alerts) this.inFlight.delete(a.alertId);
          for (const g of group) g.reject(err);
          continue;
        }
        this.stats.alerts += alerts.length;
        await this.notifyAndForget(alerts);
        for (const g of group) g.resolve();
      }
    } finally {
      this.writing = false;
    }
  }

  /** Webhooks in the background; outbox removal once an alert has nothing pending. */
  private async notifyAndForget(alerts: readonly Alert[]): Promise<void> {
    const plain: string[] = [];
    for (const a of alerts) {
      const urls = a.notify.flatMap((n) => (n.type === 'webhook' ? [n.url] : []));
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
    const due = (await this.outbox.due(Date.now() - graceMs, limit)).filter((a) => !this.inFlight.has(a.alertId));
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
