/**
 * Helpers for the monitor's integration tests: a monitor
 * configuration with unique names, the real monitor process, reading the alerts topic and the
 * alerts table, producing events, and cleaning up Redis keys of a prefix.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Partitioners } from 'kafkajs';
import { ROOT, services, testKafka, uniqueName } from './helpers.js';
import type { Warehouse } from '../services/lib/clickhouse.js';
import { deleteKeysMatching, escapeGlob } from '../services/lib/redis.js';
import type { Redis } from '../services/lib/redis.js';
import { encodeEvent, packByKey } from '../services/model/codec.js';
import type { ProvEvent } from '../services/model/types.js';
import { alertFromMessage } from '../services/monitor/alert-sinks.js';
import type { AlertSink } from '../services/monitor/alert-sinks.js';
import type { BatchInput } from '../services/monitor/pieces.js';
import { loadMonitorConfig } from '../services/monitor/config.js';
import type { MonitorConfig } from '../services/monitor/config.js';
import type { Alert } from '../services/monitor/core/index.js';

/** Environment of a monitor with its own topics, group, database and Redis prefix. */
export function monitorEnv(database: string, extra: Record<string, string> = {}): Record<string, string> {
  const s = services();
  return {
    KAFKA_BROKERS: s.kafkaBrokers.join(','),
    CLICKHOUSE_URL: s.clickhouseUrl,
    REDIS_URL: s.redisUrl,
    CLICKHOUSE_DATABASE: database,
    PROVSTREAM_TOPIC: uniqueName('mon.events'),
    PROVSTREAM_TOPIC_PARTITIONS: '3',
    MONITOR_ALERTS_TOPIC: uniqueName('mon.alerts'),
    MONITOR_GROUP_ID: uniqueName('mon-group'),
    MONITOR_REDIS_PREFIX: uniqueName('mon') + ':',
    MONITOR_HTTP_PORT: '-1',
    MONITOR_SESSION_TIMEOUT_MS: '6000',
    MONITOR_RULES_POLL_MS: '200',
    MONITOR_TICK_INTERVAL_MS: '200',
    MONITOR_OUTBOX_GRACE_MS: '500',
    MONITOR_OUTBOX_SWEEP_MS: '250',
    MONITOR_SHUTDOWN_GRACE_MS: '2000',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export function configOf(env: Record<string, string>): MonitorConfig {
  return loadMonitorConfig(env);
}

/** The real `provstream monitor` process (compiled CLI), output kept for failure messages. */
export function startMonitorProcess(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'provstream.js'), 'monitor'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return Object.assign(child, { output: () => out });
}

export async function produceEvents(topic: string, events: readonly ProvEvent[], keys: readonly string[], chunk = events.length, pauseMs = 0, onChunk?: (sent: number) => Promise<void>): Promise<void> {
  const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += chunk) {
      // Packed per key into batch frames, as the SDK sends them (schemas/EVOLUTION.md).
      await producer.send({ topic, acks: -1, messages: packByKey(events.slice(i, i + chunk).map((e, j) => ({ key: keys[i + j]!, value: encodeEvent(e) }))) });
      await onChunk?.(Math.min(i + chunk, events.length));
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every message on the alerts topic (repeats included), read from the beginning. */
export async function readAlertsTopic(topic: string): Promise<Alert[]> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
  if (total === 0) return [];
  const out: Alert[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('read-alerts'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen} of ${total} messages of ${topic}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen++;
        const a = alertFromMessage(message.value);
        if (a) out.push(a);
        if (seen >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/** Alert ids in the alerts table (FINAL: the logical content) and the raw row count. */
export async function alertsInTable(wh: Warehouse): Promise<{ ids: string[]; rows: number }> {
  const ids = (await wh.query<{ alert_id: string }>('SELECT alert_id FROM alerts FINAL ORDER BY alert_id')).map((r) => r.alert_id);
  const [c] = await wh.query<{ n: number }>('SELECT count() AS n FROM alerts');
  return { ids, rows: Number(c?.n ?? 0) };
}

export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<void> {
  await deleteKeysMatching(redis, `${escapeGlob(prefix)}*`);
}

/** An alert sink that keeps what it is given (the processor tests' stand-in for the topic and table). */
export class RecordingSink implements AlertSink {
  readonly name = 'recording';
  readonly alerts: Alert[] = [];
  async write(alerts: readonly Alert[]): Promise<void> {
    this.alerts.push(...alerts);
  }
}

/** A Kafka batch of one partition as the processor gets it: one event per message from `firstOffset`. */
export function batch(events: readonly ProvEvent[], firstOffset: number, partition = 0, topic = 'events'): BatchInput {
  return { topic, partition, highWatermark: String(firstOffset + events.length), messages: events.map((e, i) => ({ offset: String(firstOffset + i), value: encodeEvent(e) })) };
}
