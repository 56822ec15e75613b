/** Freshness: offsets, lag, recent event ids and bounded waits. */
import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../lib/errors.js';
import { Freshness, RecentIds } from './freshness.js';

describe('RecentIds', () => {
  it('remembers the last `capacity` ids', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'a', 'd']) r.add(id);
    expect(['a', 'b', 'c', 'd'].map((id) => r.has(id))).toEqual([false, true, true, true]);
    expect(r.size).toBe(3);
  });
});

describe('Freshness', () => {
  const start = () => {
    const f = new Freshness('events', 100);
    f.startPartitions([{ partition: 0, offset: 10, highWatermark: 12 }, { partition: 1, offset: 0, highWatermark: 0 }]);
    f.setStatus('catching-up');
    return f;
  };

  it('tracks applied offsets, lag and status', () => {
    const f = start();
    expect(f.report()).toMatchObject({ status: 'catching-up', lagMessages: 2 });
    f.recordBatch(0, 10, 12, 1000, ['e1']);
    expect(f.report()).toMatchObject({ status: 'catching-up', lagMessages: 1, lastEventTime: 1000, streamEvents: 1 });
    f.recordBatch(0, 11, 12, 900, ['e2']);
    const r = f.report();
    expect(r.status).toBe('live');
    expect(r.partitions[0]).toMatchObject({ partition: 0, appliedOffset: 11, startOffset: 10, highWatermark: 12, lag: 0, lastEventTime: 1000 });
    f.recordHighWatermark(1, 5);
    expect(f.report().lagMessages).toBe(5);
  });

  it('waits resolve when the event or the offsets are applied', async () => {
    const f = start();
    expect(f.isSatisfied({ minOffsets: { '0': 9 } })).toBe(true); // before the handover point
    const byId = f.waitFor({ eventId: 'e7' }, 5000);
    const byOffset = f.waitFor({ minOffsets: { '0': 11 } }, 5000);
    f.recordBatch(0, 10, 12, 1, ['e6']);
    f.recordBatch(0, 11, 12, 2, ['e7']);
    await expect(byId).resolves.toBeGreaterThanOrEqual(0);
    await expect(byOffset).resolves.toBeGreaterThanOrEqual(0);
    await expect(f.waitFor({}, 1)).resolves.toBe(0);
  });

  it('ids recorded by the bootstrap satisfy waits', async () => {
    const f = start();
    f.recordBootstrapIds(['old']);
    await expect(f.waitFor({ eventId: 'old' }, 10)).resolves.toBe(0);
  });

  it('a wait that runs out rejects with an actionable TimeoutError', async () => {
    const f = start();
    const err = await f.waitFor({ eventId: 'never' }, 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/event never was not applied to the graph within 20 ms .*dead_letters/);
    expect(f.isSatisfied({ minOffsets: { '7': 0 } })).toBe(false); // unknown partition
  });

  it('close() fails pending waits', async () => {
    const f = start();
    const w = f.waitFor({ eventId: 'x' }, 60_000);
    f.close();
    await expect(w).rejects.toThrow(/stopping/);
  });
});
