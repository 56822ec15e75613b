/**
 * Threshold, regression and z-score rules: what happens once an observation is attributed to a
 * subject (observe.ts does the attribution).
 *
 * State (per rule, per project p, per group g = artifact / job name / vertex id):
 *   ver:<p>:<g>   {h: Point[]}, oldest version first   regression: the newest REGRESSION_HISTORY
 *                 versions' latest values (see onRegression)                      TTL stateTtl
 *   win:<p>:<g>   list of {v, e}, newest first     zscore: last `window` values       TTL stateTtl
 */
import { fmt, uniqueIds } from './alerts.js';
import { compare, describePredicate } from './compare.js';
import type { EvalContext } from './context.js';
import { asRecord, numericValue, type Observation, type Subject } from './observe.js';
import type { RegressionRule, ThresholdRule, ZScoreRule } from './rule-types.js';
import type { Json } from './state.js';

/** Relative tolerance for boundary comparisons, so 0.82 - 0.80 counts as a drop of 0.02. */
const EPS = 1e-9;

export function describeSubject(s: Subject): string {
  if (s.mode === 'entity') return `${s.group}${s.version !== null ? ` v${s.version}` : ''} (${s.id})`;
  if (s.mode === 'activity') return `run ${s.id} of job ${s.group}`;
  return s.id;
}

export function onThreshold(ctx: EvalContext, rule: ThresholdRule, subject: Subject, obs: Observation): void {
  const t = rule.threshold;
  if (!compare(obs.value, t.op, t.value)) return;
  ctx.emit({
    project: obs.project,
    subject: subject.id,
    time: obs.time,
    triggerId: obs.eventId,
    message: `${t.source} ${describePredicate(t.key, t.op, t.value)} holds for ${describeSubject(subject)}${t.at === 'end' ? ' at its end' : ''}: ${t.key} = ${typeof obs.value === 'number' ? fmt(obs.value) : JSON.stringify(obs.value)}${t.at === 'end' && obs.step !== null ? ` (step ${obs.step})` : ''}`,
    value: obs.value,
    threshold: t.value,
    details: { source: t.source, key: t.key, op: t.op, group: subject.group, step: obs.step, observedOn: obs.vertex, ...(t.at === 'end' ? { at: 'end' } : {}) },
    eventIds: uniqueIds([obs.eventId, ...subject.eventIds]),
    vertexIds: uniqueIds([...subject.vertexIds, obs.vertex]),
  });
}

/** One version in a regression history: its latest value and how its subject was resolved. */
interface Point {
  id: string;
  v: number;
  ver: number | null;
  /** Event id and event time of the latest value (by event time, then event id). */
  e: string;
  t: number;
  /** Earliest event time of a value of this version (orders versions without a number). */
  f: number;
  /** This value already raised an alert against its predecessor (or was suppressed by dedup). */
  a: boolean;
  /** The subject's eventIds and vertexIds when the value was attributed (for a late alert). */
  se: string[];
  sv: string[];
}

/** Versions a regression history keeps per group: how far out of order a version may arrive. */
export const REGRESSION_HISTORY = 8;

/**
 * "Previous" is the closest older version with a value, in version order: the version number
 * (versions without one after the numbered ones), then the earliest event time of a value, then
 * the id. Each value is compared with the latest value (by event time) of the previous version,
 * as if the values had arrived sorted by (version, event time), whatever their arrival order:
 *   - a value of a version with no predecessor yet is kept, and compared once the predecessor
 *     arrives (the predecessor's arrival re-evaluates its successor's latest value);
 *   - a later value of a version re-evaluates its successor, which then compares with it;
 *   - an alert is raised once per value (a value that already alerted is not re-alerted when its
 *     predecessor changes), with the same alertId as in order (rule, subject, its event), and a
 *     replayed value (its event id is the stored one) changes nothing.
 * Limits: an alert already raised is never withdrawn, so when a version arrives after its
 * successor was compared with an older version, that comparison's alert stays. The history keeps
 * the newest REGRESSION_HISTORY versions; a value of a version older than all of them while the
 * history is full is ignored (what lay between it and the oldest kept one is forgotten).
 */
export function onRegression(ctx: EvalContext, rule: RegressionRule, subject: Subject, obs: Observation): void {
  const x = numericValue(obs);
  if (x === undefined) return;
  const key = ctx.key('ver', obs.project, subject.group);
  const history = historyOf(ctx.get(key));
  const at = history.findIndex((q) => q.id === subject.id);
  const old = at >= 0 ? history[at] : undefined;
  if (old?.e === obs.eventId) return; // a replay of the stored value
  const value: Point = {
    id: subject.id,
    v: x,
    ver: subject.version,
    e: obs.eventId,
    t: obs.time,
    f: old ? Math.min(old.f, obs.time) : obs.time,
    a: false,
    se: subject.eventIds,
    sv: subject.vertexIds,
  };
  const latest = !old || obs.time > old.t || (obs.time === old.t && obs.eventId > old.e);
  const stored: Point = latest ? value : { ...old, f: value.f };
  if (at >= 0) history.splice(at, 1);
  let j = 0;
  while (j < history.length && before(history[j]!, stored)) j++;
  if (j === 0 && !old && history.length >= REGRESSION_HISTORY) return; // older than every kept version
  history.splice(j, 0, stored);

  const mode = subject.mode;
  const prev = j > 0 ? history[j - 1] : undefined;
  if (prev && checkPair(ctx, rule, obs.project, mode, subject.group, value, prev) && latest) stored.a = true;
  const next = history[j + 1];
  if (latest && next && !next.a && checkPair(ctx, rule, obs.project, mode, subject.group, next, stored)) next.a = true;
  if (history.length > REGRESSION_HISTORY) history.splice(0, history.length - REGRESSION_HISTORY);
  ctx.set(key, { h: history.map(pointJson) }, rule.stateTtlMs);
}

/** a comes before b in version order. */
function before(a: Point, b: Point): boolean {
  if (a.ver !== b.ver) {
    if (a.ver === null) return false;
    if (b.ver === null) return true;
    return a.ver < b.ver;
  }
  return a.f !== b.f ? a.f < b.f : a.id < b.id;
}

/** Compares `cur` with the previous version's value; true when an alert was raised or suppressed. */
function checkPair(ctx: EvalContext, rule: RegressionRule, project: string, mode: Subject['mode'], group: string, cur: Point, prev: Point): boolean {
  const r = rule.regression;
  const x = cur.v;
  const worse = r.direction === 'higher-is-better' ? prev.v - x : x - prev.v;
  const relative = prev.v !== 0 ? worse / Math.abs(prev.v) : null;
  const tol = EPS * Math.max(1, Math.abs(prev.v), Math.abs(x));
  const measured = r.mode === 'absolute' ? worse : relative;
  if (measured === null || worse <= tol || measured < r.minDrop - (r.mode === 'absolute' ? tol : EPS)) return false;
  const amount = r.mode === 'absolute' ? fmt(worse) : `${fmt(worse / Math.abs(prev.v) * 100)}%`;
  const subject: Subject = { id: cur.id, group, version: cur.ver, mode, eventIds: cur.se, vertexIds: cur.sv };
  return ctx.emit({
    project,
    subject: cur.id,
    time: cur.t,
    triggerId: cur.e,
    message: `${r.key} regressed by ${amount} (${fmt(prev.v)} -> ${fmt(x)}) for ${describeSubject(subject)} against ${prev.ver !== null ? `v${prev.ver} ` : ''}${prev.id}`,
    value: x,
    threshold: r.minDrop,
    details: {
      key: r.key,
      group,
      previous: prev.v,
      previousVertex: prev.id,
      previousVersion: prev.ver,
      change: worse,
      relativeChange: relative,
      mode: r.mode,
      direction: r.direction,
    },
    eventIds: uniqueIds([cur.e, prev.e, ...cur.se]),
    vertexIds: uniqueIds([...cur.sv, prev.id]),
  }) !== 'pending';
}

/**
 * z = (x - mean) / max(std, minStd) over the window before x is added (sample std, n - 1).
 * With std 0 and minStd 0 the z-score is undefined and nothing fires. A value whose event id is
 * already in the window (a replay) is scored against the rest and not added twice.
 */
export function onZScore(ctx: EvalContext, rule: ZScoreRule, subject: Subject, obs: Observation): void {
  const x = numericValue(obs);
  if (x === undefined) return;
  const z = rule.zscore;
  const key = ctx.key('win', obs.project, subject.group);
  const items = ctx.list(key).map(asRecord);
  const replay = items.some((i) => i?.e === obs.eventId);
  const values = items
    .filter((i) => i?.e !== obs.eventId)
    .map((i) => i?.v)
    .filter((v): v is number => typeof v === 'number')
    .slice(0, z.window);
  if (!replay) ctx.push(key, { v: x, e: obs.eventId }, z.window, rule.stateTtlMs);
  if (values.length < z.minSamples) return;

  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  const std = Math.max(Math.sqrt(variance), z.minStd);
  if (!(std > 0)) return;
  const score = (x - mean) / std;
  const fires = z.direction === 'above' ? score >= z.threshold - EPS : z.direction === 'below' ? -score >= z.threshold - EPS : Math.abs(score) >= z.threshold - EPS;
  if (!fires) return;
  ctx.emit({
    project: obs.project,
    subject: subject.id,
    time: obs.time,
    triggerId: obs.eventId,
    message: `${z.key} = ${fmt(x)} is ${fmt(Math.abs(score))} standard deviations ${score > 0 ? 'above' : 'below'} the mean ${fmt(mean)} of the last ${values.length} values for ${describeSubject(subject)}`,
    value: score,
    threshold: z.threshold,
    details: { key: z.key, group: subject.group, observed: x, mean, std, samples: values.length, step: obs.step },
    eventIds: uniqueIds([obs.eventId, ...subject.eventIds]),
    vertexIds: uniqueIds([...subject.vertexIds, obs.vertex]),
  });
}

/** The stored history, oldest version first; the layout before it ({cur, prev}) reads as two versions. */
function historyOf(raw: Json | undefined): Point[] {
  const r = asRecord(raw);
  if (!r) return [];
  if (Array.isArray(r.h)) return r.h.map(point).filter((q): q is Point => q !== undefined);
  return [point(r.prev), point(r.cur)].filter((q): q is Point => q !== undefined).map((q) => ({ ...q, a: true }));
}

function point(raw: Json | undefined): Point | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.id !== 'string' || typeof r.v !== 'number' || typeof r.e !== 'string' || typeof r.t !== 'number') return undefined;
  return {
    id: r.id,
    v: r.v,
    ver: typeof r.ver === 'number' ? r.ver : null,
    e: r.e,
    t: r.t,
    f: typeof r.f === 'number' ? r.f : r.t,
    a: r.a === 1,
    se: strings(r.se),
    sv: Array.isArray(r.sv) ? strings(r.sv) : [r.id],
  };
}

function strings(x: Json | undefined): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
}

/** Stored compactly: `a` and `f` only when they say something, `sv` only when it is not [id]. */
function pointJson(q: Point): Json {
  const out: { [key: string]: Json } = { id: q.id, v: q.v, ver: q.ver, e: q.e, t: q.t, se: [...q.se] };
  if (q.f !== q.t) out.f = q.f;
  if (q.a) out.a = 1;
  if (q.sv.length !== 1 || q.sv[0] !== q.id) out.sv = [...q.sv];
  return out;
}
