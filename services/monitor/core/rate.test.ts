import { describe, expect, it } from 'vitest';
import { Harness, MIN, rule, Stream, T0 } from './test-fixtures.js';

const failures = (extra = '') =>
  rule(`{id: fails, kind: rate, severity: critical, notify: [feed], dedupWindow: 0, match: {activity: "train*"}, rate: {status: FAILED, window: 10m, bucket: 1m, max: 2 ${extra}}}`);

/** Failure times in minutes from T0 -> for each, the count reported when the rule fired (or null). */
function feedFailures(minutes: number[], extra = ''): (number | null)[] {
  const s = new Stream();
  const h = new Harness([failures(extra)]);
  return minutes.map((m, i) => {
    const [a] = h.feed(s.activity(`act:${i}`, 'train', 'FAILED', { time: T0 + m * MIN }));
    return a ? (a.value as number) : null;
  });
}

describe('rate of failed activities in a window', () => {
  it.each([
    ['two failures are not more than max=2', [0, 1], [null, null]],
    ['the third failure in the window fires', [0, 1, 2], [null, null, 3]],
    ['every later failure in the window fires again (dedup is off)', [0, 1, 2, 3], [null, null, 3, 4]],
    ['failures spread beyond the window do not add up', [0, 11, 22, 33], [null, null, null, null]],
    ['old failures slide out of the window', [0, 1, 9, 12], [null, null, 3, null]],
    ['a failure a whole bucket older than the window no longer counts', [0, 5, 11], [null, null, null]],
    ['the oldest bucket counts whole: the approximation errs by at most one bucket', [0, 5, 10], [null, null, 3]],
    ['just inside the window', [0.5, 5, 9.99], [null, null, 3]],
  ])('%s', (_name, minutes, expected) => {
    expect(feedFailures(minutes)).toEqual(expected);
  });

  it('counts an activity once however often its FAILED state is re-sent', () => {
    const s = new Stream();
    const h = new Harness([failures()]);
    for (let i = 0; i < 5; i++) h.feed(s.activity('act:same', 'train', 'FAILED'));
    expect(h.alerts).toEqual([]);
  });

  it('counts only the listed statuses and matching job names', () => {
    const s = new Stream();
    const h = new Harness([failures()]);
    h.feedAll([
      s.activity('act:1', 'train', 'COMPLETED'),
      s.activity('act:2', 'train', 'RUNNING'),
      s.activity('act:3', 'etl', 'FAILED'),
      s.activity('act:4', 'etl', 'FAILED'),
      s.activity('act:5', 'etl', 'FAILED'),
      s.activity('act:6', 'train', 'FAILED'),
    ]);
    expect(h.alerts).toEqual([]);
  });

  it('counts per job by default and across jobs with perGroup: false', () => {
    const s = new Stream();
    const per = new Harness([failures()]);
    const all = new Harness([failures(', perGroup: false')]);
    const events = ['train-a', 'train-b', 'train-c'].map((job, i) => s.activity(`act:${i}`, job, 'FAILED'));
    per.feedAll(events);
    all.feedAll(events);
    expect(per.alerts).toEqual([]);
    expect(all.alerts.map((a) => [a.subject, a.value])).toEqual([['*', 3]]);
    expect(all.alerts[0]?.message).toBe('3 FAILED activities of job train* within 10m (more than 2)');
  });

  it('lists the counted events and activities as evidence', () => {
    const s = new Stream();
    const h = new Harness([failures()]);
    const events = [0, 1, 2].map((i) => s.activity(`act:${i}`, 'train', 'FAILED'));
    const [a] = h.feedAll(events);
    expect(a).toMatchObject({
      subject: 'train',
      value: 3,
      threshold: 2,
      eventIds: [events[2]!.eventId, events[1]!.eventId, events[0]!.eventId],
      vertexIds: ['act:2', 'act:1', 'act:0'],
      details: { windowMs: 600_000, bucketMs: 60_000, group: 'train' },
    });
    expect(a?.message).toBe('3 FAILED activities of job train within 10m (more than 2)');
  });

  it('dedups per job within the dedup window', () => {
    const r = { ...failures(), dedupWindowMs: 5 * MIN };
    const s = new Stream();
    const h = new Harness([r]);
    for (let i = 0; i < 6; i++) h.feed(s.activity(`act:${i}`, 'train', 'FAILED', { time: T0 + i * MIN }));
    expect(h.alerts.map((a) => a.value)).toEqual([3]);
    expect(h.suppressed.map((a) => a.value)).toEqual([4, 5, 6]);
    // counter state expires with the window: much later, counting starts from zero
    h.feed(s.activity('act:late', 'train', 'FAILED', { time: T0 + 60 * MIN }));
    expect(h.store.keys('rule:fails:rc:')).toHaveLength(1);
  });

  it('counts new versions of artifacts for event: entity', () => {
    const r = rule(`{id: churn, kind: rate, severity: info, notify: [feed], match: {artifact: "data/**"}, rate: {event: entity, window: 1h, max: 1}}`);
    const s = new Stream();
    const h = new Harness([r]);
    h.feedAll([s.entity('data/x/a.csv', '1'), s.entity('models/m', '1'), s.entity('data/x/a.csv', '1')]);
    expect(h.alerts).toEqual([]);
    expect(h.feed(s.entity('data/x/a.csv', '2')).map((a) => [a.subject, a.value])).toEqual([['data/x/a.csv', 2]]);
  });

  it('reads all of its state in one round', () => {
    const s = new Stream();
    const h = new Harness([{ ...failures(), dedupWindowMs: 0 }]);
    for (let i = 0; i < 4; i++) h.feed(s.activity(`act:${i}`, 'train', 'FAILED'));
    expect(h.rounds).toEqual([1, 1, 1, 1]);
  });
});
