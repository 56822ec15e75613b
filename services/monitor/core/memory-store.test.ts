import { describe, expect, it } from 'vitest';
import { MemoryStateStore, StateTypeError } from './memory-store.js';
import { stateStoreContract } from './state-store.contract.js';

stateStoreContract('MemoryStateStore', async () => {
  let now = 1_000_000;
  return {
    store: new MemoryStateStore(() => now),
    advance: async (ms) => {
      now += ms;
    },
  };
}, { unitMs: 1_000 });

describe('MemoryStateStore specifics', () => {
  it('rejects a batch with a type conflict without applying any of it', () => {
    const store = new MemoryStateStore(() => 0);
    store.applySync([{ op: 'set', key: 'k', value: 1, ttlMs: 10 }]);
    expect(() =>
      store.applySync([
        { op: 'set', key: 'other', value: 2, ttlMs: 10 },
        { op: 'push', key: 'k', value: 3, maxLength: 2, ttlMs: 10 },
      ]),
    ).toThrow(StateTypeError);
    expect(store.keys()).toEqual(['k']);
  });

  it('rejects non-integer or non-positive TTLs', () => {
    const store = new MemoryStateStore(() => 0);
    expect(() => store.applySync([{ op: 'set', key: 'k', value: 1, ttlMs: 0 }])).toThrow(RangeError);
    expect(() => store.applySync([{ op: 'set', key: 'k', value: 1, ttlMs: 1.5 }])).toThrow(RangeError);
  });

  it('reports the remaining TTL on its clock', () => {
    let now = 100;
    const store = new MemoryStateStore(() => now);
    store.applySync([{ op: 'set', key: 'k', value: 1, ttlMs: 50 }]);
    now = 120;
    expect(store.ttlMs('k')).toBe(30);
    now = 150;
    expect(store.ttlMs('k')).toBeNull();
  });
});
