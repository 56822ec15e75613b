import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical.js';
import { mulberry32 } from '../../test/random.js';

/** The first implementation: ids and stored bodies were computed with it, so the text must not change. */
function reference(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : val,
  );
}

const KEYS = ['a', 'b', 'B', 'zeta', '0', '1', '10', '9', '01', '-1', '4294967294', '4294967295', '1e3', 'é', 'ä', '𝄞', '', ' ', 'type', 'value', '"q"', 'a\nb'];
function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 3 || x < 0.35) {
    const leaves: unknown[] = [null, true, false, 0, -0, 1.5, 1e21, NaN, Infinity, 'text', '', 'ü"\\', undefined, 12345678901234];
    return leaves[Math.floor(r() * leaves.length)];
  }
  if (x < 0.55) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 6); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = randomValue(r, depth + 1);
  return o;
}

describe('canonicalJson', () => {
  it('is byte-identical to the first implementation on 5,000 random documents (index-like, unicode, undefined, nesting)', () => {
    const r = mulberry32(42);
    for (let i = 0; i < 5000; i++) {
      const v = randomValue(r, 0);
      expect(canonicalJson(v), JSON.stringify(v)).toBe(reference(v));
    }
  });

  it('sorts names, puts index-like keys first in numeric order, honours toJSON, drops undefined members', () => {
    expect(canonicalJson({ b: 1, 10: 'x', a: [undefined, { d: 1, c: 2 }], 9: null, u: undefined })).toBe('{"9":null,"10":"x","a":[null,{"c":2,"d":1}],"b":1}');
    expect(canonicalJson({ t: new Date(0) })).toBe('{"t":"1970-01-01T00:00:00.000Z"}');
    expect(canonicalJson(undefined)).toBe(undefined);
  });
});
