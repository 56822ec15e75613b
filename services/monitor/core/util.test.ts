import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertIdOf, dedupKeyOf } from './alerts.js';
import { compare } from './compare.js';
import { formatDuration, parseDuration } from './duration.js';
import { matchGlob } from './glob.js';
import { sha256Hex } from './hash.js';
import { clearKeyMemo, escapeKeyPart, ruleKey } from './state.js';

describe('parseDuration', () => {
  it.each([
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['250ms', 250],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    [' 1h 5m ', 3_900_000],
    ['600', 600],
    [42, 42],
    [0, 0],
  ])('%s -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([['10 minutes'], ['m'], [''], ['-5m'], ['5x'], ['1h-5m'], [-1], [Number.NaN], [Infinity], [null], [{}], [true]])('rejects %s', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it('formats what it parses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });
});

describe('matchGlob', () => {
  it.each([
    ['models/*', 'models/resnet', true],
    ['models/*', 'models/a/b', false],
    ['models/**', 'models/a/b', true],
    ['data/*.csv', 'data/train.csv', true],
    ['data/*.csv', 'data/train.csvx', false],
    ['train?', 'train1', true],
    ['train?', 'train', false],
    ['model:res[net]', 'model:res[net]', true],
    ['a.b', 'aXb', false],
    ['*', '', true],
  ])('%s ~ %s = %s', (glob, text, expected) => {
    expect(matchGlob(glob, text)).toBe(expected);
  });
});

describe('compare', () => {
  it.each([
    [5, '<', 6, true],
    ['5', '<', 6, true],
    ['five', '<', 6, false],
    ['five', '!=', 6, true],
    ['true', '==', true, true],
    ['TRUE', '==', true, true],
    [1, '==', true, false],
    [1, '==', '1', true],
    [true, '==', 'true', true],
    ['bad', '==', 'bad', true],
    ['bad', '!=', 'bad', false],
  ] as const)('%j %s %j = %s', (a, op, b, expected) => {
    expect(compare(a, op, b)).toBe(expected);
  });
});

describe('identity', () => {
  it('computes SHA-256 like node:crypto', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(sha256Hex(s)).toBe(createHash('sha256').update(s).digest('hex'));
      }),
    );
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('derives alert ids from rule, dedup key and trigger only', () => {
    const a = alertIdOf('r', dedupKeyOf('r', 'p', 'ent:1'), 'ev-1');
    expect(a).toMatch(/^alr:[0-9a-f]{32}$/);
    expect(alertIdOf('r', dedupKeyOf('r', 'p', 'ent:1'), 'ev-1')).toBe(a);
    expect(alertIdOf('r', dedupKeyOf('r', 'p', 'ent:1'), 'ev-2')).not.toBe(a);
    expect(alertIdOf('r', dedupKeyOf('r', 'p:ent', '1'), 'ev-1')).not.toBe(a);
  });

  it('escapes key parts so that distinct parts never give the same key', () => {
    expect(ruleKey('r', 'v', 'proj', 'ent:ab')).toBe('rule:r:v:proj:ent%3Aab');
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 3 }), fc.array(fc.string(), { maxLength: 3 }), (a, b) => {
        fc.pre(a.length === b.length && a.join('\0') !== b.join('\0'));
        expect(ruleKey('r', 't', ...a)).not.toBe(ruleKey('r', 't', ...b));
      }),
    );
    expect(escapeKeyPart('%3A:')).toBe('%253A%3A');
  });

  it('escapes every part the same way whatever its shape (fast paths = the general rule), also when memoized', () => {
    const general = (part: string) => part.replace(/%/g, '%25').replace(/:/g, '%3A');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('ent:ab', 'a:b:c', ':', '::', 'x%', '%:', 'team-1'), fc.integer()), { maxLength: 3 }), (parts) => {
        const expected = ['rule:r:t', ...parts.map((p) => general(String(p)))].join(':');
        expect(ruleKey('r', 't', ...parts)).toBe(expected);
        expect(ruleKey('r', 't', ...parts)).toBe(expected);
        expect(ruleKey('r', 't', ...parts.map(String))).toBe(expected);
        for (const p of parts) expect(escapeKeyPart(String(p))).toBe(general(String(p)));
      }),
    );
    // More keys than the memo keeps (it is emptied when full): keys stay right.
    for (let i = 0; i < 210_000; i++) ruleKey('many', 'v', 'p', i);
    expect(ruleKey('many', 'v', 'p', 5)).toBe('rule:many:v:p:5');
    expect(ruleKey('many', 'v', 'p:q', 'ent:x')).toBe('rule:many:v:p%3Aq:ent%3Ax');
  });

  it('gives the same keys before and after the memo is emptied (clearKeyMemo: every batch)', () => {
    const before = [ruleKey('r', 'v', 'p', 'ent:a'), ruleKey('r', 'rb', 'p', 'g', 60_000), ruleKey('r', 'dl'), ruleKey('s', 'v', 'p', 'ent:a')];
    clearKeyMemo();
    const after = [ruleKey('r', 'v', 'p', 'ent:a'), ruleKey('r', 'rb', 'p', 'g', 60_000), ruleKey('r', 'dl'), ruleKey('s', 'v', 'p', 'ent:a')];
    expect(after).toEqual(before);
    expect(after).toEqual(['rule:r:v:p:ent%3Aa', 'rule:r:rb:p:g:60000', 'rule:r:dl', 'rule:s:v:p:ent%3Aa']);
    expect(ruleKey('r', 'v', 'p', 'ent:a')).toBe(after[0]); // memoized again
  });
});
