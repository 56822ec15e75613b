import { describe, expect, it } from 'vitest';
import { Harness, rule, Stream } from './test-fixtures.js';

const zscore = (params: string, match = '') =>
  rule(`{id: z, kind: zscore, severity: info, notify: [feed], dedupWindow: 0, ${match} zscore: {metric: loss, ${params}}}`);

/** Feeds values as metric points on one run (raw mode: the group is the run) and returns z-scores fired. */
function run(params: string, values: number[]): (number | null)[] {
  const s = new Stream();
  const h = new Harness([zscore(params)]);
  return values.flatMap((v, step) => h.feed(s.metric('act:run', 'loss', v, { step })).map((a) => a.value as number));
}

describe('zscore over a sliding window', () => {
  // window [1, 2, 3, 4, 5]: mean 3, sample std sqrt(2.5) = 1.5811
  const base = [1, 2, 3, 4, 5];
  it.each([
    ['below minSamples nothing fires', 'minSamples: 6, threshold: 1', [...base, 100], []],
    ['exactly minSamples is enough', 'minSamples: 5, threshold: 1', [...base, 100], [(100 - 3) / Math.sqrt(2.5)]],
    ['z exactly at the threshold fires', 'minSamples: 5, threshold: 2', [...base, 3 + 2 * Math.sqrt(2.5)], [2]],
    ['z just under the threshold does not', 'minSamples: 5, threshold: 2', [...base, 3 + 1.99 * Math.sqrt(2.5)], []],
    ['direction above ignores drops', 'minSamples: 5, threshold: 2, direction: above', [...base, -10], []],
    ['direction below catches drops', 'minSamples: 5, threshold: 2, direction: below', [...base, -10], [(-10 - 3) / Math.sqrt(2.5)]],
    ['a constant window has no z-score', 'minSamples: 3, threshold: 2', [5, 5, 5, 50], []],
    ['minStd makes a jump out of a constant window alert', 'minSamples: 3, threshold: 2, minStd: 1', [5, 5, 5, 8], [3]],
  ])('%s', (_name, params, values, expected) => {
    const got = run(params, values);
    expect(got).toHaveLength(expected.length);
    got.forEach((z, i) => expect(z).toBeCloseTo(expected[i]!, 9));
  });

  it('only keeps the last `window` values', () => {
    // window 3: the final 1 is scored against [102, 101, 100] only (mean 101, std 1)
    expect(run('window: 3, minSamples: 3, threshold: 1', [1, 2, 3, 100, 101, 102, 1]).at(-1)).toBeCloseTo(-100, 9);
    const s = new Stream();
    const h = new Harness([zscore('window: 3, minSamples: 2, threshold: 1')]);
    for (const [step, v] of [1, 2, 3, 4, 5].entries()) h.feed(s.metric('act:r', 'loss', v, { step }));
    const key = [...h.store.keys('rule:z:win:')];
    expect(key).toHaveLength(1);
    expect(h.store.loadSync([{ type: 'list', key: key[0]! }]).get(key[0]!)).toEqual({
      type: 'list',
      items: [
        { v: 5, e: 'ev-5' },
        { v: 4, e: 'ev-4' },
        { v: 3, e: 'ev-3' },
      ],
    });
  });

  it('describes the anomaly', () => {
    const s = new Stream();
    const h = new Harness([zscore('minSamples: 5, threshold: 3')]);
    for (const [step, v] of [1, 2, 3, 4, 5].entries()) h.feed(s.metric('act:r', 'loss', v, { step }));
    const [a] = h.feed(s.metric('act:r', 'loss', 20, { step: 9 }));
    expect(a?.message).toBe('loss = 20 is 10.7517 standard deviations above the mean 3 of the last 5 values for act:r');
    expect(a).toMatchObject({ threshold: 3, details: { observed: 20, mean: 3, samples: 5, step: 9 }, vertexIds: ['act:r'] });
  });

  it('groups by artifact across versions in entity mode', () => {
    const s = new Stream();
    const h = new Harness([zscore('minSamples: 3, threshold: 3', 'match: {artifact: "data/*"},')]);
    [10, 11, 12].forEach((v, i) => {
      h.feed(s.entity('data/daily.csv', `v${i}`));
      h.feed(s.property(s.entityId('data/daily.csv', `v${i}`), 'x', 0)); // other keys are ignored
      h.feed(s.metric(s.entityId('data/daily.csv', `v${i}`), 'loss', v));
    });
    h.feed(s.entity('data/daily.csv', 'v9'));
    const [a] = h.feed(s.metric(s.entityId('data/daily.csv', 'v9'), 'loss', 100));
    expect(a?.details.group).toBe('data/daily.csv');
  });

  it('does not count a replayed event twice and scores it the same way', () => {
    const s = new Stream();
    const h = new Harness([zscore('minSamples: 3, threshold: 2')]);
    for (const [step, v] of [1, 2, 3].entries()) h.feed(s.metric('act:r', 'loss', v, { step }));
    const spike = s.metric('act:r', 'loss', 50, { step: 4 });
    const [first] = h.feed(spike);
    const [again] = h.feed(spike);
    expect(again?.alertId).toBe(first?.alertId);
    expect(again?.value).toBe(first?.value);
    const key = h.store.keys('rule:z:win:')[0]!;
    expect((h.store.loadSync([{ type: 'list', key }]).get(key) as { items: unknown[] }).items).toHaveLength(4);
  });

  it('asks for the dedup state together with the window: a job rule alerts in two rounds, a raw one in one', () => {
    const onJob = rule(`{id: zj, kind: zscore, severity: info, notify: [feed], match: {activity: train}, zscore: {metric: loss, window: 10, minSamples: 2, threshold: 3}}`);
    const raw = rule(`{id: zr, kind: zscore, severity: info, notify: [feed], zscore: {metric: loss, window: 10, minSamples: 2, threshold: 3}}`);
    const s = new Stream();
    const h = new Harness([onJob, raw]);
    h.feed(s.activity('act:r', 'train', 'RUNNING'));
    for (const [step, v] of [1, 1.1, 0.9].entries()) h.feed(s.metric('act:r', 'loss', v, { step }));
    h.rounds = [];
    expect(h.feed(s.metric('act:r', 'loss', 50, { step: 3 })).map((a) => a.ruleId)).toEqual(['zj', 'zr']);
    expect(h.rounds).toEqual([2, 1]); // job: the run, then its window and dedup state; raw: all known up front
  });

  it('reads everything in one round in raw mode', () => {
    const s = new Stream();
    const h = new Harness([zscore('minSamples: 2, threshold: 100')]);
    for (const [step, v] of [1, 2, 3, 4].entries()) h.feed(s.metric('act:r', 'loss', v, { step }));
    expect(h.rounds).toEqual([1, 1, 1, 1]);
  });
});
