/**
 * Rate rules: more than `max` distinct matching activities (or entities) within a sliding window
 * of event time, e.g. "more than 3 FAILED runs of job train in 10m".
 *
 * State (per rule, project p, group g = job name / artifact, or "*" when perGroup is false):
 *   rc:<p>:<g>:<bucketStart>  count of vertices counted in that bucket          TTL window + bucket
 *   rs:<p>:<vertexId>         1: this vertex was counted (duplicates, replays)   TTL window + bucket
 *   rl:<p>:<g>                list of {e, v, t}: the latest counted events, the alert's evidence
 * The window (t - window, t] is approximated by whole buckets: the oldest bucket read may hold
 * events up to one bucket older than the window. All keys are known before evaluation.
 */
import { uniqueIds } from './alerts.js';
import type { EvalContext } from './context.js';
import { formatDuration } from './duration.js';
import { activityMatches, asRecord, entityMatches } from './observe.js';
import type { RateRule } from './rule-types.js';
import type { ProvEvent } from '../../model/types.js';
import type { KeyRead } from './state.js';

/** Events listed in an alert as evidence, at most. */
const MAX_EVIDENCE = 20;

interface Counted {
  vertex: string;
  group: string;
  time: number;
  label: string;
}

/** The vertex this event counts for, or undefined when the rule does not count it. */
function counted(rule: RateRule, event: ProvEvent): Counted | undefined {
  const r = rule.rate;
  const p = event.payload;
  if (r.event === 'activity' && p.type === 'activity' && activityMatches(rule.match, p)) {
    if (r.status !== null && !r.status.includes(p.status)) return undefined;
    const label = `${r.status !== null ? `${r.status.join('/')} ` : ''}activities of job ${r.perGroup ? p.name : rule.match.activity ?? '*'}`;
    return { vertex: p.id, group: r.perGroup ? p.name : '*', time: event.time, label };
  }
  if (r.event === 'entity' && p.type === 'entity' && entityMatches(rule.match, p)) {
    const label = `new versions of ${r.perGroup ? p.artifact : rule.match.artifact ?? 'any artifact'}`;
    return { vertex: p.id, group: r.perGroup ? p.artifact : '*', time: event.time, label };
  }
  return undefined;
}

function buckets(rule: RateRule, time: number): number[] {
  const { windowMs, bucketMs } = rule.rate;
  const out: number[] = [];
  const first = Math.floor((time - windowMs + 1) / bucketMs) * bucketMs;
  for (let b = first; b <= time; b += bucketMs) out.push(b);
  return out;
}

export function rateKeys(ctx: Pick<EvalContext, 'key'>, rule: RateRule, event: ProvEvent): KeyRead[] {
  const c = counted(rule, event);
  if (!c) return [];
  const P = event.project;
  return [
    { type: 'value', key: ctx.key('rs', P, c.vertex) },
    ...buckets(rule, c.time).map((b): KeyRead => ({ type: 'value', key: ctx.key('rc', P, c.group, b) })),
    { type: 'list', key: ctx.key('rl', P, c.group) },
  ];
}

export function onRate(ctx: EvalContext, rule: RateRule, event: ProvEvent): void {
  const c = counted(rule, event);
  if (!c) return;
  const { windowMs, bucketMs, max } = rule.rate;
  const P = event.project;
  const ttl = windowMs + bucketMs;
  const seenKey = ctx.key('rs', P, c.vertex);
  if (ctx.get(seenKey) !== undefined || !ctx.has(seenKey)) return;
  ctx.set(seenKey, 1, ttl);

  let count = 0;
  const all = buckets(rule, c.time);
  for (const b of all) {
    const n = ctx.get(ctx.key('rc', P, c.group, b));
    count += typeof n === 'number' ? n : 0;
  }
  const own = all[all.length - 1]!;
  const ownKey = ctx.key('rc', P, c.group, own);
  const ownCount = ctx.get(ownKey);
  ctx.set(ownKey, (typeof ownCount === 'number' ? ownCount : 0) + 1, ttl);
  count += 1;

  const evidenceKey = ctx.key('rl', P, c.group);
  const earlier = ctx.list(evidenceKey).map(asRecord);
  ctx.push(evidenceKey, { e: event.eventId, v: c.vertex, t: c.time }, Math.min(max + 1, MAX_EVIDENCE), ttl);
  if (count <= max) return;

  const inWindow = earlier.filter((i) => typeof i?.t === 'number' && i.t > c.time - windowMs && i.t <= c.time);
  ctx.emit({
    project: P,
    subject: c.group,
    time: c.time,
    triggerId: event.eventId,
    message: `${count} ${c.label} within ${formatDuration(windowMs)} (more than ${max})`,
    value: count,
    threshold: max,
    details: { windowMs, bucketMs, group: c.group },
    eventIds: uniqueIds([event.eventId, ...inWindow.map((i) => (typeof i?.e === 'string' ? i.e : null))]).slice(0, MAX_EVIDENCE),
    vertexIds: uniqueIds([c.vertex, ...inWindow.map((i) => (typeof i?.v === 'string' ? i.v : null))]).slice(0, MAX_EVIDENCE),
  });
}
