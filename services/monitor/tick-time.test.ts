import { describe, expect, it } from 'vitest';
import { tickTime } from './tick-time.js';
import type { PartitionProgress } from './transaction.js';

const p = (watermark: number, lag: number): PartitionProgress => ({ watermark, lag, at: 0 });

describe('tickTime', () => {
  it.each([
    ['no partition committed yet: the wall clock', [], 1000],
    ['every partition caught up: the wall clock', [p(10, 0), p(20, 0)], 1000],
    ['a lagging partition holds the clock at its watermark', [p(10, 0), p(400, 3)], 400],
    ['the smallest watermark of the lagging partitions', [p(700, 1), p(400, 3), p(50, 0)], 400],
    ['a watermark ahead of the wall clock does not move it forward', [p(5000, 2)], 1000],
  ])('%s', (_name, progress, expected) => {
    expect(tickTime(1000, new Map(progress.map((x, i) => [i, x])))).toBe(expected);
  });
});
