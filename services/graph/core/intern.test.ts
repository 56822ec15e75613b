import { describe, expect, it } from 'vitest';
import { InternTable } from './intern.js';

describe('InternTable', () => {
  it('gives dense ids in first-seen order and round-trips every string', () => {
    const t = new InternTable();
    const words = ['ent:0123abcd', 'act:9f', '', 'agt:alice', 'café', 'x'.repeat(5000), 'ÿ\u0000\u00ff'];
    expect(words.map((w) => t.intern(w))).toEqual(words.map((_, i) => i));
    expect(words.map((w) => t.intern(w))).toEqual(words.map((_, i) => i));
    expect(t.size).toBe(words.length);
    words.forEach((w, i) => {
      expect(t.get(i)).toBe(w);
      expect(t.lookup(w)).toBe(i);
    });
    expect(t.lookup('unknown')).toBe(-1);
    expect(t.lookup('ent:0123abc')).toBe(-1); // a prefix is another string
  });

  it('keeps strings beyond Latin-1 exactly, and tells them from the empty string', () => {
    const t = new InternTable();
    const wide = ['模型/训练.py', 'data/😀.csv', 'Ω'];
    const ids = wide.map((w) => t.intern(w));
    const empty = t.intern('');
    expect(new Set([...ids, empty]).size).toBe(4);
    wide.forEach((w, i) => expect(t.get(ids[i]!)).toBe(w));
    expect(t.get(empty)).toBe('');
    expect(t.lookup('')).toBe(empty);
    expect(t.lookup('模型')).toBe(-1);
  });

  it('stays correct through many rehashes and after trim()', () => {
    const t = new InternTable();
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(t.intern(`ent:${i.toString(16).padStart(32, '0')}`)).toBe(i);
    t.trim();
    // Trimmed: characters + offset + hash + hash-table share, about 54 bytes for a 36-char id.
    expect(t.byteSize()).toBeGreaterThan(n * 36);
    expect(t.byteSize()).toBeLessThan(n * 60);
    for (let i = 0; i < n; i += 997) expect(t.get(i)).toBe(`ent:${i.toString(16).padStart(32, '0')}`);
    expect(t.intern('after-trim')).toBe(n);
    expect(t.intern(`ent:${(7).toString(16).padStart(32, '0')}`)).toBe(7);
    expect(t.get(n)).toBe('after-trim');
  });

  it('rejects unknown ids', () => {
    const t = new InternTable();
    t.intern('a');
    expect(() => t.get(1)).toThrow(RangeError);
    expect(() => t.get(-1)).toThrow(RangeError);
  });
});
