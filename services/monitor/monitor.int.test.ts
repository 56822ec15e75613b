/**
 * The monitor as a real process on real Kafka, Redis and ClickHouse: killed with SIGKILL in the
 * middle of a stream and restarted; afterwards the alerts table (FINAL) and the alerts topic
 * (deduplicated by alertId) must hold exactly the alerts dryRun computes on the same events:
 * none lost, none doubled, none extra (a re-evaluation against already-changed state would show
 * up as an extra alert with another id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, exited, freshDatabase, groupCaughtUp, services, waitFor } from '../../test/helpers.js';
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
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let redis: Redis;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await freshDatabase('monitor_kill');
    env = monitorEnv(db.database, {
      // Small fetches: the stream is spread over many batches, so the kill lands mid-stream.
      MONITOR_MAX_BYTES_PER_PARTITION: '4096',
    });
    await createTopics([
      { topic: env['PROVSTREAM_TOPIC']!, numPartitions: 3 },
      { topic: env['MONITOR_ALERTS_TOPIC']!, numPartitions: 1 },
    ]);
    redis = createRedis(services().redisUrl);
    await connectRedis(redis, services().redisUrl);
    const rules = parseOrThrow(FIXTURE_RULES_YAML);
    const raw = rawRuleItems(parseYaml(FIXTURE_RULES_YAML));
    await new RuleRegistry(redis, env['MONITOR_REDIS_PREFIX']!).put(rules.map((r, i) => ({ id: r.id, raw: raw[i] })));
  });
  afterAll(async () => {
    await deleteRedisPrefix(redis, env['MONITOR_REDIS_PREFIX']!);
    redis.disconnect();
    await db?.drop();
    await deleteTopics([env['PROVSTREAM_TOPIC']!, env['MONITOR_ALERTS_TOPIC']!]);
  });

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
      const outbox = new Outbox(redis, env['MONITOR_REDIS_PREFIX']!);
      await waitFor('the monitor to catch up and deliver every alert', async () => (await groupCaughtUp(env['MONITOR_GROUP_ID']!, env['PROVSTREAM_TOPIC']!)) && (await outbox.size()) === 0, 90_000, 300);

      const table = await alertsInTable(db);
      expect(table.ids).toEqual(expected.map((a) => a.alertId).sort());

      const onTopic = await readAlertsTopic(env['MONITOR_ALERTS_TOPIC']!);
      const byId = new Map<string, Alert>(onTopic.map((a) => [a.alertId, a]));
      expect([...byId.keys()].sort()).toEqual(expected.map((a) => a.alertId).sort());
      for (const a of expected) expect(byId.get(a.alertId)).toEqual(a);
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
