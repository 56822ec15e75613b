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
import type { Outbox } from './outbox.js';
import type { WebhookDispatcher } from './webhook.js';

const alert = (id: string) => ({ alertId: id, notify: [] }) as unknown as Alert;
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

function setup(sinks: AlertSink[]) {
  const removed: string[] = [];
  const outbox = { remove: async (ids: string[]) => void removed.push(...ids), due: async () => [] } as unknown as Outbox;
  const webhooks = {} as WebhookDispatcher;
  return { delivery: new AlertDelivery(sinks, webhooks, outbox, log), removed };
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
});
