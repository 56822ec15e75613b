/**
 * A listening gateway (in this process, port 0) in front of a real ingest process, on a fresh
 * topic, ClickHouse database and Redis prefix, for the gateway's int tests; plus reading back
 * what a project's tables hold, logically (latest row per vertex and per property key; edges and
 * metric points as sets), so two projects can be compared.
 */
import pino from 'pino';
import type { ChildProcess } from 'node:child_process';
import { createTopics, deleteTopics, exited, freshDatabase, groupCaughtUp, services, startIngestProcess, uniqueName, waitFor } from './helpers.js';
import { deleteRedisPrefix } from './monitor.js';
import { createRedis, connectRedis } from '../services/lib/redis.js';
import { sql } from '../services/lib/sql-literal.js';
import { loadGatewayConfig } from '../services/gateway/config.js';
import { startGateway } from '../services/gateway/main.js';
import type { RunningGateway } from '../services/gateway/main.js';

type Db = Awaited<ReturnType<typeof freshDatabase>>;

export const tokenOf = (project: string) => `${project}-token-0123456789`;

export interface GatewayHarness {
  url: string;
  db: Db;
  topic: string;
  gateway: RunningGateway;
  /** Extra env a second gateway or consumer needs to use the same topic, database and Redis prefix. */
  env: Record<string, string>;
  request(method: 'GET' | 'POST', path: string, project: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  /** Resolves once the ingest consumer committed everything published so far (it is in ClickHouse). */
  ingested(): Promise<void>;
  tables(project: string): Promise<Record<string, unknown[]>>;
  close(): Promise<void>;
}

export async function startGatewayHarness(name: string, projects: readonly string[], extraEnv: Record<string, string> = {}): Promise<GatewayHarness> {
  const db = await freshDatabase(name);
  const topic = uniqueName(`${name}.events`);
  const dlq = `${topic}.dlq`;
  const group = uniqueName(`${name}-ingest`);
  const prefix = `${uniqueName(name)}:`;
  await createTopics([{ topic, numPartitions: 4 }, { topic: dlq, numPartitions: 1 }]);
  const env = {
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    CLICKHOUSE_URL: services().clickhouseUrl,
    CLICKHOUSE_DATABASE: db.database,
    REDIS_URL: services().redisUrl,
    PROVSTREAM_TOPIC: topic,
    PROVSTREAM_DLQ_TOPIC: dlq,
    GATEWAY_REDIS_PREFIX: prefix,
    GATEWAY_RUN_STATE_TTL_HOURS: '1',
    PROVSTREAM_GATEWAY_TOKENS: projects.map((p) => `${p}:${tokenOf(p)}`).join(','),
  };
  const ingest: ChildProcess & { output(): string } = startIngestProcess({ ...env, INGEST_GROUP_ID: group, INGEST_SESSION_TIMEOUT_MS: '6000', INGEST_MAX_WAIT_MS: '50' });
  const gateway = await startGateway(loadGatewayConfig({ ...env, GATEWAY_PORT: '0', LOG_LEVEL: 'warn', ...extraEnv }), pino({ level: 'silent' }));
  const q = async <T>(query: string) => db.query<T>(query);
  return {
    url: gateway.url,
    db,
    topic,
    gateway,
    env,
    async request(method, path, project, body) {
      const r = await fetch(gateway.url + path, {
        method,
        headers: { authorization: `Bearer ${tokenOf(project)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: r.status, body: await r.json(), headers: r.headers };
    },
    async ingested() {
      await waitFor('the ingest consumer to commit everything published', () => groupCaughtUp(group, topic), 60_000, 100);
    },
    async tables(project) {
      return {
        vertices: await q(sql`SELECT id, toString(argMax(tuple(toString(kind), artifact, version, content_hash, entity_type, size_bytes, name, command, status, start_time, end_time, exit_code, workdir, params.key, params.value, agent_type, email), valid_from)) AS state FROM vertices FINAL WHERE project = ${project} GROUP BY id ORDER BY id`),
        edges: await q(sql`SELECT DISTINCT toString(type) AS type, src, dst, role FROM edges FINAL WHERE project = ${project} ORDER BY type, src, dst, role`),
        properties: await q(sql`SELECT subject, key, toString(argMax(tuple(toString(value_type), value_string), valid_from)) AS value FROM properties FINAL WHERE project = ${project} GROUP BY subject, key ORDER BY subject, key`),
        metrics: await q(sql`SELECT DISTINCT subject, key, step, value, time FROM metrics FINAL WHERE project = ${project} ORDER BY subject, key, step, time, value`),
      };
    },
    async close() {
      await gateway.stop();
      ingest.kill('SIGTERM');
      await exited(ingest);
      const redis = createRedis(services().redisUrl);
      await connectRedis(redis, services().redisUrl);
      await deleteRedisPrefix(redis, prefix);
      await redis.quit();
      await db.drop();
      await deleteTopics([topic, dlq]);
    },
  };
}
