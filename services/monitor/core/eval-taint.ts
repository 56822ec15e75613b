/**
 * Lineage taint: alert on every entity derived, transitively, from a vertex whose property
 * matches the rule's predicate (pii = true, deprecated = true, quality = "bad"), whether the
 * derivation is seen after the flag or the flag arrives after the derivation. Works on the event
 * stream alone: the rule keeps the part of the graph it needs in its own state.
 *
 * Taint flows along the rule's `via` edges from the source side (`to`) to the derived side
 * (`from`): entity <-wasGeneratedBy- activity -used-> flagged entity taints the activity and then
 * the entity. Activities carry taint but never alert; each entity alerts once, when it becomes
 * tainted (its mark then stops later paths from re-tainting it).
 *
 * State (per rule, project p):
 *   t:<p>:<vertexId>   {p: [flagged, ..., vertex], e: [flag event, relation events...]}
 *                      TTL flagTtl (365d) for a flagged vertex's own mark (p = [vertex]), stateTtl
 *                      for the others; a mark's TTL is renewed whenever it taints a derivation
 *                      (and a flagged vertex's when the flag is seen again)
 *   ch:<p>:<vertexId>  list of {id, e}: vertices derived from it (relation event e), newest
 *                      first, capped at maxChildren (older derivations drop out)     TTL stateTtl
 *
 * External lineage (optional): a flag's walk also follows the derivations an outside source of
 * lineage knows (the graph service's downstream closure of the flagged vertex over `via`, up to
 * maxDepth), passed in by the caller as `ExternalLineage` (fetched before evaluation: the core
 * stays pure). Those children are walked like stored ones and get the same marks, so later
 * derivations from them are tainted by the stream; the alert's eventIds then name the flag and
 * the stream's relation events along the path only (the graph's edges carry no event ids).
 * Only the walk of a NEW flag (no mark on the flagged vertex yet) uses it.
 *
 * Dynamic reads: a late flag (or a relation that taints a vertex with known children) walks the
 * stored (and external) children breadth-first. Each level's t/ch keys are unknown until the level above is
 * read, so evaluation returns `needs` once per level (at most maxDepth + 1 rounds); the walk
 * stops at maxDepth edges from the flagged vertex and after maxVisit newly tainted vertices.
 */
import { kindOfId } from '../../model/ids.js';
import type { ProvEvent } from '../../model/types.js';
import { uniqueIds } from './alerts.js';
import { compare, describePredicate } from './compare.js';
import type { EvalContext } from './context.js';
import { asRecord } from './observe.js';
import { ruleAppliesToProject, type Rule, type TaintRule } from './rule-types.js';
import type { Json, KeyRead } from './state.js';

/** Downstream lineage of one flagged vertex from outside the stream (the graph service). */
export interface DownstreamLineage {
  /** Source vertex id -> the vertices derived from it (taint flows source -> derived). */
  readonly children: ReadonlyMap<string, readonly string[]>;
}

/**
 * External lineage of a batch's flags, by `taintLineageKey(rule, project, root)`: the key holds
 * the rule's `via`, maxDepth and maxVisit, so an answer fetched for one rule shape is never used
 * by another (an answer cut for a small maxVisit would be too short for a larger one).
 */
export type ExternalLineage = ReadonlyMap<string, DownstreamLineage>;

/** What a flag asks an outside source of lineage: the downstream closure of `root`. */
export interface TaintLineageRequest {
  key: string;
  project: string;
  root: string;
  via: readonly string[];
  maxDepth: number;
  /** The rule's maxVisit: the walk taints at most this many, so more of the closure is of no use. */
  maxVisit: number;
}

export function taintLineageKey(rule: TaintRule, project: string, root: string): string {
  return `${project}\u0000${root}\u0000${rule.taint.via.join(',')}\u0000${rule.taint.maxDepth}\u0000${rule.taint.maxVisit}`;
}

/**
 * The lineage request of `event` if it flags a vertex for `rule` (an enabled taint rule of the
 * event's project), else undefined. Cheap for the events that are not property events.
 */
export function taintLineageRequest(rule: Rule, event: ProvEvent): TaintLineageRequest | undefined {
  if (rule.kind !== 'taint' || event.payload.type !== 'property' || !rule.enabled || !ruleAppliesToProject(rule, event.project)) return undefined;
  const root = flagged(rule, event);
  if (!root) return undefined;
  return { key: taintLineageKey(rule, event.project, root), project: event.project, root, via: rule.taint.via, maxDepth: rule.taint.maxDepth, maxVisit: rule.taint.maxVisit };
}

interface Mark {
  /** Path of vertex ids from the flagged vertex to this one. */
  p: string[];
  /** The flag's event id, then the relation events along the path. */
  e: string[];
}

function flagged(rule: TaintRule, event: ProvEvent): string | undefined {
  const p = event.payload;
  const w = rule.taint.when;
  if (p.type !== 'property' || p.key !== w.key || kindOfId(p.subject) === null) return undefined;
  return compare(p.value.value, w.op, w.value) ? p.subject : undefined;
}

function derivation(rule: TaintRule, event: ProvEvent): { derived: string; source: string } | undefined {
  const p = event.payload;
  if (p.type !== 'relation' || !rule.taint.via.includes(p.relation) || p.from === p.to) return undefined;
  return { derived: p.from, source: p.to };
}

export function taintKeys(ctx: Pick<EvalContext, 'key'>, rule: TaintRule, event: ProvEvent): KeyRead[] {
  const P = event.project;
  const root = flagged(rule, event);
  if (root) return [{ type: 'value', key: ctx.key('t', P, root) }, { type: 'list', key: ctx.key('ch', P, root) }];
  const d = derivation(rule, event);
  if (!d) return [];
  return [
    { type: 'value', key: ctx.key('t', P, d.source) },
    { type: 'value', key: ctx.key('t', P, d.derived) },
    { type: 'list', key: ctx.key('ch', P, d.source) },
    { type: 'list', key: ctx.key('ch', P, d.derived) },
  ];
}

export function onTaint(ctx: EvalContext, rule: TaintRule, event: ProvEvent, external?: ExternalLineage): void {
  const P = event.project;
  const ttl = rule.stateTtlMs;
  const root = flagged(rule, event);
  if (root) {
    const key = ctx.key('t', P, root);
    const known = ctx.get(key);
    if (!ctx.has(key)) return;
    if (known !== undefined) {
      // Already tainted: its descendants are too. A flag seen again keeps its own mark alive.
      const own = markOf(known);
      if (own?.p.length === 1) ctx.set(key, toJson(own), rule.taint.flagTtlMs);
      return;
    }
    const mark: Mark = { p: [root], e: [event.eventId] };
    ctx.set(key, toJson(mark), rule.taint.flagTtlMs);
    spread(ctx, rule, event, root, mark, external?.get(taintLineageKey(rule, P, root)));
    return;
  }

  const d = derivation(rule, event);
  if (!d) return;
  const childrenKey = ctx.key('ch', P, d.source);
  const children = ctx.list(childrenKey);
  if (!children.some((c) => asRecord(c)?.id === d.derived)) {
    ctx.push(childrenKey, { id: d.derived, e: event.eventId }, rule.taint.maxChildren, ttl);
  }
  const sourceKey = ctx.key('t', P, d.source);
  const sourceMark = markOf(ctx.get(sourceKey));
  const derivedKey = ctx.key('t', P, d.derived);
  const derivedMark = ctx.get(derivedKey);
  if (!sourceMark || derivedMark !== undefined || !ctx.has(derivedKey)) return;
  if (sourceMark.p.length - 1 >= rule.taint.maxDepth) return;
  // The source's mark is in use: renew it, or a lineage that keeps growing from a vertex flagged
  // (or tainted) long ago would stop being tainted when the mark's TTL ran out.
  ctx.set(sourceKey, toJson(sourceMark), markTtl(rule, sourceMark));
  const mark: Mark = { p: [...sourceMark.p, d.derived], e: [...sourceMark.e, event.eventId] };
  ctx.set(derivedKey, toJson(mark), ttl);
  alertIfEntity(ctx, rule, event, d.derived, mark);
  spread(ctx, rule, event, d.derived, mark);
}

/**
 * Breadth-first over stored children of a newly tainted vertex, and over the external lineage's
 * children when given (a new flag); see the module comment.
 */
function spread(ctx: EvalContext, rule: TaintRule, event: ProvEvent, start: string, startMark: Mark, external?: DownstreamLineage): void {
  const P = event.project;
  const { maxDepth, maxVisit } = rule.taint;
  const queue: [string, Mark][] = [[start, startMark]];
  let tainted = 0;
  for (let i = 0; i < queue.length; i++) {
    const [vertex, mark] = queue[i]!;
    if (mark.p.length - 1 >= maxDepth) continue;
    for (const child of childrenOf(ctx.list(ctx.key('ch', P, vertex)), external?.children.get(vertex))) {
      const key = ctx.key('t', P, child.id);
      if (!ctx.has(key)) {
        ctx.get(key); // ask for the child's mark and, in the same round, its children and dedup
        ctx.list(ctx.key('ch', P, child.id));
        if (kindOfId(child.id) === 'entity') ctx.prefetchDedup(P, child.id);
        continue;
      }
      if (ctx.get(key) !== undefined) continue;
      if (++tainted > maxVisit) return;
      const childMark: Mark = { p: [...mark.p, child.id], e: child.e === undefined ? [...mark.e] : [...mark.e, child.e] };
      ctx.set(key, toJson(childMark), rule.stateTtlMs);
      alertIfEntity(ctx, rule, event, child.id, childMark);
      queue.push([child.id, childMark]);
    }
  }
}

/**
 * A vertex's stored children ({id, e}, e = the relation event), then the external lineage's that
 * are not stored (no event id), each once.
 */
function childrenOf(stored: readonly Json[], external: readonly string[] | undefined): Array<{ id: string; e: string | undefined }> {
  const out: Array<{ id: string; e: string | undefined }> = [];
  for (const raw of stored) {
    const child = asRecord(raw);
    if (child && typeof child.id === 'string' && typeof child.e === 'string') out.push({ id: child.id, e: child.e });
  }
  if (external === undefined || external.length === 0) return out;
  const seen = new Set(out.map((c) => c.id));
  for (const id of external) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, e: undefined });
  }
  return out;
}

function alertIfEntity(ctx: EvalContext, rule: TaintRule, event: ProvEvent, vertex: string, mark: Mark): void {
  if (kindOfId(vertex) !== 'entity') return;
  const w = rule.taint.when;
  const root = mark.p[0]!;
  const depth = mark.p.length - 1;
  const predicate = describePredicate(w.key, w.op, w.value);
  ctx.emit({
    project: event.project,
    subject: vertex,
    time: event.time,
    triggerId: event.eventId,
    message: `${vertex} is derived from ${root}, flagged ${predicate}, through ${depth} edge${depth === 1 ? '' : 's'}: ${mark.p.join(' -> ')}`,
    details: { root, predicate, depth, path: [...mark.p] },
    eventIds: uniqueIds([event.eventId, ...mark.e]),
    vertexIds: [...mark.p],
  });
}

/** A flagged vertex's own mark lives flagTtl, the marks derived from it stateTtl. */
function markTtl(rule: TaintRule, mark: Mark): number {
  return mark.p.length === 1 ? rule.taint.flagTtlMs : rule.stateTtlMs;
}

function markOf(raw: Json | undefined): Mark | undefined {
  const r = asRecord(raw);
  if (!r || !Array.isArray(r.p) || !Array.isArray(r.e)) return undefined;
  const p = r.p.filter((x): x is string => typeof x === 'string');
  const e = r.e.filter((x): x is string => typeof x === 'string');
  return p.length > 0 ? { p, e } : undefined;
}

function toJson(m: Mark): Json {
  return { p: [...m.p], e: [...m.e] };
}
