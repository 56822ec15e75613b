/**
 * Periodic work of a monitor instance: absence ticks and the outbox sweep.
 *
 * Ticks (decision): the deadline set of a rule is one sorted set shared by all partitions, so
 * one instance ticks at a time: the member that owns partition 0 of the events topic. During a
 * rebalance there may briefly be none (deadlines fire a little late, never lost) or two (their
 * transactions conflict on the deadline set and the loser re-reads: nothing fires twice).
 * The outbox sweep runs on every instance (it only picks entries older than the grace period).
 */
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly work: () => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  start(): void {
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.work()
          .then(() => undefined)
          .catch((err: unknown) => this.log.warn({ task: this.name, err: errorMessage(err) }, `${this.name} failed; will try again`))
          .finally(schedule);
      }, this.everyMs);
    };
    schedule();
  }

  /** Stops scheduling and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
