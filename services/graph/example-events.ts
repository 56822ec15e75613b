/**
 * The SPEC §5.1 worked example as real provenance events (valid ids, Avro-encodable), so it can
 * travel SDK → Kafka → ingest → ClickHouse → graph service; tests and the demo use it. The
 * structure and times come from core/worked-example.ts; `ids` maps the example's names (d1, a2,
 * alice, …) to the real vertex ids. Deterministic per project. Pure.
 */
import { activityId, agentId, entityId } from '../model/ids.js';
import type { Payload, ProvEvent } from '../model/types.js';
import { fakeHash, seededUuid } from '../demo/sample.js';
import { EXAMPLE_ACTIVITIES, EXAMPLE_ENTITIES, exampleEvents } from './core/worked-example.js';

export interface ExampleProject {
  events: ProvEvent[];
  /** Kafka key per event: `<project>|<activity id>` for a run's events, else `<project>|<vertex id>`. */
  keys: string[];
  /** Example name (d1, a2, alice, …) → vertex id. */
  ids: Record<string, string>;
}

/** The §5.1 graph as events of `project`, at `start` + the example's relative times (ms). */
export function workedExampleEvents(project: string, start = Date.UTC(2026, 0, 5, 9, 0, 0)): ExampleProject {
  const ids: Record<string, string> = {};
  for (const [name, [artifact]] of Object.entries(EXAMPLE_ENTITIES)) ids[name] = entityId(artifact, fakeHash(`${project}/${name}`));
  for (const a of EXAMPLE_ACTIVITIES) ids[a.id] = activityId(seededUuid(`${project}/${a.id}`));
  for (const name of ['alice', 'bob']) ids[name] = agentId(name);
  const real = (exampleId: string): string => ids[exampleId.slice(exampleId.indexOf(':') + 1)]!;

  const events: ProvEvent[] = [];
  const keys: string[] = [];
  let n = 0;
  const emit = (payload: Payload, time: number, key: string): void => {
    events.push({ eventId: seededUuid(`${project}/event/${n++}`), project, time: start + time, producer: 'provstream-example/0.1', schemaVersion: 1, payload });
    keys.push(`${project}|${key}`);
  };
  const { vertices, edges } = exampleEvents();
  for (const [exampleId, kind, time, props] of vertices) {
    const id = real(exampleId);
    if (kind === 'agent') emit({ type: 'agent', id, name: String(props['name']), agentType: 'person', email: null }, time, id);
    else if (kind === 'entity') {
      const name = exampleId.slice(4);
      emit({ type: 'entity', id, artifact: String(props['artifact']), version: Number(props['version']), contentHash: fakeHash(`${project}/${name}`), entityType: 'file', sizeBytes: null }, time, id);
    } else {
      const command = String(props['command']);
      const t = start + time;
      emit({ type: 'activity', id, name: command, command, status: 'COMPLETED', startTime: t, endTime: t + Number(props['durationMs']), exitCode: 0, workdir: null, params: {}, env: {} }, time, id);
    }
  }
  for (const e of edges) {
    const from = real(e.from);
    const to = real(e.to);
    const run = from.startsWith('act:') ? from : to.startsWith('act:') ? to : from;
    emit({ type: 'relation', relation: e.type, from, to, role: null }, e.time, run);
  }
  return { events, keys, ids };
}
