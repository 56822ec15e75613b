/**
 * OpenLineage events -> keyed provenance events, for the HTTP route, the Kafka-topic consumer
 * and `provstream import openlineage`: validate and map each event (pure), then fold the run
 * observations of the whole batch into the run states (one store update per run), then wrap
 * every fact in its envelope. The only I/O is the RunStateStore.
 */
import { validateEvent, formatProblems } from '../../model/validate.js';
import type { Problem } from '../shape.js';
import { envelope, GATEWAY_PRODUCER } from '../facts.js';
import type { Fact, KeyedEvent } from '../facts.js';
import { mapOpenLineage } from './map.js';
import type { MappedEvent, RunObservation } from './map.js';
import { foldRun } from './run-state.js';
import type { RunStateStore } from './run-state.js';
import { validateOpenLineage } from './validate.js';
import type { OlValidateOptions } from './validate.js';

const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

export interface PreparedEvent {
  mapped: MappedEvent;
  producer: string;
}

export type Prepared = { ok: true; prepared: PreparedEvent } | { ok: false; problems: Problem[] };

/** Validates and maps one event; problems carry paths relative to the event. Pure. */
export function prepareOpenLineage(value: unknown, opts: OlValidateOptions): Prepared {
  const v = validateOpenLineage(value, opts);
  if (!v.ok) return v;
  const mapped = mapOpenLineage(v, v.time);
  const producer = `${GATEWAY_PRODUCER} openlineage ${v.event.producer}`;
  // The mapping only builds valid facts from a valid event; a fact the model still refuses
  // (a limit the OpenLineage schema does not have) is reported against the event, not hidden.
  for (const f of mapped.facts) {
    // A placeholder id: the real one (a hash of the fact) is only needed when publishing.
    const check = validateEvent({ eventId: PLACEHOLDER_ID, project: 'p', time: f.time, producer: GATEWAY_PRODUCER, schemaVersion: 1, payload: f.payload });
    if (!check.ok) return { ok: false, problems: [{ path: '', message: `cannot be stored as provenance: ${formatProblems(check.problems)}` }] };
  }
  return { ok: true, prepared: { mapped, producer } };
}

/**
 * Folds the runs of a batch into the store and returns every event to publish, in batch order
 * (stateless facts of each event, then the activity rows of each run), without duplicates.
 */
export async function resolveOpenLineage(project: string, batch: readonly PreparedEvent[], store: RunStateStore): Promise<KeyedEvent[]> {
  const runs = new Map<string, RunObservation[]>();
  for (const { mapped } of batch) {
    if (!mapped.run) continue;
    runs.set(mapped.run.activityId, [...(runs.get(mapped.run.activityId) ?? []), mapped.run.observation]);
  }
  const stateFacts = new Map<string, Fact[]>();
  await Promise.all(
    [...runs].map(async ([act, observations]) => {
      const facts = await store.update(`${project}|${act}`, (current) => {
        const { next, facts } = foldRun(current, act, observations);
        return { next, result: facts };
      });
      stateFacts.set(act, facts);
    }),
  );
  const out: KeyedEvent[] = [];
  const seen = new Set<string>();
  const push = (key: string, producer: string, fact: Fact) => {
    const event = envelope(project, producer, fact);
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    out.push({ key: `${project}|${key}`, event });
  };
  for (const { mapped, producer } of batch) for (const f of mapped.facts) push(mapped.key, producer, f);
  for (const act of runs.keys()) for (const f of stateFacts.get(act) ?? []) push(act, `${GATEWAY_PRODUCER} openlineage`, f);
  return out;
}
