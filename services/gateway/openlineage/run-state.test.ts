import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Activity } from '../../model/types.js';
import { canonicalJson } from '../../ingest/rows.js';
import { activityOf, foldRun, MemoryRunStateStore } from './run-state.js';
import type { RunState } from './run-state.js';
import { runStateStoreContract } from './run-state.contract.js';
import type { RunObservation } from './map.js';
import type { EventType } from './schema.js';
import type { Fact } from '../facts.js';

const ACT = 'act:00000000-0000-4000-8000-000000000001';
const obs = (eventType: EventType | null, time: number, name = 'job'): RunObservation => ({ eventType, time, name, command: `ns/${name}`, params: { 'ol.job.name': name } });

/** Folds the observations one request at a time (the worst case: no batching), returns the final state and every row published. */
function foldEach(list: readonly RunObservation[]): { state: RunState | null; rows: Fact[] } {
  let state: RunState | null = null;
  const rows: Fact[] = [];
  for (const o of list) {
    const r = foldRun(state, ACT, [o]);
    state = r.next;
    rows.push(...r.facts);
  }
  return { state, rows };
}

/** What readers see: the row with the greatest valid_from (argMax); null without rows. */
function argMax(rows: readonly Fact[]): Activity | null {
  let best: Fact | null = null;
  for (const r of rows) if (!best || r.time > best.time) best = r;
  return (best?.payload as Activity | undefined) ?? null;
}

/** Rows at the same valid_from must agree, or argMax would be undefined. */
function noConflictingTies(rows: readonly Fact[]): boolean {
  const byTime = new Map<number, string>();
  for (const r of rows) {
    const c = canonicalJson(r.payload);
    if (byTime.has(r.time) && byTime.get(r.time) !== c) return false;
    byTime.set(r.time, c);
  }
  return true;
}

const state = (status: string | null, startTime: number | null, endTime: number | null) => ({ status, startTime, endTime });
const summary = (a: Activity | null) => (a ? state(a.status, a.startTime, a.endTime) : null);

describe('foldRun: the state a run ends in', () => {
  const table: Array<[string, RunObservation[], ReturnType<typeof state> | null]> = [
    ['START then COMPLETE', [obs('START', 10), obs('COMPLETE', 20)], state('COMPLETED', 10, 20)],
    ['COMPLETE then a late START (arrival order)', [obs('COMPLETE', 20), obs('START', 10)], state('COMPLETED', 10, 20)],
    ['FAIL beats earlier RUNNING events', [obs('RUNNING', 15), obs('FAIL', 20), obs('START', 10)], state('FAILED', 10, 20)],
    ['a terminal state beats RUNNING events stamped after it', [obs('START', 10), obs('COMPLETE', 20), obs('RUNNING', 30), obs('RUNNING', 40)], state('COMPLETED', 10, 20)],
    ['ABORT', [obs('START', 10), obs('ABORT', 12)], state('ABORTED', 10, 12)],
    ['the latest terminal event wins', [obs('FAIL', 20), obs('COMPLETE', 25), obs('START', 10)], state('COMPLETED', 10, 25)],
    ['terminal events at the same time: FAIL > ABORT > COMPLETE', [obs('COMPLETE', 20), obs('FAIL', 20), obs('ABORT', 20)], state('FAILED', null, 20)],
    ['endless RUNNING: running since the first', [obs('RUNNING', 30), obs('RUNNING', 10), obs('RUNNING', 20)], state('RUNNING', 10, null)],
    ['START wins over RUNNING for the start time', [obs('RUNNING', 5), obs('START', 10)], state('RUNNING', 10, null)],
    ['a start after the end is clamped to the end', [obs('START', 30), obs('COMPLETE', 20)], state('COMPLETED', 20, 20)],
    ['OTHER alone says nothing about the state', [obs('OTHER', 10), obs(null, 11)], null],
    ['OTHER after the end changes nothing', [obs('START', 10), obs('COMPLETE', 20), obs('OTHER', 30)], state('COMPLETED', 10, 20)],
  ];
  it.each(table)('%s', (_n, list, want) => {
    const { state: s, rows } = foldEach(list);
    expect(summary(activityOf(ACT, s!))).toEqual(want);
    expect(summary(argMax(rows))).toEqual(want);
    expect(noConflictingTies(rows)).toBe(true);
  });

  it('identity comes from the earliest event (ties: smallest name), whatever the order', () => {
    const a = foldEach([obs('COMPLETE', 20, 'b'), obs('START', 10, 'z'), obs('RUNNING', 10, 'a')]).state!;
    expect(activityOf(ACT, a)?.name).toBe('a');
  });

  it('a late START leaves a historical RUNNING row at its own time that never wins', () => {
    const { rows } = foldEach([obs('COMPLETE', 20), obs('START', 10)]);
    expect(rows.map((r) => [r.time, (r.payload as Activity).status, (r.payload as Activity).startTime])).toEqual([
      [20, 'COMPLETED', null],
      [21, 'COMPLETED', 10],
      [10, 'RUNNING', 10],
    ]);
  });

  it('a fold that changes nothing republishes the rows of the last fold that did (a retry after a failed publish)', () => {
    const first = foldRun(null, ACT, [obs('COMPLETE', 20), obs('START', 10), obs('RUNNING', 15)]);
    expect(first.facts.length).toBeGreaterThan(1);
    const again = foldRun(first.next, ACT, [obs('COMPLETE', 20), obs('START', 10), obs('RUNNING', 15)]);
    expect(again.facts).toEqual(first.facts);
    expect(again.next).toEqual(first.next);
    expect(foldRun(first.next, ACT, [obs('OTHER', 30)]).facts).toEqual(first.facts);
  });

  it('heartbeats of an endless run publish no new state', () => {
    const list = [obs('START', 0), ...Array.from({ length: 200 }, (_, i) => obs('RUNNING', 1000 * (i + 1)))];
    const { rows } = foldEach(list);
    expect(new Set(rows.map((r) => canonicalJson(r)))).toHaveLength(1);
  });

  it('events in time order publish each state at its own event time', () => {
    const { rows } = foldEach([obs('START', 10), obs('RUNNING', 15), obs('COMPLETE', 20)]);
    expect([...new Set(rows.map((r) => `${r.time}:${(r.payload as Activity).status}`))]).toEqual(['10:RUNNING', '20:COMPLETED']);
  });
});

describe('foldRun: any arrival order, duplicates, any batching -> the same final state', () => {
  const stream = [obs('START', 1000), obs('RUNNING', 2000), obs('RUNNING', 3000), obs('COMPLETE', 4000), obs('OTHER', 5000), obs('RUNNING', 6000)];
  const want = state('COMPLETED', 1000, 4000);

  it('every permutation of the stream plus a duplicate, one event per request', () => {
    const events = [...stream, stream[0]!];
    const perms = (xs: RunObservation[]): RunObservation[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p])));
    const all = perms(events);
    expect(all).toHaveLength(5040);
    for (const order of all) {
      const { rows } = foldEach(order);
      expect(summary(argMax(rows))).toEqual(want);
      expect(noConflictingTies(rows)).toBe(true);
    }
  });

  it('random orders, duplicates and batch boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length - 1 }), { minLength: stream.length, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 20 }), (picks, cuts) => {
        const order = [...new Set(picks)].length === stream.length ? picks.map((i) => stream[i]!) : [...stream, ...picks.map((i) => stream[i]!)];
        let s: RunState | null = null;
        const rows: Fact[] = [];
        for (let i = 0, c = 0; i < order.length; c++) {
          const n = cuts[c % Math.max(cuts.length, 1)] ?? 1;
          const r = foldRun(s, ACT, order.slice(i, i + n));
          s = r.next;
          rows.push(...r.facts);
          i += n;
        }
        expect(summary(argMax(rows))).toEqual(want);
        expect(noConflictingTies(rows)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

runStateStoreContract('memory', async () => {
  const store = new MemoryRunStateStore();
  return { stores: [store, store] };
});
