/**
 * The evaluator's public entry points: pure functions of (rule, event or tick, snapshot, now).
 *
 *   keysFor(rule, event)                    keys to load before evaluating the event
 *   evaluate(rule, event, snapshot, now)    -> done {mutations, alerts} | needs {reads}
 *   tickKeysFor(rule, now)                  keys to load before a tick
 *   evaluateTick(rule, snapshot, now)       -> the same, for timers (absence rules)
 *
 * `now` is the processing clock (epoch ms) used for TTLs and deadlines; windows and alert times
 * use event time. Nothing here reads a clock, a store or the network. Disabled rules and events
 * of projects the rule does not apply to evaluate to nothing and read nothing.
 * drive.ts implements the load/evaluate loop on top of these.
 */
import { kindOfId } from '../../model/ids.js';
import type { ProvEvent } from '../../model/types.js';
import type { Alert } from './alerts.js';
import { EvalContext } from './context.js';
import { matchGlob } from './glob.js';
import { absenceKeys, absenceTickKeys, onAbsenceEvent, onAbsenceTick } from './eval-absence.js';
import { onRegression, onThreshold, onZScore } from './eval-observation.js';
import { onRate, rateKeys } from './eval-rate.js';
import { onTaint, taintKeys, type ExternalLineage } from './eval-taint.js';
import { observationOf, resolutionKeys, resolve, selectorMode } from './observe.js';
import { ruleAppliesToProject, type ObservationRule, type Rule } from './rule-types.js';
import { ruleKey, type Evaluation, type KeyRead, type Snapshot, type StateReader } from './state.js';

const EMPTY: Snapshot = new Map();

function keyMaker(rule: Rule): { key: (tag: string, ...parts: (string | number)[]) => string } {
  return { key: (tag, ...parts) => ruleKey(rule.id, tag, ...parts) };
}

/**
 * The keys evaluating `event` reads first. Evaluation may discover more (it then returns
 * `needs`); these are the ones knowable from the event alone. Empty does NOT mean the event is
 * irrelevant: a raw-mode threshold without dedup reads no state and still alerts, so callers
 * must still call evaluate() (services/monitor/rule-index.ts is the cheap pre-filter).
 */
export function keysFor(rule: Rule, event: ProvEvent): KeyRead[] {
  if (!rule.enabled || !ruleAppliesToProject(rule, event.project)) return [];
  const k = keyMaker(rule);
  switch (rule.kind) {
    case 'threshold':
    case 'regression':
    case 'zscore':
      return [...resolutionKeys(k, rule, event), ...knownSubjectKeys(k, rule, event)];
    case 'rate':
      return rateKeys(k, rule, event);
    case 'absence':
      return absenceKeys(k, rule, event);
    case 'taint':
      return taintKeys(k, rule, event);
  }
}

/**
 * In raw mode the group is the observation's own vertex, so its keys are known up front. So is
 * the dedup key of an observation on a vertex of the kind the rule watches (a metric on a run
 * for a job rule, on an entity for an artifact rule): if it is attributed, its subject is that
 * vertex. Asking for it here saves the pair a pass of its own in the batch evaluator (a
 * threshold rule is then exact in the first pass) at the cost of a read that is not needed
 * while the vertex is unknown (rare: entities and runs come before their metrics).
 */
function knownSubjectKeys(k: ReturnType<typeof keyMaker>, rule: ObservationRule, event: ProvEvent): KeyRead[] {
  const mode = selectorMode(rule.match);
  if (mode !== 'raw') {
    if (rule.dedupWindowMs <= 0) return [];
    const obs = observationOf(rule, event);
    if (!obs || kindOfId(obs.vertex) !== mode || (rule.match.subject !== null && !matchGlob(rule.match.subject, obs.vertex))) return [];
    return [{ type: 'value', key: k.key('dd', obs.project, obs.vertex) }];
  }
  const obs = observationOf(rule, event);
  if (!obs) return [];
  const keys: KeyRead[] = rule.dedupWindowMs > 0 ? [{ type: 'value', key: k.key('dd', obs.project, obs.vertex) }] : [];
  if (rule.kind === 'zscore') keys.push({ type: 'list', key: k.key('win', obs.project, obs.vertex) });
  if (rule.kind === 'regression') keys.push({ type: 'value', key: k.key('ver', obs.project, obs.vertex) });
  return keys;
}

/**
 * Evaluates one event against one rule. Pure and deterministic: the same arguments always give
 * the same result. `needs` means the snapshot lacked keys: load them, add them to the snapshot
 * and call again (mutations of a `needs` round are discarded, nothing was decided).
 * `external`: lineage from outside the stream for the taint rules' flags (eval-taint.ts); an
 * input like the snapshot, so the result is still a function of the arguments.
 */
export function evaluate(rule: Rule, event: ProvEvent, snapshot: Snapshot, now: number, external?: ExternalLineage): Evaluation<Alert> {
  return evaluateOn(rule, event, snapshot, now, external);
}

/** What a round against a StateReader gives: always done (the reader answers every read). */
export type ReadThroughResult = Extract<Evaluation<Alert>, { status: 'done' }>;

/**
 * evaluate() reading through `reader` instead of a snapshot: one round, never `needs`. Gives
 * what evaluate() gives in its last round once the snapshot holds every key it asks for, with
 * the reader's answers (see EvalContext). For the monitor's batch evaluator.
 */
export function evaluateThrough(rule: Rule, event: ProvEvent, reader: StateReader, now: number, external?: ExternalLineage): ReadThroughResult {
  return evaluateOn(rule, event, reader, now, external) as ReadThroughResult;
}

/** evaluateTick() reading through `reader` (see evaluateThrough). */
export function evaluateTickThrough(rule: Rule, reader: StateReader, now: number): ReadThroughResult {
  return tickOn(rule, reader, now) as ReadThroughResult;
}

function evaluateOn(rule: Rule, event: ProvEvent, state: Snapshot | StateReader, now: number, external: ExternalLineage | undefined): Evaluation<Alert> {
  if (!rule.enabled || !ruleAppliesToProject(rule, event.project)) return { status: 'done', mutations: [], alerts: [], suppressed: [] };
  const ctx = new EvalContext(rule, state, now);
  switch (rule.kind) {
    case 'threshold':
      resolve(ctx, rule, event, (c, s, o) => onThreshold(c, rule, s, o));
      break;
    case 'regression':
      resolve(ctx, rule, event, (c, s, o) => onRegression(c, rule, s, o));
      break;
    case 'zscore':
      resolve(ctx, rule, event, (c, s, o) => onZScore(c, rule, s, o));
      break;
    case 'rate':
      onRate(ctx, rule, event);
      break;
    case 'absence':
      onAbsenceEvent(ctx, rule, event);
      break;
    case 'taint':
      onTaint(ctx, rule, event, external);
      break;
  }
  return ctx.result();
}

/** Whether the rule needs ticks at all (only absence rules keep timers). */
export function hasTimers(rule: Rule): boolean {
  return rule.enabled && rule.kind === 'absence';
}

export function tickKeysFor(rule: Rule, now: number): KeyRead[] {
  return hasTimers(rule) ? absenceTickKeys(keyMaker(rule), now) : [];
}

/**
 * Fires the deadlines that expired at `now` (scores <= now). Same protocol as evaluate(); the
 * alerts' ids depend on the deadline, not on `now`, so repeated or overlapping ticks are safe.
 */
export function evaluateTick(rule: Rule, snapshot: Snapshot, now: number): Evaluation<Alert> {
  return tickOn(rule, snapshot, now);
}

function tickOn(rule: Rule, state: Snapshot | StateReader, now: number): Evaluation<Alert> {
  const ctx = new EvalContext(rule, state, now);
  if (hasTimers(rule) && rule.kind === 'absence') onAbsenceTick(ctx, rule);
  return ctx.result();
}

/** keysFor() computed by evaluating against an empty snapshot: used to test keysFor's coverage. */
export function firstRoundReads(rule: Rule, event: ProvEvent, now: number): KeyRead[] {
  const r = evaluate(rule, event, EMPTY, now);
  return r.status === 'needs' ? r.reads : [];
}
