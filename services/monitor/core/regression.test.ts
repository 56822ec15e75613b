import { describe, expect, it } from 'vitest';
import type { Alert } from './alerts.js';
import { REGRESSION_HISTORY } from './eval-observation.js';
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

  it('compares a late value of the previous version with its successor, as if it had come first', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const [v1, v2, v3] = ['v1', 'v2', 'v3'].map((t) => s.entityId('models/m', t)) as [string, string, string];
    h.feedAll([1, 2, 3].map((n) => s.entity('models/m', `v${n}`, { version: n })));
    h.feed(s.metric(v2, 'accuracy', 0.9));
    const m3 = s.metric(v3, 'accuracy', 0.9);
    h.feed(m3);
    expect(h.feed(s.metric(v1, 'accuracy', 0.1))).toEqual([]); // v1 -> v2 is an improvement
    // v2's later value 1.0 precedes v3's values in (version, time) order: v3 compares with it.
    const late = h.feed(s.metric(v2, 'accuracy', 1.0));
    expect(late.map((a) => [a.subject, a.eventIds[0], a.details.previous])).toEqual([[v3, m3.eventId, 1.0]]);
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

  describe('the same alerts whatever the arrival order of the versions\' values', () => {
    // v2 drops 0.2 against v1 and v4 drops 0.1 against v3; v3 and v5 improve. Interleaved: v4
    // arrives while v2 is its closest older version (an improvement) and is compared with v3 later.
    // (An order where a version is first compared with a wrong predecessor AND that fires, e.g.
    // v5 then v1 (0.9 -> 0.8), keeps that alert: alerts are never withdrawn; see onRegression.)
    const values = [0.9, 0.7, 0.85, 0.75, 0.8];
    const stream = () => {
      const s = new Stream();
      const ids = values.map((_, i) => s.entityId('models/m', `v${i + 1}`));
      const entities = values.map((_, i) => s.entity('models/m', `v${i + 1}`, { version: i + 1 }));
      const metrics = values.map((v, i) => s.metric(ids[i]!, 'accuracy', v));
      return { entities, metrics };
    };
    const run = (order: number[], replays = 0) => {
      const { entities, metrics } = stream();
      const h = new Harness([regression('minDrop: 0.05')]);
      h.feedAll(entities);
      for (let r = 0; r <= replays; r++) for (const i of order) h.feed(metrics[i - 1]!);
      return h.alerts;
    };
    const expected = run([1, 2, 3, 4, 5]);
    const sorted = (alerts: Alert[]) => [...alerts].sort((a, b) => a.alertId.localeCompare(b.alertId));

    it('in order: v2 and v4 regress', () => {
      const { metrics } = stream();
      expect(expected.map((a) => [a.eventIds[0], a.details.previous])).toEqual([
        [metrics[1]!.eventId, 0.9],
        [metrics[3]!.eventId, 0.85],
      ]);
    });

    it.each([
      ['reversed', [5, 4, 3, 2, 1], 0],
      ['interleaved', [2, 1, 4, 3, 5], 0],
      ['replayed in order', [1, 2, 3, 4, 5], 2],
      ['reversed, then replayed', [5, 4, 3, 2, 1], 1],
      ['interleaved, then replayed', [2, 1, 4, 3, 5], 1],
    ])('%s', (_name, order, replays) => {
      const alerts = run(order, replays);
      expect(alerts).toHaveLength(expected.length); // no alert twice
      expect(sorted(alerts)).toEqual(sorted(expected));
    });
  });

  it('raises a value\'s alert once, even when its predecessor gets a later value that still fires', () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const [v1, v2] = [s.entityId('models/m', 'v1'), s.entityId('models/m', 'v2')];
    h.feedAll([s.entity('models/m', 'v1', { version: 1 }), s.entity('models/m', 'v2', { version: 2 }), s.metric(v1, 'accuracy', 0.9)]);
    expect(h.feed(s.metric(v2, 'accuracy', 0.7))).toHaveLength(1);
    expect(h.feed(s.metric(v1, 'accuracy', 0.95))).toEqual([]);
  });

  it.each([
    ['numbered first', false],
    ['unnumbered first', true],
  ])('orders a version without a number after the numbered ones (%s)', (_name, unnumberedFirst) => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const [v1, x] = [s.entityId('models/m', 'v1'), s.entityId('models/m', 'x')];
    h.feedAll([s.entity('models/m', 'v1', { version: 1 }), s.entity('models/m', 'x')]);
    const metrics = [s.metric(v1, 'accuracy', 0.9), s.metric(x, 'accuracy', 0.7)];
    h.feedAll(unnumberedFirst ? metrics.reverse() : metrics);
    expect(h.alerts.map((a) => [a.subject, a.details.previousVertex])).toEqual([[x, v1]]);
  });

  it('orders runs of a job (no version numbers) by the time of their first value', () => {
    const r = rule(`{id: reg, kind: regression, severity: info, notify: [feed], dedupWindow: 0, match: {activity: train}, regression: {metric: f1, minDrop: 0.1}}`);
    const s = new Stream();
    const h = new Harness([r]);
    // act:9 logs first; act:10 sorts before it by id, so only the time orders them.
    const [a1, a2] = [s.activity('act:9', 'train', 'RUNNING'), s.activity('act:10', 'train', 'RUNNING')];
    const [m1, m2] = [s.metric('act:9', 'f1', 0.9), s.metric('act:10', 'f1', 0.7)];
    h.feedAll([a1, a2, m2, m1]);
    expect(h.alerts.map((a) => [a.subject, a.details.previousVertex, a.eventIds[0]])).toEqual([['act:10', 'act:9', m2.eventId]]);
  });

  it('through the generating runs: the newer model linked first', () => {
    const s = new Stream();
    const [m1, m2] = [s.entityId('models/m', '1'), s.entityId('models/m', '2')];
    const first = [s.metric('act:r1', 'accuracy', 0.9), s.entity('models/m', '1', { version: 1 }), s.relation('wasGeneratedBy', m1, 'act:r1')];
    const second = [s.metric('act:r2', 'accuracy', 0.8), s.entity('models/m', '2', { version: 2 }), s.relation('wasGeneratedBy', m2, 'act:r2')];
    const inOrder = new Harness([regression('minDrop: 0.02')]);
    inOrder.feedAll([...first, ...second]);
    const reversed = new Harness([regression('minDrop: 0.02')]);
    reversed.feedAll([...second, ...first]);
    expect(inOrder.alerts).toHaveLength(1);
    expect(reversed.alerts).toEqual(inOrder.alerts);
  });

  it(`keeps ${REGRESSION_HISTORY} versions: a value of a version older than all of them is ignored`, () => {
    const s = new Stream();
    const h = new Harness([regression('minDrop: 0.05')]);
    const n = REGRESSION_HISTORY + 2;
    const ids = Array.from({ length: n }, (_, i) => s.entityId('models/m', `v${i + 1}`));
    h.feedAll(ids.map((_, i) => s.entity('models/m', `v${i + 1}`, { version: i + 1 })));
    // v2 .. v(n) arrive, v2 drops out of the history; then v1: whether v3 is its successor is
    // not known any more (v2 was between them), so v3 (0.5) is not compared with v1 (0.9).
    h.feedAll(ids.slice(1).map((id) => s.metric(id, 'accuracy', 0.5)));
    expect(h.feed(s.metric(ids[0]!, 'accuracy', 0.9))).toEqual([]);
  });
});

describe('regression of a job at the end of its runs (at: end)', () => {
  const onJob = (at: 'every' | 'end') =>
    rule(`{id: reg, kind: regression, severity: warning, notify: [feed], dedupWindow: 0, match: {activity: train}, regression: {metric: val_accuracy, minDrop: 0.02, at: ${at}}}`);
  const run = (s: Stream, id: string, values: number[]) => [
    s.activity(id, 'train', 'RUNNING'),
    ...values.map((v, i) => s.metric(id, 'val_accuracy', v, { step: i + 1 })),
    s.activity(id, 'train', 'COMPLETED'),
  ];

  it('compares each run by its last value with the previous run\'s, not its first epochs', () => {
    const s = new Stream();
    const events = [...run(s, 'act:r1', [0.5, 0.7, 0.9]), ...run(s, 'act:r2', [0.4, 0.6, 0.91]), ...run(s, 'act:r3', [0.5, 0.8, 0.85])];
    // Every point: run 2's first epoch (0.4) already "regressed" against run 1's 0.9, and so on.
    expect(new Harness([onJob('every')]).feedAll(events).length).toBeGreaterThan(1);
    const atEnd = new Harness([onJob('end')]).feedAll(events);
    expect(atEnd.map((a) => [a.subject, a.value])).toEqual([['act:r3', 0.85]]);
    expect(atEnd[0]!.message).toMatch(/0\.91/);
  });
});
