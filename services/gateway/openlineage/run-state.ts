/**
 * The state of an OpenLineage run across its events (pure fold + the store contract).
 *
 * Events of one run arrive in any order, duplicated, and long-running jobs send RUNNING events
 * without end. The activity's state must end the same whatever the arrival order, and readers
 * take the row with the latest valid_from (argMax). So the state is a join of everything seen:
 *
 *   status      the terminal state if any (COMPLETE/FAIL/ABORT beat START/RUNNING whatever their
 *               times); among terminal events the latest eventTime wins, ties: FAIL > ABORT > COMPLETE
 *   startTime   the earliest START's eventTime, else the earliest RUNNING's (never after endTime)
 *   endTime     the winning terminal event's eventTime
 *   identity    name/command/params of the earliest event (ties: smallest name)
 *
 * Each time the join changes, one activity row with the whole joined state is published at
 * valid_from = max(latest eventTime seen, previous row's valid_from + 1 ms): events in time order
 * produce rows at their own eventTimes; a late event (a START after the COMPLETE) produces a row
 * just after the previous one, so argMax(valid_from) always returns the full join. A late
 * START/RUNNING earlier than every row published so far (and than the terminal event) also gets
 * a historical RUNNING row at its own eventTime: it never wins the argMax, keeps "as of T"
 * queries truthful, and, being earlier than every other row, never ties with one.
 * A fold that changes nothing republishes the rows of the last fold that did (same facts, same
 * event ids): a client retrying after a failed publish gets exactly the rows of its first attempt
 * out again (the state already holds its events), and the tables collapse repeats.
 */
import type { Activity } from '../../model/types.js';
import { factKey } from '../facts.js';
import type { Fact } from '../facts.js';
import type { RunObservation } from './map.js';

export type TerminalStatus = 'COMPLETED' | 'FAILED' | 'ABORTED';
const TERMINAL: Partial<Record<string, TerminalStatus>> = { COMPLETE: 'COMPLETED', FAIL: 'FAILED', ABORT: 'ABORTED' };
const PRECEDENCE: Record<TerminalStatus, number> = { COMPLETED: 1, ABORTED: 2, FAILED: 3 };
const TYPE_ORDER: Record<string, number> = { START: 0, RUNNING: 1, OTHER: 2, COMPLETE: 3, ABORT: 4, FAIL: 5 };

export interface RunState {
  v: 1;
  identity: { time: number; name: string; command: string; params: Record<string, string> } | null;
  start: number | null;
  running: number | null;
  terminal: { status: TerminalStatus; time: number } | null;
  /** Latest eventTime of a state-changing event type (START, RUNNING, terminal). */
  maxTime: number;
  /** valid_from of the last published state row (0: none yet). */
  validFrom: number;
  /** The earliest valid_from of any row published (0: none yet). */
  firstValidFrom: number;
  /** The rows the last state-changing fold published (republished by folds that change nothing). */
  lastFacts: Fact[];
}

export function emptyRunState(): RunState {
  return { v: 1, identity: null, start: null, running: null, terminal: null, maxTime: 0, validFrom: 0, firstValidFrom: 0, lastFacts: [] };
}

const min = (a: number | null, b: number) => (a === null ? b : Math.min(a, b));

/** The activity the state stands for; null until a START, RUNNING or terminal event was seen. */
export function activityOf(id: string, s: RunState): Activity | null {
  const status = s.terminal?.status ?? (s.start !== null || s.running !== null ? 'RUNNING' : null);
  if (status === null || s.identity === null) return null;
  const endTime = s.terminal?.time ?? null;
  let startTime = s.start ?? s.running;
  if (startTime !== null && endTime !== null && startTime > endTime) startTime = endTime;
  const { name, command, params } = s.identity;
  return { type: 'activity', id, name, command, status, startTime, endTime, exitCode: null, workdir: null, params, env: {} };
}

function observe(s: RunState, o: RunObservation): RunState {
  const next: RunState = { ...s };
  if (s.identity === null || o.time < s.identity.time || (o.time === s.identity.time && o.name < s.identity.name)) {
    next.identity = { time: o.time, name: o.name, command: o.command, params: o.params };
  }
  const terminal = o.eventType ? TERMINAL[o.eventType] : undefined;
  if (o.eventType === 'START') next.start = min(s.start, o.time);
  else if (o.eventType === 'RUNNING') next.running = min(s.running, o.time);
  else if (terminal) {
    const t = s.terminal;
    if (!t || o.time > t.time || (o.time === t.time && PRECEDENCE[terminal] > PRECEDENCE[t.status])) next.terminal = { status: terminal, time: o.time };
  }
  if (o.eventType !== null && o.eventType !== 'OTHER') next.maxTime = Math.max(s.maxTime, o.time);
  return next;
}

function byArrivalIndependentOrder(a: RunObservation, b: RunObservation): number {
  return a.time - b.time || (TYPE_ORDER[a.eventType ?? 'OTHER'] ?? 9) - (TYPE_ORDER[b.eventType ?? 'OTHER'] ?? 9) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/**
 * Folds a run's observations (from one request or Kafka batch) into its state. Returns the new
 * state and the activity rows to publish. Pure; the caller stores `next` atomically.
 */
export function foldRun(prev: RunState | null, activityId: string, observations: readonly RunObservation[]): { next: RunState; facts: Fact[] } {
  let state = prev ?? emptyRunState();
  const facts: Fact[] = [];
  let current = activityOf(activityId, state);
  for (const o of [...observations].sort(byArrivalIndependentOrder)) {
    const before = state;
    state = observe(state, o);
    const view = activityOf(activityId, state);
    if (view && (current === null || factKey(view) !== factKey(current))) {
      const validFrom = Math.max(state.maxTime, before.validFrom + 1);
      state = { ...state, validFrom, firstValidFrom: before.firstValidFrom || validFrom };
      facts.push({ time: validFrom, payload: view });
      current = view;
    }
    const historical = before.firstValidFrom > 0 && o.time < before.firstValidFrom && (state.terminal === null || o.time < state.terminal.time);
    if (view && historical && (o.eventType === 'START' || o.eventType === 'RUNNING')) {
      const startTime = Math.min(view.startTime ?? o.time, o.time);
      facts.push({ time: o.time, payload: { ...view, status: 'RUNNING', startTime, endTime: null } });
      state = { ...state, firstValidFrom: o.time };
    }
  }
  if (facts.length === 0) return { next: state, facts: state.lastFacts };
  return { next: { ...state, lastFacts: facts }, facts };
}

/**
 * Where run states live between events. Implementations: MemoryRunStateStore (one process;
 * tests, single-instance deployments) and RedisRunStateStore (shared by every gateway and
 * consumer process). Both must pass run-state.contract.ts.
 */
export interface RunStateStore {
  /**
   * Replaces the state stored under `key` by `fn(current).next`, atomically with respect to every
   * other update of the same key (in any process sharing the store), and resolves with
   * `fn(current).result`. `fn` must be pure: it may run more than once when a concurrent update
   * wins the race. Rejects with a retriable error when the store is unreachable.
   */
  update<T>(key: string, fn: (current: RunState | null) => { next: RunState; result: T }): Promise<T>;
  close(): Promise<void>;
}

export class MemoryRunStateStore implements RunStateStore {
  private readonly states = new Map<string, string>();

  async update<T>(key: string, fn: (current: RunState | null) => { next: RunState; result: T }): Promise<T> {
    const raw = this.states.get(key);
    const { next, result } = fn(raw === undefined ? null : (JSON.parse(raw) as RunState));
    this.states.set(key, JSON.stringify(next));
    return result;
  }

  get size(): number {
    return this.states.size;
  }

  async close(): Promise<void> {}
}
