/**
 * Threshold, regression and z-score rules: what happens once an observation is attributed to a
 * subject (observe.ts does the attribution).
 *
 * State (per rule, per project p, per group g = artifact / job name / vertex id):
 *   ver:<p>:<g>   {cur: Point, prev: Point|null}   regression: latest two versions   TTL stateTtl
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
    message: `${t.source} ${describePredicate(t.key, t.op, t.value)} holds for ${describeSubject(subject)}: ${t.key} = ${typeof obs.value === 'number' ? fmt(obs.value) : JSON.stringify(obs.value)}`,
    value: obs.value,
    threshold: t.value,
    details: { source: t.source, key: t.key, op: t.op, group: subject.group, step: obs.step, observedOn: obs.vertex },
    eventIds: uniqueIds([obs.eventId, ...subject.eventIds]),
    vertexIds: uniqueIds([...subject.vertexIds, obs.vertex]),
  });
}

interface Point {
  id: string;
  v: number;
  ver: number | null;
  e: string;
  t: number;
}

/**
 * "Previous" is the last other version seen for the group. A late value for the previous version
 * updates it without alerting; a value for a version older than the current one is ignored.
 */
export function onRegression(ctx: EvalContext, rule: RegressionRule, subject: Subject, obs: Observation): void {
  const x = numericValue(obs);
  if (x === undefined) return;
  const key = ctx.key('ver', obs.project, subject.group);
  const state = asRecord(ctx.get(key));
  const cur = point(state?.cur);
  const prev = point(state?.prev);
  const now: Point = { id: subject.id, v: x, ver: subject.version, e: obs.eventId, t: obs.time };
  let next: { cur: Point; prev: Point | null };
  if (!cur) next = { cur: now, prev: null };
  else if (cur.id === subject.id) next = { cur: now, prev: prev ?? null };
  else if (prev?.id === subject.id) next = { cur, prev: now };
  else if (subject.version !== null && cur.ver !== null && subject.version < cur.ver) return;
  else next = { cur: now, prev: cur };
  ctx.set(key, toJson(next), rule.stateTtlMs);
  if (next.cur !== now || !next.prev) return;

  const r = rule.regression;
  const before = next.prev;
  const worse = r.direction === 'higher-is-better' ? before.v - x : x - before.v;
  const relative = before.v !== 0 ? worse / Math.abs(before.v) : null;
  const tol = EPS * Math.max(1, Math.abs(before.v), Math.abs(x));
  const measured = r.mode === 'absolute' ? worse : relative;
  if (measured === null || worse <= tol || measured < r.minDrop - (r.mode === 'absolute' ? tol : EPS)) return;
  const amount = r.mode === 'absolute' ? fmt(worse) : `${fmt(worse / Math.abs(before.v) * 100)}%`;
  ctx.emit({
    project: obs.project,
    subject: subject.id,
    time: obs.time,
    triggerId: obs.eventId,
    message: `${r.key} regressed by ${amount} (${fmt(before.v)} -> ${fmt(x)}) for ${describeSubject(subject)} against ${before.ver !== null ? `v${before.ver} ` : ''}${before.id}`,
    value: x,
    threshold: r.minDrop,
    details: {
      key: r.key,
      group: subject.group,
      previous: before.v,
      previousVertex: before.id,
      previousVersion: before.ver,
      change: worse,
      relativeChange: relative,
      mode: r.mode,
      direction: r.direction,
    },
    eventIds: uniqueIds([obs.eventId, before.e, ...subject.eventIds]),
    vertexIds: uniqueIds([...subject.vertexIds, before.id, obs.vertex]),
  });
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

function point(raw: Json | undefined): Point | undefined {
  const r = asRecord(raw);
  if (!r || typeof r.id !== 'string' || typeof r.v !== 'number' || typeof r.e !== 'string' || typeof r.t !== 'number') return undefined;
  return { id: r.id, v: r.v, ver: typeof r.ver === 'number' ? r.ver : null, e: r.e, t: r.t };
}

function toJson(s: { cur: Point; prev: Point | null }): Json {
  return { cur: { ...s.cur }, prev: s.prev ? { ...s.prev } : null };
}
