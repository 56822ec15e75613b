/**
 * The Redis StateStore against a real Redis: the same contract suite MemoryStateStore passes
 * (core/state-store.contract.ts), plus what only Redis can show (prefix isolation, the exact
 * commands' footprint).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../test/helpers.js';
import { deleteRedisPrefix } from '../../test/monitor.js';
import { createRedis, connectRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { sleep } from '../lib/retry.js';
import { MemoryStateStore } from './core/index.js';
import type { KeyRead, Mutation } from './core/index.js';
import { stateStoreContract } from './core/state-store.contract.js';
import { RedisStateStore } from './redis-state.js';

stateStoreContract(
  'RedisStateStore',
  async () => {
    const redis = createRedis(services().redisUrl, { connectionName: 'contract-test' });
    await connectRedis(redis, services().redisUrl);
    const prefix = uniqueName('contract') + ':';
    return {
      store: new RedisStateStore(redis, prefix),
      advance: (ms) => sleep(ms),
      close: async () => {
        await deleteRedisPrefix(redis, prefix);
        await redis.quit();
      },
    };
  },
  { unitMs: 100 },
);

describe('RedisStateStore on a real server', () => {
  let redis: Redis;
  const prefix = uniqueName('rs') + ':';

  beforeAll(async () => {
    redis = createRedis(services().redisUrl);
    await connectRedis(redis, services().redisUrl);
  });
  afterAll(async () => {
    await deleteRedisPrefix(redis, prefix);
    await redis.quit();
  });

  it('stores every key under its prefix, with the README layout and TTLs', async () => {
    const store = new RedisStateStore(redis, prefix);
    await store.apply([
      { op: 'set', key: 'rule:r:v:p:x', value: { g: 'a' }, ttlMs: 60_000 },
      { op: 'push', key: 'rule:r:win:p:x', value: 1, maxLength: 2, ttlMs: 60_000 },
      { op: 'push', key: 'rule:r:win:p:x', value: 2, maxLength: 2, ttlMs: 60_000 },
      { op: 'push', key: 'rule:r:win:p:x', value: 3, maxLength: 2, ttlMs: 60_000 },
      { op: 'zadd', key: 'rule:r:dl', member: 'm', score: 5, ttlMs: 60_000 },
    ]);
    expect(await redis.get(`${prefix}rule:r:v:p:x`)).toBe('{"g":"a"}');
    expect(await redis.lrange(`${prefix}rule:r:win:p:x`, 0, -1)).toEqual(['3', '2']);
    expect(await redis.zrange(`${prefix}rule:r:dl`, 0, -1, 'WITHSCORES')).toEqual(['m', '5']);
    for (const k of ['rule:r:v:p:x', 'rule:r:win:p:x', 'rule:r:dl']) {
      const left = await redis.pttl(prefix + k);
      expect(left).toBeGreaterThan(50_000);
      expect(left).toBeLessThanOrEqual(60_000);
    }
    // Another prefix sees nothing.
    const other = new RedisStateStore(redis, prefix + 'other:');
    expect((await other.load([{ type: 'value', key: 'rule:r:v:p:x' }])).get('rule:r:v:p:x')).toBeNull();
  });

  it('applies a batch that writes keys several times (coalesced commands) as MemoryStateStore does', async () => {
    const store = new RedisStateStore(redis, prefix);
    const k = (s: string) => `rule:c:${s}`;
    const prior: Mutation[] = [
      { op: 'push', key: k('l1'), value: 'old1', maxLength: 4, ttlMs: 60_000 },
      { op: 'push', key: k('l1'), value: 'old2', maxLength: 4, ttlMs: 60_000 },
      { op: 'set', key: k('v2'), value: 'keep?', ttlMs: 60_000 },
    ];
    const batch: Mutation[] = [
      { op: 'push', key: k('l1'), value: { n: 1 }, maxLength: 4, ttlMs: 50_000 },
      { op: 'set', key: k('v1'), value: 'a', ttlMs: 60_000 },
      { op: 'push', key: k('l1'), value: { n: 2 }, maxLength: 4, ttlMs: 50_000 },
      { op: 'push', key: k('l1'), value: { n: 3 }, maxLength: 4, ttlMs: 40_000 },
      { op: 'set', key: k('v1'), value: 'b', ttlMs: 30_000 },
      { op: 'delete', key: k('v2') },
      { op: 'push', key: k('l2'), value: 1, maxLength: 5, ttlMs: 60_000 },
      { op: 'push', key: k('l2'), value: 2, maxLength: 2, ttlMs: 60_000 },
      { op: 'push', key: k('l2'), value: 3, maxLength: 2, ttlMs: 60_000 },
      { op: 'delete', key: k('l3') },
      { op: 'push', key: k('l3'), value: 'x', maxLength: 3, ttlMs: 60_000 },
      { op: 'push', key: k('l1'), value: { n: 4 }, maxLength: 4, ttlMs: 45_000 },
      { op: 'push', key: k('l1'), value: { n: 5 }, maxLength: 4, ttlMs: 45_000 },
    ];
    const reference = new MemoryStateStore(() => 0);
    await store.apply(prior);
    reference.applySync(prior);
    await store.apply(batch);
    reference.applySync(batch);
    const reads: KeyRead[] = [{ type: 'value', key: k('v1') }, { type: 'value', key: k('v2') }, { type: 'list', key: k('l1') }, { type: 'list', key: k('l2') }, { type: 'list', key: k('l3') }];
    expect(await store.load(reads)).toEqual(reference.loadSync(reads));
    expect((await store.load([{ type: 'list', key: k('l1') }])).get(k('l1'))).toEqual({ type: 'list', items: [{ n: 5 }, { n: 4 }, { n: 3 }, { n: 2 }] });
    for (const [key, ttl] of [['v1', 30_000], ['l1', 45_000]] as const) {
      const left = await redis.pttl(prefix + k(key));
      expect(left).toBeGreaterThan(ttl - 10_000);
      expect(left).toBeLessThanOrEqual(ttl);
    }
  });

  it('reports a collection key of the wrong type as a non-retriable error naming the key', async () => {
    const store = new RedisStateStore(redis, prefix);
    await store.apply([{ op: 'set', key: 'rule:r:s', value: 1, ttlMs: 60_000 }]);
    await expect(store.load([{ type: 'list', key: 'rule:r:s' }])).rejects.toMatchObject({ retriable: false, message: expect.stringContaining('rule:r:s') });
  });

  it('a write Redis rejects (foreign data of another type) fails alone, named, and the others are applied', async () => {
    const store = new RedisStateStore(redis, prefix);
    await redis.set(`${prefix}rule:w:l`, 'not a list');
    await expect(
      store.apply([
        { op: 'push', key: 'rule:w:l', value: 1, maxLength: 5, ttlMs: 60_000 },
        { op: 'set', key: 'rule:w:v', value: 'written', ttlMs: 60_000 },
      ]),
    ).rejects.toMatchObject({ retriable: false, message: expect.stringContaining('rule:w:l') });
    expect(await redis.get(`${prefix}rule:w:v`)).toBe('"written"');
    expect(await redis.get(`${prefix}rule:w:l`)).toBe('not a list');
  });

  it('pushes more values to one list in one batch than one LPUSH of the write script takes (slices)', async () => {
    const store = new RedisStateStore(redis, prefix);
    const reference = new MemoryStateStore(() => 0);
    const pushes: Mutation[] = Array.from({ length: 2_500 }, (_, i) => ({ op: 'push', key: 'rule:w:long', value: { i }, maxLength: 2_400, ttlMs: 60_000 }));
    await store.apply(pushes);
    reference.applySync(pushes);
    const reads: KeyRead[] = [{ type: 'list', key: 'rule:w:long' }];
    const got = await store.load(reads);
    expect(got).toEqual(reference.loadSync(reads));
    expect((got.get('rule:w:long') as { items: unknown[] }).items.slice(0, 2)).toEqual([{ i: 2_499 }, { i: 2_498 }]);
  });

  it('reads many value keys with one MGET, in any order with collections', async () => {
    const store = new RedisStateStore(redis, prefix);
    await store.apply([
      { op: 'set', key: 'rule:m:a', value: 'A', ttlMs: 60_000 },
      { op: 'push', key: 'rule:m:l', value: 1, maxLength: 5, ttlMs: 60_000 },
      { op: 'set', key: 'rule:m:b', value: { b: true }, ttlMs: 60_000 },
    ]);
    const snap = await store.load([
      { type: 'value', key: 'rule:m:a' },
      { type: 'list', key: 'rule:m:l' },
      { type: 'value', key: 'rule:m:missing' },
      { type: 'value', key: 'rule:m:b' },
    ]);
    expect([...snap]).toEqual([
      ['rule:m:a', { type: 'value', value: 'A' }],
      ['rule:m:l', { type: 'list', items: [1] }],
      ['rule:m:missing', null],
      ['rule:m:b', { type: 'value', value: { b: true } }],
    ]);
  });
});
