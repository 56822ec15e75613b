import { describe, expect, it } from 'vitest';
import { NumberMap, NumberSet } from './numset.js';

describe('NumberSet', () => {
  it('behaves like a Set of integers below 2^53, through many resizes', () => {
    const s = new NumberSet();
    const ref = new Set<number>();
    let x = 12345;
    for (let i = 0; i < 100_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const key = i % 3 === 0 ? x : i % 3 === 1 ? x * 4096 + i : Number.MAX_SAFE_INTEGER - (x % 1000);
      expect(s.add(key)).toBe(!ref.has(key));
      ref.add(key);
    }
    expect(s.size).toBe(ref.size);
    for (const key of ref) expect(s.has(key)).toBe(true);
    expect(s.has(0)).toBe(ref.has(0));
    expect(s.has(7.5e15)).toBe(ref.has(7.5e15));
  });

  it('holds 0', () => {
    const s = new NumberSet(1);
    expect(s.has(0)).toBe(false);
    expect(s.add(0)).toBe(true);
    expect(s.add(0)).toBe(false);
    expect(s.has(0)).toBe(true);
  });
});

describe('NumberMap', () => {
  it('behaves like a Map of integers below 2^53 to numbers, through many resizes', () => {
    const m = new NumberMap();
    const ref = new Map<number, number>();
    let x = 777;
    for (let i = 0; i < 100_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const key = i % 3 === 0 ? x % 5000 : i % 3 === 1 ? x * 4096 + i : Number.MAX_SAFE_INTEGER - (x % 1000);
      const value = i % 2 ? -i * 1.5 : 1_764_000_000_000 + i;
      expect(m.get(key)).toBe(ref.get(key));
      m.set(key, value);
      ref.set(key, value);
    }
    expect(m.size).toBe(ref.size);
    for (const [k, v] of ref) expect(m.get(k)).toBe(v);
    expect(m.get(0)).toBe(ref.get(0));
  });
});
