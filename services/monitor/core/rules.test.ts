import { describe, expect, it } from 'vitest';
import { formatIssue, parseRules, validateRules, type Rule, type RuleIssue } from './rules.js';

function errors(text: string, format?: 'yaml' | 'json'): string[] {
  const r = parseRules(text, format);
  if (r.ok) throw new Error('expected validation errors');
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}

function ok(text: string, format?: 'yaml' | 'json'): Rule[] {
  const r = parseRules(text, format);
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return r.value;
}

const BASE = 'severity: warning\n    notify: [feed]';

describe('parseRules: valid files', () => {
  it('parses a threshold rule with every default filled in', () => {
    const [r] = ok(`
rules:
  - id: low-accuracy
    kind: threshold
    severity: critical
    dedupWindow: 10m
    notify: [feed, kafka, {type: webhook, url: "https://hooks.example/a"}]
    match: {artifact: "models/*"}
    threshold: {metric: accuracy, op: "<", value: 0.8}
`);
    expect(r).toEqual({
      id: 'low-accuracy',
      kind: 'threshold',
      description: null,
      severity: 'critical',
      enabled: true,
      dedupWindowMs: 600_000,
      notify: [{ type: 'feed' }, { type: 'kafka' }, { type: 'webhook', url: 'https://hooks.example/a' }],
      projects: null,
      stateTtlMs: 30 * 86_400_000,
      match: { artifact: 'models/*', entityType: null, activity: null, subject: null },
      pendingTtlMs: 86_400_000,
      threshold: { source: 'metric', key: 'accuracy', op: '<', value: 0.8, at: 'every' },
    });
  });

  it('accepts a single rule, a list, or {rules: [...]} in YAML and JSON', () => {
    const one = { id: 'a', kind: 'rate', severity: 'info', notify: ['feed'], match: { activity: 'train' }, rate: { status: 'FAILED', window: '10m', max: 3 } };
    expect(ok(JSON.stringify(one), 'json')).toHaveLength(1);
    expect(ok(JSON.stringify([one, { ...one, id: 'b' }]), 'json').map((r) => r.id)).toEqual(['a', 'b']);
    expect(ok(JSON.stringify({ rules: [one] }))).toHaveLength(1);
    const [r] = ok(JSON.stringify(one));
    expect(r).toMatchObject({ kind: 'rate', rate: { event: 'activity', status: ['FAILED'], windowMs: 600_000, bucketMs: 60_000, max: 3, perGroup: true } });
  });

  it('parses each rule kind with its defaults', () => {
    const rules = ok(`
- {id: reg, kind: regression, ${'severity: warning, notify: [feed]'}, match: {artifact: "models/**"}, regression: {metric: accuracy, minDrop: 0.02}}
- {id: z, kind: zscore, severity: info, notify: [feed], match: {activity: train}, zscore: {metric: loss}}
- {id: stuck, kind: absence, severity: warning, notify: [feed], match: {activity: etl}, absence: {mode: unfinished, within: 2h}}
- {id: quiet, kind: absence, severity: warning, notify: [feed], match: {activity: nightly}, absence: {mode: no-run, within: 1d}, enabled: false}
- {id: pii, kind: taint, severity: critical, notify: [clickhouse], dedupWindowMs: 0, taint: {when: "pii = true"}}
`);
    expect(rules.map((r) => r.kind)).toEqual(['regression', 'zscore', 'absence', 'absence', 'taint']);
    expect(rules[0]).toMatchObject({ regression: { source: 'metric', key: 'accuracy', minDrop: 0.02, mode: 'absolute', direction: 'higher-is-better' } });
    expect(rules[1]).toMatchObject({ zscore: { window: 30, minSamples: 10, threshold: 3, direction: 'both', minStd: 0 } });
    expect(rules[2]).toMatchObject({ absence: { mode: 'unfinished', withinMs: 7_200_000 }, match: { activity: 'etl' } });
    expect(rules[3]).toMatchObject({ enabled: false, absence: { mode: 'no-run', withinMs: 86_400_000 } });
    expect(rules[4]).toMatchObject({
      dedupWindowMs: 0,
      taint: { when: { key: 'pii', op: '==', value: true }, via: ['wasDerivedFrom', 'wasGeneratedBy', 'used'], maxDepth: 16, flagTtlMs: 365 * 86_400_000 },
    });
  });

  it.each([
    ['pii = true', { key: 'pii', op: '==', value: true }],
    ['deprecated == true', { key: 'deprecated', op: '==', value: true }],
    ['quality == "bad"', { key: 'quality', op: '==', value: 'bad' }],
    ["quality = 'bad'", { key: 'quality', op: '==', value: 'bad' }],
    ['status != ok', { key: 'status', op: '!=', value: 'ok' }],
    ['score < 0.5', { key: 'score', op: '<', value: 0.5 }],
    ['rows>=-1e3', { key: 'rows', op: '>=', value: -1000 }],
  ])('parses the compact predicate %s', (when, expected) => {
    const [r] = ok(`{id: t, kind: taint, severity: info, notify: [feed], taint: {when: ${JSON.stringify(when)}}}`);
    expect(r?.kind === 'taint' && r.taint.when).toEqual(expected);
  });

  it('accepts durations as human strings or milliseconds', () => {
    const [r] = ok(`{id: a, kind: rate, severity: info, notify: feed, dedupWindow: 1h30m, stateTtl: 2d, rate: {window: 90000, bucket: 30s, max: 0}}`);
    expect(r).toMatchObject({ dedupWindowMs: 5_400_000, stateTtlMs: 172_800_000, rate: { windowMs: 90_000, bucketMs: 30_000 } });
  });
});

describe('parseRules: validation errors', () => {
  it.each<[string, string, string[]]>([
    ['a bad operator', `threshold: {metric: accuracy, op: "=<", value: 0.8}`, ['/rules/0/threshold/op: must be one of <, <=, >, >=, ==, !=, got string "=<"']],
    ['a non-numeric metric operand', `threshold: {metric: accuracy, op: "<", value: high}`, ['/rules/0/threshold/value: must be a number (metrics are numeric), got string "high"']],
    ['an ordering on a string property', `threshold: {property: quality, op: ">", value: bad}`, ['/rules/0/threshold/value: must be a number for operator >, got string "bad"']],
    ['both metric and property', `threshold: {metric: a, property: b, op: "<", value: 1}`, ['/rules/0/threshold/property: give either metric or property, not both']],
    ['neither metric nor property', `threshold: {op: "<", value: 1}`, ['/rules/0/threshold/metric: is required (or give property)']],
    ['a missing kind object', ``, ['/rules/0/threshold: is required']],
    ['parameters of another kind', `threshold: {metric: a, op: "<", value: 1}\n    zscore: {metric: a}`, ['/rules/0/zscore: unknown field (`zscore` parameters do not apply to a threshold rule)']],
    ['a typo in a field', `threshold: {metric: a, op: "<", value: 1, vlaue: 2}`, ['/rules/0/threshold/vlaue: unknown field (expected one of: at, metric, op, property, value)']],
    ['a bad duration', `dedupWindow: 10 minutes\n    threshold: {metric: a, op: "<", value: 1}`, ['/rules/0/dedupWindow: must be a duration such as "90s", "10m", "1h30m" or a number of milliseconds, got string "10 minutes"']],
    ['artifact and activity together', `match: {artifact: "m/*", activity: train}\n    threshold: {metric: a, op: "<", value: 1}`, ['/rules/0/match/activity: cannot be combined with match.artifact or match.entityType: a rule watches either entity versions or activities']],
    ['at: end without a run to wait for', `match: {artifact: "models/*"}\n    threshold: {metric: a, op: "<", value: 1, at: end}`, ['/rules/0/threshold/at: end needs match.activity: it waits for the end of the run a value is logged on (a rule on artifacts or raw vertices has no run to wait for)']],
    ['an unknown at', `match: {activity: train}\n    threshold: {metric: a, op: "<", value: 1, at: last}`, ['/rules/0/threshold/at: must be one of every, end, got string "last"']],
  ])('reports %s', (_name, body, expected) => {
    expect(errors(`rules:\n  - id: r\n    kind: threshold\n    ${BASE}\n    ${body}\n`)).toEqual(expected);
  });

  it('reports every problem of every rule at once, with lines', () => {
    const r = parseRules(`rules:
  - id: ok-rule
    kind: rate
    severity: info
    notify: [feed]
    rate: {window: 10m, max: 1}
  - id: "bad id!"
    kind: treshold
    severity: severe
    notify: [{type: webhook}, {type: pager}, 42]
  - id: z
    kind: zscore
    severity: info
    notify: []
    match: {artifact: "a/*"}
    zscore: {metric: m, window: 1, minSamples: 50, threshold: 0}
  - id: ok-rule
    kind: absence
    severity: info
    notify: [feed]
    match: {artifact: x}
    absence: {mode: late, within: 0}
  - id: t
    kind: taint
    severity: info
    notify: [feed]
    match: {artifact: x}
    taint: {when: "pii ~ yes", via: [wasAssociatedWith], maxDepth: 500}
`);
    expect(r.ok).toBe(false);
    const got = (r as { errors: RuleIssue[] }).errors.map((e) => `${e.line}: ${e.path}: ${e.message}`);
    expect(got).toEqual([
      '7: /rules/1/id: must match letters, digits, ".", "_", "-" (at most 64), got "bad id!"',
      '8: /rules/1/kind: must be one of threshold, regression, zscore, rate, absence, taint, got string "treshold"',
      '9: /rules/1/severity: must be one of info, warning, critical, got string "severe"',
      '10: /rules/1/notify/0/url: is required',
      '10: /rules/1/notify/1/type: must be one of webhook, kafka, clickhouse, feed, got string "pager"',
      '10: /rules/1/notify/2: must be a target such as {type: webhook, url: ...} or "feed", got number 42',
      '14: /rules/2/notify: must not be empty',
      '16: /rules/2/zscore/window: must be >= 2 and <= 10000, got 1',
      '16: /rules/2/zscore/minSamples: must be >= 2 and <= 30, got 50',
      '16: /rules/2/zscore/threshold: must be > 0, got 0',
      '17: /rules/3/id: duplicate rule id "ok-rule" (first defined at /rules/0)',
      '21: /rules/3/match: an absence rule watches activities: use match.activity (job name glob), not artifact/entityType',
      '22: /rules/3/absence/mode: must be one of unfinished, no-run, got string "late"',
      '22: /rules/3/absence/within: must be longer than 0',
      '27: /rules/4/match: not supported by taint rules: they alert on every entity derived from a flagged vertex (the predicate goes in taint.when)',
      `28: /rules/4/taint/when: must look like 'pii = true', 'quality == "bad"' or 'score < 0.5' (key, one of <, <=, >, >=, ==, !=, literal), got "pii ~ yes"`,
      '28: /rules/4/taint/via/0: must be one of wasGeneratedBy, used, wasDerivedFrom, wasRevisionOf, wasInformedBy, got string "wasAssociatedWith"',
      '28: /rules/4/taint/maxDepth: must be >= 1 and <= 50, got 500',
    ]);
  });

  it.each([
    ['400d', { ok: 400 * 86_400_000 }],
    ['"1w"', { ok: 7 * 86_400_000 }],
    ['soon', { error: '/0/taint/flagTtl: ' }],
    ['10ms', { error: '/0/taint/flagTtl: ' }],
  ])('reads taint.flagTtl %s', (value, expected) => {
    const text = `- {id: t, kind: taint, severity: info, notify: [feed], taint: {when: "pii = true", flagTtl: ${value}}}`;
    if ('ok' in expected) {
      const [r] = ok(text);
      expect(r?.kind === 'taint' && r.taint.flagTtlMs).toBe(expected.ok);
    } else {
      expect(errors(text)).toEqual([expect.stringContaining(expected.error)]);
    }
  });

  it.each([
    ['a severity', `- {id: r, kind: taint, severity: warn, notify: [feed], taint: {when: "pii = true"}}`, '/0/severity: must be one of info, warning, critical, got string "warn"'],
    ['a notify type', `- {id: r, kind: taint, severity: info, notify: [slack], taint: {when: "pii = true"}}`, '/0/notify/0/type: must be one of webhook, kafka, clickhouse, feed, got string "slack"'],
    ['a rate status', `- {id: r, kind: rate, severity: info, notify: [feed], rate: {status: [FAILED, CRASHED], window: 1h, max: 1}}`, '/0/rate/status/1: must be one of RUNNING, COMPLETED, FAILED, ABORTED, UNKNOWN, got string "CRASHED"'],
  ])('repeats the bad value of %s', (_name, text, message) => {
    expect(errors(text)).toEqual([message]);
  });

  it('requires the common fields', () => {
    expect(errors(`- {kind: taint, taint: {when: "pii = true"}}`)).toEqual(['/0/id: is required', '/0/severity: is required', '/0/notify: is required']);
  });

  it('checks kind-specific use of match', () => {
    expect(errors(`- {id: r, kind: regression, severity: info, notify: [feed], regression: {metric: acc, minDrop: 0.1}}`)).toEqual([
      '/0/match: a regression rule needs match.artifact (versions of an artifact) or match.activity (runs of a job) to know what "previous" means',
    ]);
    expect(errors(`- {id: r, kind: rate, severity: info, notify: [feed], match: {activity: x}, rate: {event: entity, status: [FAILED], window: 1m, max: 1}}`)).toEqual([
      '/0/match/activity: selects activities; this rate rule counts entities (use match.artifact)',
      '/0/rate/status: only applies when event is activity',
    ]);
    expect(errors(`- {id: r, kind: rate, severity: info, notify: [feed], rate: {window: 1h, bucket: 1s, max: 1}}`)).toEqual([
      '/0/rate/bucket: gives 3600 buckets per window; at most 1000 (use a larger bucket)',
    ]);
  });

  it('rejects dedupWindow together with dedupWindowMs', () => {
    expect(errors(`{id: r, kind: taint, severity: info, notify: [feed], dedupWindow: 1m, dedupWindowMs: 60000, taint: {when: "a = 1"}}`)).toEqual([
      '/dedupWindowMs: give either dedupWindow or dedupWindowMs, not both',
    ]);
  });

  it('reports syntax errors with their position and never throws', () => {
    const yaml = parseRules('rules:\n  - id: [unclosed\n');
    expect(yaml.ok).toBe(false);
    expect(!yaml.ok && yaml.errors[0]).toMatchObject({ path: '', line: expect.any(Number) });
    expect(!yaml.ok && yaml.errors[0]?.message).toMatch(/^invalid YAML: /);
    const json = parseRules('{"id": ', 'json');
    expect(!json.ok && json.errors[0]?.message).toMatch(/^invalid JSON: /);
    for (const junk of ['42', '"text"', 'null', '[1, null, []]', '{rules: 3}', '', '~']) {
      expect(() => parseRules(junk)).not.toThrow();
      expect(parseRules(junk).ok).toBe(false);
    }
  });

  it('validates already-decoded documents without positions', () => {
    const r = validateRules({ rules: [{ id: 'x', kind: 'taint', severity: 'info', notify: ['feed'], taint: { when: { key: 'pii', value: true, extra: 1 } } }] });
    expect(r).toEqual({ ok: false, errors: [{ path: '/rules/0/taint/when/extra', message: 'unknown field (expected one of: key, op, value)' }] });
  });

  it('formats issues as path: message (line, column)', () => {
    expect(formatIssue({ path: '/rules/2/threshold/op', message: 'must be one of <', line: 4, column: 7 })).toBe('/rules/2/threshold/op: must be one of < (line 4, column 7)');
    expect(formatIssue({ path: '', message: 'bad' })).toBe('/: bad');
  });
});
