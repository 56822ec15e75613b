/**
 * Rate rules: more than `max` distinct matching activities (or entities) within a sliding window
 * of event time, e.g. "more than 3 FAILED runs of job train in 10m".
 *
 * State (per rule, project p, group g = job name / artifact, or "*" when perGroup is false):
 *   rs:<p>:<vertexId>          1: this vertex was counted (duplicates, replays)  TTL window + bucket
 *   rb:<p>:<g>:<pageStart>     the counts of the page's buckets (below)          TTL: its newest bucket's
 *   rl:<p>:<g>                 list of {e, v, t}: the latest counted events, the alert's evidence
 * The buckets [first, own] of an event at t (first holds t - window + 1, own holds t) are a quick
 * upper bound: the oldest may hold events up to one bucket older than the window, the own bucket
 * events later than t (out of order). Only when their count exceeds `max` are the event times of
 * the evidence list checked (`windowCheck`): the rule alerts when more than `max` counted events
 * are known to lie in one window of length `window` holding t (for an in-order stream: in
 * (t - window, t]), and not when no such window can hold more than `max`. When the list dropped
 * events (it keeps max + 1, at most 20) that may or may not lie in the window, it alerts on the
 * bucket count and says so ("approximately", details.approximate). All keys are known before
 * evaluation.
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
  const listed = ctx.list(evidenceKey); // push does not change this array
  ctx.push(evidenceKey, { e: event.eventId, v: c.vertex, t: c.time }, Math.min(max + 1, MAX_EVIDENCE), ttl);
  if (count <= max) return;

  const earlier = listed.map(keptOf);
  const buckets = new Map<number, number>([[own, 1]]);
  const add = (bucket: number, n: number): void => void buckets.set(bucket, (buckets.get(bucket) ?? 0) + n);
  forLiveBuckets(firstPage, p0, first, own, bucketMs, ctx.now, add);
  if (p1 !== p0) forLiveBuckets(ownPage, p1, first, own, bucketMs, ctx.now, add);
  const check = windowCheck(c.time, earlier, buckets, rule.rate);
  if (check === null) return;

  const evidence = check.exact ? check.members : earlier.filter((i) => i !== undefined && i.t > c.time - windowMs && i.t <= c.time);
  const value = check.exact ? check.count : count;
  const spanned = formatDuration(own + bucketMs - first);
  ctx.emit({
    project: P,
    subject: c.group,
    time: c.time,
    triggerId: event.eventId,
    message: check.exact
      ? `${value} ${c.label} within ${formatDuration(windowMs)} (more than ${max})`
      : `${value} ${c.label} within ${formatDuration(windowMs)}, approximately (counted in ${formatDuration(bucketMs)} buckets spanning ${spanned}; more than ${max})`,
    value,
    threshold: max,
    details: check.exact ? { windowMs, bucketMs, group: c.group } : { windowMs, bucketMs, group: c.group, approximate: true },
    eventIds: uniqueIds([event.eventId, ...evidence.map((i) => i?.e)]).slice(0, MAX_EVIDENCE),
    vertexIds: uniqueIds([c.vertex, ...evidence.map((i) => i?.v)]).slice(0, MAX_EVIDENCE),
  });
}

/** An entry of the evidence list: the event id, the vertex and the event time of a counted event. */
export interface Kept {
  e: string | null;
  v: string | null;
  t: number;
}

function keptOf(raw: Json): Kept | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.t !== 'number') return undefined;
  return { e: typeof r.e === 'string' ? r.e : null, v: typeof r.v === 'string' ? r.v : null, t: r.t };
}

/**
 * Whether the counted events really exceed `max` within the window, for a counted event at `t`
 * whose buckets (`buckets`: bucket start -> live count, the event itself included) hold more than
 * `max`. `earlier` is the evidence list before this event (newest first); only its entries in a
 * live counted bucket take part. The events of a bucket that the list no longer holds (its count
 * minus its entries) are known to lie in the bucket only: in a window when the whole bucket is,
 * possibly in it when the bucket straddles the window's edge.
 * Windows (e - window, e] holding t are looked at with e = t, the time of a later kept event, or
 * the end of t's own bucket (the events after t come from out-of-order arrival); the one with the
 * most events known to be in it is taken (t's own window on a tie).
 * - `{exact: true, count, members}`: more than `max` events are known to lie in that window
 *   (count, the trigger included; members: its kept events besides the trigger, in list order).
 *   When the list dropped events, count is a lower bound.
 * - `null`: no window holding t can hold more than `max`, even with every dropped event in it:
 *   no alert.
 * - `{exact: false}`: the list dropped too many events of the buckets to tell, or holds more of a
 *   bucket than it counts (entries from before the bucket expired): alert on the bucket count,
 *   as an approximation.
 * Sound because the list holds the latest arrivals: an entry from a bucket's earlier life arrived
 * before every event of its current life, so while one is listed all of those are too, and the
 * bucket shows more entries than its count. The list outlives every bucket (each count is written
 * with a push, with the same TTL).
 */
export function windowCheck(
  t: number,
  earlier: readonly (Kept | undefined)[],
  buckets: ReadonlyMap<number, number>,
  r: { windowMs: number; bucketMs: number; max: number },
): { exact: true; count: number; members: Kept[] } | { exact: false } | null {
  const { windowMs, bucketMs, max } = r;
  const bucketOf = (time: number): number => Math.floor(time / bucketMs) * bucketMs;
  const own = bucketOf(t);
  const dropped = new Map(buckets);
  dropped.set(own, (dropped.get(own) ?? 0) - 1); // the trigger
  const kept: Kept[] = [];
  for (const k of earlier) {
    if (k === undefined) continue;
    const b = bucketOf(k.t);
    const n = dropped.get(b);
    if (n === undefined || (buckets.get(b) ?? 0) <= 0) continue;
    kept.push(k);
    dropped.set(b, n - 1);
  }
  for (const n of dropped.values()) if (n < 0) return { exact: false };

  let best: { count: number; members: Kept[] } = { count: 0, members: [] };
  let upper = 0; // the most any window holding t may hold
  for (const end of [t, ...kept.filter((k) => k.t > t).map((k) => k.t), own + bucketMs - 1]) {
    const members = kept.filter((k) => k.t > end - windowMs && k.t <= end);
    let certain = 0;
    let possible = 0;
    for (const [b, n] of dropped) {
      if (b > end - windowMs && b + bucketMs - 1 <= end) certain += n;
      else if (b + bucketMs - 1 > end - windowMs && b <= end) possible += n;
    }
    const count = 1 + members.length + certain;
    if (count > best.count) best = { count, members };
    upper = Math.max(upper, count + possible);
  }
  if (best.count > max) return { exact: true, ...best };
  return upper > max ? { exact: false } : null;
}

/**
 * The sum of the live buckets (expiresAt > now) of a page (starting at event time `start`) whose
 * start lies in [first, own]. Anything that is not a well-formed triple counts 0 (as a bucket key
 * holding a non-number did).
 */
export function countIn(page: Json | undefined, start: number, first: number, own: number, bucketMs: number, now: number): number {
  let n = 0;
  forLiveBuckets(page, start, first, own, bucketMs, now, (_bucket, count) => {
    n += count;
  });
  return n;
}

/** Calls `visit(bucketStart, count)` for each live bucket of a page that countIn counts. */
function forLiveBuckets(page: Json | undefined, start: number, first: number, own: number, bucketMs: number, now: number, visit: (bucket: number, count: number) => void): void {
  if (!Array.isArray(page)) return;
  for (let i = 0; i + 2 < page.length; i += 3) {
    const idx = page[i];
    const count = page[i + 1];
    const expiresAt = page[i + 2];
    if (typeof idx !== 'number' || typeof count !== 'number' || typeof expiresAt !== 'number' || expiresAt <= now) continue;
    const bucket = start + idx * bucketMs;
    if (bucket >= first && bucket <= own) visit(bucket, count);
  }
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
