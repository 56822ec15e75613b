/**
 * The processor's crash windows and concurrency, made deterministic, on real Redis and
 * ClickHouse (the process-level SIGKILL test lands in these windows only by chance):
 *   - a batch re-delivered after its commit (crash before the Kafka commit) changes nothing;
 *   - alerts committed but not delivered (crash after EXEC) are delivered by the sweeper;
 *   - a transaction whose read keys changed meanwhile applies nothing and is re-evaluated;
 *   - two instances sharing state concurrently lose no update;
 *   - rate counts (pages of buckets in Redis) are resumed by the instance that takes a partition over;
 *   - webhook URLs (secrets) reach only the webhook request, live and from the outbox after a crash.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, services, silentLogger, uniqueName } from '../../test/helpers.js';
import { alertsInTable, batch, deleteRedisPrefix, RecordingSink } from '../../test/monitor.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import type { ProvEvent } from '../model/types.js';
import { ClickHouseAlertSink, alertRow } from './alert-sinks.js';
import type { AlertSink } from './alert-sinks.js';
import { dryRun } from './core/index.js';
import type { Alert, Rule } from './core/index.js';
import { AlertDelivery } from './delivery.js';
import { FIXTURE_RULES_YAML, fixtureStream, parseOrThrow } from './fixtures.js';
import { Outbox } from './outbox.js';
import { MonitorProcessor } from './processor.js';
import { RuleSet } from './rule-source.js';
import { StateTransactions } from './transaction.js';
import { WebhookDispatcher } from './webhook.js';

const log = silentLogger;
type Db = Awaited<ReturnType<typeof freshDatabase>>;



describe('monitor processor on real Redis and ClickHouse', () => {
  let db: Db;
  let redis: Redis;
  const txConnections: Redis[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase('monitor_proc');
    redis = createRedis(services().redisUrl);
    await connectRedis(redis, services().redisUrl);
  });
  afterAll(async () => {
    for (const p of prefixes) await deleteRedisPrefix(redis, p);
    for (const c of txConnections) c.disconnect();
    redis.disconnect();
    await db?.drop();
  });

  async function instance(prefix: string, rules: Rule[], sinks: AlertSink[], maxEventsPerTransaction = 50) {
    const tx = createRedis(services().redisUrl, { transactional: true });
    await connectRedis(tx, services().redisUrl);
    txConnections.push(tx);
    const outbox = new Outbox(redis, prefix);
    const webhooks = new WebhookDispatcher({ timeoutMs: 1000, attempts: 1, initialDelayMs: 10, maxDelayMs: 10, concurrency: 1, maxQueued: 10 }, async () => undefined, log);
    const delivery = new AlertDelivery(sinks, webhooks, outbox, log);
    const set = new RuleSet(rules);
    const txns = new StateTransactions(tx, prefix, 'g');
    return { processor: new MonitorProcessor(txns, () => set, delivery, log, { maxPendingDeliveries: 2, maxEventsPerTransaction }), delivery, outbox, txns };
  }

  async function stateDump(prefix: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}rule:*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) out[k] = JSON.stringify(await redis.dump(k));
    } while (cursor !== '0');
    return out;
  }

  it('a re-delivered batch (crash after the Redis commit, before the Kafka commit) is skipped: state and alerts unchanged', async () => {
    const prefix = uniqueName('proc-redeliver') + ':';
    prefixes.push(prefix);
    const rules = parseOrThrow(FIXTURE_RULES_YAML);
    const sink = new RecordingSink();
    const { processor } = await instance(prefix, rules, [sink]);
    const { events } = fixtureStream(['redeliver']);
    const half = Math.floor(events.length / 2);
    const signal = new AbortController().signal;
    await processor.processBatch(batch(events.slice(0, half), 0), signal);
    await processor.flush();
    const before = await stateDump(prefix);
    const alertsBefore = sink.alerts.length;
    await processor.processBatch(batch(events.slice(0, half), 0), signal); // the same batch again
    await processor.flush();
    expect(processor.stats.replayedSkipped).toBe(half);
    expect(await stateDump(prefix)).toEqual(before);
    expect(sink.alerts.length).toBe(alertsBefore);
    // A batch overlapping the applied part evaluates only the new messages.
    await processor.processBatch(batch(events.slice(half - 5), half - 5), signal);
    await processor.flush();
    expect(processor.stats.replayedSkipped).toBe(half + 5);
    expect(sink.alerts.map((a) => a.alertId)).toEqual(dryRun(rules, events).alerts.map((a) => a.alertId));
  });

  it('batches of several partitions handed in at once share transactions: every offset applied once, re-delivered parts skipped, alerts as a dry run', async () => {
    const prefix = uniqueName('proc-shared') + ':';
    prefixes.push(prefix);
    const rules = parseOrThrow(FIXTURE_RULES_YAML);
    const sink = new RecordingSink();
    const { processor, txns } = await instance(prefix, rules, [sink], 10_000);
    const { events } = fixtureStream(['shared-a', 'shared-b']);
    const q = Math.floor(events.length / 4);
    const [a, b, c, d] = [events.slice(0, q), events.slice(q, 2 * q), events.slice(2 * q, 3 * q), events.slice(3 * q)];
    const signal = new AbortController().signal;
    // One fetch's batches of partitions 0, 1, 2, handed in concurrently (as the consumer does):
    // one transaction, events in the order the batches arrived.
    await Promise.all([batch(a, 0, 0), batch(b, 0, 1), batch(c, 0, 2)].map((x) => processor.processBatch(x, signal)));
    await processor.flush();
    expect(processor.stats.batches).toBe(1);
    // The next fetch: partition 0 re-delivered whole (skipped), partition 2 overlapping its applied
    // part by 5 messages (those skipped, the rest evaluated), in one transaction.
    await Promise.all([batch(a, 0, 0), batch([...c.slice(-5), ...d], c.length - 5, 2)].map((x) => processor.processBatch(x, signal)));
    await processor.flush();
    expect(processor.stats.batches).toBe(2);
    expect(processor.stats.replayedSkipped).toBe(a.length + 5);
    expect(processor.stats.events).toBe(events.length);
    expect(sink.alerts.map((x) => x.alertId)).toEqual(dryRun(rules, events).alerts.map((x) => x.alertId));
    expect(sink.alerts.length).toBeGreaterThan(0);
    const offsets = await Promise.all([0, 1, 2].map((p) => redis.get(txns.offsetKey({ topic: 'events', partition: p }))));
    expect(offsets).toEqual([String(a.length), String(b.length), String(c.length + d.length)]);
    // Pieces beyond maxEventsPerTransaction go into the next transaction; one partition's pieces stay in order.
    const small = await instance(prefix + 'small:', rules, [new RecordingSink()], 4);
    prefixes.push(prefix + 'small:');
    const few = events.slice(0, 12);
    await Promise.all([batch(few.slice(0, 6), 0, 0), batch(few.slice(6), 0, 1)].map((x) => small.processor.processBatch(x, signal)));
    await small.processor.flush();
    // Pieces of 4 + 2 events per partition: [p0 4], [p1 4], [p0 2 + p1 2].
    expect(small.processor.stats.batches).toBe(3);
    expect(small.processor.stats.events).toBe(12);
  });

  it('alerts committed but never delivered (crash after EXEC) are delivered by the sweeper of another instance', async () => {
    const prefix = uniqueName('proc-outbox') + ':';
    prefixes.push(prefix);
    const rules = parseOrThrow(FIXTURE_RULES_YAML);
    const crashed = await instance(prefix, rules, [new ClickHouseAlertSink(db)]);
    const { events } = fixtureStream(['outbox']);
    // The sinks are down, so delivery keeps retrying after EXEC; then the process "dies" (its
    // signal aborts): the committed alerts were never delivered.
    const stopped = new AbortController();
    const failing: AlertSink = { name: 'down', write: async () => Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' })) };
    const dead = await instance(prefix, rules, [failing], 10_000); // one transaction, one pending delivery
    await dead.processor.processBatch(batch(events, 0), stopped.signal);
    stopped.abort(new Error('process died'));
    await dead.processor.flush();
    const expected = dryRun(rules, events).alerts.map((a) => a.alertId).sort();
    expect(await crashed.outbox.size()).toBe(expected.length);
    expect((await alertsInTable(db)).ids.filter((id) => expected.includes(id))).toEqual([]);

    expect(await crashed.delivery.sweep(0, new AbortController().signal, 10_000)).toBe(expected.length);
    expect(await crashed.outbox.size()).toBe(0);
    expect((await alertsInTable(db)).ids.filter((id) => expected.includes(id))).toEqual(expected);
  });

  it('a transaction whose read keys another instance changed applies nothing (then re-reads and succeeds)', async () => {
    const prefix = uniqueName('proc-occ') + ':';
    prefixes.push(prefix);
    const { txns } = await instance(prefix, [], []);
    const { txns: other } = await instance(prefix, [], []);
    const key = 'rule:r:v:p:x';
    const p0 = { topic: 't', partition: 0 };
    const a = await txns.begin([p0]);
    expect((await a.load([{ type: 'value', key }])).get(key)).toBeNull();
    const p1 = { topic: 't', partition: 1 };
    const b = await other.begin([p1]);
    await b.load([{ type: 'value', key }]);
    expect((await b.commit({ mutations: [{ op: 'set', key, value: 'theirs', ttlMs: 60_000 }], alerts: [], applied: [{ partition: p1, nextOffset: '5' }] })).committed).toBe(true);
    expect((await a.commit({ mutations: [{ op: 'set', key, value: 'ours', ttlMs: 60_000 }], alerts: [], applied: [{ partition: p0, nextOffset: '10' }] })).committed).toBe(false);
    expect(await redis.get(prefix + key)).toBe('"theirs"');
    expect(await redis.get(txns.offsetKey({ topic: 't', partition: 0 }))).toBeNull();
    const again = await txns.begin([p0]);
    expect((await again.load([{ type: 'value', key }])).get(key)).toEqual({ type: 'value', value: 'theirs' });
    expect((await again.commit({ mutations: [{ op: 'set', key, value: 'ours', ttlMs: 60_000 }], alerts: [], applied: [{ partition: p0, nextOffset: '10' }] })).committed).toBe(true);
    expect(await redis.get(prefix + key)).toBe('"ours"');
    expect(await redis.get(txns.offsetKey({ topic: 't', partition: 0 }))).toBe('10');
  });

  it('a zombie that lost its partition cannot commit over the new owner (applied-offset fencing)', async () => {
    const prefix = uniqueName('proc-fence') + ':';
    prefixes.push(prefix);
    const { txns } = await instance(prefix, [], []);
    const { txns: newOwner } = await instance(prefix, [], []);
    const p3 = { topic: 't', partition: 3 };
    const zombie = await txns.begin([p3]);
    const owner = await newOwner.begin([p3]);
    expect((await owner.commit({ mutations: [], alerts: [], applied: [{ partition: p3, nextOffset: '7' }] })).committed).toBe(true);
    expect((await zombie.commit({ mutations: [{ op: 'set', key: 'rule:r:v:p:z', value: 1, ttlMs: 60_000 }], alerts: [], applied: [{ partition: p3, nextOffset: '7' }] })).committed).toBe(false);
    expect(await redis.get(prefix + 'rule:r:v:p:z')).toBeNull();
  });

  it('a write Redis rejects inside the commit is reported in failed, named; the rest of the transaction is applied', async () => {
    const prefix = uniqueName('proc-failed') + ':';
    prefixes.push(prefix);
    const { txns } = await instance(prefix, [], []);
    await redis.set(prefix + 'rule:r:win:p:x', 'foreign');
    const p0 = { topic: 't', partition: 0 };
    const t = await txns.begin([p0]);
    const c = await t.commit({
      mutations: [
        { op: 'push', key: 'rule:r:win:p:x', value: 1, maxLength: 5, ttlMs: 60_000 },
        { op: 'set', key: 'rule:r:v:p:y', value: 2, ttlMs: 60_000 },
      ],
      alerts: [],
      applied: [{ partition: p0, nextOffset: '3' }],
    });
    expect(c.committed).toBe(true);
    // LPUSH fails (as it would inside MULTI), named; nothing was pushed, so nothing is trimmed.
    expect(c.failed.length).toBeGreaterThan(0);
    for (const f of c.failed) expect(f).toMatch(/rule:r:win:p:x: WRONGTYPE/);
    expect(await redis.get(prefix + 'rule:r:v:p:y')).toBe('2');
    expect(await redis.get(txns.offsetKey({ topic: 't', partition: 0 }))).toBe('3');
  });

  it('an instance taking a partition over resumes the rate counts from Redis (bucket pages, per-bucket expiry, key TTL)', async () => {
    const prefix = uniqueName('proc-rate-takeover') + ':';
    prefixes.push(prefix);
    // window 1h, buckets of 6m: pages of 11 buckets (66m of event time); failures every 7m, so
    // windows straddle pages and counts rise and fall as failures slide out.
    const rules = parseOrThrow(`rules: [{id: failing, kind: rate, severity: warning, dedupWindow: 0, notify: [feed], match: {activity: train}, rate: {status: FAILED, window: 1h, bucket: 6m, max: 4}}]`);
    const t0 = Date.UTC(2026, 10, 1);
    const events = Array.from({ length: 40 }, (_, i): ProvEvent => ({
      eventId: `00000000-0000-4000-b000-${String(i).padStart(12, '0')}`, project: 'takeover', time: t0 + i * 7 * 60_000, producer: 't', schemaVersion: 1,
      payload: { type: 'activity', id: `act:00000000-0000-4000-b000-${String(i).padStart(12, '0')}`, name: 'train', command: 'x', status: 'FAILED', startTime: t0, endTime: t0 + i, exitCode: 1, workdir: null, params: {}, env: {} },
    }));
    const signal = new AbortController().signal;
    const first = new RecordingSink();
    const crashed = await instance(prefix, rules, [first], 5);
    await crashed.processor.processBatch(batch(events.slice(0, 23), 0), signal);
    await crashed.processor.flush();
    // The instance is gone; another one gets partition 0 and goes on from the applied offset.
    const second = new RecordingSink();
    const next = await instance(prefix, rules, [second], 5);
    await next.processor.processBatch(batch(events.slice(20), 20), signal); // re-delivered 20-22 are skipped
    await next.processor.flush();
    const expected = dryRun(rules, events).alerts;
    expect(expected.length).toBeGreaterThan(10);
    expect([...first.alerts, ...second.alerts].map((a) => [a.alertId, a.value])).toEqual(expected.map((a) => [a.alertId, a.value]));
    expect(second.alerts.length).toBeGreaterThan(0);
    // Pages in Redis: [index, count, expiresAt] triples; each key lives as long as its newest bucket.
    const pages = Object.keys(await stateDump(prefix)).filter((k) => k.startsWith(`${prefix}rule:failing:rb:`));
    expect(pages.length).toBeGreaterThan(1);
    for (const key of pages) {
      const page = JSON.parse((await redis.get(key))!) as number[];
      expect(page.length % 3).toBe(0);
      expect(page.length / 3).toBeLessThanOrEqual(11);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(66 * 60_000);
    }
  });

  it('two instances counting into the same state at once lose no update', async () => {
    const prefix = uniqueName('proc-race') + ':';
    prefixes.push(prefix);
    const rules = parseOrThrow(`rules: [{id: failing, kind: rate, severity: warning, dedupWindow: 0, notify: [feed], match: {activity: train}, rate: {status: FAILED, window: 1h, max: 39}}]`);
    const t0 = Date.UTC(2026, 10, 1);
    const failed = (i: number): ProvEvent => ({
      eventId: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`, project: 'race', time: t0 + i, producer: 't', schemaVersion: 1,
      payload: { type: 'activity', id: `act:00000000-0000-4000-a000-${String(i).padStart(12, '0')}`, name: 'train', command: 'x', status: 'FAILED', startTime: t0, endTime: t0 + i, exitCode: 1, workdir: null, params: {}, env: {} },
    });
    const sinks = [new RecordingSink(), new RecordingSink()];
    const one = await instance(prefix, rules, [sinks[0]!]);
    const two = await instance(prefix, rules, [sinks[1]!]);
    const signal = new AbortController().signal;
    // 40 failed runs, partitions 0 and 1 on two instances, one event per batch, at the same time.
    await Promise.all([one, two].map(async (inst, p) => {
      for (let i = 0; i < 20; i++) await inst.processor.processBatch(batch([failed(p * 20 + i)], i, p), signal);
      await inst.processor.flush();
    }));
    const fired = [...sinks[0]!.alerts, ...sinks[1]!.alerts];
    // The 40th failure (whichever instance saw it) is the one that exceeds max 39: exactly one alert.
    expect(fired.length).toBe(1);
    expect(fired[0]!.value).toBe(40);
  });

  it('webhook URLs reach only the webhook request: alerts in the sinks and the POST bodies name the webhook redacted; the outbox keeps the URL for a sweep after a crash, even when the rule is gone', async () => {
    const posts: Array<{ path: string; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        posts.push({ path: req.url ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const secretPath = '/services/T0SECRET/B0SECRET/tokenSECRET?key=querySECRET';
      const hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}${secretPath}`;
      const rules = parseOrThrow(FIXTURE_RULES_YAML.replace('id: low-accuracy\n    kind: threshold\n    severity: warning\n    dedupWindow: 0\n    notify: [feed]', `id: low-accuracy\n    kind: threshold\n    severity: warning\n    dedupWindow: 0\n    notify: [feed, {type: webhook, url: "${hook}"}]`));
      expect(rules.find((r) => r.id === 'low-accuracy')!.notify).toContainEqual({ type: 'webhook', url: hook });
      const { events } = fixtureStream(['hooks']);
      const fired = dryRun(rules, events).alerts.filter((a) => a.ruleId === 'low-accuracy').map((a) => a.alertId).sort();
      expect(fired.length).toBeGreaterThan(0);
      const published = (sink: RecordingSink) => JSON.stringify([sink.alerts, sink.alerts.map((a) => alertRow(a, 0))]);

      // Live: delivered at once.
      const prefix = uniqueName('proc-hooks') + ':';
      prefixes.push(prefix);
      const sink = new RecordingSink();
      const live = await instance(prefix, rules, [sink]);
      await live.processor.processBatch(batch(events, 0), new AbortController().signal);
      await live.processor.flush();
      await live.delivery.drain();
      expect(posts.map((p) => p.path)).toEqual(fired.map(() => secretPath));
      expect(posts.map((p) => (JSON.parse(p.body) as Alert).alertId).sort()).toEqual(fired);
      expect(posts.map((p) => p.body).join('\n')).not.toContain('SECRET');
      expect(sink.alerts.length).toBeGreaterThan(fired.length);
      expect(published(sink)).not.toContain('SECRET');
      expect(sink.alerts.find((a) => a.ruleId === 'low-accuracy')!.notify).toEqual([{ type: 'feed' }, { type: 'webhook', target: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…#[0-9a-f]{8}$/) }]);

      // Crash after EXEC: the sinks never answered; another instance, whose rule set no longer
      // has the rule, sweeps the outbox and still posts to the URL.
      posts.length = 0;
      const crashPrefix = uniqueName('proc-hooks-crash') + ':';
      prefixes.push(crashPrefix);
      const stopped = new AbortController();
      const failing: AlertSink = { name: 'down', write: async () => Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' })) };
      const dead = await instance(crashPrefix, rules, [failing], 10_000);
      await dead.processor.processBatch(batch(events, 0), stopped.signal);
      stopped.abort(new Error('process died'));
      await dead.processor.flush();
      expect(posts).toEqual([]);
      const afterSink = new RecordingSink();
      const after = await instance(crashPrefix, rules.filter((r) => r.id !== 'low-accuracy'), [afterSink]);
      expect(await after.delivery.sweep(0, new AbortController().signal, 10_000)).toBeGreaterThan(fired.length);
      await after.delivery.drain();
      expect(posts.map((p) => p.path)).toEqual(fired.map(() => secretPath));
      expect(posts.map((p) => p.body).join('\n')).not.toContain('SECRET');
      expect(published(afterSink)).not.toContain('SECRET');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
