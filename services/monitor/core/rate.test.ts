import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countIn, windowCheck, withIncrement } from './eval-rate.js';
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

/**
 * Failure times (ms from T0, in arrival order) under a rate rule with window 10m, bucket 1m ->
 * for each, the count of the alert it raised ("~N" when approximate), or null.
 */
function feedAt(max: number, times: number[]): (number | string | null)[] {
  const s = new Stream();
  const h = new Harness([rule(`{id: fails, kind: rate, severity: critical, notify: [feed], dedupWindow: 0, match: {activity: "train*"}, rate: {status: FAILED, window: 10m, bucket: 1m, max: ${max}}}`)]);
  return times.map((ms, i) => {
    const [a] = h.feed(s.activity(`act:${i}`, 'train', 'FAILED', { time: T0 + ms }));
    if (!a) return null;
    return a.details.approximate === true ? `~${String(a.value)}` : (a.value as number);
  });
}

const SEC = 1000;

describe('rate: the counted events really lie within the window (event times of the evidence)', () => {
  it.each([
    // the audit's example: the buckets [0m, 10m] held both, and the rule said "2 ... within 10m"
    ['two failures 10m50s apart do not alert', 1, [0, 10 * MIN + 50 * SEC], [null, null]],
    ['exactly one window apart: outside', 1, [0, 10 * MIN], [null, null]],
    ['one ms less than a window apart: inside', 1, [0, 10 * MIN - 1], [null, 2]],
    ['one ms more than a window apart: outside', 1, [0, 10 * MIN + 1], [null, null]],
    ['inside, across bucket boundaries', 1, [30 * SEC, 10 * MIN + 29 * SEC], [null, 2]],
    ['outside, in the oldest bucket read', 1, [30 * SEC, 10 * MIN + 31 * SEC], [null, null]],
    ['a burst alerts on every failure after the first', 1, [0, MIN, 2 * MIN], [null, 2, 3]],
    ['the burst counts only its failures within the window of the trigger', 2, [0, 20 * SEC, 40 * SEC, 10 * MIN + 30 * SEC, 10 * MIN + 35 * SEC], [null, null, 3, null, 3]],
    ['out of order: the later failure arrived first, same bucket', 1, [5 * MIN + 40 * SEC, 5 * MIN + 10 * SEC], [null, 2]],
    ['out of order: a window holding the trigger and a later failure of its bucket', 1, [0, 10 * MIN + 30 * SEC, 10 * MIN + 20 * SEC], [null, null, 2]],
    ['out of order: a window ending at a later failure holds all three', 2, [10 * MIN + 3 * SEC, 4 * SEC, 10 * MIN], [null, null, 3]],
    ['out of order: exactly a window apart, later first', 1, [10 * MIN, 0], [null, null]],
    ['out of order: an older pair completed by a late arrival', 1, [9 * MIN, 30 * SEC, 0], [null, null, 2]],
    ['out of order: counts 3 of the 4 in the buckets (10m10s between the extremes)', 2, [10 * MIN + 30 * SEC, 20 * SEC, 40 * SEC, 10 * MIN + 10 * SEC], [null, null, null, 3]],
    // max 1 keeps 2 events of evidence: the first failure of the burst is dropped from it
    ['a dropped event whose bucket lies wholly in the window still counts', 1, [0, 10 * SEC, 20 * SEC, 9 * MIN + 30 * SEC], [null, 2, 3, 4]],
    ['a dropped event that may lie in the window: the bucket count, said to be approximate', 1, [0, 10 * SEC, 20 * SEC, 10 * MIN + 25 * SEC], [null, 2, 3, '~4']],
    ['a dropped event that cannot lie in the window does not count', 1, [0, 10 * SEC, 20 * SEC, 10 * MIN + 61 * SEC], [null, 2, 3, null]],
    // max + 1 > 20 kept: the dropped events are in the trigger's own bucket, known to be in a window with it
    ['a burst larger than the evidence list is counted whole', 25, Array.from({ length: 27 }, (_, i) => i * SEC), [...Array<null>(25).fill(null), 26, 27]],
  ])('%s', (_name, max, times, expected) => {
    expect(feedAt(max, times)).toEqual(expected);
  });

  it('cannot tell when the list holds more of a bucket than it counts (entries from before the bucket expired)', () => {
    const r = { windowMs: 10 * MIN, bucketMs: MIN, max: 1 };
    const kept = (t: number) => ({ e: `ev-${t}`, v: `act:${t}`, t });
    // bucket 0 counts 1 (the trigger) but the list has an older entry in it: it expired and began again
    expect(windowCheck(30 * SEC, [kept(-5 * MIN), kept(10 * SEC)], new Map([[-5 * MIN, 1], [0, 1]]), r)).toEqual({ exact: false });
    // the same with bucket 0 counting both: exact
    expect(windowCheck(30 * SEC, [kept(-5 * MIN), kept(10 * SEC)], new Map([[-5 * MIN, 1], [0, 2]]), r)).toEqual({ exact: true, count: 3, members: [kept(-5 * MIN), kept(10 * SEC)] });
    // entries outside the counted buckets take no part; the one event of bucket 0 the list lacks
    // lies in a window with the trigger (the one ending with their bucket)
    expect(windowCheck(30 * SEC, [kept(5 * MIN), kept(-20 * MIN)], new Map([[0, 2]]), r)).toEqual({ exact: true, count: 2, members: [] });
  });

  it('a real burst alerts as before: same ids, values, messages and evidence', () => {
    const s = new Stream();
    const h = new Harness([rule(`{id: fails, kind: rate, severity: critical, notify: [feed], dedupWindow: 0, match: {activity: "train*"}, rate: {status: FAILED, window: 10m, bucket: 1m, max: 1}}`)]);
    const events = [0, 1, 2].map((m) => s.activity(`act:${m}`, 'train', 'FAILED', { time: T0 + m * MIN }));
    const alerts = h.feedAll(events);
    // the ids the rule gave these alerts before it checked event times
    expect(alerts.map((a) => [a.alertId, a.value, a.message])).toEqual([
      ['alr:ab3286d682d16de85d695377b075d5f7', 2, '2 FAILED activities of job train within 10m (more than 1)'],
      ['alr:30ff6cdb4bc02ae30b4d307ba7eb0cab', 3, '3 FAILED activities of job train within 10m (more than 1)'],
    ]);
    expect(alerts[1]).toMatchObject({ eventIds: [events[2]!.eventId, events[1]!.eventId, events[0]!.eventId], details: { windowMs: 600_000, bucketMs: 60_000, group: 'train' } });
    expect(alerts[1]!.details).not.toHaveProperty('approximate');
  });

  it('an approximate alert says so and lists only the evidence within the window', () => {
    const s = new Stream();
    const h = new Harness([rule(`{id: fails, kind: rate, severity: critical, notify: [feed], dedupWindow: 0, match: {activity: "train*"}, rate: {status: FAILED, window: 10m, bucket: 1m, max: 1}}`)]);
    const events = [0, 10, 20, 625].map((sec, i) => s.activity(`act:${i}`, 'train', 'FAILED', { time: T0 + sec * SEC }));
    const a = h.feedAll(events).at(-1);
    expect(a).toMatchObject({ value: 4, threshold: 1, eventIds: [events[3]!.eventId], details: { approximate: true } });
    expect(a?.message).toBe('4 FAILED activities of job train within 10m, approximately (counted in 1m buckets spanning 11m; more than 1)');
  });
});

describe('rate of failed activities in a window', () => {
  it.each([
    ['two failures are not more than max=2', [0, 1], [null, null]],
    ['the third failure in the window fires', [0, 1, 2], [null, null, 3]],
    ['every later failure in the window fires again (dedup is off)', [0, 1, 2, 3], [null, null, 3, 4]],
    ['failures spread beyond the window do not add up', [0, 11, 22, 33], [null, null, null, null]],
    ['old failures slide out of the window', [0, 1, 9, 12], [null, null, 3, null]],
    ['a failure a whole bucket older than the window no longer counts', [0, 5, 11], [null, null, null]],
    ['a failure exactly one window older is outside the window (t - 10m, t], though its bucket is read', [0, 5, 10], [null, null, null]],
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
 * reference the pages must agree with, bucket for bucket. It also keeps the event times of each
 * bucket's current life, to tell how many counted events really lie in a window.
 */
class PerBucketModel {
  private readonly seen = new Map<string, number>();
  readonly buckets = new Map<number, { times: number[]; expiresAt: number }>();
  constructor(private readonly r: RateRule['rate']) {}

  /**
   * For a FAILED activity: undefined when not counted (seen before); else the buckets' count and
   * `truth`, the most counted events (of those buckets) in one window holding it.
   */
  feed(vertex: string, time: number, now: number): { buckets: number; truth: number } | undefined {
    const { windowMs, bucketMs } = this.r;
    const ttl = windowMs + bucketMs;
    if ((this.seen.get(vertex) ?? -Infinity) > now) return undefined;
    this.seen.set(vertex, now + ttl);
    const first = Math.floor((time - windowMs + 1) / bucketMs) * bucketMs;
    const times: number[] = [time];
    let own = first;
    for (let b = first; b <= time; b += bucketMs) {
      own = b;
      const e = this.buckets.get(b);
      if (e && e.expiresAt > now) times.push(...e.times);
    }
    const e = this.buckets.get(own);
    this.buckets.set(own, { times: [...(e && e.expiresAt > now ? e.times : []), time], expiresAt: now + ttl });
    let truth = 0;
    for (const end of times.filter((x) => x >= time)) truth = Math.max(truth, times.filter((x) => x > end - windowMs && x <= end).length);
    return { buckets: times.length, truth };
  }

  /** bucket start -> count, of the live buckets. */
  live(now: number): Map<number, number> {
    return new Map([...this.buckets].filter(([, e]) => e.expiresAt > now).map(([b, e]) => [b, e.times.length]));
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

  it('counts exactly as one key per bucket, and alerts only on counts really within the window, whatever the order of event times and the processing clock', () => {
    const outcomes = { exact: 0, approximate: 0, refuted: 0 };
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
        const rate = (r as RateRule).rate;
        const model = new PerBucketModel(rate);
        const s = new Stream();
        const h = new Harness([r]);
        let time = T0 + 30 * MIN;
        let now = T0;
        steps.forEach((step, i) => {
          time += step.dt;
          now += step.advance;
          const fired = h.feed(s.activity(`act:${step.vertex}`, 'train', 'FAILED', { time }), now);
          const m = model.feed(`act:${step.vertex}`, time, now);
          const at = `step ${i}`;
          const a = fired[0];
          if (m === undefined || m.buckets <= rate.max) expect(fired, at).toEqual([]);
          else if (a === undefined) {
            expect(m.truth, at).toBeLessThanOrEqual(rate.max); // no alert: really not more than max
            outcomes.refuted++;
          } else if (a.details.approximate === true) {
            expect(a.value, at).toBe(m.buckets); // approximate: the bucket count
            outcomes.approximate++;
          } else {
            expect(a.value, at).toBeGreaterThan(rate.max); // exact: more than max, and no more than there are
            expect(a.value, at).toBeLessThanOrEqual(m.truth);
            outcomes.exact++;
          }
          // the pages hold the live buckets of the per-bucket layout, count for count
          const pages = new Map<number, number>();
          for (const key of h.store.keys('rule:fails:rb:')) {
            const page = h.store.loadSync([{ type: 'value', key }]).get(key);
            const v = page?.type === 'value' && Array.isArray(page.value) ? (page.value as number[]) : [];
            const start = Number(key.split(':').at(-1));
            for (let j = 0; j + 2 < v.length; j += 3) if (v[j + 2]! > now) pages.set(start + v[j]! * rate.bucketMs, v[j + 1]!);
            // a page never holds more buckets than one window reads
            expect(v.length / 3).toBeLessThanOrEqual(Math.ceil(rate.windowMs / rate.bucketMs) + 1);
          }
          expect(pages, at).toEqual(model.live(now));
        });
      }),
      { numRuns: 300 },
    );
    // both outcomes of the check are reached (the approximate one is rare here, ~1 run in 160:
    // the tables above cover it)
    expect(outcomes.exact).toBeGreaterThan(0);
    expect(outcomes.refuted).toBeGreaterThan(0);
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
