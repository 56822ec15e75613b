import { describe, expect, it } from 'vitest';
import { encodeTsv, encodeTsvGeneric, escapeTsv } from './tsv.js';
import { mulberry32 } from '../../test/random.js';
import type { TsvColumn } from './tsv.js';

const cols: TsvColumn[] = [
  { name: 's', kind: 'string' },
  { name: 'i', kind: 'int' },
  { name: 'f', kind: 'float' },
  { name: 'n', kind: 'nullable-int' },
  { name: 'a', kind: 'string-array' },
];

describe('TabSeparated encoding', () => {
  it('escapes backslash, tab, newline, CR and NUL; leaves quotes and unicode alone', () => {
    expect(escapeTsv('plain "json" é 𝄞')).toBe('plain "json" é 𝄞');
    expect(escapeTsv('a\\b\tc\nd\re\0f')).toBe('a\\\\b\\tc\\nd\\re\\0f');
  });

  it('writes columns in order, NULL as \\N, arrays quoted, non-finite floats as ClickHouse spells them', () => {
    const text = encodeTsv(
      [
        { s: 'x', i: 1, f: 0.5, n: null, a: [] },
        { s: 'y\tz', i: -7, f: NaN, n: 3, a: ["it's", 'a\\b', 'c\nd'] },
        { s: '', i: 0, f: -Infinity, n: undefined, a: ['x'], extra: 'ignored' },
      ],
      cols,
    );
    expect(text).toBe("x\t1\t0.5\t\\N\t[]\n" + "y\\tz\t-7\tnan\t3\t['it\\'s','a\\\\b','c\\nd']\n" + "\t0\t-inf\t\\N\t['x']\n");
  });

  it('no rows: empty text', () => {
    expect(encodeTsv([], cols)).toBe('');
  });

  it('refuses a value of the wrong type with the column name (never writes a shifted row)', () => {
    expect(() => encodeTsv([{ s: 1, i: 1, f: 1, n: null, a: [] }], cols)).toThrow(/column s \(string\): cannot write 1/);
    expect(() => encodeTsv([{ s: 'x', i: 1.5, f: 1, n: null, a: [] }], cols)).toThrow(/column i \(int\)/);
    expect(() => encodeTsv([{ s: 'x', i: 1, f: 1, n: null, a: ['ok', 2] }], cols)).toThrow(/column a: element 1 is number/);
    expect(() => encodeTsv([{ i: 1, f: 1, n: null, a: [] }], cols)).toThrow(/column s \(string\): cannot write undefined/);
  });

  it('the compiled encoder writes exactly what the generic loop writes, and fails the same way (5,000 random rows)', () => {
    const rnd = mulberry32(26);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const text = () => Array.from({ length: Math.floor(rnd() * 6) }, () => pick(['a', 'é', '\\', '\t', '\n', '\r', '\0', "'", '"', '${x}', '`'])).join('');
    // Column names that would break naive code generation, next to the ones ingest uses.
    const columns: TsvColumn[] = [...cols, { name: "it's", kind: 'string' }, { name: 'a\\b"c`${d}', kind: 'int' }, { name: 'params.key', kind: 'string-array' }];
    const value = (kind: TsvColumn['kind']): unknown => {
      if (rnd() < 0.03) return pick([undefined, null, 1.5, 'x', ['y', 2], NaN, {}]); // sometimes the wrong type
      switch (kind) {
        case 'string': return text();
        case 'int': return Math.floor((rnd() - 0.5) * 1e12);
        case 'float': return pick([rnd() * 100, -0, Infinity, -Infinity, NaN, 1e21, 3]);
        case 'nullable-int': return rnd() < 0.3 ? null : Math.floor(rnd() * 1000);
        case 'string-array': return Array.from({ length: Math.floor(rnd() * 3) }, text);
      }
    };
    const outcome = (f: () => string) => { try { return f(); } catch (err) { return `${(err as Error).name}: ${(err as Error).message}`; } };
    let failures = 0;
    for (let i = 0; i < 1_000; i++) {
      const rows = Array.from({ length: 5 }, () => Object.fromEntries(columns.map((c) => [c.name, value(c.kind)])));
      const expected = outcome(() => encodeTsvGeneric(rows, columns));
      if (expected.startsWith('TypeError')) failures++;
      expect(outcome(() => encodeTsv(rows, columns))).toBe(expected);
    }
    expect(failures).toBeGreaterThan(50); // the wrong-type paths were exercised
  });
});
