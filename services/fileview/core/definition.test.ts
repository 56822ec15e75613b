import { describe, expect, it } from 'vitest';
import { contentHash, validateDefinition } from './definition.js';
import { definitionFromFlags } from './flags.js';

describe('validateDefinition', () => {
  it('a valid definition gets defaults', () => {
    expect(validateDefinition({ name: 'metrics', pattern: 'reports/*.json', transform: { kind: 'jsonpath', columns: { accuracy: '$.accuracy' } } })).toEqual({
      ok: true,
      definition: { name: 'metrics', pattern: 'reports/*.json', transform: { kind: 'jsonpath', columns: { accuracy: '$.accuracy' } }, properties: 'auto', propertyPrefix: '' },
    });
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', 'x', /must be an object/],
    ['bad name', { name: '1x', pattern: 'a', transform: { kind: 'csv' } }, /\/name/],
    ['no pattern', { name: 'v', transform: { kind: 'csv' } }, /\/pattern/],
    ['unknown kind', { name: 'v', pattern: 'a', transform: { kind: 'xml' } }, /\/transform\/kind: must be one of csv, jsonpath, regex, command/],
    ['csv columns with spaces', { name: 'v', pattern: 'a', transform: { kind: 'csv', columns: ['a b'] } }, /\/transform\/columns/],
    ['csv delimiter', { name: 'v', pattern: 'a', transform: { kind: 'csv', delimiter: ';;' } }, /\/transform\/delimiter/],
    ['jsonpath without $', { name: 'v', pattern: 'a', transform: { kind: 'jsonpath', columns: { a: 'a.b' } } }, /\/transform\/columns\/a/],
    ['regex without named groups', { name: 'v', pattern: 'a', transform: { kind: 'regex', pattern: '(\\d+)' } }, /named groups/],
    ['regex that does not compile', { name: 'v', pattern: 'a', transform: { kind: 'regex', pattern: '(?<a>[' } }, /\/transform\/pattern: Invalid regular expression/],
    ['command output', { name: 'v', pattern: 'a', transform: { kind: 'command', command: 'cat', output: 'xml' } }, /\/transform\/output/],
    ['properties mode', { name: 'v', pattern: 'a', properties: 'all', transform: { kind: 'csv' } }, /\/properties/],
  ];
  for (const [name, input, want] of bad) {
    it(`rejects: ${name}`, () => {
      const r = validateDefinition(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.join('\n')).toMatch(want);
    });
  }
  it('the content hash ignores key order and changes with the content', () => {
    const a = { name: 'v', pattern: 'p', transform: { kind: 'csv' as const, columns: ['x'] }, properties: 'auto' as const, propertyPrefix: '' };
    const b = { propertyPrefix: '', properties: 'auto' as const, transform: { columns: ['x'], kind: 'csv' as const }, pattern: 'p', name: 'v' };
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(contentHash({ ...a, pattern: 'q' }));
    expect(contentHash(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('definitionFromFlags', () => {
  const cases: Array<[string, Parameters<typeof definitionFromFlags>[1], Record<string, unknown>]> = [
    ['jsonpath', { pattern: 'r/*.json', jsonpath: ['acc=$.accuracy', 'loss=$.loss'] }, { name: 'v', pattern: 'r/*.json', transform: { kind: 'jsonpath', columns: { acc: '$.accuracy', loss: '$.loss' } } }],
    ['csv', { pattern: '*.csv', csv: true, columns: 'a, b', delimiter: ';', properties: 'last', propertyPrefix: 'x.' }, { name: 'v', pattern: '*.csv', transform: { kind: 'csv', columns: ['a', 'b'], delimiter: ';' }, properties: 'last', propertyPrefix: 'x.' }],
    ['regex', { pattern: '*.log', regex: '(?<a>\\d)', flags: 'i' }, { name: 'v', pattern: '*.log', transform: { kind: 'regex', pattern: '(?<a>\\d)', flags: 'i' } }],
    ['command', { pattern: '*.bin', command: 'wc -c', output: 'csv', timeoutMs: '500' }, { name: 'v', pattern: '*.bin', transform: { kind: 'command', command: 'wc -c', output: 'csv', timeoutMs: 500 } }],
  ];
  for (const [name, flags, want] of cases) it(name, () => expect(definitionFromFlags('v', flags)).toEqual({ ok: true, definition: want }));
  it('flags override a definition file', () => {
    expect(definitionFromFlags('v', { pattern: 'new/*' }, { pattern: 'old/*', transform: { kind: 'csv' } })).toEqual({ ok: true, definition: { name: 'v', pattern: 'new/*', transform: { kind: 'csv' } } });
  });
  it('two transformations, or none, are usage errors', () => {
    expect(definitionFromFlags('v', { csv: true, regex: 'x' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/choose one transformation/)] });
    expect(definitionFromFlags('v', { pattern: 'x' })).toMatchObject({ ok: false, problems: [expect.stringMatching(/a transformation is needed/)] });
    expect(definitionFromFlags('v', { jsonpath: ['nocolumn'] })).toMatchObject({ ok: false });
  });
});
