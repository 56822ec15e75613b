/**
 * AlertDelivery's queues (delivery.ts), with recording sinks: each sink writes on its own, a
 * lingering sink gathers batches into one write, a stopping monitor flushes at once, and a batch
 * leaves the outbox only after every sink has it.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { AlertDelivery } from './delivery.js';
import type { AlertSink } from './alert-sinks.js';
import type { Alert } from './core/index.js';
import { outboxEntryFromJson, type Outbox, type OutboxEntry } from './outbox.js';
import type { WebhookDispatcher } from './webhook.js';

const alert = (id: string): OutboxEntry => ({ alert: { alertId: id, notify: [] } as unknown as Alert, webhooks: [] });
const log = pino({ level: 'silent' });

class Sink implements AlertSink {
  readonly writes: Array<{ at: number; ids: string[] }> = [];
  failure: Error | null = null;
  constructor(
    readonly name: string,
    readonly lingerMs = 0,
    private readonly t0 = Date.now(),
  ) {}
  async write(alerts: readonly Alert[]): Promise<void> {
    if (this.failure) throw this.failure;
    this.writes.push({ at: Date.now() - this.t0, ids: alerts.map((a) => a.alertId) });
  }
}

function setup(sinks: AlertSink[], due: OutboxEntry[] = []) {
  const removed: string[] = [];
  const outbox = { remove: async (ids: string[]) => void removed.push(...ids), due: async () => due } as unknown as Outbox;
  const posted: Array<{ alert: Alert; url: string }> = [];
  const webhooks = { submit: async (alert: Alert, url: string) => (posted.push({ alert, url }), { done: Promise.resolve() }) } as unknown as WebhookDispatcher;
  return { delivery: new AlertDelivery(sinks, webhooks, outbox, log), removed, posted };
}

describe('AlertDelivery', () => {
  it('the topic sink writes each batch at once; the lingering sink writes them together; a batch settles when both have it', async () => {
    const topic = new Sink('kafka');
    const table = new Sink('clickhouse', 150);
    const { delivery, removed } = setup([topic, table]);
    const stop = new AbortController();
    const settled: string[] = [];
    const first = delivery.deliver([alert('a'), alert('b')], stop.signal).then(() => settled.push('first'));
    await new Promise((r) => setTimeout(r, 20));
    expect(topic.writes.map((w) => w.ids)).toEqual([['a', 'b']]);
    expect(table.writes).toEqual([]);
    expect(removed).toEqual([]); // not in every sink yet: still in the outbox
    const second = delivery.deliver([alert('c')], stop.signal).then(() => settled.push('second'));
    await Promise.all([first, second]);
    expect(topic.writes.map((w) => w.ids)).toEqual([['a', 'b'], ['c']]);
    expect(table.writes.map((w) => w.ids)).toEqual([['a', 'b', 'c']]);
    expect(table.writes[0]!.at).toBeGreaterThanOrEqual(140);
    expect(settled.sort()).toEqual(['first', 'second']);
    expect(removed.sort()).toEqual(['a', 'b', 'c']);
    await delivery.drain();
    expect(delivery.stats.alerts).toBe(3);
  });

  it('a stopping monitor does not wait out the linger', async () => {
    const table = new Sink('clickhouse', 60_000);
    const { delivery } = setup([new Sink('kafka'), table]);
    const stop = new AbortController();
    const p = delivery.deliver([alert('a')], stop.signal);
    await new Promise((r) => setTimeout(r, 20));
    expect(table.writes).toEqual([]);
    const t = Date.now();
    stop.abort();
    await p;
    expect(table.writes.map((w) => w.ids)).toEqual([['a']]);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('a sink that refuses the alerts for good: deliver rejects and they stay in the outbox', async () => {
    const table = new Sink('clickhouse');
    table.failure = Object.assign(new Error('bad rows'), { retriable: false });
    const { delivery, removed } = setup([new Sink('kafka'), table]);
    await expect(delivery.deliver([alert('a')], new AbortController().signal)).rejects.toThrow('bad rows');
    expect(removed).toEqual([]);
    table.failure = null;
    await delivery.deliver([alert('b')], new AbortController().signal);
    expect(removed).toEqual(['b']);
  });

  it('posts to the full webhook URLs of the entry while the sinks get the alert naming them redacted, also for an entry of an older monitor (URLs in the alert)', async () => {
    const url = 'https://hooks.example.com/services/T0/B0/SECRET?key=SECRET';
    const target = 'https://hooks.example.com/…#0123abcd';
    const fresh: OutboxEntry = { alert: { alertId: 'new', notify: [{ type: 'webhook', target }] } as unknown as Alert, webhooks: [url] };
    const old = outboxEntryFromJson(JSON.stringify({ alertId: 'old', ruleId: 'r', notify: ['feed', { type: 'webhook', url }].map((n) => (typeof n === 'string' ? { type: n } : n)) }));
    const sink = new Sink('kafka');
    const written: Alert[] = [];
    const { delivery, posted, removed } = setup([{ name: 'kafka', write: async (a) => void written.push(...a) }, sink], [old]);
    await delivery.deliver([fresh], new AbortController().signal);
    expect(await delivery.sweep(0, new AbortController().signal)).toBe(1);
    await delivery.drain();
    expect(posted.map((p) => [p.alert.alertId, p.url])).toEqual([['new', url], ['old', url]]);
    expect(written.map((a) => a.alertId)).toEqual(['new', 'old']);
    expect(JSON.stringify(written)).not.toContain('SECRET');
    expect(JSON.stringify(posted.map((p) => p.alert))).not.toContain('SECRET');
    expect(written[1]!.notify).toEqual([{ type: 'feed' }, { type: 'webhook', target: expect.stringMatching(/^https:\/\/hooks\.example\.com\/…#[0-9a-f]{8}$/) }]);
    expect(removed.sort()).toEqual(['new', 'old']);
  });
});
