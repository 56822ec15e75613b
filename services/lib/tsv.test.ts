import { describe, expect, it } from 'vitest';
import { encodeTsv, escapeTsv } from './tsv.js';
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
});
