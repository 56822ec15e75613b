/**
 * Subject resolution for observation rules (threshold, regression, zscore).
 *
 * An observation is a metric point or property whose key the rule watches. It is attached to a
 * vertex id, but rules select by artifact or job name, which the metric event does not carry.
 * Decision: each rule remembers, in its own state, what it needs about the vertices it selects:
 *
 *   entity mode (match.artifact / match.entityType)  subjects are entity versions, group = artifact
 *     v:<p>:<entityId>   {g: artifact, ver, e}      entity seen and matching        TTL stateTtl
 *     gen:<p>:<actId>    list of GenLink            matching outputs of an activity  TTL stateTtl
 *     pg:<p>:<entityId>  {a: actId, e}              wasGeneratedBy seen before the entity  TTL pendingTtl
 *   activity mode (match.activity)                  subjects are activities, group = job name
 *     v:<p>:<actId>      {g: name, ver: null, e, x?}   x: 1 once the run ended (`at: end` rules)
 *   raw mode (no artifact/entityType/activity)      subject = the observation's own id = group
 *
 *   pm:<p>:<vertexId>    the latest observation not yet attributable   TTL pendingTtl
 *
 * A metric logged on the activity that generated a matching entity counts for that entity
 * (training logs accuracy on the run, the rule watches models/*): such observations wait in pm
 * until wasGeneratedBy links a matching output, and are applied to every output linked later.
 * Observations that arrive before their entity or activity event wait in pm the same way. Only
 * the latest observation per vertex waits (by step, then time).
 *
 * `at: end` (activity mode): a run's values wait in pm (the latest one, for as long as the run's
 * record lives) until the run's activity event with a terminal status; that value is evaluated
 * then, once, and values logged after the end are evaluated as they come. So a threshold on a
 * job's val_accuracy judges each run by its last value, not by its first epochs.
 */
import { kindOfId } from '../../model/ids.js';
import type { ProvEvent } from '../../model/types.js';
import { toNumber } from './compare.js';
import type { EvalContext } from './context.js';
import { matchGlob } from './glob.js';
import { valueSourceOf, type ObservationRule, type ScalarValue, type SubjectSelector } from './rule-types.js';
import type { Json, KeyRead } from './state.js';

export interface Observation {
  project: string;
  /** The vertex the metric/property is attached to. */
  vertex: string;
  value: ScalarValue;
  eventId: string;
  time: number;
  step: number | null;
}

/** A vertex the rule is about, with its group and the provenance of how it was resolved. */
export interface Subject {
  id: string;
  /** Artifact (entity mode), job name (activity mode) or the id itself (raw mode). */
  group: string;
  version: number | null;
  mode: SelectorMode;
  eventIds: string[];
  vertexIds: string[];
}

export type SelectorMode = 'entity' | 'activity' | 'raw';
export type ObservationHandler = (ctx: EvalContext, subject: Subject, obs: Observation) => void;

export function selectorMode(sel: SubjectSelector): SelectorMode {
  if (sel.artifact !== null || sel.entityType !== null) return 'entity';
  return sel.activity !== null ? 'activity' : 'raw';
}

export function entityMatches(sel: SubjectSelector, e: { id: string; artifact: string; entityType: string }): boolean {
  return (
    (sel.artifact === null || matchGlob(sel.artifact, e.artifact)) &&
    (sel.entityType === null || matchGlob(sel.entityType, e.entityType)) &&
    (sel.subject === null || matchGlob(sel.subject, e.id))
  );
}

export function activityMatches(sel: SubjectSelector, a: { id: string; name: string }): boolean {
  return (sel.activity === null || matchGlob(sel.activity, a.name)) && (sel.subject === null || matchGlob(sel.subject, a.id));
}

/** The observation an event carries for this rule, if any. */
export function observationOf(rule: ObservationRule, event: ProvEvent): Observation | undefined {
  const src = valueSourceOf(rule);
  const p = event.payload;
  // Literal objects, no spread: this runs several times per (rule, event) on the hot path.
  if (p.type === 'metric' && src.source === 'metric' && p.key === src.key && Number.isFinite(p.value)) {
    return { project: event.project, eventId: event.eventId, time: event.time, vertex: p.subject, value: p.value, step: p.step };
  }
  if (p.type === 'property' && src.source === 'property' && p.key === src.key) {
    return { project: event.project, eventId: event.eventId, time: event.time, vertex: p.subject, value: p.value.value, step: null };
  }
  return undefined;
}

/** The keys resolution reads for this event (group-level keys are discovered later). */
export function resolutionKeys(ctx: Pick<EvalContext, 'key'>, rule: ObservationRule, event: ProvEvent): KeyRead[] {
  const sel = rule.match;
  const mode = selectorMode(sel);
  const P = event.project;
  const p = event.payload;
  const value = (tag: string, id: string): KeyRead => ({ type: 'value', key: ctx.key(tag, P, id) });
  if (p.type === 'entity' && mode === 'entity' && entityMatches(sel, p)) return [value('v', p.id), value('pm', p.id), value('pg', p.id)];
  if (p.type === 'activity' && mode === 'activity' && activityMatches(sel, p)) return [value('v', p.id), value('pm', p.id)];
  if (p.type === 'relation' && p.relation === 'wasGeneratedBy' && mode === 'entity') {
    return [value('v', p.from), { type: 'list', key: ctx.key('gen', P, p.to) }, value('pm', p.to)];
  }
  const obs = observationOf(rule, event);
  if (!obs || mode === 'raw') return [];
  const kind = kindOfId(obs.vertex);
  if (mode === 'entity' && kind === 'activity') return [value('pm', obs.vertex), { type: 'list', key: ctx.key('gen', P, obs.vertex) }];
  if ((mode === 'entity' && kind === 'entity') || (mode === 'activity' && kind === 'activity')) return [value('v', obs.vertex), value('pm', obs.vertex)];
  return [];
}

/**
 * Feeds the event through resolution, calling `handle` once per (subject, observation) pair that
 * becomes attributable because of this event.
 */
export function resolve(ctx: EvalContext, rule: ObservationRule, event: ProvEvent, handle: ObservationHandler): void {
  const sel = rule.match;
  const mode = selectorMode(sel);
  const P = event.project;
  const p = event.payload;
  const run: ObservationHandler = (c, subject, obs) => {
    if (sel.subject !== null && !matchGlob(sel.subject, subject.id)) return;
    // The alert, if any, is about this subject: ask for its dedup state now, in the same round as
    // the group's state (regression, zscore), not in a round of its own after it.
    c.prefetchDedup(obs.project, subject.id);
    handle(c, subject, obs);
  };

  if (p.type === 'entity' && mode === 'entity' && entityMatches(sel, p)) {
    const known: VertexInfo = { g: p.artifact, ver: p.version, e: event.eventId };
    ctx.set(ctx.key('v', P, p.id), { ...known }, rule.stateTtlMs);
    const pending = takePending(ctx, P, p.id);
    if (pending) run(ctx, subjectOf(p.id, known, mode), pending);
    const link = asRecord(ctx.get(ctx.key('pg', P, p.id)));
    if (link && typeof link.a === 'string' && typeof link.e === 'string') {
      ctx.del(ctx.key('pg', P, p.id));
      linkOutput(ctx, rule, P, link.a, p.id, known, link.e, run);
    }
    return;
  }
  if (p.type === 'activity' && mode === 'activity' && activityMatches(sel, p)) {
    const known: VertexInfo = { g: p.name, ver: null, e: event.eventId };
    if (valueSourceOf(rule).at === 'end') {
      // The run's latest value waits in pm until a terminal status; the run's own record says
      // whether it ended (values after that are evaluated as they come).
      if (!TERMINAL.has(p.status)) {
        if (!vertexInfo(ctx.get(ctx.key('v', P, p.id)))?.x) ctx.set(ctx.key('v', P, p.id), { ...known }, rule.stateTtlMs);
        return;
      }
      known.x = 1;
    }
    ctx.set(ctx.key('v', P, p.id), { ...known }, rule.stateTtlMs);
    const pending = takePending(ctx, P, p.id);
    if (pending) run(ctx, subjectOf(p.id, known, mode), pending);
    return;
  }
  if (p.type === 'relation' && p.relation === 'wasGeneratedBy' && mode === 'entity') {
    if (kindOfId(p.from) !== 'entity' || kindOfId(p.to) !== 'activity') return;
    const known = vertexInfo(ctx.get(ctx.key('v', P, p.from)));
    if (known) linkOutput(ctx, rule, P, p.to, p.from, known, event.eventId, run);
    else if (ctx.has(ctx.key('v', P, p.from))) ctx.set(ctx.key('pg', P, p.from), { a: p.to, e: event.eventId }, rule.pendingTtlMs);
    return;
  }

  const obs = observationOf(rule, event);
  if (!obs) return;
  const kind = kindOfId(obs.vertex);
  if (mode === 'raw') {
    run(ctx, { id: obs.vertex, group: obs.vertex, version: null, mode, eventIds: [], vertexIds: [obs.vertex] }, obs);
  } else if (mode === 'entity' && kind === 'activity') {
    keepPending(ctx, rule, obs);
    for (const item of ctx.list(ctx.key('gen', P, obs.vertex))) {
      const l = genLink(item);
      if (l) run(ctx, outputSubject(l, obs.vertex), obs);
    }
  } else if ((mode === 'entity' && kind === 'entity') || (mode === 'activity' && kind === 'activity')) {
    const known = vertexInfo(ctx.get(ctx.key('v', P, obs.vertex)));
    if (known && (mode === 'entity' || known.x || valueSourceOf(rule).at === 'every')) run(ctx, subjectOf(obs.vertex, known, mode), obs);
    else keepPending(ctx, rule, obs);
  }
}

/** Activity statuses that end a run (`at: end` evaluates the run's latest value then). */
const TERMINAL: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'ABORTED']);

/** Attribute an activity's observations to a matching output entity (once per link). */
function linkOutput(ctx: EvalContext, rule: ObservationRule, P: string, activity: string, entity: string, known: VertexInfo, relEventId: string, run: ObservationHandler): void {
  const genKey = ctx.key('gen', P, activity);
  if (ctx.list(genKey).some((item) => isLinkTo(item, entity))) return;
  const link: GenLink = { id: entity, g: known.g, ver: known.ver, e: relEventId, ee: known.e };
  ctx.push(genKey, { ...link }, MAX_OUTPUTS, rule.stateTtlMs);
  const pending = pendingOf(ctx.get(ctx.key('pm', P, activity)), P, activity);
  if (pending) run(ctx, outputSubject(link, activity), pending);
}

const MAX_OUTPUTS = 64;

interface VertexInfo {
  g: string;
  ver: number | null;
  e: string;
  /** 1: the run ended (activity mode, `at: end` rules only). */
  x?: 1;
}
interface GenLink extends VertexInfo {
  id: string;
  /** The entity event's id (VertexInfo.e is the relation's). */
  ee: string;
}

function subjectOf(id: string, v: VertexInfo, mode: SelectorMode): Subject {
  return { id, group: v.g, version: v.ver, mode, eventIds: [v.e], vertexIds: [id] };
}

function outputSubject(l: GenLink, activity: string): Subject {
  return { id: l.id, group: l.g, version: l.ver, mode: 'entity', eventIds: [l.ee, l.e], vertexIds: [l.id, activity] };
}

function keepPending(ctx: EvalContext, rule: ObservationRule, obs: Observation): void {
  const key = ctx.key('pm', obs.project, obs.vertex);
  const prior = pendingOf(ctx.get(key), obs.project, obs.vertex);
  if (prior && newer(prior, obs)) return;
  // A run's latest value waiting for its end (`at: end`) lives as long as the run's record.
  const ttl = valueSourceOf(rule).at === 'end' ? Math.max(rule.pendingTtlMs, rule.stateTtlMs) : rule.pendingTtlMs;
  ctx.set(key, { v: obs.value, e: obs.eventId, t: obs.time, s: obs.step }, ttl);
}

function takePending(ctx: EvalContext, P: string, vertex: string): Observation | undefined {
  const key = ctx.key('pm', P, vertex);
  const obs = pendingOf(ctx.get(key), P, vertex);
  if (obs) ctx.del(key);
  return obs;
}

/** a is strictly newer than b: later step, then later time (equal = not newer, so replays overwrite). */
function newer(a: Observation, b: Observation): boolean {
  if (a.step !== null && b.step !== null && a.step !== b.step) return a.step > b.step;
  return a.time > b.time;
}

function pendingOf(raw: Json | undefined, project: string, vertex: string): Observation | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.e !== 'string' || typeof r.t !== 'number') return undefined;
  const v = r.v;
  if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') return undefined;
  return { project, vertex, value: v, eventId: r.e, time: r.t, step: typeof r.s === 'number' ? r.s : null };
}

function vertexInfo(raw: Json | undefined): VertexInfo | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.g !== 'string' || typeof r.e !== 'string') return undefined;
  const info: VertexInfo = { g: r.g, ver: typeof r.ver === 'number' ? r.ver : null, e: r.e };
  if (r.x === 1) info.x = 1;
  return info;
}

function genLink(raw: Json): GenLink | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.g !== 'string' || typeof r.e !== 'string' || typeof r.id !== 'string' || typeof r.ee !== 'string') return undefined;
  return { g: r.g, ver: typeof r.ver === 'number' ? r.ver : null, e: r.e, id: r.id, ee: r.ee };
}

/** genLink(raw)?.id === entity, without building the link (a hot loop over gen lists). */
function isLinkTo(raw: Json, entity: string): boolean {
  const r = asRecord(raw);
  return r !== undefined && r.id === entity && typeof r.g === 'string' && typeof r.e === 'string' && typeof r.ee === 'string';
}

export function asRecord(x: Json | undefined): { [key: string]: Json } | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? x : undefined;
}

/** The observation as a number, for rules that need one (undefined when not numeric). */
export function numericValue(obs: Observation): number | undefined {
  return toNumber(obs.value);
}
