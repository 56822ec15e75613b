import { describe, expect, it } from 'vitest';
import { Harness, rule, Stream } from './test-fixtures.js';

const regression = (params: string) =>
  rule(`{id: reg, kind: regression, severity: warning, notify: [feed], dedupWindow: 0, match: {artifact: "models/*"}, regression: {metric: accuracy, ${params}}}`);

/** Feeds versions v1..vn of models/m with one accuracy metric each; returns the alerts per version. */
function versions(params: string, values: number[]): number[][] {
  const s = new Stream();
  const h = new Harness([regression(params)]);
  return values.map((v, i) => {
    const id = s.entityId('models/m', `v${i + 1}`);
    h.feed(s.entity('models/m', `v${i + 1}`, { version: i + 1 }));
    return h.feed(s.metric(id, 'accuracy', v)).map((a) => a.value as number);
  });
}

describe('regression against the previous version of the same artifact', () => {
  it.each([
    ['absolute drop exactly at the boundary (float noise tolerated)', 'minDrop: 0.02', [0.82, 0.8], [[], [0.8]]],
    ['absolute drop just below the boundary', 'minDrop: 0.02', [0.82, 0.801], [[], []]],
    ['an improvement', 'minDrop: 0.02', [0.8, 0.9], [[], []]],
    ['relative drop at 5%', 'minDrop: 0.05, mode: relative', [0.8, 0.76], [[], [0.76]]],
    ['relative drop under 5%', 'minDrop: 0.05, mode: relative', [0.8, 0.761], [[], []]],
    ['relative drop from a previous value of 0 (undefined)', 'minDrop: 0.05, mode: relative', [0, -1], [[], []]],
    ['lower-is-better: an increase is a regression', 'minDrop: 0.1, direction: lower-is-better', [1.0, 1.1], [[], [1.1]]],
    ['lower-is-better: a decrease is fine', 'minDrop: 0.1, direction: lower-is-better', [1.0, 0.5], [[], []]],
    ['minDrop 0 still needs a real drop', 'minDrop: 0', [0.8, 0.8, 0.79], [[], [], [0.79]]],
    ['compares with the last version, not the best', 'minDrop: 0.05', [0.9, 0.8, 0.78, 0.7], [[], [0.8], [], [0.7]]],
  ])('%s', (_name, params, values, expected) => {
    expect(versions(params, values)).toEqual(expected);
  });

  it('does not alert for the first version (no previous one)', () => {
    expect(versions('minDrop: 0', [0.1])).toEqual([[]]);
  });

  it('links the previous version in the alert', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.02')]);
    const v1 = s.entityId('models/m', 'v1');
    const v2 = s.entityId('models/m', 'v2');
    h.feed(s.entity('models/m', 'v1', { version: 1 }));
    const m1 = s.metric(v1, 'accuracy', 0.9);
    h.feed(m1);
    const e2 = s.entity('models/m', 'v2', { version: 2 });
    h.feed(e2);
    const m2 = s.metric(v2, 'accuracy', 0.85);
    const [a] = h.feed(m2);
    expect(a).toMatchObject({
      subject: v2,
      value: 0.85,
      threshold: 0.02,
      eventIds: [m2.eventId, m1.eventId, e2.eventId],
      vertexIds: [v2, v1],
      details: { previous: 0.9, previousVertex: v1, previousVersion: 1, mode: 'absolute', group: 'models/m' },
    });
    expect(a?.message).toBe(`accuracy regressed by 0.05 (0.9 -> 0.85) for models/m v2 (${v2}) against v1 ${v1}`);
  });

  it('uses the latest value of the current version and keeps comparing with the same previous one', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const [v1, v2] = [s.entityId('models/m', 'v1'), s.entityId('models/m', 'v2')];
    h.feedAll([s.entity('models/m', 'v1', { version: 1 }), s.metric(v1, 'accuracy', 0.9), s.entity('models/m', 'v2', { version: 2 })]);
    expect(h.feed(s.metric(v2, 'accuracy', 0.88, { step: 1 }))).toEqual([]);
    expect(h.feed(s.metric(v2, 'accuracy', 0.8, { step: 2 })).map((a) => a.details.previous)).toEqual([0.9]);
  });

  it('ignores values of a version older than the current one, and updates a late previous value', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const [v1, v2, v3] = ['v1', 'v2', 'v3'].map((t) => s.entityId('models/m', t)) as [string, string, string];
    h.feedAll([1, 2, 3].map((n) => s.entity('models/m', `v${n}`, { version: n })));
    h.feed(s.metric(v2, 'accuracy', 0.9));
    h.feed(s.metric(v3, 'accuracy', 0.9));
    expect(h.feed(s.metric(v1, 'accuracy', 0.1))).toEqual([]); // v1 < current v3: stale
    expect(h.feed(s.metric(v2, 'accuracy', 1.0))).toEqual([]); // late value of the previous version
    expect(h.feed(s.metric(v3, 'accuracy', 0.94)).map((a) => a.details.previous)).toEqual([1.0]);
  });

  it('keeps artifacts apart', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const a = s.entityId('models/a', '1');
    const b = s.entityId('models/b', '1');
    h.feedAll([s.entity('models/a', '1'), s.entity('models/b', '1'), s.metric(a, 'accuracy', 0.9)]);
    expect(h.feed(s.metric(b, 'accuracy', 0.1))).toEqual([]);
  });

  it('compares runs of a job in activity mode, with metrics logged on the runs', () => {
    const r = rule(`{id: reg, kind: regression, severity: info, notify: [feed], match: {activity: train}, regression: {metric: f1, minDrop: 0.1}}`);
    const s = new Stream();
    const h = new Harness([r]);
    h.feedAll([s.activity('act:1', 'train', 'RUNNING'), s.metric('act:1', 'f1', 0.9), s.activity('act:2', 'train', 'RUNNING')]);
    expect(h.feed(s.metric('act:2', 'f1', 0.7)).map((a) => [a.subject, a.details.previousVertex])).toEqual([['act:2', 'act:1']]);
  });

  it('works through the generating run: metric on the run, model linked afterwards', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.02')]);
    const [m1, m2] = [s.entityId('models/m', '1'), s.entityId('models/m', '2')];
    h.feedAll([s.metric('act:r1', 'accuracy', 0.9), s.entity('models/m', '1', { version: 1 }), s.relation('wasGeneratedBy', m1, 'act:r1')]);
    h.feedAll([s.metric('act:r2', 'accuracy', 0.8), s.entity('models/m', '2', { version: 2 })]);
    const [a] = h.feed(s.relation('wasGeneratedBy', m2, 'act:r2'));
    expect(a).toMatchObject({ subject: m2, details: { previousVertex: m1 }, vertexIds: [m2, 'act:r2', m1] });
    expect(h.rounds.every((n) => n <= 3)).toBe(true);
  });
});
