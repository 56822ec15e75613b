import { describe, expect, it } from 'vitest';
import { redactWebhookUrl } from './alerts.js';
import { dryRun } from './dry-run.js';
import { parseRules } from './rules.js';
import type { Rule } from './rule-types.js';
import { MIN, Stream, T0 } from './test-fixtures.js';

function rules(yaml: string): Rule[] {
  const r = parseRules(yaml);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const RULES = rules(`
rules:
  - id: low-acc
    kind: threshold
    severity: warning
    dedupWindow: 1h
    notify: [feed]
    match: {artifact: "models/*"}
    threshold: {metric: accuracy, op: "<", value: 0.8}
  - id: stuck
    kind: absence
    severity: critical
    notify: [{type: webhook, url: "https://hooks.example/oncall"}]
    match: {activity: etl}
    absence: {mode: unfinished, within: 30m}
  - id: off
    kind: threshold
    enabled: false
    severity: info
    notify: [feed]
    threshold: {metric: accuracy, op: "<", value: 1}
`);

describe('dryRun', () => {
  it('reports what would fire and what dedup would withhold, using event time as the clock', () => {
    const s = new Stream();
    const model = s.entityId('models/m', '1');
    const events = [
      s.entity('models/m', '1', { time: T0 }),
      s.metric(model, 'accuracy', 0.7, { time: T0 + MIN }),
      s.metric(model, 'accuracy', 0.6, { time: T0 + 30 * MIN }), // within the 1h dedup window
      s.activity('act:etl1', 'etl', 'RUNNING', { time: T0 + 40 * MIN }),
      s.metric(model, 'accuracy', 0.5, { time: T0 + 62 * MIN }), // window over: fires again
    ];
    const result = dryRun(RULES, events, { until: T0 + 3 * 60 * MIN });
    expect(result.alerts.map((a) => [a.ruleId, a.value, a.time])).toEqual([
      ['low-acc', 0.7, T0 + MIN],
      ['low-acc', 0.5, T0 + 62 * MIN],
      ['stuck', null, T0 + 70 * MIN + 1],
    ]);
    expect(result.suppressed.map((a) => a.value)).toEqual([0.6]);
    // The webhook in its public form: its URL is a secret (alerts.ts).
    expect(result.alerts[2]?.notify).toEqual([{ type: 'webhook', target: redactWebhookUrl('https://hooks.example/oncall') }]);
    expect(redactWebhookUrl('https://hooks.example/oncall')).toMatch(/^https:\/\/hooks\.example\/…#[0-9a-f]{8}$/);
    expect(result.errors).toEqual([]);
    expect(result.stats).toMatchObject({ events: 5, evaluations: 10, ticks: 6 });
  });

  it('fires a deadline before an event that arrives after it', () => {
    const s = new Stream();
    const events = [s.activity('act:1', 'etl', 'RUNNING', { time: T0 }), s.activity('act:1', 'etl', 'COMPLETED', { time: T0 + 31 * MIN })];
    expect(dryRun(RULES, events).alerts.map((a) => a.ruleId)).toEqual(['stuck']);
    const inTime = [s.activity('act:2', 'etl', 'RUNNING', { time: T0 }), s.activity('act:2', 'etl', 'COMPLETED', { time: T0 + 30 * MIN })];
    expect(dryRun(RULES, inTime).alerts).toEqual([]);
  });

  it('says how far a long replay got, every progressEvery events, with the alerts so far', () => {
    const s = new Stream();
    const model = s.entityId('models/m', '1');
    const events = [s.entity('models/m', '1', { time: T0 }), ...[0.7, 0.9, 0.9, 0.9].map((v, i) => s.metric(model, 'accuracy', v, { time: T0 + (i + 1) * MIN }))];
    const seen: Array<{ events: number; total: number; alerts: number }> = [];
    const result = dryRun(RULES, events, { progressEvery: 2, onProgress: (p) => seen.push(p) });
    // Counted after the event was evaluated: the second event's alert is in the first report.
    expect(seen).toEqual([
      { events: 2, total: 5, alerts: 1 },
      { events: 4, total: 5, alerts: 1 },
    ]);
    expect(result.alerts).toHaveLength(1);
  });

  it('is deterministic and needs no rules or events to run', () => {
    const s = new Stream();
    const events = [s.entity('models/m', '1'), s.metric(s.entityId('models/m', '1'), 'accuracy', 0.1)];
    expect(dryRun(RULES, events)).toEqual(dryRun(RULES, events));
    expect(dryRun([], events).alerts).toEqual([]);
    expect(dryRun(RULES, []).stats).toMatchObject({ events: 0, ticks: 0 });
  });
});
