/**
 * The time absence deadlines are fired at (pure).
 *
 * The wall clock, unless some partition of the events topic is still catching up: then the
 * smallest event-time watermark among those partitions. Otherwise a monitor replaying a backlog
 * (after downtime, or a new deployment reading history) would fire "not finished within T" for
 * activities whose terminal event is still waiting in the backlog (core/eval-absence.ts).
 * A partition counts as caught up when its last committed batch left no lag; partitions never
 * committed impose nothing. A partition whose owner died while lagging holds the clock back
 * until someone processes it again, which is right: its events have not been evaluated.
 */
import type { PartitionProgress } from './transaction.js';

export function tickTime(wallClock: number, progress: ReadonlyMap<number, PartitionProgress>): number {
  let t = wallClock;
  for (const p of progress.values()) if (p.lag > 0 && p.watermark < t) t = p.watermark;
  return t;
}
