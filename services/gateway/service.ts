/**
 * What the gateway does, independent of HTTP (routes call it; the CLI import and the
 * OpenLineage topic consumer reuse its parts): validate -> map -> publish, and export.
 *
 * Every accept method is all-or-nothing: either every item of the request is valid and all
 * their events are acknowledged by Kafka (then it resolves with counts), or nothing is
 * published (invalid: RequestError with every problem) or the publish failed (retriable
 * ServiceUnavailableError; whatever reached Kafka is harmless, a retry publishes the same events).
 */
import type { Logger } from '../lib/log.js';
import { defaultKey } from '../emitter/sdk.js';
import { kindOfId } from '../model/ids.js';
import { validateEvent } from '../model/validate.js';
import { envelope, GATEWAY_PRODUCER } from './facts.js';
import type { KeyedEvent } from './facts.js';
import { RequestError, invalid } from './http-errors.js';
import { prepareOpenLineage, resolveOpenLineage } from './openlineage/translate.js';
import type { PreparedEvent } from './openlineage/translate.js';
import type { RunStateStore } from './openlineage/run-state.js';
import { exportProv } from './prov/export.js';
import type { ProvDocument } from './prov/export.js';
import { importProv } from './prov/import.js';
import type { ProvImport } from './prov/import.js';
import type { Direction, LineageReader } from './prov/reader.js';
import type { Publisher } from './publisher.js';
import { pointer } from './shape.js';
import type { Problem } from './shape.js';

export interface GatewayLimits {
  maxEventsPerRequest: number;
  maxFacetBytes: number;
  exportMaxDepth: number;
  exportMaxVertices: number;
}

export interface Accepted {
  /** Items of the request (native events, OpenLineage events, PROV statements). */
  accepted: number;
  /** Provenance events acknowledged by Kafka (one item can become many). */
  published: number;
}

export interface GatewayDeps {
  publisher: Publisher;
  runStates: RunStateStore;
  /** Null when the gateway runs without ClickHouse (no export). */
  lineage: LineageReader | null;
  limits: GatewayLimits;
  log: Logger;
  now?: () => number;
}

/** A body that is one item or an array of items, bounded in count. */
function items(body: unknown, limit: number): { list: unknown[]; batched: boolean } {
  const batched = Array.isArray(body);
  const list = batched ? body : [body];
  if (list.length > limit) throw new RequestError(413, `${list.length} events in one request; at most ${limit} (GATEWAY_MAX_EVENTS_PER_REQUEST): split the batch`);
  if (list.length === 0) throw new RequestError(400, 'an empty array: nothing to accept', [{ path: '', message: 'must contain at least one event' }]);
  return { list, batched };
}

const at = (batched: boolean, i: number, p: Problem): Problem => ({ path: batched ? pointer('', i) + p.path : p.path, message: p.message });

export class GatewayService {
  private readonly now: () => number;

  constructor(private readonly deps: GatewayDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Native events (the JSON form of schemas/avro, schemas/EVOLUTION.md), one or an array. */
  async acceptNative(project: string, body: unknown): Promise<Accepted> {
    const { list, batched } = items(body, this.deps.limits.maxEventsPerRequest);
    const problems: Problem[] = [];
    const foreign: Problem[] = [];
    const events: KeyedEvent[] = [];
    list.forEach((item, i) => {
      const v = validateEvent(item);
      if (!v.ok) return void problems.push(...v.problems.map((p) => at(batched, i, p)));
      if (v.event.project !== project) foreign.push(at(batched, i, { path: '/project', message: `${JSON.stringify(v.event.project)} is not the project of your token (${project})` }));
      events.push({ key: `${v.event.project}|${defaultKey(v.event.payload)}`, event: v.event });
    });
    if (problems.length) throw invalid([...problems, ...foreign]);
    if (foreign.length) throw new RequestError(403, `the token of project ${project} cannot write to other projects`, foreign);
    await this.deps.publisher.publish(events);
    return { accepted: list.length, published: events.length };
  }

  /** Validates and maps OpenLineage events (pure part); throws RequestError listing every problem. */
  prepareOpenLineage(body: unknown): PreparedEvent[] {
    const { list, batched } = items(body, this.deps.limits.maxEventsPerRequest);
    const problems: Problem[] = [];
    const prepared: PreparedEvent[] = [];
    list.forEach((item, i) => {
      const p = prepareOpenLineage(item, { maxFacetBytes: this.deps.limits.maxFacetBytes });
      if (p.ok) prepared.push(p.prepared);
      else problems.push(...p.problems.map((x) => at(batched, i, x)));
    });
    if (problems.length) throw invalid(problems, 'the OpenLineage input');
    return prepared;
  }

  /** OpenLineage RunEvents (and DatasetEvents / JobEvents), one or an array. */
  async acceptOpenLineage(project: string, body: unknown): Promise<Accepted> {
    const prepared = this.prepareOpenLineage(body);
    const events = await resolveOpenLineage(project, prepared, this.deps.runStates);
    await this.deps.publisher.publish(events);
    return { accepted: prepared.length, published: events.length };
  }

  /** A W3C PROV-JSON document. Facts without a time of their own take `time` (default: now). */
  async acceptProv(project: string, body: unknown, time = this.now()): Promise<Accepted & { ids: ProvImport['ids']; counts: ProvImport['counts'] }> {
    const r = importProv(body, { time });
    if (!r.ok) throw invalid(r.problems, 'the PROV-JSON document');
    const producer = `${GATEWAY_PRODUCER} prov-json`;
    const events = r.result.facts.map((f) => {
      const event = envelope(project, producer, f);
      return { key: `${project}|${defaultKey(event.payload)}`, event };
    });
    const problems: Problem[] = [];
    for (const e of events) {
      const v = validateEvent(e.event);
      if (!v.ok) problems.push(...v.problems.map((p) => ({ path: '', message: `${e.event.payload.type} ${'id' in e.event.payload ? e.event.payload.id : ''}: ${p.path} ${p.message}` })));
    }
    if (problems.length) throw invalid(problems, 'the PROV-JSON document');
    await this.deps.publisher.publish(events);
    const c = r.result.counts;
    return { accepted: c.entities + c.activities + c.agents + c.edges + c.keptRelations, published: events.length, ids: r.result.ids, counts: c };
  }

  /** The lineage of a vertex as a PROV-JSON document (404 when the project has no such vertex). */
  async exportProv(project: string, vertexId: string, opts: { depth?: number; direction?: string }): Promise<ProvDocument> {
    const problems: Problem[] = [];
    if (kindOfId(vertexId) === null) problems.push({ path: '/vertexId', message: `${JSON.stringify(vertexId)} is not a vertex id (ent:..., act:..., agt:...)` });
    const max = this.deps.limits.exportMaxDepth;
    const depth = opts.depth ?? 5;
    if (!Number.isSafeInteger(depth) || depth < 0 || depth > max) problems.push({ path: '/depth', message: `must be an integer from 0 to ${max}` });
    const direction = opts.direction ?? 'upstream';
    if (!['upstream', 'downstream', 'both'].includes(direction)) problems.push({ path: '/direction', message: 'must be upstream, downstream or both' });
    if (problems.length) throw invalid(problems, 'the export request');
    if (!this.deps.lineage) throw new RequestError(404, 'this gateway runs without ClickHouse: no export');
    const snapshot = await this.deps.lineage.snapshot(project, vertexId, { depth, direction: direction as Direction, maxVertices: this.deps.limits.exportMaxVertices });
    if (!snapshot) throw new RequestError(404, `project ${project} has no vertex ${vertexId}`);
    return exportProv(snapshot);
  }
}
