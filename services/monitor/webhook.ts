/**
 * Webhook notifications: POST the alert as JSON to each `{type: webhook, url}` target of its
 * rule, with `Idempotency-Key: <alertId>` (a receiver can drop repeats), a per-request timeout
 * and bounded retries with jittered backoff (lib/retry.ts). A webhook that keeps failing never
 * blocks the stream: after the last attempt (or at once on a 4xx other than 408/429) the
 * failure is recorded (`onFailure`: the alert_webhook_failures table and a log line) and the
 * delivery counts as settled.
 *
 * The URL is a secret (core/alerts.ts): it is used for the request only. Logs and failure
 * records name the webhook by its public form (redactWebhookUrl), and the body is the alert,
 * whose notify targets are redacted already.
 *
 * Deliveries run in the background, at most `concurrency` at a time; submit() waits only while
 * `maxQueued` deliveries are pending (back-pressure, so memory stays bounded).
 */
import { ProvstreamError, errorMessage } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import type { Logger } from '../lib/log.js';
import { redactWebhookUrl, type Alert } from './core/index.js';

export interface WebhookOptions {
  timeoutMs: number;
  /** Attempts in total, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  concurrency: number;
  maxQueued: number;
}

export interface WebhookFailure {
  alert: Alert;
  /** The webhook's public form (redactWebhookUrl), never its URL. */
  target: string;
  attempts: number;
  /** The last HTTP status, or 0 when there was no answer. */
  status: number;
  error: string;
}

export const WEBHOOK_LOG = { delivered: 'monitor.webhook.delivered', retry: 'monitor.webhook.retry', failed: 'monitor.webhook.failed' } as const;

class WebhookError extends ProvstreamError {
  constructor(
    message: string,
    retriable: boolean,
    readonly status: number,
  ) {
    super(message, retriable);
  }
}

export class WebhookDispatcher {
  private active = 0;
  private pending = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly roomWaiters: Array<() => void> = [];
  private readonly stopping = new AbortController();
  private readonly all = new Set<Promise<void>>();

  constructor(
    private readonly opts: WebhookOptions,
    private readonly onFailure: (f: WebhookFailure) => Promise<void>,
    private readonly log: Logger,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /**
   * Queues one delivery. Resolves, once there is room in the queue, to `done`: a promise that
   * settles (never rejects) when the POST succeeded or its failure was recorded.
   */
  async submit(alert: Alert, url: string): Promise<{ done: Promise<void> }> {
    while (this.pending >= this.opts.maxQueued) await new Promise<void>((r) => this.roomWaiters.push(r));
    this.pending++;
    const done = this.run(alert, url).finally(() => {
      this.pending--;
      this.roomWaiters.shift()?.();
    });
    this.all.add(done);
    void done.finally(() => this.all.delete(done));
    return { done };
  }

  get queued(): number {
    return this.pending;
  }

  /** Waits up to `graceMs` for pending deliveries, then abandons the rest (they stay in the outbox). */
  async close(graceMs: number): Promise<void> {
    const timer = setTimeout(() => this.stopping.abort(new Error('monitor stopping')), graceMs);
    try {
      await Promise.allSettled([...this.all]);
    } finally {
      clearTimeout(timer);
      this.stopping.abort(new Error('monitor stopped'));
    }
  }

  private async run(alert: Alert, url: string): Promise<void> {
    await this.slot();
    const target = redactWebhookUrl(url);
    let attempts = 0;
    try {
      await retry(
        async () => {
          attempts++;
          await this.post(alert, url);
        },
        {
          attempts: this.opts.attempts,
          initialDelayMs: this.opts.initialDelayMs,
          maxDelayMs: this.opts.maxDelayMs,
          signal: this.stopping.signal,
          onRetry: (err, attempt, delayMs) => this.log.warn({ event: WEBHOOK_LOG.retry, alertId: alert.alertId, target, attempt, delayMs, err: errorMessage(err) }, `webhook failed, retrying in ${delayMs} ms`),
        },
      );
      this.log.debug({ event: WEBHOOK_LOG.delivered, alertId: alert.alertId, target, attempts }, 'webhook delivered');
    } catch (err) {
      if (this.stopping.signal.aborted) return; // shutting down: the outbox keeps the alert
      const status = err instanceof WebhookError ? err.status : 0;
      this.log.error({ event: WEBHOOK_LOG.failed, alertId: alert.alertId, ruleId: alert.ruleId, target, attempts, status, err: errorMessage(err) }, 'webhook failed for good; recorded in alert_webhook_failures');
      await this.onFailure({ alert, target, attempts, status, error: errorMessage(err) }).catch((e: unknown) =>
        this.log.error({ alertId: alert.alertId, target, err: errorMessage(e) }, 'could not record a webhook failure'),
      );
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }

  private async slot(): Promise<void> {
    while (this.active >= this.opts.concurrency) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
  }

  private async post(alert: Alert, url: string): Promise<void> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': alert.alertId, 'user-agent': 'provstream-monitor' },
        body: JSON.stringify(alert),
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.stopping.signal]),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      // fetch's errors may quote the URL ("Failed to parse URL from ..."): name it by its public form.
      const why = errorMessage(err).split(url).join(redactWebhookUrl(url));
      throw new WebhookError(timedOut ? `no answer within ${this.opts.timeoutMs} ms` : `request failed: ${why}`, true, 0);
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return;
    const retriable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new WebhookError(`HTTP ${res.status} ${res.statusText}`.trim(), retriable, res.status);
  }
}
