/**
 * A running monitor (in-process, real Kafka + Redis + ClickHouse) on a stream built to show:
 *   - lineage taint where the flag arrives after some derived entities and before others:
 *     each derived entity alerts exactly once, the early ones through the flag's walk of stored
 *     children, the later ones when their derivation arrives;
 *   - rules added and removed through the registry while it runs, without restart;
 *   - an absence deadline fired by ticks, once;
 *   - delivery to a webhook (local node:http server) and to the server-sent-events feed.
 * Phases are separated by waiting until the group caught up, so the processing order across
 * partitions is the order of the story.
 */
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTopics, deleteTopics, freshDatabase, groupCaughtUp, services, silentLogger, waitFor } from '../../test/helpers.js';
import { configOf, deleteRedisPrefix, monitorEnv, produceEvents, readAlertsTopic } from '../../test/monitor.js';
import { seededUuid } from '../demo/sample.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { activityId, entityId } from '../model/ids.js';
import type { Payload, ProvEvent } from '../model/types.js';
import type { Alert } from './core/index.js';
import { parseOrThrow } from './fixtures.js';
import { startMonitor } from './main.js';
import type { RunningMonitor } from './main.js';
import { RuleRegistry, rawRuleItems } from './rule-registry.js';

type Db = Awaited<ReturnType<typeof freshDatabase>>;

describe('a running monitor', () => {
  let db: Db;
  let redis: Redis;
  let env: Record<string, string>;
  let monitor: RunningMonitor;
  let hooks: Server;
  let hookUrl: string;
  const hooked: Array<{ key: string; alert: Alert }> = [];
  const streamed: Alert[] = [];
  let sse: IncomingMessage | undefined;

  beforeAll(async () => {
    db = await freshDatabase('monitor_live');
    env = monitorEnv(db.database, { MONITOR_HTTP_PORT: '0' });
    await createTopics([{ topic: env['PROVSTREAM_TOPIC']!, numPartitions: 3 }, { topic: env['MONITOR_ALERTS_TOPIC']!, numPartitions: 1 }]);
    redis = createRedis(services().redisUrl);
    await connectRedis(redis, services().redisUrl);
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooked.push({ key: String(req.headers['idempotency-key']), alert: JSON.parse(body) as Alert });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
    monitor = await startMonitor(configOf(env), silentLogger);
    await new Promise<void>((resolve, reject) => {
      request(`http://127.0.0.1:${monitor.http!.port}/alerts/stream`, (res) => {
        sse = res;
        let buf = '';
        res.on('data', (d: Buffer) => {
          buf += d.toString();
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const data = buf.slice(0, i).split('\n').find((l) => l.startsWith('data: '));
            if (data) streamed.push(JSON.parse(data.slice(6)) as Alert);
            buf = buf.slice(i + 2);
          }
        });
        resolve();
      })
        .on('error', reject)
        .end();
    });
  });
  afterAll(async () => {
    sse?.destroy();
    await monitor?.stop();
    await new Promise((r) => hooks.close(r));
    await deleteRedisPrefix(redis, env['MONITOR_REDIS_PREFIX']!);
    redis.disconnect();
    await db?.drop();
    await deleteTopics([env['PROVSTREAM_TOPIC']!, env['MONITOR_ALERTS_TOPIC']!]);
  });

  let n = 0;
  const ev = (payload: Payload, time = Date.now()): ProvEvent => ({ eventId: seededUuid(`${env['PROVSTREAM_TOPIC']}/${n++}`), project: 'live', time, producer: 'test', schemaVersion: 1, payload });
  const entity = (artifact: string) => {
    const id = entityId(artifact, `sha256:${artifact}`);
    return { id, event: ev({ type: 'entity', id, artifact, version: 1, contentHash: `sha256:${artifact}`, entityType: 'dataset', sizeBytes: null }) };
  };
  const rel = (relation: 'used' | 'wasGeneratedBy' | 'wasDerivedFrom', from: string, to: string) => ev({ type: 'relation', relation, from, to, role: null });
  const activity = (id: string, name: string, status: 'RUNNING' | 'COMPLETED', startTime: number) =>
    ev({ type: 'activity', id, name, command: name, status, startTime, endTime: status === 'RUNNING' ? null : Date.now(), exitCode: status === 'RUNNING' ? null : 0, workdir: null, params: {}, env: {} });
  const registry = () => new RuleRegistry(redis, env['MONITOR_REDIS_PREFIX']!);
  const addRules = async (yaml: string) => {
    const rules = parseOrThrow(yaml);
    const raw = rawRuleItems(parseYaml(yaml));
    await registry().put(rules.map((r, i) => ({ id: r.id, raw: raw[i] })));
    await waitFor('the monitor to load the rules', async () => rules.every((r) => monitor.rules.current().rules.some((x) => x.id === r.id)), 10_000, 50);
  };
  /** Produces events, each under its own key (spread over partitions), and waits until evaluated. */
  const phase = async (events: ProvEvent[], keys: string[]) => {
    await produceEvents(env['PROVSTREAM_TOPIC']!, events, keys);
    await waitFor('the monitor to catch up', () => groupCaughtUp(env['MONITOR_GROUP_ID']!, env['PROVSTREAM_TOPIC']!), 30_000, 100);
  };
  const tableAlerts = async (ruleId: string) => (await db.query<{ subject: string; event_ids: string[]; vertex_ids: string[] }>(`SELECT subject, event_ids, vertex_ids FROM alerts FINAL WHERE rule_id = '${ruleId}' ORDER BY subject`));

  it('taint: the flag arrives after some derived entities and before others; each alerts once', async () => {
    await addRules(`rules:
  - {id: pii-lineage, kind: taint, severity: critical, dedupWindow: 0, notify: [feed, {type: webhook, url: "${hookUrl}"}], taint: {when: "pii = true"}}`);
    const d1 = entity('data/raw.csv');
    const f1 = entity('data/features.parquet');
    const g1 = entity('data/features-sample.parquet');
    const A = activityId(seededUuid('run-a'));
    const t = Date.now();
    // Before the flag: f1 generated by A from d1, g1 derived from f1. Keys differ per run: partitions differ.
    await phase(
      [d1.event, activity(A, 'clean', 'RUNNING', t), rel('used', A, d1.id), f1.event, rel('wasGeneratedBy', f1.id, A), g1.event, rel('wasDerivedFrom', g1.id, f1.id), activity(A, 'clean', 'COMPLETED', t)],
      ['d1', 'A', 'A', 'A', 'A', 'g1', 'g1', 'A'],
    );
    expect(await tableAlerts('pii-lineage')).toEqual([]);
    const flag = ev({ type: 'property', subject: d1.id, key: 'pii', value: { kind: 'bool', value: true } });
    await phase([flag], ['flag']);
    // After the flag: m1 generated by B from f1, h1 derived from m1, u1 unrelated.
    const m1 = entity('models/model.bin');
    const h1 = entity('reports/report.html');
    const u1 = entity('data/other.csv');
    const B = activityId(seededUuid('run-b'));
    const late = [activity(B, 'train', 'RUNNING', t), rel('used', B, f1.id), m1.event, rel('wasGeneratedBy', m1.id, B), h1.event, rel('wasDerivedFrom', h1.id, m1.id), u1.event];
    await phase(late, ['B', 'B', 'B', 'B', 'h1', 'h1', 'u1']);

    const expectedSubjects = [f1.id, g1.id, m1.id, h1.id].sort();
    await waitFor('4 taint alerts in the table', async () => (await tableAlerts('pii-lineage')).length >= 4, 15_000, 100);
    const rows = await tableAlerts('pii-lineage');
    expect(rows.map((r) => r.subject)).toEqual(expectedSubjects);
    for (const r of rows) expect(r.vertex_ids[0]).toBe(d1.id);
    const byFlag = rows.filter((r) => r.event_ids[0] === flag.eventId).map((r) => r.subject).sort();
    expect(byFlag).toEqual([f1.id, g1.id].sort());
    for (const r of rows.filter((x) => !byFlag.includes(x.subject))) expect(r.event_ids).toContain(flag.eventId);

    const topic = (await readAlertsTopic(env['MONITOR_ALERTS_TOPIC']!)).filter((a) => a.ruleId === 'pii-lineage');
    expect([...new Set(topic.map((a) => a.subject))].sort()).toEqual(expectedSubjects);
    expect(new Set(topic.map((a) => a.alertId)).size).toBe(4);
    await waitFor('4 webhook calls', async () => hooked.length >= 4, 10_000, 50);
    expect(hooked.map((h) => h.alert.subject).sort()).toEqual(expectedSubjects);
    expect(hooked.every((h) => h.key === h.alert.alertId)).toBe(true);
    await waitFor('4 alerts on the SSE feed', async () => streamed.filter((a) => a.ruleId === 'pii-lineage').length >= 4, 10_000, 50);
    expect(streamed.filter((a) => a.ruleId === 'pii-lineage').map((a) => a.subject).sort()).toEqual(expectedSubjects);
  });

  it('absence: a run that does not finish in time alerts once, from ticks; a removed rule stops alerting', async () => {
    await addRules(`rules:
  - {id: stuck, kind: absence, severity: warning, notify: [feed], match: {activity: etl}, absence: {mode: unfinished, within: 1500ms}}`);
    const t = Date.now();
    const done = activityId(seededUuid('etl-done'));
    const stuck = activityId(seededUuid('etl-stuck'));
    await phase([activity(done, 'etl', 'RUNNING', t), activity(stuck, 'etl', 'RUNNING', t), activity(done, 'etl', 'COMPLETED', t)], ['done', 'stuck', 'done']);
    await waitFor('the absence alert', async () => (await tableAlerts('stuck')).length >= 1, 15_000, 100);
    await new Promise((r) => setTimeout(r, 1500)); // several more ticks
    expect((await tableAlerts('stuck')).map((r) => r.subject)).toEqual([stuck]);
    expect(streamed.filter((a) => a.ruleId === 'stuck').map((a) => a.subject)).toEqual([stuck]);

    await registry().remove(['pii-lineage']);
    await waitFor('the monitor to drop the rule', async () => !monitor.rules.current().rules.some((r) => r.id === 'pii-lineage'), 10_000, 50);
    const d1 = entityId('data/raw.csv', 'sha256:data/raw.csv');
    const x1 = entity('data/after-removal.csv');
    await phase([x1.event, rel('wasDerivedFrom', x1.id, d1)], ['x1', 'x1']);
    await new Promise((r) => setTimeout(r, 500));
    expect((await tableAlerts('pii-lineage')).map((r) => r.subject)).not.toContain(x1.id);
  });
});
