import { describe, expect, it } from 'vitest';
import { literal, sql, ident, inList, quoteString, raw } from './sql-literal.js';

describe('literal', () => {
  const cases: Array<[unknown, string]> = [
    ['plain', "'plain'"],
    ["it's", "'it\\'s'"],
    ['back\\slash', "'back\\\\slash'"],
    ['line\nbreak\ttab\r\0', "'line\\nbreak\\ttab\\r\\0'"],
    ["'; DROP TABLE vertices; --", "'\\'; DROP TABLE vertices; --'"],
    ['ünïcødé ✓', "'ünïcødé ✓'"],
    [42, '42'],
    [-7, '-7'],
    [0.1, '0.10000000000000001'],
    [12345678901234567890n, '12345678901234567890'],
    [true, '1'],
    [false, '0'],
    [null, 'NULL'],
    [undefined, 'NULL'],
    [['a', 1, null], "['a', 1, NULL]"],
  ];
  for (const [v, want] of cases) it(JSON.stringify(String(v)), () => expect(literal(v as never)).toBe(want));
  it('refuses non-finite numbers', () => {
    expect(() => literal(NaN)).toThrow(/non-finite/);
    expect(() => literal(Infinity)).toThrow(/non-finite/);
  });
});

describe('sql template', () => {
  it('binds every interpolation as a literal', () => {
    expect(sql`SELECT * FROM t WHERE a = ${"x'"} AND b IN ${inList([1, 2])} AND c = ${raw('now()')}`).toBe(
      "SELECT * FROM t WHERE a = 'x\\'' AND b IN (1, 2) AND c = now()",
    );
  });
  it('an empty IN list matches nothing', () => expect(sql`x IN ${inList([])}`).toBe('x IN (NULL)'));
  it('identifiers are validated', () => {
    expect(ident('provstream_test').text).toBe('`provstream_test`');
    expect(() => ident('x`; DROP')).toThrow(/invalid SQL identifier/);
  });
  it('quoteString escapes every quote and backslash', () => {
    for (const s of ["\\'", "''", '\\\\\'', 'a\\']) {
      const q = quoteString(s);
      // Unescaping must give back the input: no quote can end the literal early.
      expect(q.slice(1, -1).replace(/\\(.)/g, '$1')).toBe(s);
    }
  });
});
