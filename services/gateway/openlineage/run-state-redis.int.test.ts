/**
 * RedisRunStateStore against a real Redis: the contract MemoryRunStateStore passes
 * (run-state.contract.ts), through two connections as two gateway processes would, plus the TTL.
 */
import { describe, expect, it } from 'vitest';
import { services, uniqueName } from '../../../test/helpers.js';
import { deleteRedisPrefix } from '../../../test/monitor.js';
import { createRedis, connectRedis } from '../../lib/redis.js';
import { emptyRunState } from './run-state.js';
import { RedisRunStateStore } from './run-state-redis.js';
import { runStateStoreContract } from './run-state.contract.js';

async function client(name: string) {
  const redis = createRedis(services().redisUrl, { connectionName: name });
  await connectRedis(redis, services().redisUrl);
  return redis;
}

runStateStoreContract('redis', async () => {
  const [a, b] = [await client('run-state-a'), await client('run-state-b')];
  const prefix = uniqueName('olrun') + ':';
  return {
    stores: [new RedisRunStateStore(a, prefix, 60_000), new RedisRunStateStore(b, prefix, 60_000)],
    close: async () => {
      await deleteRedisPrefix(a, prefix);
      await a.quit();
      await b.quit();
    },
  };
});

describe('RedisRunStateStore on a real server', () => {
  it('keys live under the prefix with the configured TTL', async () => {
    const redis = await client('run-state-ttl');
    const prefix = uniqueName('olttl') + ':';
    try {
      const store = new RedisRunStateStore(redis, prefix, 3_600_000);
      await store.update('p|act:1', () => ({ next: emptyRunState(), result: null }));
      expect(await redis.keys(`${prefix}*`)).toEqual([`${prefix}ol-run:p|act:1`]);
      const ttl = await redis.pttl(`${prefix}ol-run:p|act:1`);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    } finally {
      await deleteRedisPrefix(redis, prefix);
      await redis.quit();
    }
  });
});
