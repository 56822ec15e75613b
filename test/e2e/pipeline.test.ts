/**
 * The whole flow on real services: SDK -> Kafka -> ingest process -> ClickHouse, with
 * duplicates and malformed events mixed in (issue "Foundation", must-show 1), and the CLI's
 * emit and sql commands.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { ROOT, createTopics, deleteTopics, exited, freshDatabase, services, startIngestProcess, testKafka, uniqueName, waitFor } from '../helpers.js';
import { Emitter } from '../../services/emitter/sdk.js';
import { encodeEvent } from '../../services/model/codec.js';
import { sampleProject, seededUuid } from '../../services/demo/sample.js';
import { addEventRows, emptyRows, TABLES } from '../../services/ingest/rows.js';
import { DLQ_HEADERS } from '../../services/ingest/sinks.js';
import { agentId } from '../../services/model/ids.js';
import type { ProvEvent } from '../../services/model/types.js';

const run = promisify(execFile);
type Db = Awaited<ReturnType<typeof freshDatabase>>;

/** 25 each of: not Avro, invalid content, unresolvable reference, oversized. */
function malformed(): Buffer[] {
  const out: Buffer[] = [];
  const base = sampleProject('e2e-bad').events;
  for (let i = 0; i < 25; i++) out.push(i % 2 ? Buffer.from(JSON.stringify(base[i])) : Buffer.from([0, 0, 0, 0, 1, 0xff, 0xff, i]));
  for (let i = 0; i < 25; i++) {
    const ev = structuredClone(base.find((e) => e.payload.type === 'entity')!);
    ev.eventId = seededUuid(`invalid-${i}`);
    (ev.payload as { id: string }).id = 'ent:' + i.toString(16).padStart(32, '0'); // not derived from artifact+hash
    out.push(encodeEvent(ev));
  }
  for (let i = 0; i < 25; i++) {
    const ev = structuredClone(base.find((e) => e.payload.type === 'relation' && e.payload.relation === 'used')!);
    ev.eventId = seededUuid(`unresolvable-${i}`);
    (ev.payload as { to: string }).to = agentId(`someone-${i}`); // `used` must point at an entity
    out.push(encodeEvent(ev));
  }
  for (let i = 0; i < 25; i++) {
    const ev = structuredClone(base.find((e) => e.payload.type === 'property')!);
    ev.eventId = seededUuid(`oversized-${i}`);
    (ev.payload as { value: { kind: string; value: unknown } }).value = { kind: 'string', value: 'x'.repeat(1_100_000) };
    out.push(encodeEvent(ev));
  }
  return out;
}

function sortRows(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();
}

describe('pipeline end to end', () => {
  let db: Db;
  const topic = uniqueName('e2e.events');
  const dlq = topic + '.dlq';
  let ingest: ReturnType<typeof startIngestProcess>;

  beforeAll(async () => {
    db = await freshDatabase('e2e');
    await createTopics([{ topic, numPartitions: 4 }, { topic: dlq, numPartitions: 1 }]);
    ingest = startIngestProcess({
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      CLICKHOUSE_URL: services().clickhouseUrl,
      CLICKHOUSE_DATABASE: db.database,
      PROVSTREAM_TOPIC: topic,
      PROVSTREAM_DLQ_TOPIC: dlq,
      INGEST_GROUP_ID: uniqueName('e2e'),
    });
  });
  afterAll(async () => {
    ingest?.kill('SIGTERM');
    if (ingest) expect(await exited(ingest)).toBe(0);
    await db?.drop();
    await deleteTopics([topic, dlq]);
  });

  it('10,000 events with duplicates and 100 malformed: exactly the expected rows, exactly 100 dead letters', async () => {
    const unique: ProvEvent[] = [];
    const keys: string[] = [];
    for (let p = 0; p < 80; p++) {
      const s = sampleProject(`e2e-${p}`);
      unique.push(...s.events);
      keys.push(...s.keys);
    }
    const bad = malformed();
    const duplicates = 10_000 - unique.length - bad.length;
    expect(duplicates).toBeGreaterThan(1000);

    const errors: Error[] = [];
    const em = new Emitter({ brokers: services().kafkaBrokers, project: 'e2e', topic, onError: (e) => errors.push(e) });
    unique.forEach((ev, i) => expect(em.send(ev, keys[i]).ok).toBe(true));
    for (let i = 0; i < duplicates; i++) {
      const j = (i * 7919) % unique.length;
      expect(em.send(unique[j]!, keys[j]).ok).toBe(true);
    }
    const stats = await em.close(60_000);
    expect(stats).toMatchObject({ accepted: unique.length + duplicates, delivered: unique.length + duplicates, rejected: 0, dropped: 0 });
    expect(errors).toEqual([]);

    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // One request per message: a request (record batch) may not exceed the broker's message.max.bytes.
    for (const [i, value] of bad.entries()) await producer.send({ topic, acks: -1, messages: [{ key: `bad-${i}`, value }] });
    await producer.disconnect();

    await waitFor('every valid event in ClickHouse', async () => Number((await db.query<{ n: number }>('SELECT uniqExact(event_id) AS n FROM events_raw'))[0]!.n) === unique.length, 120_000);
    await waitFor('100 dead letters in ClickHouse', async () => Number((await db.query<{ n: number }>('SELECT count() AS n FROM dead_letters FINAL'))[0]!.n) >= 100, 60_000);

    const expected = emptyRows();
    for (const ev of unique) addEventRows(ev, expected);
    for (const t of TABLES) {
      const actual = await db.query<Record<string, unknown>>(`SELECT * FROM ${t} FINAL`);
      expect(actual.length, t).toBe(expected[t].length);
      expect(sortRows(actual), t).toEqual(sortRows(expected[t]));
    }
    expect(await db.query('SELECT reason_code, count() AS n FROM dead_letters FINAL GROUP BY reason_code ORDER BY reason_code')).toEqual([
      { reason_code: 'bad-avro', n: 25 },
      { reason_code: 'invalid', n: 25 },
      { reason_code: 'oversized', n: 25 },
      { reason_code: 'unresolvable-reference', n: 25 },
    ]);

    // The dead-letter topic: exactly 100 records, original bytes, reasons in headers.
    const consumer = testKafka().consumer({ groupId: uniqueName('dlq-reader') });
    const seen: Array<{ reason: string; code: string; size: number }> = [];
    await consumer.connect();
    await consumer.subscribe({ topic: dlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ code: String(message.headers?.[DLQ_HEADERS.reasonCode]), reason: String(message.headers?.[DLQ_HEADERS.reason]), size: message.value?.length ?? 0 });
      },
    });
    await waitFor('100 dead-letter records on the topic', async () => seen.length >= 100, 60_000);
    await new Promise((r) => setTimeout(r, 2000)); // anything beyond 100 would arrive now
    await consumer.disconnect();
    expect(seen).toHaveLength(100);
    expect(seen.filter((s) => s.code === 'oversized').every((s) => s.size > 1_000_000 && /exceeds the limit/.test(s.reason))).toBe(true);
    expect(seen.find((s) => s.code === 'unresolvable-reference')!.reason).toMatch(/used needs an entity id/);
    expect(seen.find((s) => s.code === 'invalid')!.reason).toMatch(/\/payload\/id: does not match artifact and contentHash/);
  });

  it('provstream emit reports accepted and rejected lines; provstream sql reads them back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emit-'));
    const file = join(dir, 'events.jsonl');
    const events = sampleProject('e2e-cli').events.slice(0, 40);
    const lines = events.map((e) => JSON.stringify(e));
    lines.splice(5, 0, '{not json');
    lines.splice(10, 0, JSON.stringify({ ...events[0], eventId: 'nope' }));
    writeFileSync(file, lines.join('\n') + '\n');
    const env = { ...process.env, KAFKA_BROKERS: services().kafkaBrokers.join(','), CLICKHOUSE_URL: services().clickhouseUrl, CLICKHOUSE_DATABASE: db.database, PROVSTREAM_TOPIC: topic, PROVSTREAM_SPILL_DIR: join(dir, 'spill') };
    const cli = join(ROOT, 'bin', 'provstream.js');
    const emitted = await run(process.execPath, [cli, 'emit', file, '--json'], { env }).catch((e: { code: number; stdout: string }) => e);
    expect((emitted as { code?: number }).code).toBe(1); // some lines were rejected
    const report = JSON.parse((emitted as { stdout: string }).stdout);
    expect(report).toMatchObject({ lines: 42, accepted: 40, rejected: 2, delivered: 40, undelivered: 0 });
    expect(report.rejections.map((r: { line: number }) => r.line)).toEqual([6, 11]);
    expect(report.rejections[1].problems[0]).toEqual({ path: '/eventId', message: '"nope" is not a UUID' });

    await waitFor('the CLI events', async () => Number((await db.query<{ n: number }>("SELECT uniqExact(event_id) AS n FROM events_raw WHERE project = 'e2e-cli'"))[0]!.n) === 40, 60_000);
    const { stdout } = await run(process.execPath, [cli, 'sql', "SELECT kind, uniqExact(id) AS n FROM vertices WHERE project = 'e2e-cli' GROUP BY kind ORDER BY kind", '--json'], { env });
    const distinct = (type: string) => new Set(events.filter((e) => e.payload.type === type).map((e) => (e.payload as { id: string }).id)).size;
    expect(JSON.parse(stdout)).toEqual([
      { kind: 'entity', n: distinct('entity') },
      { kind: 'activity', n: distinct('activity') },
      { kind: 'agent', n: distinct('agent') },
    ]);
    const denied = await run(process.execPath, [cli, 'sql', 'DROP TABLE vertices'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((denied as { code: number }).code).toBe(1);
    expect((denied as { stderr: string }).stderr).toMatch(/only read queries are allowed/);
    const sneaky = await run(process.execPath, [cli, 'sql', 'SELECT 1; DROP TABLE vertices'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((sneaky as { stderr: string }).stderr).toMatch(/one statement at a time/);
  });
});
