/**
 * The ingest consumer as a real process against real Kafka and ClickHouse: killed with SIGKILL
 * in the middle of a stream and restarted, and cut off from ClickHouse mid-stream; in both cases
 * no event may be lost or doubled in the tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { createTopics, deleteTopics, exited, groupCaughtUp, freshDatabase, services, startIngestProcess, TcpProxy, testKafka, uniqueName, waitFor } from '../../test/helpers.js';
import { sampleProject } from '../demo/sample.js';
import { encodeEvent } from '../model/codec.js';
import { addEventRows, emptyRows, TABLES } from './rows.js';
import type { ProvEvent } from '../model/types.js';

type Db = Awaited<ReturnType<typeof freshDatabase>>;

function workload(prefix: string, projects: number): { events: ProvEvent[]; keys: string[] } {
  const events: ProvEvent[] = [];
  const keys: string[] = [];
  for (let i = 0; i < projects; i++) {
    const s = sampleProject(`${prefix}-${i}`);
    events.push(...s.events);
    keys.push(...s.keys);
  }
  return { events, keys };
}

/** Rows per table that the events must produce, and what the tables hold (FINAL, i.e. logically). */
async function compareTables(db: Db, events: ProvEvent[]): Promise<void> {
  const expected = emptyRows();
  for (const ev of events) addEventRows(ev, expected);
  for (const t of TABLES) {
    const [row] = await db.query<{ n: number; u: number }>(`SELECT count() AS n, uniqExact(event_id) AS u FROM ${t} FINAL`);
    expect({ table: t, rows: row!.n, events: row!.u }).toEqual({ table: t, rows: expected[t].length, events: new Set(expected[t].map((r) => r['event_id'])).size });
  }
}

async function produce(topic: string, events: ProvEvent[], keys: string[], chunk: number, pauseMs: number, onChunk?: (sent: number) => Promise<void>): Promise<void> {
  const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += chunk) {
      await producer.send({ topic, acks: -1, messages: events.slice(i, i + chunk).map((e, j) => ({ key: keys[i + j]!, value: encodeEvent(e) })) });
      await onChunk?.(Math.min(i + chunk, events.length));
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** A 4-partition topic, its dead-letter topic, a consumer group and a fresh database for one describe block. */
function ingestFixture(name: string) {
  const topic = uniqueName(`ingest.${name}`);
  const f = { db: undefined as unknown as Db, topic, dlq: topic + '.dlq', group: uniqueName(`ingest-${name}`) };
  beforeAll(async () => {
    f.db = await freshDatabase(`ingest_${name}`);
    await createTopics([{ topic: f.topic, numPartitions: 4 }, { topic: f.dlq, numPartitions: 1 }]);
  });
  afterAll(async () => {
    await f.db?.drop();
    await deleteTopics([f.topic, f.dlq]);
  });
  /** The ingest process's environment for this fixture. */
  const env = (extra: Record<string, string> = {}) => ({
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    CLICKHOUSE_URL: services().clickhouseUrl,
    CLICKHOUSE_DATABASE: f.db.database,
    PROVSTREAM_TOPIC: f.topic,
    PROVSTREAM_DLQ_TOPIC: f.dlq,
    INGEST_GROUP_ID: f.group,
    ...extra,
  });
  return Object.assign(f, { env });
}

describe('ingest consumer process', () => {
  const fx = ingestFixture('kill');
  const { topic } = fx;
  const env = () =>
    fx.env({
      INGEST_SESSION_TIMEOUT_MS: '6000',
      // Small fetches, so the stream is spread over many batches and the kill lands mid-batch.
      INGEST_MAX_BYTES_PER_PARTITION: '16384',
    });

  it('SIGKILL mid-stream and restart: nothing lost, nothing doubled', async () => {
    const { events, keys } = workload('kill', 120); // 12,720 events
    let first = startIngestProcess(env());
    let killedAt = -1;
    await produce(topic, events, keys, 500, 20, async (sent) => {
      if (killedAt < 0 && sent >= events.length / 3) {
        // Wait until the consumer has written something, then kill it without warning.
        await waitFor('first rows', async () => Number((await fx.db.query<{ n: number }>('SELECT count() AS n FROM events_raw'))[0]!.n) > 0, 60_000);
        first.kill('SIGKILL');
        await exited(first);
        killedAt = Number((await fx.db.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events_raw'))[0]!.n);
      }
    });
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(events.length);
    first = startIngestProcess(env());
    try {
      await waitFor(
        'all events in ClickHouse',
        async () => Number((await fx.db.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events_raw'))[0]!.n) === events.length,
        120_000,
      );
      await compareTables(fx.db, events);
    } finally {
      first.kill('SIGTERM');
      expect(await exited(first)).toBe(0);
    }
  });

  it('a replay of the whole topic (new consumer group) changes nothing', async () => {
    const counts = () => Promise.all(TABLES.map((t) => fx.db.query(`SELECT count() AS n FROM ${t} FINAL`)));
    const before = await counts();
    const replayGroup = uniqueName('replay');
    const replay = startIngestProcess({ ...env(), INGEST_GROUP_ID: replayGroup });
    try {
      await waitFor('the replay to commit the whole topic', () => groupCaughtUp(replayGroup, topic), 120_000, 500);
    } finally {
      replay.kill('SIGTERM');
      expect(await exited(replay)).toBe(0);
    }
    expect(await counts()).toEqual(before);
  });
});

describe('clean stop (SIGTERM) with batches in the pipeline', () => {
  const fx = ingestFixture('stop');

  it('exits 0 having committed exactly the batches it wrote: nothing lost, nothing left to re-deliver', async () => {
    const { events, keys } = workload('stop', 300); // ~30k events: far more than a consumer writes between the first rows and SIGTERM, even on a slow machine
    await produce(fx.topic, events, keys, 2_000, 0);
    // Where each event landed: the producer's own partitioner, one message per event, in order.
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const byPartition: string[][] = [[], [], [], []];
    events.forEach((e, i) => byPartition[partitioner({ topic: fx.topic, partitionMetadata, message: { key: keys[i]!, value: null } })]!.push(e.eventId));

    // Small fetches, no lingering: inserts are in flight when SIGTERM lands (a stop that left the
    // group before they were acknowledged would leave them written but uncommitted).
    const child = startIngestProcess(fx.env({ INGEST_MAX_BYTES_PER_PARTITION: '8192', INGEST_LINGER_MS: '0' }));
    await waitFor('first rows', async () => Number((await fx.db.query<{ n: number }>('SELECT count() AS n FROM events_raw'))[0]!.n) > 0, 60_000, 20);
    child.kill('SIGTERM');
    expect(await exited(child), child.output()).toBe(0);
    // A clean stop finishes its batches: none abandoned, no commit refused for leaving the group first.
    expect(child.output()).not.toMatch(/abandoned uncommitted|offset commit failed/);

    const admin = testKafka().admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: fx.group, topics: [fx.topic] }).finally(() => admin.disconnect());
    const committed = new Set<string>();
    for (const p of offsets!.partitions) {
      const upTo = p.offset === '-1' ? 0 : Number(p.offset);
      for (const id of byPartition[p.partition]!.slice(0, upTo)) committed.add(id);
    }
    const written = new Set((await fx.db.query<{ id: string }>('SELECT DISTINCT event_id AS id FROM events_raw')).map((r) => r.id));
    expect(written.size).toBeLessThan(new Set(events.map((e) => e.eventId)).size); // the stop landed mid-stream
    expect([...written].filter((id) => !committed.has(id))).toEqual([]); // written but uncommitted: would be re-delivered
    expect([...committed].filter((id) => !written.has(id))).toEqual([]); // committed but not written: lost
  });
});

describe('ClickHouse rejecting rows (a table that no longer fits)', () => {
  const fx = ingestFixture('reject');

  it('narrows the batch down: the rejected events are dead-lettered with their id and project, every other event is written', async () => {
    // Schema drift: metrics replaced by a table without ingest's columns, so every insert of
    // metric rows fails with a SQL error (not retriable), whatever else the batch holds.
    await fx.db.command('DROP TABLE metrics');
    await fx.db.command('CREATE TABLE metrics (project String) ENGINE = Memory');
    const { events, keys } = workload('reject', 2);
    const metricIds = events.filter((e) => e.payload.type === 'metric').map((e) => e.eventId);
    expect(metricIds.length).toBeGreaterThan(0);
    await produce(fx.topic, events, keys, 500, 0);
    const child = startIngestProcess(fx.env());
    try {
      await waitFor('the group to commit the whole topic', () => groupCaughtUp(fx.group, fx.topic), 60_000, 200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited(child), child.output()).toBe(0);
    }
    const letters = await fx.db.query<{ id: string; project: string; reason: string }>("SELECT event_id AS id, project, reason FROM dead_letters FINAL WHERE reason_code = 'rejected-by-store'");
    expect(letters.map((l) => l.id).sort()).toEqual([...metricIds].sort());
    expect(new Set(letters.map((l) => l.project))).toEqual(new Set(events.filter((e) => e.payload.type === 'metric').map((e) => e.project)));
    expect(letters[0]!.reason).toMatch(/^ClickHouse rejected the event's rows: .*event_id/);
    const raw = await fx.db.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events_raw');
    expect(Number(raw[0]!.n)).toBe(new Set(events.map((e) => e.eventId)).size - metricIds.length);
  });
});

describe('ClickHouse going away mid-stream', () => {
  let db: Db;
  let proxy: TcpProxy;
  const topic = uniqueName('ingest.chdown');

  beforeAll(async () => {
    db = await freshDatabase('ingest_chdown');
    await createTopics([{ topic, numPartitions: 2 }, { topic: topic + '.dlq', numPartitions: 1 }]);
    proxy = await TcpProxy.start(TcpProxy.targetOf(services().clickhouseUrl, 8123));
  });
  afterAll(async () => {
    await db?.drop();
    await deleteTopics([topic, topic + '.dlq']);
  });

  it('retries with backoff while ClickHouse is unreachable, then writes everything exactly once', async () => {
    const { events, keys } = workload('chdown', 30);
    const child = startIngestProcess({
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`,
      CLICKHOUSE_DATABASE: db.database,
      PROVSTREAM_TOPIC: topic,
      PROVSTREAM_DLQ_TOPIC: topic + '.dlq',
      INGEST_GROUP_ID: uniqueName('chdown'),
    });
    try {
      const half = events.length / 2;
      await produce(topic, events.slice(0, half), keys.slice(0, half), 1000, 0);
      await waitFor('first half', async () => Number((await db.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events_raw'))[0]!.n) === half, 60_000);
      await proxy.cut();
      await produce(topic, events.slice(half), keys.slice(half), 1000, 0);
      await waitFor('a retry to be logged', async () => /write failed, retrying/.test(child.output()), 60_000);
      await proxy.restore();
      await waitFor('all events', async () => Number((await db.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events_raw'))[0]!.n) === events.length, 90_000);
      await compareTables(db, events);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
      await proxy.cut().catch(() => undefined);
    }
  });
});
