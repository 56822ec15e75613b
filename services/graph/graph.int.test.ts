/**
 * The graph service against real Kafka, ClickHouse and Redis (unique topic, database, groups and
 * key prefix): the §5.1 example goes SDK → Kafka → the real ingest process → ClickHouse; the
 * service bootstraps from those rows, then follows the stream; HTTP answers carry the SPEC
 * numbers, results land in the 004 tables, repeats come from Redis, a restart rebuilds the same
 * graph, and the CLI talks to the service.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ChildProcess } from 'node:child_process';
import { Emitter } from '../emitter/sdk.js';
import { entityId } from '../model/ids.js';
import { encodeEvent } from '../model/codec.js';
import { graphQuery, segmentResultRows, summaryEdgeRows, summaryMemberRows, summaryVertexRows } from '../query/catalogue.js';
import { ROOT, createTopics, exited, freshDatabase, groupCaughtUp, services, silentLogger, startIngestProcess, testKafka, uniqueName, waitFor } from '../../test/helpers.js';
import { cleanUpGraphTest, graphTestEnv } from '../../test/graph.js';
import { loadGraphConfig } from './config.js';
import { workedExampleEvents } from './example-events.js';
import { startGraph, type RunningGraph } from './main.js';

const project = 'ex';
const example = workedExampleEvents(project);
const { ids } = example;

describe('graph service on real Kafka, ClickHouse and Redis', () => {
  const topic = uniqueName('graph_events');
  const ingestGroup = uniqueName('graph_ingest');
  const instance = uniqueName('graph');
  const prefix = `${uniqueName('graphtest')}:`;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ingest: ChildProcess & { output: () => string };
  let graph: RunningGraph | undefined;
  let em: Emitter;

  const env = () => graphTestEnv(db, topic, ingestGroup);
  const start = async (): Promise<RunningGraph> => {
    // Tiny pages: the bootstrap must page through every table (keyset cursor, enum keys included).
    const cfg = loadGraphConfig({ ...env(), GRAPH_INSTANCE_ID: instance, GRAPH_HTTP_PORT: '0', GRAPH_CACHE_PREFIX: prefix, GRAPH_BOOTSTRAP_PAGE_ROWS: '7', GRAPH_SESSION_TIMEOUT_MS: '6000',
      // Renumber the live graph after almost every streamed batch, so every answer below also
      // checks that a relayout between batches changes nothing a client sees.
      GRAPH_RELAYOUT_GROWTH_PERCENT: '1', GRAPH_RELAYOUT_MIN_VERTICES: '1' });
    const g = await startGraph(cfg, process.env['GRAPH_TEST_LOG'] ? pino({ level: 'debug' }, pino.destination(process.env['GRAPH_TEST_LOG'])) : silentLogger);
    await g.ready;
    return g;
  };
  const http = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${graph!.url}/api/v1/projects/${project}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : null });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const ingested = () => waitFor('ingest caught up', () => groupCaughtUp(ingestGroup, topic), 60_000, 250);
  const summarizeBody = {
    segments: [{ sources: [ids['d1']], destinations: [ids['m1']] }, { sources: ['data/raw.csv@2'], destinations: ['models/model.bin@2'] }],
    labelKeys: { activity: ['command'], entity: ['artifact'] },
    k: 'inf',
  };

  beforeAll(async () => {
    db = await freshDatabase('graph');
    await createTopics([{ topic, numPartitions: 4 }]);
    ingest = startIngestProcess(env());
    em = new Emitter({ brokers: services().kafkaBrokers, project, topic, lingerMs: 5 });
    example.events.forEach((ev, i) => expect(em.send(ev, example.keys[i]).ok).toBe(true));
    expect(await em.flush(30_000)).toBe(true);
    await ingested();
    graph = await start();
  });

  afterAll(async () => {
    await em?.close(10_000);
    await graph?.stop();
    ingest?.kill('SIGTERM');
    if (ingest) await exited(ingest);
    await cleanUpGraphTest(prefix, topic, db);
  });

  it('bootstraps the graph from the ClickHouse rows the ingest process wrote', async () => {
    const res = await fetch(`${graph!.url}/healthz`);
    const health = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(200);
    expect(health['status'], JSON.stringify(health['freshness'])).toBe('live');
    expect(health['projects']).toEqual([{ project, graph: expect.objectContaining({ vertices: 18, edges: 27 }) }]);
    // 18 vertex + 27 edge rows, read 7 at a time.
    expect(health['freshness'].bootstrap.rows).toBe(45);
    // The stream started at the ingest group's offsets, i.e. after every event: nothing came from it.
    expect(graph!.streamStats().events).toBe(0);
    expect(health['freshness'].partitions).toHaveLength(4);
  });

  it('segment({d1},{m1}) through HTTP: the SPEC core and similar part, stored, then served from Redis', async () => {
    const body = { sources: [ids['d1']], destinations: [ids['m1']] };
    const first = await http('POST', '/segment', body);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const byRole = (role: string) => first.body['result'].vertices.filter((v: any) => v.role === role).map((v: any) => v.id).sort();
    expect(byRole('core')).toEqual([ids['a1'], ids['a2'], ids['f1']].sort());
    expect(byRole('similar')).toEqual([ids['a5'], ids['m3']].sort());
    expect([byRole('source'), byRole('destination')]).toEqual([[ids['d1']], [ids['m1']]]);
    expect(first.body).toMatchObject({ cached: false, stored: true });
    const rows = await db.query<{ role: string; vertex_id: string; from_destination: number | null }>(segmentResultRows(project, first.body['queryId']));
    expect(rows.map((r) => `${r.role} ${r.vertex_id} ${r.from_destination}`).sort()).toEqual(
      [`source ${ids['d1']} 4`, `destination ${ids['m1']} 0`, `core ${ids['a2']} 1`, `core ${ids['f1']} 2`, `core ${ids['a1']} 3`, `similar ${ids['a5']} null`, `similar ${ids['m3']} null`].sort(),
    );
    const second = await http('POST', '/segment', body);
    expect(second.body).toMatchObject({ cached: true, queryId: first.body['queryId'], result: first.body['result'] });
  });

  it('summarize of the two cores: 5 vertices × 2 members, 4 edges of frequency 2, compaction 0.5 — in ClickHouse too', async () => {
    const r = await http('POST', '/summarize', summarizeBody);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const s = r.body['result'];
    expect([s.input, s.summary, s.compaction, s.stable, s.pathCheck.ok]).toEqual([{ vertices: 10, edges: 8 }, { vertices: 5, edges: 4 }, 0.5, true, true]);
    const queryId = r.body['queryId'];
    const vertices = await db.query<{ label: string; members: number; segments: number }>(summaryVertexRows(project, queryId));
    expect(vertices.map((v) => `${v.label}×${v.members}/${v.segments}`).sort()).toEqual(
      ['activity(command=clean)', 'activity(command=train)', 'entity(artifact=data/features.parquet)', 'entity(artifact=data/raw.csv)', 'entity(artifact=models/model.bin)'].map((l) => `${l}×2/2`),
    );
    // The aggregates of SPEC §6 in SQL: both train runs COMPLETED; edge times min <= mean <= max.
    const train = (await db.query<{ label: string; value_keys: string[]; top_values: string[]; top_counts: number[] }>(summaryVertexRows(project, queryId))).find((v) => v.label === 'activity(command=train)')!;
    const status = train.value_keys.indexOf('status');
    expect([train.top_values[status], Number(train.top_counts[status])]).toEqual(['COMPLETED', 2]);
    type EdgeRow = { type: string; src_block: number; dst_block: number; frequency: number; time_min: string; time_max: string; time_mean: number };
    const edges = await db.query<EdgeRow>(summaryEdgeRows(project, queryId));
    expect(edges.map((e) => e.frequency)).toEqual([2, 2, 2, 2]);
    const answered = (e: EdgeRow) => (s.edges as Array<{ type: string; from: number; to: number; time: unknown }>).find((x) => x.type === e.type && x.from === e.src_block && x.to === e.dst_block)?.time;
    expect(edges.map(answered)).toEqual(edges.map((e) => ({ count: 2, min: Number(e.time_min), max: Number(e.time_max), mean: e.time_mean })));
    expect(edges.every((e) => Number(e.time_min) > 0 && Number(e.time_min) <= e.time_mean && e.time_mean <= Number(e.time_max))).toBe(true);
    const [q] = await db.query<{ operation: string; compaction: number; stable: number; input_vertices: number }>(graphQuery(project, queryId));
    expect(q).toMatchObject({ operation: 'summarize', compaction: 0.5, stable: 1, input_vertices: 10 });
    expect((await http('POST', '/summarize', summarizeBody)).body['cached']).toBe(true);
  });

  it('summarize with an explicit vertex list first: segments stored under their request index, every member mapped to its block', async () => {
    const explicit = [ids['m2'], ids['a4'], ids['f2']];
    const r = await http('POST', '/summarize', { ...summarizeBody, segments: [{ vertices: explicit }, summarizeBody.segments[0]] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const s = r.body['result'];
    // The explicit list's edges count as well: m2 wasGeneratedBy a4, a4 used f2.
    expect(s.segments).toEqual([{ index: 0, vertices: 3, edges: 2 }, { index: 1, vertices: 5, edges: 4 }]);
    const queryId = r.body['queryId'];
    const segmentRows = await db.query<{ segment: number; vertex_id: string }>(segmentResultRows(project, queryId));
    expect(new Set(segmentRows.map((x) => Number(x.segment)))).toEqual(new Set([1])); // the computed segment, at its index
    const members = await db.query<{ segment: number; vertex_id: string; block: number }>(summaryMemberRows(project, queryId));
    expect(members.map((m) => `${m.segment}:${m.vertex_id}`)).toEqual([...explicit.map((id) => `0:${id}`).sort(), ...[ids['d1'], ids['a1'], ids['f1'], ids['a2'], ids['m1']].map((id) => `1:${id}`).sort()]);
    const labelOf = (segment: number, id: string | undefined) => s.vertices[Number(members.find((m) => Number(m.segment) === segment && m.vertex_id === id)!.block)].label;
    expect([labelOf(0, ids['m2']), labelOf(0, ids['a4']), labelOf(1, ids['m1'])]).toEqual(['entity(artifact=models/model.bin)', 'activity(command=train)', 'entity(artifact=models/model.bin)']);
  });

  const run = 'act:graph-int-eval-1';
  const report = entityId('reports/eval.html', 'sha256:' + 'cd'.repeat(32));
  /** Metrics (highest step) and user properties as diff shows them. */
  const propertiesAndMetrics = async () => {
    const runs = (await http('GET', `/diff?a=${ids['a2']}&b=${run}`)).body['result'];
    const entities = (await http('GET', `/diff?a=${ids['m1']}&b=${report}`)).body['result'];
    return { metrics: runs.sections.metrics.added, properties: { removed: entities.sections.properties.removed, added: entities.sections.properties.added } };
  };
  let factsFromStream: unknown;

  it('new events from the SDK show up in lineage once applied (waitFor eventId)', async () => {
    const now = Date.now();
    const sent = [];
    sent.push(em.record({ type: 'activity', id: run, name: 'evaluate', command: 'python eval.py', status: 'COMPLETED', startTime: now, endTime: now + 5, exitCode: 0, workdir: null, params: {}, env: {} }, run));
    sent.push(em.record({ type: 'relation', relation: 'used', from: run, to: ids['m1']!, role: null }, run));
    sent.push(em.record({ type: 'entity', id: report, artifact: 'reports/eval.html', version: 1, contentHash: 'sha256:' + 'cd'.repeat(32), entityType: 'file', sizeBytes: null }, run));
    // Metrics and properties too (same key, so the same partition: applied before `last`).
    sent.push(em.record({ type: 'metric', subject: run, key: 'auc', step: 1, value: 0.91, time: now + 2 }, run, now + 2));
    sent.push(em.record({ type: 'metric', subject: run, key: 'auc', step: 0, value: 0.5, time: now + 1 }, run, now + 1));
    sent.push(em.record({ type: 'property', subject: ids['m1']!, key: 'stage', value: { kind: 'string', value: 'production' } }, run));
    sent.push(em.record({ type: 'property', subject: report, key: 'reviewed', value: { kind: 'bool', value: true } }, run));
    const last = em.record({ type: 'relation', relation: 'wasGeneratedBy', from: report, to: run, role: null }, run);
    expect([...sent, last].map((r) => (r.ok ? 'ok' : JSON.stringify(r.problems)))).toEqual(Array(8).fill('ok'));
    if (!last.ok) return;
    const r = await http('GET', `/lineage/${ids['m1']}?direction=downstream&waitFor=${last.eventId}&waitMs=30000`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const found = r.body['result'].vertices.map((v: any) => `${v.id} ${v.label} ${v.distance}`);
    expect(found).toContain(`${run} evaluate (COMPLETED) 1`);
    expect(found).toContain(`${report} reports/eval.html v1 2`);
    expect(graph!.streamStats().events).toBe(8);
    expect(r.body['freshness'].streamEvents).toBe(8);
    const facts = await propertiesAndMetrics();
    expect(facts).toEqual({ metrics: [{ key: 'auc', value: 0.91 }], properties: { removed: [{ key: 'stage', value: 'production' }], added: [{ key: 'reviewed', value: true }] } });
    factsFromStream = facts;
    // The graph changed: the same segment request is computed again, at the new version.
    expect((await http('POST', '/segment', { sources: [ids['d1']], destinations: [ids['m1']] })).body['cached']).toBe(false);
  });

  it('waitFor an event ingest dead-lettered is a 422 that quotes the reason, an id nobody sent a 404: neither waits the 30 s out', async () => {
    // A well-formed message whose entity id does not match its artifact and hash: ingest
    // dead-letters it (with its event id), the graph skips it.
    const entity = example.events.find((e) => e.payload.type === 'entity')!;
    const bad = { ...entity, eventId: randomUUID(), payload: { ...entity.payload, id: entityId('data/elsewhere.csv', 'sha256:' + 'ef'.repeat(32)) } };
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: `${project}|bad`, value: encodeEvent(bad) }] }).finally(() => producer.disconnect());
    const started = Date.now();
    const rejected = await http('GET', `/lineage/${ids['m1']}?waitFor=${bad.eventId}&waitMs=30000`);
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(422);
    expect(rejected.body['error']).toMatchObject({ code: 'rejected', eventId: bad.eventId, reasonCode: 'invalid' });
    expect(rejected.body['error'].message).toMatch(/will never be applied: ingest dead-lettered it .*does not match artifact and contentHash/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const unknown = randomUUID();
    const never = await http('GET', `/lineage/${ids['m1']}?waitFor=${unknown}&waitMs=2000`);
    expect(never.status, JSON.stringify(never.body)).toBe(404);
    expect(never.body['error']).toMatchObject({ code: 'not-found', eventId: unknown });
    expect(never.body['error'].message).toMatch(/no event with id .* has reached provstream for project "ex"/);
  });

  it('the CLI prints readable answers from the service', async () => {
    // Asynchronous: the service runs in this process and must keep answering while the CLI waits.
    const cli = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(ROOT, 'bin', 'provstream.js'), ...args], { env: { ...process.env, GRAPH_URL: graph!.url, PROVSTREAM_PROJECT: project } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const why = await cli('why', 'models/model.bin@1');
    expect(why.status, why.stderr).toBe(0);
    expect(why.stdout).toMatch(/^How models\/model.bin v1 was produced:\nmodels\/model.bin v1 .*\n└─ wasGeneratedBy train \(COMPLETED\) · alice/);
    expect(why.stdout).toMatch(/sources: .*data\/raw.csv v1/);
    const seg = await cli('segment', '--from', 'data/raw.csv@1', '--to', 'models/model.bin@1', '--json');
    expect(seg.status, seg.stderr).toBe(0);
    expect(JSON.parse(seg.stdout).result.vertices).toHaveLength(7);
    const missing = await cli('why', 'data/nope.csv');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/unknown vertex "data\/nope.csv" in project "ex".*\(HTTP 404 not-found\)/);
  });

  it('a restart rebuilds the same graph from ClickHouse', async () => {
    expect(await em.flush(30_000)).toBe(true);
    await ingested();
    const before = await http('GET', `/lineage/${ids['d1']}?direction=both`);
    const seg = await http('POST', '/segment', { sources: [ids['d1']], destinations: [ids['m1']] });
    await graph!.stop();
    graph = await start();
    const after = await http('GET', `/lineage/${ids['d1']}?direction=both`);
    expect(after.body['graph'].epoch).not.toBe(before.body['graph'].epoch);
    expect([after.body['graph'].vertices, after.body['graph'].edges]).toEqual([20, 29]);
    const sortById = (xs: any[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(sortById(after.body['result'].vertices)).toEqual(sortById(before.body['result'].vertices));
    const sortEdges = (xs: any[]) => xs.map((e) => `${e.from} ${e.type} ${e.to} ${e.time}`).sort();
    expect(sortEdges(after.body['result'].edges)).toEqual(sortEdges(before.body['result'].edges));
    const seg2 = await http('POST', '/segment', { sources: [ids['d1']], destinations: [ids['m1']] });
    expect(seg2.body['cached']).toBe(false); // a new epoch never reuses the old instance's cache
    expect(seg2.body['result']).toEqual(seg.body['result']);
    // Properties and metrics bootstrapped from ClickHouse equal those the stream applied.
    expect(await propertiesAndMetrics()).toEqual(factsFromStream);
    const diff = await http('GET', `/diff?a=${ids['a2']}&b=${ids['a4']}`);
    expect(diff.body['result'].sections.inputs.changed.map((c: any) => c.key)).toEqual(['data/features.parquet']);
  });
});
