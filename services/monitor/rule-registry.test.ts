import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseRules } from './core/index.js';
import { rawRuleItems, rulesFromStored } from './rule-registry.js';

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
