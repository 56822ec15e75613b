import { describe, expect, it } from 'vitest';
import { Harness, MIN, rule, Stream, T0 } from './test-fixtures.js';

const unfinished = rule(`{id: stuck, kind: absence, severity: warning, notify: [feed], match: {activity: "etl*"}, absence: {mode: unfinished, within: 30m}}`);
const noRun = rule(`{id: quiet, kind: absence, severity: warning, notify: [feed], dedupWindow: 0, match: {activity: nightly}, absence: {mode: no-run, within: 1d}}`);
const DAY = 24 * 60 * MIN;

describe('absence: started and not finished within T', () => {
  it.each([
    ['fires on the first tick after the deadline', [], 30 * MIN + 1, 1],
    ['is not late exactly at the deadline', [], 30 * MIN, 0],
    ['does not fire when the run completed in time', [['COMPLETED', 29 * MIN]], 31 * MIN, 0],
    ['does not fire when the run failed in time', [['FAILED', 10 * MIN]], 2 * 60 * MIN, 0],
    ['does not fire when the run was aborted in time', [['ABORTED', 10 * MIN]], 2 * 60 * MIN, 0],
    ['an UNKNOWN status neither finishes nor restarts the run', [['UNKNOWN', 10 * MIN]], 31 * MIN, 1],
    ['another RUNNING update does not move the deadline', [['RUNNING', 20 * MIN]], 31 * MIN, 1],
  ] as const)('%s', (_name, later, tickAt, expected) => {
    const s = new Stream();
    const h = new Harness([unfinished]);
    h.feed(s.activity('act:1', 'etl-daily', 'RUNNING', { startTime: T0, time: T0 }));
    for (const [status, at] of later) h.feed(s.activity('act:1', 'etl-daily', status, { startTime: T0, time: T0 + at }));
    expect(h.tick(T0 + tickAt)).toHaveLength(expected);
  });

  it('describes the late run and links its RUNNING event', () => {
    const s = new Stream();
    const h = new Harness([unfinished]);
    const start = s.activity('act:1', 'etl-daily', 'RUNNING', { startTime: T0 - 5 * MIN, time: T0 });
    h.feed(start);
    expect(h.tick(T0 + 25 * MIN)).toEqual([]); // the deadline counts from startTime, not the event time
    const [a] = h.tick(T0 + 26 * MIN);
    expect(a).toMatchObject({
      ruleId: 'stuck',
      subject: 'act:1',
      time: T0 + 25 * MIN + 1,
      threshold: 30 * MIN,
      eventIds: [start.eventId],
      vertexIds: ['act:1'],
      details: { job: 'etl-daily', startTime: T0 - 5 * MIN, deadline: T0 + 25 * MIN },
    });
    expect(a?.message).toBe('activity act:1 of job etl-daily started at 2024-12-31T23:55:00.000Z has not finished within 30m');
  });

  it('fires once per run: the deadline is removed when it fires', () => {
    const s = new Stream();
    const h = new Harness([{ ...unfinished, dedupWindowMs: 0 }]);
    h.feed(s.activity('act:1', 'etl', 'RUNNING', { time: T0 }));
    expect(h.tick(T0 + 31 * MIN)).toHaveLength(1);
    expect(h.tick(T0 + 60 * MIN)).toHaveLength(0);
    expect(h.feed(s.activity('act:1', 'etl', 'COMPLETED', { time: T0 + 61 * MIN }))).toEqual([]);
  });

  it('yields the same alertId when the same deadline is ticked again at another time (two tickers, a crash)', () => {
    const running = new Stream().activity('act:1', 'etl', 'RUNNING', { time: T0 });
    const [a, b] = [40, 50].map((minutes) => {
      const h = new Harness([unfinished]);
      h.feed(running);
      return h.tick(T0 + minutes * MIN)[0]?.alertId;
    });
    expect(a).toMatch(/^alr:/);
    expect(b).toBe(a);
  });

  it('does not arm when the terminal status arrived before RUNNING (reordered events)', () => {
    const s = new Stream();
    const h = new Harness([unfinished]);
    h.feed(s.activity('act:1', 'etl', 'COMPLETED', { time: T0 + MIN }));
    h.feed(s.activity('act:1', 'etl', 'RUNNING', { time: T0 }));
    expect(h.tick(T0 + 2 * 60 * MIN)).toEqual([]);
  });

  it('watches only matching jobs, and each run separately', () => {
    const s = new Stream();
    const h = new Harness([unfinished]);
    h.feedAll([
      s.activity('act:1', 'etl-a', 'RUNNING', { time: T0 }),
      s.activity('act:2', 'train', 'RUNNING', { time: T0 }),
      s.activity('act:3', 'etl-b', 'RUNNING', { time: T0 + 10 * MIN }),
    ]);
    expect(h.tick(T0 + 31 * MIN).map((a) => a.subject)).toEqual(['act:1']);
    expect(h.tick(T0 + 41 * MIN).map((a) => a.subject)).toEqual(['act:3']);
  });

  it('keeps deadlines of different projects apart in one sorted set', () => {
    const h = new Harness([unfinished]);
    h.feed(new Stream('p1').activity('act:1', 'etl', 'RUNNING', { time: T0 }));
    h.feed(new Stream('p2').activity('act:1', 'etl', 'RUNNING', { time: T0 }));
    h.feed(new Stream('p1').activity('act:1', 'etl', 'COMPLETED', { time: T0 + MIN }));
    expect(h.tick(T0 + 31 * MIN).map((a) => a.project)).toEqual(['p2']);
  });
});

describe('absence: no run of job J for T', () => {
  it.each([
    ['fires when the job has not run for T', [0], 1 * DAY + 1, 1],
    ['not yet at exactly T', [0], 1 * DAY, 0],
    ['a later run moves the deadline', [0, 0.5 * DAY], 1.2 * DAY, 0],
    ['a later run moves the deadline, which then expires', [0, 0.5 * DAY], 1.5 * DAY + 1, 1],
    ['an older run arriving late does not move it back', [0.5 * DAY, 0], 1.2 * DAY, 0],
  ])('%s', (_name, runs, tickAt, expected) => {
    const s = new Stream();
    const h = new Harness([noRun]);
    runs.forEach((at, i) => h.feed(s.activity(`act:${i}`, 'nightly', 'COMPLETED', { startTime: T0 + at, time: T0 + at })));
    expect(h.tick(T0 + tickAt)).toHaveLength(expected);
  });

  it('links the last run, fires once, and re-arms on the next run', () => {
    const s = new Stream();
    const h = new Harness([noRun]);
    const last = s.activity('act:9', 'nightly', 'RUNNING', { startTime: T0, time: T0 });
    h.feed(last);
    const [a] = h.tick(T0 + DAY + 5);
    expect(a).toMatchObject({ subject: 'nightly', time: T0 + DAY + 1, eventIds: [last.eventId], vertexIds: ['act:9'], details: { lastRunTime: T0 } });
    expect(a?.message).toBe('no run of job nightly in project proj for 1d (last run act:9 at 2025-01-01T00:00:00.000Z)');
    expect(h.tick(T0 + 3 * DAY)).toEqual([]);
    h.feed(s.activity('act:10', 'nightly', 'RUNNING', { time: T0 + 3 * DAY }));
    expect(h.tick(T0 + 4 * DAY + 1)).toHaveLength(1);
  });

  it('reads the fired jobs (and their dedup keys) in a second tick round', () => {
    const s = new Stream();
    const h = new Harness([{ ...noRun, dedupWindowMs: DAY }]);
    h.feed(s.activity('act:1', 'nightly', 'COMPLETED', { time: T0 }));
    expect(h.tick(T0 + 2 * DAY)).toHaveLength(1);
    expect(h.tickRounds).toEqual([2]);
  });
});
