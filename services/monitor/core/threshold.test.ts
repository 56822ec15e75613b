import { describe, expect, it } from 'vitest';
import { dryRun } from './dry-run.js';
import { Harness, MIN, rule, Stream, T0 } from './test-fixtures.js';

const lowAccuracy = (extra = '') =>
  rule(`
id: low-acc
kind: threshold
severity: warning
notify: [feed]
dedupWindow: 10m
match: {artifact: "models/*"}
threshold: {metric: accuracy, op: "<", value: 0.8}
${extra}`);

describe('threshold: operators at their boundaries', () => {
  it.each([
    ['<', 0.8, 0.79, true],
    ['<', 0.8, 0.8, false],
    ['<=', 0.8, 0.8, true],
    ['<=', 0.8, 0.8000001, false],
    ['>', 10, 10, false],
    ['>', 10, 10.5, true],
    ['>=', 10, 10, true],
    ['>=', 10, 9.999, false],
    ['==', 3, 3, true],
    ['==', 3, 3.0001, false],
    ['!=', 3, 3, false],
    ['!=', 3, 4, true],
  ] as const)('%s %d with value %d fires=%s', (op, threshold, value, fires) => {
    const r = rule(`{id: t, kind: threshold, severity: info, notify: [feed], threshold: {metric: m, op: "${op}", value: ${threshold}}}`);
    const s = new Stream();
    const h = new Harness([r]);
    const alerts = h.feed(s.metric('act:run1', 'm', value));
    expect(alerts.length).toBe(fires ? 1 : 0);
  });
});

describe('threshold on an artifact glob', () => {
  it('fires for a metric on a matching entity, with the ids that triggered it', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    const ent = s.entity('models/resnet', 'a', { version: 3 });
    const metric = s.metric(s.entityId('models/resnet', 'a'), 'accuracy', 0.72, { step: 5 });
    expect(h.feed(ent)).toEqual([]);
    const [alert, ...rest] = h.feed(metric);
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({
      ruleId: 'low-acc',
      kind: 'threshold',
      severity: 'warning',
      project: 'proj',
      subject: s.entityId('models/resnet', 'a'),
      time: metric.time,
      value: 0.72,
      threshold: 0.8,
      eventIds: [metric.eventId, ent.eventId],
      vertexIds: [s.entityId('models/resnet', 'a')],
      notify: [{ type: 'feed' }],
      details: { source: 'metric', key: 'accuracy', op: '<', group: 'models/resnet', step: 5 },
    });
    expect(alert?.message).toBe(`metric accuracy < 0.8 holds for models/resnet v3 (${s.entityId('models/resnet', 'a')}): accuracy = 0.72`);
    expect(alert?.alertId).toMatch(/^alr:[0-9a-f]{32}$/);
  });

  it('ignores entities outside the glob, other metric keys and agents', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    h.feedAll([s.entity('models/sub/x', 'a'), s.entity('data/x', 'b'), s.entity('models/y', 'c')]);
    expect(h.feed(s.metric(s.entityId('models/sub/x', 'a'), 'accuracy', 0.1))).toEqual([]);
    expect(h.feed(s.metric(s.entityId('data/x', 'b'), 'accuracy', 0.1))).toEqual([]);
    expect(h.feed(s.metric(s.entityId('models/y', 'c'), 'loss', 0.1))).toEqual([]);
    expect(h.feed(s.metric('agt:alice', 'accuracy', 0.1))).toEqual([]);
  });

  it('attributes a metric logged on the training run to the model it generated (metric first)', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    const model = s.entityId('models/m', 'v1');
    const metric = s.metric('act:train-1', 'accuracy', 0.5);
    const ent = s.entity('models/m', 'v1', { version: 1 });
    const gen = s.relation('wasGeneratedBy', model, 'act:train-1');
    expect(h.feed(metric)).toEqual([]);
    expect(h.feed(ent)).toEqual([]);
    const alerts = h.feed(gen);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ subject: model, eventIds: [metric.eventId, ent.eventId, gen.eventId], vertexIds: [model, 'act:train-1'] });
  });

  it('attributes later metrics of the run to its already linked outputs', () => {
    const s = new Stream();
    const h = new Harness([{ ...lowAccuracy(), dedupWindowMs: 0 }]);
    const model = s.entityId('models/m', 'v1');
    h.feedAll([s.entity('models/m', 'v1'), s.relation('wasGeneratedBy', model, 'act:train-1')]);
    expect(h.feed(s.metric('act:train-1', 'accuracy', 0.9))).toEqual([]);
    expect(h.feed(s.metric('act:train-1', 'accuracy', 0.7))).toHaveLength(1);
    // a second output of the same run also gets the run's latest value
    const second = s.entityId('models/m2', 'v1');
    h.feed(s.entity('models/m2', 'v1'));
    expect(h.feed(s.relation('wasGeneratedBy', second, 'act:train-1')).map((a) => a.subject)).toEqual([second]);
    // a duplicate relation event does not re-attribute
    expect(h.feed(s.relation('wasGeneratedBy', second, 'act:train-1'))).toEqual([]);
  });

  it('handles the relation arriving before the entity event', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    const model = s.entityId('models/m', 'v1');
    h.feed(s.metric('act:train-1', 'accuracy', 0.5));
    expect(h.feed(s.relation('wasGeneratedBy', model, 'act:train-1'))).toEqual([]);
    expect(h.feed(s.entity('models/m', 'v1')).map((a) => a.subject)).toEqual([model]);
  });

  it('handles a metric on an entity arriving before the entity event, keeping the latest step', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    const model = s.entityId('models/m', 'v1');
    h.feed(s.metric(model, 'accuracy', 0.5, { step: 2 }));
    h.feed(s.metric(model, 'accuracy', 0.9, { step: 1 })); // older step arriving late: ignored
    const alerts = h.feed(s.entity('models/m', 'v1'));
    expect(alerts.map((a) => a.value)).toEqual([0.5]);
  });

  it('forgets pending metrics after pendingTtl', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy('pendingTtl: 1h')]);
    h.feed(s.metric('act:train-1', 'accuracy', 0.5));
    h.feed(s.entity('models/m', 'v1', { time: T0 + 2 * 60 * MIN }));
    expect(h.feed(s.relation('wasGeneratedBy', s.entityId('models/m', 'v1'), 'act:train-1'))).toEqual([]);
  });
});

describe('threshold on activities and raw subjects', () => {
  it('matches runs of a job by name', () => {
    const r = rule(`{id: slow, kind: threshold, severity: info, notify: [feed], match: {activity: "train*"}, threshold: {metric: epoch_seconds, op: ">", value: 60}}`);
    const s = new Stream();
    const h = new Harness([r]);
    h.feedAll([s.activity('act:a', 'train-big', 'RUNNING'), s.activity('act:b', 'eval', 'RUNNING')]);
    expect(h.feed(s.metric('act:a', 'epoch_seconds', 61)).map((a) => a.subject)).toEqual(['act:a']);
    expect(h.feed(s.metric('act:b', 'epoch_seconds', 61))).toEqual([]);
    // metric before the activity event waits for it
    expect(h.feed(s.metric('act:c', 'epoch_seconds', 99))).toEqual([]);
    expect(h.feed(s.activity('act:c', 'train', 'RUNNING')).map((a) => a.subject)).toEqual(['act:c']);
  });

  it('asks for the dedup state of a metric on a run or an entity up front: alerts in one round', () => {
    const onJob = rule(`{id: slow, kind: threshold, severity: info, notify: [feed], dedupWindow: 10m, match: {activity: train}, threshold: {metric: epoch_seconds, op: ">", value: 60}}`);
    const onModel = lowAccuracy();
    const s = new Stream();
    const h = new Harness([onJob, onModel]);
    const model = s.entityId('models/a.bin', 'a');
    h.feedAll([s.activity('act:a', 'train', 'RUNNING'), s.entity('models/a.bin', 'a')]);
    h.rounds = [];
    expect(h.feed(s.metric('act:a', 'epoch_seconds', 61)).map((a) => a.subject)).toEqual(['act:a']);
    expect(h.feed(s.metric(model, 'accuracy', 0.5)).map((a) => a.subject)).toEqual([model]);
    expect(h.rounds).toEqual([1, 1, 1, 1]); // each event through both rules: one round each (was 2 for the alerting one)
    // suppressed within the window, still in one round
    expect(h.feed(s.metric('act:a', 'epoch_seconds', 62))).toEqual([]);
    expect(h.rounds).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('compares properties leniently: numeric strings as numbers, "true" as true', () => {
    const rows = rule(`{id: rows, kind: threshold, severity: info, notify: [feed], dedupWindow: 0, threshold: {property: rows, op: "<", value: 100}}`);
    const flag = rule(`{id: flag, kind: threshold, severity: info, notify: [feed], dedupWindow: 0, threshold: {property: pii, op: "==", value: true}}`);
    const s = new Stream();
    const h = new Harness([rows, flag]);
    expect(h.feed(s.property('ent:1', 'rows', '42')).map((a) => a.ruleId)).toEqual(['rows']);
    expect(h.feed(s.property('ent:1', 'rows', 'many'))).toEqual([]);
    expect(h.feed(s.property('ent:1', 'pii', 'true')).map((a) => a.ruleId)).toEqual(['flag']);
    expect(h.feed(s.property('ent:1', 'pii', true)).map((a) => a.ruleId)).toEqual(['flag']);
    expect(h.feed(s.property('ent:1', 'pii', 1))).toEqual([]);
  });

  it('applies only to the projects it lists, and not at all when disabled', () => {
    const r = rule(`{id: t, kind: threshold, severity: info, notify: [feed], projects: ["team-*"], threshold: {metric: m, op: ">", value: 1}}`);
    const h = new Harness([r, { ...r, id: 'off', enabled: false }]);
    expect(h.feed(new Stream('other').metric('act:x', 'm', 5))).toEqual([]);
    expect(h.feed(new Stream('team-a').metric('act:x', 'm', 5)).map((a) => a.ruleId)).toEqual(['t']);
  });
});

describe('dedup', () => {
  it('suppresses the same subject within the window and fires again after it', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    const model = s.entityId('models/m', 'v1');
    h.feed(s.entity('models/m', 'v1'));
    expect(h.feed(s.metric(model, 'accuracy', 0.5, { time: T0 + MIN }))).toHaveLength(1);
    expect(h.feed(s.metric(model, 'accuracy', 0.4, { time: T0 + 10 * MIN }))).toHaveLength(0);
    expect(h.suppressed).toHaveLength(1);
    expect(h.feed(s.metric(model, 'accuracy', 0.3, { time: T0 + 11 * MIN }))).toHaveLength(1);
  });

  it('does not suppress other subjects', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    h.feedAll([s.entity('models/a', '1'), s.entity('models/b', '1')]);
    expect(h.feed(s.metric(s.entityId('models/a', '1'), 'accuracy', 0.1))).toHaveLength(1);
    expect(h.feed(s.metric(s.entityId('models/b', '1'), 'accuracy', 0.1))).toHaveLength(1);
  });

  it('re-emits the same alertId when the same event is processed again (crash before commit)', () => {
    const s = new Stream();
    const h = new Harness([lowAccuracy()]);
    h.feed(s.entity('models/m', 'v1'));
    const metric = s.metric(s.entityId('models/m', 'v1'), 'accuracy', 0.5);
    const [first] = h.feed(metric);
    const [again] = h.feed(metric);
    expect(again?.alertId).toBe(first?.alertId);
    expect(h.suppressed).toEqual([]);
  });

  // [event time, processing time] of each low metric (minutes after T0), and whether it alerts
  // (true) or is suppressed (false); window 10m. The live harness uses the given processing
  // times as its clock, dryRun (`rules test`) the event-time watermark: both must give `expected`.
  it.each([
    ['a backlog: 11+ minutes apart in event time, processed within seconds', [[1, 30], [12, 30.1], [25, 30.2]], [true, true, true]],
    ['within the window in event time', [[1, 1], [5, 5]], [true, false]],
    ['at the window boundary', [[1, 1], [11, 11]], [true, true]],
    ['a late alert within the window of a later one', [[20, 20], [15, 21]], [true, false]],
    ['a late alert outside the window, then one close to the later alert', [[20, 20], [5, 21], [16, 22]], [true, true, false]],
    ['lag grows by 21m between two alerts 8m apart (the record outlives the window)', [[1, 1], [9, 30]], [true, false]],
  ] as [string, [number, number][], boolean[]][])('in event time, live and dry-run alike: %s', (_name, times, expected) => {
    const s = new Stream();
    const model = s.entityId('models/m', 'v1');
    const entity = s.entity('models/m', 'v1', { time: T0 });
    const metrics = times.map(([t], i) => s.metric(model, 'accuracy', 0.5 - i / 100, { time: T0 + t * MIN }));
    const outcome = (alerts: readonly { eventIds: string[] }[]) => metrics.map((m) => alerts.some((a) => a.eventIds[0] === m.eventId));

    const live = new Harness([lowAccuracy()]);
    live.feed(entity, T0);
    metrics.forEach((m, i) => live.feed(m, T0 + times[i]![1] * MIN));
    expect(outcome(live.alerts)).toEqual(expected);
    expect(outcome(live.suppressed)).toEqual(expected.map((x) => !x));

    const dry = dryRun([lowAccuracy()], [entity, ...metrics]);
    expect(outcome(dry.alerts)).toEqual(expected);
    expect(outcome(dry.suppressed)).toEqual(expected.map((x) => !x));
  });
});

describe('at: end (a run judged by its last value, not by its first epochs)', () => {
  const onJob = (at: 'every' | 'end', extra = '') =>
    rule(`{id: acc, kind: threshold, severity: warning, notify: [feed], dedupWindow: 0, match: {activity: train}, threshold: {metric: val_accuracy, op: "<", value: 0.6, at: ${at}}${extra}}`);
  /** A run logging val_accuracy per epoch, then ending; returns its events. */
  const training = (s: Stream, run: string, values: number[], status: 'COMPLETED' | 'FAILED' = 'COMPLETED') => [
    s.activity(run, 'train', 'RUNNING'),
    ...values.map((v, i) => s.metric(run, 'val_accuracy', v, { step: i + 1 })),
    s.activity(run, 'train', status),
  ];

  it('every point alerts on the first low epoch; at the end only the last value counts', () => {
    const s = new Stream();
    const events = training(s, 'act:r1', [0.3, 0.5, 0.72]);
    expect(new Harness([onJob('every')]).feedAll(events).map((a) => a.value)).toEqual([0.3, 0.5]);
    expect(new Harness([onJob('end')]).feedAll(events)).toEqual([]);
  });

  it('a run that ends low alerts once, at its end event, with the last value, its step and the ids that led to it', () => {
    const s = new Stream();
    const h = new Harness([onJob('end')]);
    const [start, ...rest] = training(s, 'act:r2', [0.3, 0.58, 0.55], 'FAILED');
    const end = rest.pop()!;
    expect(h.feedAll([start!, ...rest])).toEqual([]);
    const alerts = h.feed(end);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      subject: 'act:r2',
      value: 0.55,
      time: rest[2]!.time,
      eventIds: [rest[2]!.eventId, end.eventId],
      details: { step: 3, at: 'end' },
      message: 'metric val_accuracy < 0.6 holds for run act:r2 of job train at its end: val_accuracy = 0.55 (step 3)',
    });
    // A second end event (a retried emitter) evaluates nothing again.
    expect(h.feed(s.activity('act:r2', 'train', 'COMPLETED'))).toEqual([]);
  });

  it('keeps the latest value by step when points arrive out of order or before the run', () => {
    const s = new Stream();
    const h = new Harness([onJob('end')]);
    h.feedAll([s.metric('act:r3', 'val_accuracy', 0.4, { step: 1 }), s.activity('act:r3', 'train', 'RUNNING')]);
    h.feedAll([s.metric('act:r3', 'val_accuracy', 0.5, { step: 3 }), s.metric('act:r3', 'val_accuracy', 0.9, { step: 2 })]);
    expect(h.feed(s.activity('act:r3', 'train', 'COMPLETED')).map((a) => [a.value, a.details['step']])).toEqual([[0.5, 3]]);
  });

  it('a value logged after the end (a final test metric) is evaluated as it comes', () => {
    const s = new Stream();
    const h = new Harness([onJob('end')]);
    expect(h.feedAll(training(s, 'act:r4', [0.3, 0.8]))).toEqual([]);
    expect(h.feed(s.metric('act:r4', 'val_accuracy', 0.45, { step: 3 })).map((a) => a.value)).toEqual([0.45]);
    // A late RUNNING event does not re-open the run.
    h.feed(s.activity('act:r4', 'train', 'RUNNING'));
    expect(h.feed(s.metric('act:r4', 'val_accuracy', 0.4, { step: 4 })).map((a) => a.value)).toEqual([0.4]);
  });

  it('the replay of a run (dry run, any batch split) gives the same alert ids', () => {
    const s = new Stream();
    const events = [...training(s, 'act:a', [0.2, 0.5]), ...training(s, 'act:b', [0.3, 0.7]), ...training(s, 'act:c', [0.9, 0.1])];
    const live = new Harness([onJob('end')]).feedAll(events);
    expect(live.map((a) => a.subject)).toEqual(['act:a', 'act:c']);
    expect(dryRun([onJob('end')], events).alerts.map((a) => a.alertId)).toEqual(live.map((a) => a.alertId));
  });
});
