import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseRules } from './core/index.js';
import { classifyRuleChange, rawRuleItems, rulesFromStored } from './rule-registry.js';

const A = '{id: a, kind: threshold, severity: info, notify: [feed], threshold: {metric: m, op: "<", value: 1}}';
const B = '{id: b, kind: taint, severity: critical, notify: [feed], taint: {when: "pii = true"}}';

describe('rule registry helpers', () => {
  it.each([
    ['a rule file with rules:', `rules:\n  - ${A}\n  - ${B}\n`],
    ['a list of rules', `- ${A}\n- ${B}\n`],
    ['a single rule', A],
  ])('rawRuleItems lines up with parseRules for %s', (_name, text) => {
    const parsed = parseRules(text);
    expect(parsed.ok).toBe(true);
    const raw = rawRuleItems(parseYaml(text));
    expect(raw.length).toBe(parsed.ok ? parsed.value.length : -1);
    raw.forEach((item, i) => expect((item as { id: string }).id).toBe(parsed.ok ? parsed.value[i]!.id : ''));
  });

  it('loads the stored rules that validate and reports the others', () => {
    const good = parseYaml(A) as unknown;
    const r = rulesFromStored([
      { id: 'a', raw: good, addedAt: 1 },
      { id: 'bad', raw: { id: 'bad', kind: 'threshold' }, addedAt: 2 },
      { id: 'other', raw: good, addedAt: 3 },
    ]);
    expect(r.rules.map((x) => x.id)).toEqual(['a']);
    expect(r.errors.map((e) => e.id)).toEqual(['bad', 'other']);
    expect(r.errors[0]!.message).toMatch(/severity|notify/);
  });
});

describe('classifyRuleChange: which edits keep a replaced rule\'s state', () => {
  const T = { id: 't', kind: 'threshold', severity: 'info', notify: ['feed'], match: { artifact: 'models/*' }, threshold: { metric: 'acc', op: '<', value: 0.8 } };
  const TAINT = { id: 'pii', kind: 'taint', severity: 'critical', notify: ['feed'], taint: { when: 'pii = true' } };
  const RATE = { id: 'r', kind: 'rate', severity: 'warning', notify: ['feed'], match: { activity: 'train' }, rate: { status: 'FAILED', window: '1h', max: 3 } };
  const hook = { type: 'webhook', url: 'https://hooks.example.com/x' };
  it.each<[string, object, object, string[], boolean]>([
    ['severity', TAINT, { ...TAINT, severity: 'warning' }, ['severity'], false],
    ['severity and notify', TAINT, { ...TAINT, severity: 'info', notify: ['feed', hook] }, ['severity', 'notify'], false],
    ['description', T, { ...T, description: 'models below 0.8' }, ['description'], false],
    ['enabled', RATE, { ...RATE, enabled: false }, ['enabled'], false],
    ['dedup window', RATE, { ...RATE, dedupWindow: '1h' }, ['dedupWindowMs'], false],
    ['state TTL', TAINT, { ...TAINT, stateTtl: '90d' }, ['stateTtlMs'], false],
    ['the same, written differently', RATE, { ...RATE, dedupWindow: '10m', rate: { ...RATE.rate, window: '60m' } }, [], false],
    ['threshold value', T, { ...T, threshold: { ...T.threshold, value: 0.9 } }, ['threshold'], true],
    ['match', T, { ...T, match: { artifact: 'models/prod/*' } }, ['match'], true],
    ['projects', TAINT, { ...TAINT, projects: ['prod-*'] }, ['projects'], true],
    ['rate window', RATE, { ...RATE, rate: { ...RATE.rate, window: '2h' } }, ['rate'], true],
    ['taint condition', TAINT, { ...TAINT, taint: { when: 'secret = true' } }, ['taint'], true],
    ['kind', T, { ...T, kind: 'regression', threshold: undefined, regression: { metric: 'acc', minDrop: 0.01 } }, ['kind', 'threshold', 'regression'], true],
    ['severity and threshold', T, { ...T, severity: 'critical', threshold: { ...T.threshold, op: '<=' } }, ['severity', 'threshold'], true],
    ['an old definition that no longer validates', { ...T, threshold: 'junk' }, T, ['definition'], true],
  ])('%s', (_name, before, after, changed, clearsState) => {
    const json = (o: object) => JSON.parse(JSON.stringify(o)) as unknown; // drops undefined, as the registry stores it
    expect(classifyRuleChange(json(before), json(after))).toEqual({ changed, clearsState });
  });
});
