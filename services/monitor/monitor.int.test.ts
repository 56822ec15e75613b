/**
 * The monitor as a real process on real Kafka, Redis and ClickHouse: killed with SIGKILL in the
 * middle of a stream and restarted; afterwards the alerts table (FINAL) and the alerts topic
 * (deduplicated by alertId) must hold exactly the alerts dryRun computes on the same events:
 * none lost, none doubled, none extra (a re-evaluation against already-changed state would show
 * up as an extra alert with another id). The same holds when Redis goes away twice in the middle
 * of the stream, and when ClickHouse (the alerts table) goes away for part of it: a proxy in
 * front of the service drops every connection and refuses new ones for a while.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, exited, freePort, freshDatabase, groupCaughtUp, services, TcpProxy, waitFor } from '../../test/helpers.js';
import { alertsInTable, configOf, deleteRedisPrefix, monitorEnv, produceEvents, readAlertsTopic, startMonitorProcess } from '../../test/monitor.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { dryRun } from './core/index.js';
import type { Alert } from './core/index.js';
import { FIXTURE_RULES_YAML, fixtureStream, parseOrThrow } from './fixtures.js';
import { Outbox } from './outbox.js';
import { RuleRegistry, rawRuleItems } from './rule-registry.js';
import { parse as parseYaml } from 'yaml';

describe('monitor process', () => {
  let c: Fixture;
  let db: Fixture['db'];
  let env: Record<string, string>;

  // Small fetches: the stream is spread over many batches, so the kill lands mid-stream.
  beforeAll(async () => ({ db, env } = c = await setUp('monitor_kill', { MONITOR_MAX_BYTES_PER_PARTITION: '4096' })));
  afterAll(() => tearDown(c));

  it('SIGKILL mid-stream and restart: no alert lost, doubled or added', async () => {
    // 24 projects, keyed by project: each project's events stay in order on one partition,
    // and rule state is per project, so dryRun over the concatenation is the exact expectation.
    const projects = Array.from({ length: 24 }, (_, i) => `kill-${i}`);
    const { events, keys } = fixtureStream(projects);
    const expected = dryRun(parseOrThrow(FIXTURE_RULES_YAML), events).alerts;
    expect(expected.length).toBeGreaterThan(300);

    let monitor = startMonitorProcess(env);
    let killedAt = -1;
    let alertsBeforeKill = 0;
    await produceEvents(env['PROVSTREAM_TOPIC']!, events, keys, 60, 60, async (sent) => {
      if (killedAt >= 0 || sent < events.length * 0.4) return;
      // Kill once the monitor demonstrably raised some alerts, while the stream is still flowing.
      alertsBeforeKill = (await alertsInTable(db)).ids.length;
      if (alertsBeforeKill === 0) return;
      monitor.kill('SIGKILL');
      await exited(monitor);
      killedAt = sent;
      monitor = startMonitorProcess(env);
    });
    try {
      expect(killedAt).toBeGreaterThan(0);
      expect(alertsBeforeKill).toBeLessThan(expected.length);
      await expectExactly(expected, c);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- monitor output ---\n${monitor.output().slice(-5000)}`);
    } finally {
      monitor.kill('SIGTERM');
      expect(await exited(monitor)).toBe(0);
    }
  });

  it('rejects an invalid configuration at start-up with every problem listed', async () => {
    const bad = startMonitorProcess({ ...env, MONITOR_TICK_INTERVAL_MS: 'soon', REDIS_URL: 'http://x', MONITOR_START: 'middle' });
    expect(await exited(bad)).toBe(1);
    expect(bad.output()).toMatch(/MONITOR_TICK_INTERVAL_MS[\s\S]*REDIS_URL[\s\S]*MONITOR_START|MONITOR_START[\s\S]*REDIS_URL/);
    expect(() => configOf({ ...env, MONITOR_WEBHOOK_ATTEMPTS: '0' })).toThrow(/MONITOR_WEBHOOK_ATTEMPTS/);
  });
});

describe('Redis going away mid-stream', () => {
  let c: Fixture;
  let proxy: TcpProxy;
  let healthz = '';

  beforeAll(async () => {
    proxy = await TcpProxy.start(TcpProxy.targetOf(services().redisUrl, 6379));
    const port = await freePort();
    healthz = `http://127.0.0.1:${port}/healthz`;
    // The monitor goes through the proxy; the test's own client goes to Redis directly.
    c = await setUp('monitor_redis_down', { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, MONITOR_MAX_BYTES_PER_PARTITION: '4096', LOG_LEVEL: 'info', MONITOR_HTTP_PORT: String(port) });
  });
  const health = async () => {
    const r = await fetch(healthz);
    return { status: r.status, body: (await r.json()) as { status: string; redis: string } };
  };
  afterAll(async () => {
    await proxy?.cut();
    await tearDown(c);
  });

  it('the monitor says Redis is unavailable, waits for it, and then every alert arrives once: none lost, doubled or added', async () => {
    const projects = Array.from({ length: 24 }, (_, i) => `redis-down-${i}`);
    const { events, keys } = fixtureStream(projects);
    const expected = dryRun(parseOrThrow(FIXTURE_RULES_YAML), events).alerts;
    const monitor = startMonitorProcess(c.env);
    // Its connection notices and any ioredis stack trace, kept apart from the (capped) output.
    const notices = linesOf(monitor, /redis\.connection|monitor\.batch\.retry|Unhandled error event/);
    const outages: number[] = [];
    try {
      // Two outages while the stream flows, each once the monitor has raised alerts since the
      // last one. The stream goes on during an outage (300 events), so the monitor's
      // transactions meet it (reads, EXEC, outbox deliveries); then Redis comes back.
      let alertsAtLastOutage = 0;
      let down = false;
      const unhealthy: Array<Awaited<ReturnType<typeof health>>> = [];
      const retries = () => notices.filter((l) => l.includes('"monitor.batch.retry"')).length;
      let retriesBefore = 0;
      await waitFor('the monitor to serve /healthz', async () => (await health().catch(() => undefined))?.status === 200, 30_000, 100);
      await produceEvents(c.env['PROVSTREAM_TOPIC']!, events, keys, 60, 60, async (sent) => {
        if (!down) {
          if (outages.length >= 2 || sent < events.length * (0.3 + 0.3 * outages.length)) return;
          const n = (await alertsInTable(c.db)).ids.length;
          if (n <= alertsAtLastOutage) return;
          alertsAtLastOutage = n;
          outages.push(sent);
          retriesBefore = retries();
          await proxy.cut();
          down = true;
          return;
        }
        if (sent < outages[outages.length - 1]! + 300) return;
        await waitFor('both monitor connections to notice', async () => notices.filter((l) => l.includes('"redis.connection.lost"')).length === 2 * outages.length, 30_000, 100);
        await waitFor('a transaction to fail on the outage and be retried', async () => retries() > retriesBefore, 30_000, 100);
        unhealthy.push(await health());
        await proxy.restore();
        down = false;
        // Both connections back (ioredis's reconnect backoff may take a few seconds) before the
        // stream goes on, so the next outage is one of its own.
        await waitFor('the monitor to reconnect to Redis', async () => notices.filter((l) => l.includes('"redis.connection.back"')).length === 2 * outages.length, 30_000, 100);
      });
      expect(outages).toHaveLength(2);
      expect(alertsAtLastOutage).toBeLessThan(expected.length);
      // /healthz said so while Redis was away (a readiness probe takes the instance out), and
      // is healthy again.
      expect(unhealthy.map((h) => [h.status, h.body.status, h.body.redis])).toEqual([[503, 'unavailable', 'reconnecting'], [503, 'unavailable', 'reconnecting']]);
      expect((await health()).body).toMatchObject({ status: 'ok', redis: 'connected' });
      await expectExactly(expected, c);
      // Transactions that met an outage were retried, and said why in words a user can act on.
      expect(notices.filter((l) => l.includes('"monitor.batch.retry"')).join('\n')).toMatch(/Redis is unavailable: [^"]*no connection to Redis \(is it running at REDIS_URL\?\); reconnecting/);
      // Each of its two connections says once per outage that it is gone, and once that it is back;
      // no ioredis stack traces on stderr.
      expect(notices.filter((l) => l.includes('"redis.connection.lost"')).length).toBe(4);
      expect(notices.filter((l) => l.includes('"redis.connection.back"')).length).toBe(4);
      expect(notices.filter((l) => l.includes('Unhandled error event'))).toEqual([]);
      expect(monitor.exitCode).toBeNull(); // it waited for Redis; it did not exit
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- monitor output ---\n${monitor.output().slice(-5000)}`);
    } finally {
      monitor.kill('SIGTERM');
      expect(await exited(monitor)).toBe(0);
    }
  });
});

/**
 * Once the monitor caught up and emptied its outbox, the alerts table (FINAL) and the alerts
 * topic (deduplicated by alertId) hold exactly `expected`: none lost, doubled or added.
 */
async function expectExactly(expected: readonly Alert[], c: Fixture): Promise<void> {
  const outbox = new Outbox(c.redis, c.env['MONITOR_REDIS_PREFIX']!);
  await waitFor('the monitor to catch up and deliver every alert', async () => (await groupCaughtUp(c.env['MONITOR_GROUP_ID']!, c.env['PROVSTREAM_TOPIC']!)) && (await outbox.size()) === 0, 90_000, 300);
  const ids = expected.map((a) => a.alertId).sort();
  expect((await alertsInTable(c.db)).ids).toEqual(ids);
  const byId = new Map<string, Alert>((await readAlertsTopic(c.env['MONITOR_ALERTS_TOPIC']!)).map((a) => [a.alertId, a]));
  expect([...byId.keys()].sort()).toEqual(ids);
  for (const a of expected) expect(byId.get(a.alertId)).toEqual(a);
}

/** The lines of the child's output that match `re`, as they come (its output() keeps only the tail). */
function linesOf(child: ReturnType<typeof startMonitorProcess>, re: RegExp): string[] {
  const kept: string[] = [];
  let partial = '';
  const keep = (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (re.test(l)) kept.push(l);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return kept;
}

describe('ClickHouse going away mid-stream', () => {
  let c: Fixture;
  let proxy: TcpProxy;

  beforeAll(async () => {
    proxy = await TcpProxy.start(TcpProxy.targetOf(services().clickhouseUrl, 8123));
    c = await setUp('monitor_ch_down', { CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`, MONITOR_MAX_BYTES_PER_PARTITION: '4096' });
  });
  afterAll(async () => {
    await proxy?.cut();
    await tearDown(c);
  });

  it('alerts wait in the outbox while the alerts table is unreachable, then arrive once: none lost, doubled or added', async () => {
    const { events, keys } = fixtureStream(Array.from({ length: 24 }, (_, i) => `ch-down-${i}`));
    const expected = dryRun(parseOrThrow(FIXTURE_RULES_YAML), events).alerts;
    const monitor = startMonitorProcess(c.env);
    const retries = linesOf(monitor, /monitor\.delivery\.retry/);
    let cutAt = -1;
    let restoredAt = -1;
    try {
      // The outage spans part of the stream: cut at 30% of the events, back once the ClickHouse
      // sink has failed and said so while events kept coming.
      await produceEvents(c.env['PROVSTREAM_TOPIC']!, events, keys, 60, 60, async (sent) => {
        if (cutAt < 0 && sent >= events.length * 0.3) {
          cutAt = sent;
          await proxy.cut();
        } else if (cutAt >= 0 && restoredAt < 0 && sent >= events.length * 0.6) {
          await waitFor('the ClickHouse sink to fail and retry', async () => retries.some((l) => l.includes('"sink":"clickhouse"')), 30_000, 100);
          restoredAt = sent;
          await proxy.restore();
        }
      });
      expect(restoredAt).toBeGreaterThan(cutAt);
      await expectExactly(expected, c);
      expect(retries.find((l) => l.includes('"sink":"clickhouse"'))).toMatch(/ClickHouse is unavailable: an insert into alerts: connect ECONNREFUSED/);
      expect(monitor.exitCode).toBeNull();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- monitor output ---\n${monitor.output().slice(-5000)}`);
    } finally {
      monitor.kill('SIGTERM');
      expect(await exited(monitor)).toBe(0);
    }
  });
});

/** A monitor's own topics, database, Redis prefix and the fixture rules in its registry. */
interface Fixture {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  redis: Redis;
  env: Record<string, string>;
}

async function setUp(database: string, extra: Record<string, string>): Promise<Fixture> {
  const db = await freshDatabase(database);
  const env = monitorEnv(db.database, extra);
  await createTopics([
    { topic: env['PROVSTREAM_TOPIC']!, numPartitions: 3 },
    { topic: env['MONITOR_ALERTS_TOPIC']!, numPartitions: 1 },
  ]);
  const redis = createRedis(services().redisUrl);
  await connectRedis(redis, services().redisUrl);
  const rules = parseOrThrow(FIXTURE_RULES_YAML);
  const raw = rawRuleItems(parseYaml(FIXTURE_RULES_YAML));
  await new RuleRegistry(redis, env['MONITOR_REDIS_PREFIX']!).put(rules.map((r, i) => ({ id: r.id, raw: raw[i] })));
  return { db, redis, env };
}

async function tearDown(c: Fixture | undefined): Promise<void> {
  if (!c) return;
  await deleteRedisPrefix(c.redis, c.env['MONITOR_REDIS_PREFIX']!);
  c.redis.disconnect();
  await c.db.drop();
  await deleteTopics([c.env['PROVSTREAM_TOPIC']!, c.env['MONITOR_ALERTS_TOPIC']!]);
}
