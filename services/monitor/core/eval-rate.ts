/**
 * Rate rules: more than `max` distinct matching activities (or entities) within a sliding window
 * of event time, e.g. "more than 3 FAILED runs of job train in 10m".
 *
 * State (per rule, project p, group g = job name / artifact, or "*" when perGroup is false):
 *   rs:<p>:<vertexId>          1: this vertex was counted (duplicates, replays)  TTL window + bucket
 *   rb:<p>:<g>:<pageStart>     the counts of the page's buckets (below)          TTL: its newest bucket's
 *   rl:<p>:<g>                 list of {e, v, t}: the latest counted events, the alert's evidence
 * The window (t - window, t] is approximated by whole buckets: the oldest bucket read may hold
 * events up to one bucket older than the window. All keys are known before evaluation.
 *
 * Buckets are grouped in pages of PAGE = ceil(window / bucket) + 1 buckets, aligned on multiples
 * of PAGE x bucket (event time): the buckets one event reads (at most PAGE of them) lie in one or
 * two pages, so an event reads 1-2 page keys instead of one key per bucket (~11). A page's value
 * is a flat array of triples `[i, count, expiresAt, ...]` (i = the bucket's index in the page,
 * ascending; expiresAt = epoch ms on the evaluation clock). Each bucket keeps its own expiry,
 * exactly as when every bucket was a key of its own with TTL window + bucket from its last write
 * (the layout before 2026-11-26, `rc:<p>:<g>:<bucketStart>`): a bucket whose expiresAt <= now
 * reads as absent and is dropped at the page's next write, and the page key's TTL is that of its
 * longest-lived bucket, so Redis drops the page when its last bucket expires. A page holds at most
 * PAGE buckets, whatever the order of event times.
 */
import { uniqueIds } from './alerts.js';
import type { EvalContext } from './context.js';
import { formatDuration } from './duration.js';
import { activityMatches, asRecord, entityMatches } from './observe.js';
import type { RateRule } from './rule-types.js';
import type { ProvEvent } from '../../model/types.js';
import type { Json, KeyRead } from './state.js';

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

/**
 * The buckets an event at `time` reads: from `first` to `own` (its own bucket), every `bucketMs`
 * (first = the bucket holding time - window + 1).
 */
function span(rule: RateRule, time: number): { first: number; own: number } {
  const { windowMs, bucketMs } = rule.rate;
  const first = Math.floor((time - windowMs + 1) / bucketMs) * bucketMs;
  let own = first;
  for (let b = first + bucketMs; b <= time; b += bucketMs) own = b;
  return { first, own };
}

/** Buckets per page: as many as one event may read, so that its buckets lie in at most two pages. */
function pageBuckets(rule: RateRule): number {
  return Math.ceil(rule.rate.windowMs / rule.rate.bucketMs) + 1;
}

/** The start (event time) of the page holding the bucket starting at `bucket`. */
function pageOf(rule: RateRule, bucket: number): number {
  const size = pageBuckets(rule) * rule.rate.bucketMs;
  return Math.floor(bucket / size) * size;
}

export function rateKeys(ctx: Pick<EvalContext, 'key'>, rule: RateRule, event: ProvEvent): KeyRead[] {
  const c = counted(rule, event);
  if (!c) return [];
  const P = event.project;
  const { first, own } = span(rule, c.time);
  const p0 = pageOf(rule, first);
  const p1 = pageOf(rule, own);
  const keys: KeyRead[] = [{ type: 'value', key: ctx.key('rs', P, c.vertex) }, { type: 'value', key: ctx.key('rb', P, c.group, p0) }];
  if (p1 !== p0) keys.push({ type: 'value', key: ctx.key('rb', P, c.group, p1) });
  keys.push({ type: 'list', key: ctx.key('rl', P, c.group) });
  return keys;
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

  const { first, own } = span(rule, c.time);
  const p0 = pageOf(rule, first);
  const p1 = pageOf(rule, own);
  const firstKey = ctx.key('rb', P, c.group, p0);
  const firstPage = ctx.get(firstKey);
  let count = countIn(firstPage, p0, first, own, bucketMs, ctx.now);
  let ownKey = firstKey;
  let ownPage = firstPage;
  if (p1 !== p0) {
    ownKey = ctx.key('rb', P, c.group, p1);
    ownPage = ctx.get(ownKey);
    count += countIn(ownPage, p1, first, own, bucketMs, ctx.now);
  }
  const written = withIncrement(ownPage, Math.round((own - p1) / bucketMs), ctx.now, ctx.now + ttl);
  ctx.set(ownKey, written.page, written.expiresAt - ctx.now);
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

/**
 * The sum of the live buckets (expiresAt > now) of a page (starting at event time `start`) whose
 * start lies in [first, own]. Anything that is not a well-formed triple counts 0 (as a bucket key
 * holding a non-number did).
 */
export function countIn(page: Json | undefined, start: number, first: number, own: number, bucketMs: number, now: number): number {
  if (!Array.isArray(page)) return 0;
  let n = 0;
  for (let i = 0; i + 2 < page.length; i += 3) {
    const idx = page[i];
    const count = page[i + 1];
    const expiresAt = page[i + 2];
    if (typeof idx !== 'number' || typeof count !== 'number' || typeof expiresAt !== 'number' || expiresAt <= now) continue;
    const bucket = start + idx * bucketMs;
    if (bucket >= first && bucket <= own) n += count;
  }
  return n;
}

/**
 * The page after counting one more vertex in its bucket `index`: that bucket's live count + 1,
 * expiring at `expiresAt`; other live buckets kept as they are (ascending by index); expired or
 * malformed entries dropped. Also returns when the page's last bucket expires (its key's TTL).
 */
export function withIncrement(page: Json | undefined, index: number, now: number, expiresAt: number): { page: number[]; expiresAt: number } {
  const out: number[] = [];
  let last = expiresAt;
  let own = 0;
  let slot = -1; // where the bucket's count goes in `out`
  const entries = Array.isArray(page) ? page : [];
  for (let i = 0; i + 2 < entries.length; i += 3) {
    const idx = entries[i];
    const count = entries[i + 1];
    const exp = entries[i + 2];
    if (typeof idx !== 'number' || typeof count !== 'number' || typeof exp !== 'number' || exp <= now) continue;
    if (idx === index) {
      own = count;
      continue;
    }
    if (slot < 0 && idx > index) {
      slot = out.length + 1;
      out.push(index, 0, expiresAt);
    }
    out.push(idx, count, exp);
    if (exp > last) last = exp;
  }
  if (slot < 0) {
    slot = out.length + 1;
    out.push(index, 0, expiresAt);
  }
  out[slot] = own + 1;
  return { page: out, expiresAt: last };
}
