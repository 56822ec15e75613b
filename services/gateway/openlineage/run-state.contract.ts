/**
 * The behaviour every RunStateStore must have, as a vitest suite: run-state.test.ts runs it on
 * MemoryRunStateStore, run-state-redis.int.test.ts on RedisRunStateStore against a real Redis.
 * `stores` are two handles on the same backing store (two processes sharing Redis); keys are
 * unique per test, so a shared server needs no flushing.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyRunState } from './run-state.js';
import type { RunState, RunStateStore } from './run-state.js';

export interface RunStateHarness {
  stores: [RunStateStore, RunStateStore];
  close?(): Promise<void>;
}

const bump = (s: RunState | null, by = 1): RunState => ({ ...(s ?? emptyRunState()), maxTime: (s?.maxTime ?? 0) + by });

export function runStateStoreContract(name: string, make: () => Promise<RunStateHarness>): void {
  describe(`RunStateStore contract: ${name}`, () => {
    let h: RunStateHarness;
    let key: string;
    beforeEach(async () => {
      h = await make();
      key = `project-${randomUUID()}|act:${randomUUID()}`;
    });
    afterEach(async () => h.close?.());

    it('a key never written is null; an update is seen by the next one, through any handle', async () => {
      const [a, b] = h.stores;
      expect(await a.update(key, (s) => ({ next: bump(s), result: s }))).toBeNull();
      expect(await b.update(key, (s) => ({ next: bump(s), result: s?.maxTime }))).toBe(1);
      expect(await a.update(key, (s) => ({ next: s!, result: s }))).toEqual({ ...emptyRunState(), maxTime: 2 });
    });

    it('keys are independent', async () => {
      await h.stores[0].update(key, (s) => ({ next: bump(s, 5), result: null }));
      expect(await h.stores[0].update(`${key}-other`, (s) => ({ next: bump(s), result: s }))).toBeNull();
    });

    it('concurrent updates of one key through two handles lose nothing (each update sees the one before)', async () => {
      const n = 40;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => h.stores[i % 2]!.update(key, (s) => ({ next: bump(s), result: s?.maxTime ?? 0 }))));
      expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(await h.stores[0].update(key, (s) => ({ next: s!, result: s!.maxTime }))).toBe(n);
    });

    it('the stored state is exactly what was given (JSON round trip)', async () => {
      const state: RunState = { v: 1, identity: { time: 5, name: 'jöb "x"', command: 'ns/j', params: { 'ol.run.id': 'r' } }, start: 1, running: null, terminal: { status: 'FAILED', time: 9 }, maxTime: 9, validFrom: 10, firstValidFrom: 9, lastFacts: [{ time: 10, payload: { type: 'activity', id: 'act:x', name: 'j', command: '', status: 'FAILED', startTime: 1, endTime: 9, exitCode: null, workdir: null, params: {}, env: {} } }] };
      await h.stores[0].update(key, () => ({ next: state, result: null }));
      expect(await h.stores[1].update(key, (s) => ({ next: s!, result: s }))).toEqual(state);
    });
  });
}
