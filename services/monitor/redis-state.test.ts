/**
 * coalesceWrites: per key, the fewer writes must leave the store exactly as the mutations one by
 * one do (checked on MemoryStateStore, the contract's reference; a merged push is replayed as its
 * pushes, one by one). redis-state.int.test.ts checks the merged LPUSH on a real Redis.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from './core/index.js';
import type { KeyRead, Mutation } from './core/index.js';
import { coalesceWrites } from './redis-state.js';
import type { Write } from './redis-state.js';

const NOW = Date.UTC(2026, 10, 20);
const VALUE_KEYS = ['rule:r:v:a', 'rule:r:v:b'];
const LIST_KEYS = ['rule:r:l:a', 'rule:r:l:b'];
const ZSET_KEY = 'rule:r:dl';

/** A deterministic pseudo-random source (an LCG: plenty for picking among a few choices). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function randomMutations(r: () => number, n: number): Mutation[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: Mutation[] = [];
  for (let i = 0; i < n; i++) {
    const ttlMs = 1_000 + Math.floor(r() * 5) * 1_000;
    const x = r();
    if (x < 0.25) out.push({ op: 'set', key: pick(VALUE_KEYS), value: { i }, ttlMs });
    else if (x < 0.32) out.push({ op: 'delete', key: pick([...VALUE_KEYS, ...LIST_KEYS]) });
    else if (x < 0.85) out.push({ op: 'push', key: pick(LIST_KEYS), value: i, maxLength: pick([0, 1, 2, 3, 3, 3, 5, 5]), ttlMs });
    else if (x < 0.95) out.push({ op: 'zadd', key: ZSET_KEY, member: pick(['m1', 'm2', 'm3']), score: i, ttlMs });
    else out.push({ op: 'zrem', key: ZSET_KEY, member: pick(['m1', 'm2', 'm3']) });
  }
  return out;
}

const ALL_READS: KeyRead[] = [
  ...VALUE_KEYS.map((key): KeyRead => ({ type: 'value', key })),
  ...LIST_KEYS.map((key): KeyRead => ({ type: 'list', key })),
  { type: 'zset', key: ZSET_KEY, maxScore: Infinity, limit: 100 },
];

function replay(writes: readonly Write[]): Mutation[] {
  return writes.flatMap((w): Mutation[] => (w.op === 'push' ? w.values.map((value) => ({ op: 'push', key: w.key, value, maxLength: w.maxLength, ttlMs: w.ttlMs })) : [w]));
}

describe('coalesceWrites', () => {
  it('leaves the store as the mutations in order do (random sequences over prior state; TTLs included)', () => {
    const r = rng(7);
    let saved = 0;
    let total = 0;
    for (let round = 0; round < 500; round++) {
      let now = NOW;
      const expected = new MemoryStateStore(() => now);
      const got = new MemoryStateStore(() => now);
      const prior = randomMutations(r, 6);
      const mutations = randomMutations(r, 1 + Math.floor(r() * 25));
      const writes = coalesceWrites(mutations);
      expected.applySync([...prior, ...mutations]);
      got.applySync([...prior, ...replay(writes)]);
      // Every TTL is a whole number of seconds up to 5 s: compare just before and at each expiry.
      for (const after of [0, 999, 1_000, 1_999, 2_000, 2_999, 3_000, 3_999, 4_000, 4_999, 5_000]) {
        now = NOW + after;
        expect(got.loadSync(ALL_READS), `round ${round}, +${after} ms`).toEqual(expected.loadSync(ALL_READS));
      }
      saved += mutations.length - writes.length;
      total += mutations.length;
    }
    expect(saved / total).toBeGreaterThan(0.2);
  });

  it('merges pushes of one maxLength into one write with the last TTL; keeps other keys in first-seen order', () => {
    expect(
      coalesceWrites([
        { op: 'push', key: 'l', value: 1, maxLength: 3, ttlMs: 10 },
        { op: 'set', key: 'v', value: 'a', ttlMs: 10 },
        { op: 'push', key: 'l', value: 2, maxLength: 3, ttlMs: 20 },
        { op: 'set', key: 'v', value: 'b', ttlMs: 30 },
        { op: 'push', key: 'l', value: 3, maxLength: 4, ttlMs: 20 },
      ]),
    ).toEqual([
      { op: 'push', key: 'l', values: [1, 2], maxLength: 3, ttlMs: 20 },
      { op: 'push', key: 'l', values: [3], maxLength: 4, ttlMs: 20 },
      { op: 'set', key: 'v', value: 'b', ttlMs: 30 },
    ]);
  });

  it('checks every TTL, also of writes it drops', () => {
    expect(() => coalesceWrites([{ op: 'set', key: 'v', value: 1, ttlMs: 0 }, { op: 'delete', key: 'v' }])).toThrow(RangeError);
  });
});
