/**
 * Absence rules: something expected did not happen in time. Events arm and disarm deadlines;
 * ticks (evaluateTick, driven by a timer with an explicit `now`) fire the expired ones.
 *
 * State (per rule; p = project):
 *   dl                 zset of deadlines, one per rule across projects: member = JSON text
 *                      identifying the watch, score = the first millisecond at which it is late
 *                      (deadline + 1), so a tick at `now` fires scores <= now.     TTL see below
 *   unfinished:
 *     run:<p>:<actId>  the activity's dl member (armed)                            TTL within + 1d
 *     fin:<p>:<actId>  1: a terminal status was seen (a late RUNNING must not re-arm) TTL within + 1d
 *   no-run:
 *     last:<p>:<job>   {t, e, a}: the latest run of the job                         TTL max(stateTtl, within + 1d)
 *
 * Unfinished: a RUNNING activity arms startTime (or event time) + within; COMPLETED, FAILED or
 * ABORTED disarms (UNKNOWN does neither). No-run: every activity of the job moves the job's
 * deadline to its start + within; firing removes it until the job runs again. A job is watched
 * only after its first run is seen.
 *
 * Ticks must come from ONE instance per rule at a time (e.g. the owner of partition 0): dl is
 * shared by all partitions. A duplicate tick is harmless (same alertIds), only wasteful. When
 * replaying a backlog, tick with the event-time watermark, not the wall clock, or deadlines whose
 * terminal events are still in the backlog fire.
 */
import type { ProvEvent } from '../../model/types.js';
import type { EvalContext } from './context.js';
import { formatDuration } from './duration.js';
import { activityMatches, asRecord } from './observe.js';
import { ruleAppliesToProject, type AbsenceRule } from './rule-types.js';
import type { KeyRead } from './state.js';

/** Deadlines fired per tick at most; the rest fire on the next tick. */
export const TICK_BATCH = 500;
const DAY_MS = 86_400_000;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'ABORTED']);

function dlTtl(rule: AbsenceRule): number {
  return Math.max(rule.stateTtlMs, rule.absence.withinMs + 7 * DAY_MS);
}

export function absenceKeys(ctx: Pick<EvalContext, 'key'>, rule: AbsenceRule, event: ProvEvent): KeyRead[] {
  const p = event.payload;
  if (p.type !== 'activity' || !activityMatches(rule.match, p)) return [];
  if (rule.absence.mode === 'no-run') return [{ type: 'value', key: ctx.key('last', event.project, p.name) }];
  return [
    { type: 'value', key: ctx.key('run', event.project, p.id) },
    { type: 'value', key: ctx.key('fin', event.project, p.id) },
  ];
}

export function onAbsenceEvent(ctx: EvalContext, rule: AbsenceRule, event: ProvEvent): void {
  const p = event.payload;
  if (p.type !== 'activity' || !activityMatches(rule.match, p)) return;
  const P = event.project;
  const within = rule.absence.withinMs;
  const start = p.startTime ?? event.time;

  if (rule.absence.mode === 'no-run') {
    const lastKey = ctx.key('last', P, p.name);
    const last = asRecord(ctx.get(lastKey));
    if (!ctx.has(lastKey) || (typeof last?.t === 'number' && last.t >= start)) return;
    ctx.set(lastKey, { t: start, e: event.eventId, a: p.id }, Math.max(rule.stateTtlMs, within + DAY_MS));
    ctx.zadd(ctx.key('dl'), JSON.stringify([P, p.name]), start + within + 1, dlTtl(rule));
    return;
  }

  const runKey = ctx.key('run', P, p.id);
  const finKey = ctx.key('fin', P, p.id);
  const armed = ctx.get(runKey);
  const finished = ctx.get(finKey);
  if (!ctx.has(runKey) || !ctx.has(finKey)) return;
  if (p.status === 'RUNNING') {
    if (armed !== undefined || finished !== undefined) return;
    const member = JSON.stringify([P, p.id, event.eventId, p.name, start]);
    ctx.set(runKey, member, within + DAY_MS);
    ctx.zadd(ctx.key('dl'), member, start + within + 1, dlTtl(rule));
  } else if (TERMINAL.has(p.status)) {
    ctx.set(finKey, 1, within + DAY_MS);
    if (typeof armed === 'string') {
      ctx.zrem(ctx.key('dl'), armed);
      ctx.del(runKey);
    }
  }
}

export function absenceTickKeys(ctx: Pick<EvalContext, 'key'>, now: number): KeyRead[] {
  return [{ type: 'zset', key: ctx.key('dl'), maxScore: now, limit: TICK_BATCH }];
}

export function onAbsenceTick(ctx: EvalContext, rule: AbsenceRule): void {
  const dl = ctx.key('dl');
  const within = rule.absence.withinMs;
  for (const { member, score } of ctx.zrange(dl, ctx.now, TICK_BATCH)) {
    const parsed = parseMember(member);
    if (!parsed) {
      ctx.zrem(dl, member); // not ours or corrupt: drop it rather than fail every tick
      continue;
    }
    const trigger = `deadline:${member}:${score}`;
    if (!ruleAppliesToProject(rule, parsed.project)) {
      ctx.zrem(dl, member); // armed before the rule's projects changed
      continue;
    }
    if (parsed.mode === 'unfinished' && rule.absence.mode === 'unfinished') {
      const { project, activity, eventId, job, start } = parsed;
      const outcome = ctx.emit({
        project,
        subject: activity,
        time: score,
        triggerId: trigger,
        message: `activity ${activity} of job ${job} started at ${iso(start)} has not finished within ${formatDuration(within)}`,
        threshold: within,
        details: { job, startTime: start, deadline: score - 1, withinMs: within },
        eventIds: [eventId],
        vertexIds: [activity],
      });
      if (outcome === 'pending') continue;
      ctx.del(ctx.key('run', project, activity));
    } else if (parsed.mode === 'no-run' && rule.absence.mode === 'no-run') {
      const { project, job } = parsed;
      const lastKey = ctx.key('last', project, job);
      const last = asRecord(ctx.get(lastKey));
      ctx.prefetchDedup(project, job);
      if (!ctx.has(lastKey)) continue;
      const lastTime = typeof last?.t === 'number' ? last.t : score - 1 - within;
      const lastEvent = typeof last?.e === 'string' ? last.e : null;
      const lastActivity = typeof last?.a === 'string' ? last.a : null;
      const outcome = ctx.emit({
        project,
        subject: job,
        time: score,
        triggerId: trigger,
        message: `no run of job ${job} in project ${project} for ${formatDuration(within)} (last run ${lastActivity ?? '?'} at ${iso(lastTime)})`,
        threshold: within,
        details: { job, lastRunTime: lastTime, deadline: score - 1, withinMs: within },
        eventIds: lastEvent ? [lastEvent] : [],
        vertexIds: lastActivity ? [lastActivity] : [],
      });
      if (outcome === 'pending') continue;
    }
    ctx.zrem(dl, member);
  }
}

type Member =
  | { mode: 'unfinished'; project: string; activity: string; eventId: string; job: string; start: number }
  | { mode: 'no-run'; project: string; job: string };

function parseMember(member: string): Member | undefined {
  let v: unknown;
  try {
    v = JSON.parse(member);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return { mode: 'no-run', project: v[0], job: v[1] };
  const [project, activity, eventId, job, start] = v as unknown[];
  if (v.length === 5 && typeof project === 'string' && typeof activity === 'string' && typeof eventId === 'string' && typeof job === 'string' && typeof start === 'number') {
    return { mode: 'unfinished', project, activity, eventId, job, start };
  }
  return undefined;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
