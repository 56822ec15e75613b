/**
 * Two graph service instances with disjoint GRAPH_PROJECTS on real Kafka, ClickHouse and Redis
 * (issue 4: projects spread over instances). Both bootstrap from the same tables and consume the
 * same topic (each in its own group); each holds and answers only its projects, and answers the
 * other's with a 404 naming itself and what it serves. Single-instance behaviour is
 * graph.int.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { Emitter } from '../emitter/sdk.js';
import { entityId } from '../model/ids.js';
import { createTopics, exited, freshDatabase, groupCaughtUp, services, silentLogger, startIngestProcess, uniqueName, waitFor } from '../../test/helpers.js';
import { cleanUpGraphTest, graphTestEnv } from '../../test/graph.js';
import { loadGraphConfig } from './config.js';
import { workedExampleEvents } from './example-events.js';
import { startGraph, type RunningGraph } from './main.js';

const projects = ['team-a', 'team-b'] as const;
const examples = projects.map((p) => workedExampleEvents(p));

describe('two graph instances with disjoint GRAPH_PROJECTS', () => {
  const topic = uniqueName('graph2_events');
  const ingestGroup = uniqueName('graph2_ingest');
  const instances = projects.map((p) => uniqueName(`graph_${p.replace('-', '_')}`));
  const prefix = `${uniqueName('graph2test')}:`;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ingest: ChildProcess & { output: () => string };
  const graphs: RunningGraph[] = [];
  const emitters: Emitter[] = [];

  const env = () => graphTestEnv(db, topic, ingestGroup);
  const lineage = async (g: RunningGraph, project: string, ref: string, extra = '') => {
    const res = await fetch(`${g.url}/api/v1/projects/${project}/lineage/${encodeURIComponent(ref)}?direction=downstream${extra}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    db = await freshDatabase('graph2');
    await createTopics([{ topic, numPartitions: 2 }]);
    ingest = startIngestProcess(env());
    for (const [i, project] of projects.entries()) {
      const em = new Emitter({ brokers: services().kafkaBrokers, project, topic, lingerMs: 5 });
      emitters.push(em);
      const ex = examples[i]!;
      ex.events.forEach((ev, j) => expect(em.send(ev, ex.keys[j]).ok).toBe(true));
      expect(await em.flush(30_000)).toBe(true);
    }
    await waitFor('ingest caught up', () => groupCaughtUp(ingestGroup, topic), 60_000, 250);
    for (const [i, project] of projects.entries()) {
      const cfg = loadGraphConfig({ ...env(), GRAPH_INSTANCE_ID: instances[i]!, GRAPH_PROJECTS: project, GRAPH_HTTP_PORT: '0', GRAPH_CACHE_PREFIX: prefix, GRAPH_SESSION_TIMEOUT_MS: '6000' });
      const g = await startGraph(cfg, silentLogger);
      graphs.push(g);
      await g.ready;
    }
  });

  afterAll(async () => {
    for (const em of emitters) await em.close(10_000);
    for (const g of graphs) await g.stop();
    ingest?.kill('SIGTERM');
    if (ingest) await exited(ingest);
    await cleanUpGraphTest(prefix, topic, db);
  });

  it('each bootstraps only its own project', async () => {
    for (const [i, g] of graphs.entries()) {
      const health = (await (await fetch(`${g.url}/healthz`)).json()) as Record<string, any>;
      expect(health['instance']).toBe(instances[i]);
      expect(health['projects']).toEqual([{ project: projects[i], graph: expect.objectContaining({ vertices: 18, edges: 27 }) }]);
    }
  });

  it('each answers its project and gives the other\'s a 404 that names itself and what it serves', async () => {
    for (const [i, g] of graphs.entries()) {
      const own = projects[i]!;
      const other = projects[1 - i]!;
      const ok = await lineage(g, own, examples[i]!.ids['d1']!);
      expect(ok.status).toBe(200);
      expect(ok.body['result'].vertexCount).toBe(14);
      const miss = await lineage(g, other, examples[1 - i]!.ids['d1']!);
      expect(miss.status).toBe(404);
      expect(miss.body['error']).toEqual({
        code: 'not-found',
        project: other,
        instance: instances[i],
        servedProjects: own,
        message: `project "${other}" is not served by graph instance "${instances[i]}": it serves only "${own}" (GRAPH_PROJECTS=${own}); send the request to the instance whose GRAPH_PROJECTS lists "${other}", or to one without GRAPH_PROJECTS`,
      });
    }
  });

  it('a streamed event reaches the instance that serves its project only', async () => {
    const [a, b] = graphs as [RunningGraph, RunningGraph];
    const ex = examples[1]!;
    const hash = 'sha256:' + 'ef'.repeat(32);
    const report = entityId('reports/new.html', hash);
    const em = emitters[1]!;
    expect(em.record({ type: 'entity', id: report, artifact: 'reports/new.html', version: 1, contentHash: hash, entityType: 'file', sizeBytes: null }, 'r').ok).toBe(true);
    const last = em.record({ type: 'relation', relation: 'wasDerivedFrom', from: report, to: ex.ids['m3']!, role: null }, 'r');
    expect(last.ok).toBe(true);
    if (!last.ok) return;
    const seen = await lineage(b, 'team-b', ex.ids['d1']!, `&waitFor=${last.eventId}&waitMs=30000`);
    expect(seen.status, JSON.stringify(seen.body)).toBe(200);
    expect(seen.body['result'].vertices.map((v: any) => v.id)).toContain(report);
    // Instance A consumes the same partitions (it counts the events it skipped) and keeps nothing of team-b.
    await waitFor('instance A read the events', async () => a.streamStats().events >= 2, 30_000, 100);
    expect(a.graphs.projects()).toEqual(['team-a']);
    expect(a.graphs.get('team-a')!.graph.vertexCount).toBe(18);
  });
});
