/**
 * The behaviour every StateStore must have, as a vitest suite. Run it against each
 * implementation: memory-store.test.ts does for MemoryStateStore, and the Redis adapter's
 * *.int.test.ts must do the same against a real Redis, e.g.
 *
 *   stateStoreContract('redis', async () => ({ store: new RedisStateStore(client), advance: sleep }));
 *
 * Keys are unique per test (a random rule id), so a shared Redis needs no flushing; `close`
 * may delete them. `unitMs` scales every TTL the suite uses: keep it small for a fake clock,
 * and around 100ms for a real server so that expiry is not racy.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ruleKey, type Json, type KeyRead, type StateEntry, type StateStore } from './state.js';

export interface StateStoreHarness {
  store: StateStore;
  /** Lets `ms` pass on the store's clock (a fake clock advances; a real server sleeps). */
  advance(ms: number): Promise<void>;
  close?(): Promise<void>;
}

export function stateStoreContract(name: string, makeHarness: () => Promise<StateStoreHarness>, opts: { unitMs?: number } = {}): void {
  const unit = opts.unitMs ?? 100;

  describe(`StateStore contract: ${name}`, () => {
    let h: StateStoreHarness;
    let ruleId: string;
    const key = (tag: string, ...parts: string[]): string => ruleKey(ruleId, tag, ...parts);
    const one = async (read: KeyRead): Promise<StateEntry | null | undefined> => (await h.store.load([read])).get(read.key);
    const value = (k: string): Promise<StateEntry | null | undefined> => one({ type: 'value', key: k });
    const list = (k: string): Promise<StateEntry | null | undefined> => one({ type: 'list', key: k });
    const zset = (k: string, maxScore = Number.MAX_SAFE_INTEGER, limit = 100): Promise<StateEntry | null | undefined> =>
      one({ type: 'zset', key: k, maxScore, limit });

    beforeEach(async () => {
      h = await makeHarness();
      ruleId = `contract-${Math.random().toString(36).slice(2, 10)}`;
    });
    afterEach(async () => {
      await h.close?.();
    });

    it('reads a missing value key as null and missing collections as empty', async () => {
      const snap = await h.store.load([
        { type: 'value', key: key('v', 'x') },
        { type: 'list', key: key('l', 'x') },
        { type: 'zset', key: key('z', 'x'), maxScore: 10, limit: 10 },
      ]);
      expect(snap.get(key('v', 'x'))).toBeNull();
      expect(snap.get(key('l', 'x'))).toEqual({ type: 'list', items: [] });
      expect(snap.get(key('z', 'x'))).toEqual({ type: 'zset', members: [] });
    });

    it('round-trips JSON values, including null, and overwrites on set', async () => {
      const values: Json[] = [null, 0, -1.5, 'ünïcødé: ✓', true, [1, 'a', null], { a: { b: [1, 2] }, c: '' }];
      for (const [i, v] of values.entries()) {
        await h.store.apply([{ op: 'set', key: key('v', String(i)), value: v, ttlMs: 60 * unit }]);
        expect(await value(key('v', String(i)))).toEqual({ type: 'value', value: v });
      }
      await h.store.apply([{ op: 'set', key: key('v', '0'), value: 'second', ttlMs: 60 * unit }]);
      expect(await value(key('v', '0'))).toEqual({ type: 'value', value: 'second' });
    });

    it('keeps keys apart that differ only in escaped characters', async () => {
      const a = key('v', 'p:1', 'ent:a%3Ab');
      const b = key('v', 'p', '1:ent:a:b');
      await h.store.apply([
        { op: 'set', key: a, value: 'a', ttlMs: 60 * unit },
        { op: 'set', key: b, value: 'b', ttlMs: 60 * unit },
      ]);
      expect(a).not.toEqual(b);
      expect(await value(a)).toEqual({ type: 'value', value: 'a' });
      expect(await value(b)).toEqual({ type: 'value', value: 'b' });
    });

    it('deletes keys of every type; deleting a missing key is a no-op', async () => {
      await h.store.apply([
        { op: 'set', key: key('v'), value: 1, ttlMs: 60 * unit },
        { op: 'push', key: key('l'), value: 1, maxLength: 5, ttlMs: 60 * unit },
        { op: 'zadd', key: key('z'), member: 'm', score: 1, ttlMs: 60 * unit },
      ]);
      await h.store.apply([{ op: 'delete', key: key('v') }, { op: 'delete', key: key('l') }, { op: 'delete', key: key('z') }, { op: 'delete', key: key('nope') }]);
      expect(await value(key('v'))).toBeNull();
      expect(await list(key('l'))).toEqual({ type: 'list', items: [] });
      expect(await zset(key('z'))).toEqual({ type: 'zset', members: [] });
    });

    it('applies mutations of one batch in order', async () => {
      await h.store.apply([
        { op: 'set', key: key('a'), value: 1, ttlMs: 60 * unit },
        { op: 'delete', key: key('a') },
        { op: 'delete', key: key('b') },
        { op: 'set', key: key('b'), value: 2, ttlMs: 60 * unit },
        { op: 'push', key: key('l'), value: 'first', maxLength: 10, ttlMs: 60 * unit },
        { op: 'push', key: key('l'), value: 'second', maxLength: 10, ttlMs: 60 * unit },
      ]);
      expect(await value(key('a'))).toBeNull();
      expect(await value(key('b'))).toEqual({ type: 'value', value: 2 });
      expect(await list(key('l'))).toEqual({ type: 'list', items: ['second', 'first'] });
    });

    it('pushes newest first and trims to maxLength', async () => {
      for (const v of [1, 2, 3, 4, { e: 'x', v: 5 }]) {
        await h.store.apply([{ op: 'push', key: key('l'), value: v, maxLength: 3, ttlMs: 60 * unit }]);
      }
      expect(await list(key('l'))).toEqual({ type: 'list', items: [{ e: 'x', v: 5 }, 4, 3] });
    });

    it('reads sorted-set members up to maxScore, ascending by score then member, at most limit', async () => {
      const z = key('z');
      await h.store.apply([
        { op: 'zadd', key: z, member: 'c', score: 30, ttlMs: 60 * unit },
        { op: 'zadd', key: z, member: 'b', score: 10, ttlMs: 60 * unit },
        { op: 'zadd', key: z, member: 'a', score: 10, ttlMs: 60 * unit },
        { op: 'zadd', key: z, member: '{"p":"x:y"}', score: 20, ttlMs: 60 * unit },
      ]);
      expect(await zset(z, 20)).toEqual({
        type: 'zset',
        members: [
          { member: 'a', score: 10 },
          { member: 'b', score: 10 },
          { member: '{"p":"x:y"}', score: 20 },
        ],
      });
      expect(await zset(z, 1_000, 2)).toEqual({ type: 'zset', members: [{ member: 'a', score: 10 }, { member: 'b', score: 10 }] });
      expect(await zset(z, 9)).toEqual({ type: 'zset', members: [] });
    });

    it('moves a member on zadd and removes it on zrem', async () => {
      const z = key('z');
      await h.store.apply([{ op: 'zadd', key: z, member: 'm', score: 100, ttlMs: 60 * unit }]);
      await h.store.apply([{ op: 'zadd', key: z, member: 'm', score: 5, ttlMs: 60 * unit }]);
      expect(await zset(z, 10)).toEqual({ type: 'zset', members: [{ member: 'm', score: 5 }] });
      await h.store.apply([{ op: 'zrem', key: z, member: 'm' }, { op: 'zrem', key: z, member: 'absent' }, { op: 'zrem', key: key('none'), member: 'x' }]);
      expect(await zset(z)).toEqual({ type: 'zset', members: [] });
    });

    it('expires values, lists and sorted sets after their TTL', async () => {
      await h.store.apply([
        { op: 'set', key: key('v'), value: 'x', ttlMs: 2 * unit },
        { op: 'push', key: key('l'), value: 'x', maxLength: 5, ttlMs: 2 * unit },
        { op: 'zadd', key: key('z'), member: 'x', score: 1, ttlMs: 2 * unit },
        { op: 'set', key: key('long'), value: 'y', ttlMs: 60 * unit },
      ]);
      await h.advance(unit);
      expect(await value(key('v'))).toEqual({ type: 'value', value: 'x' });
      expect(await list(key('l'))).toEqual({ type: 'list', items: ['x'] });
      expect(await zset(key('z'))).toEqual({ type: 'zset', members: [{ member: 'x', score: 1 }] });
      await h.advance(2 * unit);
      expect(await value(key('v'))).toBeNull();
      expect(await list(key('l'))).toEqual({ type: 'list', items: [] });
      expect(await zset(key('z'))).toEqual({ type: 'zset', members: [] });
      expect(await value(key('long'))).toEqual({ type: 'value', value: 'y' });
    });

    it('restarts the TTL on every write to a key', async () => {
      await h.store.apply([
        { op: 'set', key: key('v'), value: 1, ttlMs: 3 * unit },
        { op: 'push', key: key('l'), value: 1, maxLength: 5, ttlMs: 3 * unit },
        { op: 'zadd', key: key('z'), member: 'a', score: 1, ttlMs: 3 * unit },
      ]);
      await h.advance(2 * unit);
      await h.store.apply([
        { op: 'set', key: key('v'), value: 2, ttlMs: 3 * unit },
        { op: 'push', key: key('l'), value: 2, maxLength: 5, ttlMs: 3 * unit },
        { op: 'zadd', key: key('z'), member: 'b', score: 2, ttlMs: 3 * unit },
      ]);
      await h.advance(2 * unit);
      expect(await value(key('v'))).toEqual({ type: 'value', value: 2 });
      expect(await list(key('l'))).toEqual({ type: 'list', items: [2, 1] });
      expect(await zset(key('z'))).toEqual({ type: 'zset', members: [{ member: 'a', score: 1 }, { member: 'b', score: 2 }] });
    });

    it('never changes state on load', async () => {
      await h.store.apply([{ op: 'push', key: key('l'), value: 1, maxLength: 5, ttlMs: 60 * unit }]);
      const first = await h.store.load([{ type: 'list', key: key('l') }, { type: 'value', key: key('v') }]);
      const again = await h.store.load([{ type: 'list', key: key('l') }, { type: 'value', key: key('v') }]);
      expect(again).toEqual(first);
      expect(await value(key('v'))).toBeNull();
    });
  });
}
