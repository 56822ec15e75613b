import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countIn, withIncrement } from './eval-rate.js';
import { keysFor } from './evaluate.js';
import type { RateRule } from './rule-types.js';
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
    const pages = h.store.keys('rule:fails:rb:');
    expect(pages).toHaveLength(1);
    expect(h.store.loadSync([{ type: 'value', key: pages[0]! }]).get(pages[0]!)).toMatchObject({ value: [expect.any(Number), 1, T0 + 60 * MIN + 11 * MIN] });
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

/**
 * The counting of the layout with one key per bucket (`rc:<p>:<g>:<bucketStart>`, TTL window +
 * bucket from its last write on the processing clock; the layout before the pages): the
 * reference the page layout must agree with, alert for alert.
 */
class PerBucketModel {
  private readonly seen = new Map<string, number>();
  private readonly buckets = new Map<number, { n: number; expiresAt: number }>();
  constructor(private readonly r: RateRule['rate']) {}

  /** The count the rule reports for a FAILED activity (null: not counted or not above max). */
  feed(vertex: string, time: number, now: number): number | null {
    const { windowMs, bucketMs, max } = this.r;
    const ttl = windowMs + bucketMs;
    if ((this.seen.get(vertex) ?? -Infinity) > now) return null;
    this.seen.set(vertex, now + ttl);
    const first = Math.floor((time - windowMs + 1) / bucketMs) * bucketMs;
    let count = 0;
    let own = first;
    for (let b = first; b <= time; b += bucketMs) {
      own = b;
      const e = this.buckets.get(b);
      if (e && e.expiresAt > now) count += e.n;
    }
    const e = this.buckets.get(own);
    this.buckets.set(own, { n: (e && e.expiresAt > now ? e.n : 0) + 1, expiresAt: now + ttl });
    count += 1;
    return count > max ? count : null;
  }
}

describe('rate state in pages of buckets', () => {
  it('reads the bucket counts of one window from one or two page keys (not one key per bucket)', () => {
    const s = new Stream();
    const r = failures();
    for (const m of [0, 0.5, 5, 9.99, 10, 10.5, 11, 21.9, 22]) {
      const reads = keysFor(r, s.activity(`act:${m}`, 'train', 'FAILED', { time: T0 + m * MIN }));
      const pages = reads.filter((k) => k.key.startsWith('rule:fails:rb:'));
      expect(pages.length).toBeGreaterThanOrEqual(1);
      expect(pages.length).toBeLessThanOrEqual(2);
      expect(reads).toHaveLength(2 + pages.length); // + rs (the vertex) and rl (the evidence)
    }
  });

  it('counts exactly as one key per bucket, whatever the order of event times and the processing clock', () => {
    const arb = fc.record({
      shape: fc.constantFrom({ window: '10m', bucket: '1m', max: 2 }, { window: '1m', bucket: '6s', max: 3 }, { window: '7m', bucket: '2m', max: 1 }),
      steps: fc.array(
        fc.record({
          dt: fc.integer({ min: -15 * MIN, max: 15 * MIN }), // event time moves back and forth
          advance: fc.integer({ min: 0, max: 14 * MIN }), // the processing clock only moves forward
          vertex: fc.integer({ min: 0, max: 25 }), // some vertices are re-sent
        }),
        { minLength: 1, maxLength: 60 },
      ),
    });
    fc.assert(
      fc.property(arb, ({ shape, steps }) => {
        const r = rule(`{id: fails, kind: rate, severity: critical, notify: [feed], dedupWindow: 0, match: {activity: "train*"}, rate: {status: FAILED, window: ${shape.window}, bucket: ${shape.bucket}, max: ${shape.max}}}`);
        const model = new PerBucketModel((r as RateRule).rate);
        const s = new Stream();
        const h = new Harness([r]);
        let time = T0 + 30 * MIN;
        let now = T0;
        steps.forEach((step, i) => {
          time += step.dt;
          now += step.advance;
          const fired = h.feed(s.activity(`act:${step.vertex}`, 'train', 'FAILED', { time }), now);
          expect(fired.map((a) => a.value), `step ${i}`).toEqual([model.feed(`act:${step.vertex}`, time, now)].filter((v) => v !== null));
        });
        // a page never holds more buckets than one window reads
        for (const key of h.store.keys('rule:fails:rb:')) {
          const page = h.store.loadSync([{ type: 'value', key }]).get(key);
          const size = page?.type === 'value' && Array.isArray(page.value) ? page.value.length / 3 : 0;
          const rate = (r as RateRule).rate;
          expect(size).toBeLessThanOrEqual(Math.ceil(rate.windowMs / rate.bucketMs) + 1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a page entry counts while it lives and within the event\'s buckets', () => {
    // page starting at 0, buckets of 10: [index, count, expiresAt]
    const page = [0, 1, 100, 3, 2, 50, 5, 4, 200];
    expect(countIn(page, 0, 0, 50, 10, 40)).toBe(7); // all live, all in [0, 50]
    expect(countIn(page, 0, 0, 50, 10, 50)).toBe(5); // bucket 3 expired (expiresAt <= now)
    expect(countIn(page, 0, 10, 40, 10, 0)).toBe(2); // only bucket 3 (start 30) is in [10, 40]
    expect(countIn(page, 1000, 1000, 1050, 10, 0)).toBe(7); // a later page: starts shift with it
    expect(countIn(undefined, 0, 0, 50, 10, 0)).toBe(0);
    expect(countIn({ not: 'a page' }, 0, 0, 50, 10, 0)).toBe(0);
    expect(countIn([0, 'x', 100, 1, 2, 100], 0, 0, 50, 10, 0)).toBe(2); // malformed triples count 0
  });

  it('an increment keeps the live buckets in order, drops the expired ones and gives the longest TTL', () => {
    expect(withIncrement(undefined, 4, 0, 110)).toEqual({ page: [4, 1, 110], expiresAt: 110 });
    expect(withIncrement([0, 1, 100, 3, 2, 50, 5, 4, 200], 3, 10, 110)).toEqual({ page: [0, 1, 100, 3, 3, 110, 5, 4, 200], expiresAt: 200 });
    expect(withIncrement([0, 1, 100, 3, 2, 50, 5, 4, 200], 3, 60, 160)).toEqual({ page: [0, 1, 100, 3, 1, 160, 5, 4, 200], expiresAt: 200 }); // bucket 3 had expired
    expect(withIncrement([0, 1, 100, 5, 4, 200], 2, 150, 250)).toEqual({ page: [2, 1, 250, 5, 4, 200], expiresAt: 250 });
    expect(withIncrement([1, 1, 100], 9, 0, 90)).toEqual({ page: [1, 1, 100, 9, 1, 90], expiresAt: 100 });
  });
});
