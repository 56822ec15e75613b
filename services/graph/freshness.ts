/**
 * Freshness of the live graphs: per partition the last applied offset, the broker's high
 * watermark seen with it and the last applied event's time; a bounded set of recently applied
 * event ids; and bounded waits ("answer once event X / offsets O have been applied").
 *
 * Contract: the stream consumer calls {@link Freshness.recordBatch} right after it applied a
 * batch to the graphs (synchronously, so a query never sees a batch half-applied), and
 * {@link Freshness.recordBootstrap} with the event ids read from ClickHouse. Waits resolve in the
 * same tick as the batch that satisfies them. No I/O; timers only for the wait bounds.
 */
import { TimeoutError } from '../lib/errors.js';

/**
 * starting → bootstrapping (loading ClickHouse; queries get 503) → catching-up (streaming, behind
 * the high watermarks seen at start) → live (caught up once; `lagMessages` tells the current lag)
 * → stopped.
 */
export type GraphStatus = 'starting' | 'bootstrapping' | 'catching-up' | 'live' | 'stopped';

export interface PartitionFreshness {
  partition: number;
  /** Offset of the last message applied (null: nothing applied since start). */
  appliedOffset: number | null;
  /** Offset the stream started from after the bootstrap (the handover point). */
  startOffset: number;
  /** The broker's high watermark (next offset to be written) when last seen. */
  highWatermark: number;
  /** Messages between what was applied and the high watermark. */
  lag: number;
  /** Event time of the last applied event (ms) and when it was applied (ms). */
  lastEventTime: number | null;
  lastAppliedAt: number | null;
}

export interface BootstrapInfo {
  rows: number;
  tookMs: number;
  finishedAt: number;
}

export interface FreshnessReport {
  status: GraphStatus;
  topic: string;
  /** Sum of the partitions' lags. */
  lagMessages: number;
  /** Latest event time applied over all partitions (null: none). */
  lastEventTime: number | null;
  partitions: PartitionFreshness[];
  bootstrap: BootstrapInfo | null;
  /** Events applied from the stream since start. */
  streamEvents: number;
}

/** What a query may wait for before it is answered. */
export interface WaitCondition {
  /** An event id (from the SDK's record()/send() result). */
  eventId?: string;
  /** partition → offset that must have been applied. */
  minOffsets?: Readonly<Record<string, number>>;
}

/** A set of the last `capacity` ids (insertion order), O(1) add and lookup. */
export class RecentIds {
  private readonly ring: Array<string | undefined>;
  private readonly set = new Set<string>();
  private next = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.ring = new Array<string | undefined>(capacity);
  }

  add(id: string): void {
    if (this.set.has(id)) return;
    const old = this.ring[this.next];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.next] = id;
    this.set.add(id);
    this.next = (this.next + 1) % this.capacity;
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  get size(): number {
    return this.set.size;
  }
}

interface Waiter {
  done(): boolean;
  resolve(): void;
  fail(err: Error): void;
}

export class Freshness {
  private status: GraphStatus = 'starting';
  private readonly parts = new Map<number, PartitionFreshness>();
  private readonly recent: RecentIds;
  private readonly waiters = new Set<Waiter>();
  private bootstrap: BootstrapInfo | null = null;
  private streamEvents = 0;

  constructor(
    readonly topic: string,
    recentCapacity: number,
    private readonly now: () => number = Date.now,
  ) {
    this.recent = new RecentIds(recentCapacity);
  }

  setStatus(status: GraphStatus): void {
    this.status = status;
    if (status === 'catching-up' && this.lag() === 0) this.status = 'live';
  }

  get currentStatus(): GraphStatus {
    return this.status;
  }

  /** Records the bootstrap's event ids (as they stream in) — waits on them succeed. */
  recordBootstrapIds(ids: Iterable<string>): void {
    for (const id of ids) this.recent.add(id);
    this.wake();
  }

  recordBootstrap(info: BootstrapInfo): void {
    this.bootstrap = info;
  }

  /** The stream's starting point per partition, with the high watermarks known at that time. */
  startPartitions(start: ReadonlyArray<{ partition: number; offset: number; highWatermark: number }>): void {
    for (const s of start) {
      this.parts.set(s.partition, {
        partition: s.partition,
        appliedOffset: null,
        startOffset: s.offset,
        highWatermark: s.highWatermark,
        lag: Math.max(0, s.highWatermark - s.offset),
        lastEventTime: null,
        lastAppliedAt: null,
      });
    }
  }

  /**
   * A batch of `partition` up to `lastOffset` has been applied. `eventIds` are the events it
   * applied (invalid messages excluded); `maxEventTime` the latest event time among them.
   */
  recordBatch(partition: number, lastOffset: number, highWatermark: number, maxEventTime: number | null, eventIds: readonly string[]): void {
    const p = this.parts.get(partition) ?? {
      partition, appliedOffset: null, startOffset: lastOffset, highWatermark, lag: 0, lastEventTime: null, lastAppliedAt: null,
    };
    p.appliedOffset = p.appliedOffset === null ? lastOffset : Math.max(p.appliedOffset, lastOffset);
    p.highWatermark = Math.max(p.highWatermark, highWatermark);
    p.lag = Math.max(0, p.highWatermark - (p.appliedOffset + 1));
    if (maxEventTime !== null) p.lastEventTime = Math.max(p.lastEventTime ?? -Infinity, maxEventTime);
    p.lastAppliedAt = this.now();
    this.parts.set(partition, p);
    for (const id of eventIds) this.recent.add(id);
    this.streamEvents += eventIds.length;
    if (this.status === 'catching-up' && this.lag() === 0) this.status = 'live';
    this.wake();
  }

  /** The broker has reported a newer high watermark for `partition` (e.g. on an empty fetch). */
  recordHighWatermark(partition: number, highWatermark: number): void {
    const p = this.parts.get(partition);
    if (!p || highWatermark <= p.highWatermark) return;
    p.highWatermark = highWatermark;
    p.lag = Math.max(0, highWatermark - (p.appliedOffset === null ? p.startOffset : p.appliedOffset + 1));
  }

  isSatisfied(c: WaitCondition): boolean {
    if (c.eventId !== undefined && !this.recent.has(c.eventId)) return false;
    for (const [partition, offset] of Object.entries(c.minOffsets ?? {})) {
      const p = this.parts.get(Number(partition));
      if (!p) return false;
      const applied = p.appliedOffset ?? p.startOffset - 1;
      if (applied < offset) return false;
    }
    return true;
  }

  /** Whether `eventId` is among the recently applied ids (bootstrapped ones included). */
  hasApplied(eventId: string): boolean {
    return this.recent.has(eventId);
  }

  /** Live, and every partition applied up to the high watermark last seen for it. */
  get caughtUp(): boolean {
    return this.status === 'live' && this.lag() === 0;
  }

  /**
   * Resolves (with the ms waited) once `c` holds; rejects with a TimeoutError after `timeoutMs`.
   * An empty condition resolves at once.
   */
  waitFor(c: WaitCondition, timeoutMs: number): Promise<number> {
    const started = this.now();
    if (this.isSatisfied(c)) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      const cancel = this.watch(
        () => this.isSatisfied(c),
        () => {
          clearTimeout(timer);
          resolve(this.now() - started);
        },
        (err) => {
          clearTimeout(timer);
          reject(err);
        },
      );
      const timer = setTimeout(() => {
        cancel();
        reject(this.timeoutError(c, timeoutMs));
      }, timeoutMs);
    });
  }

  /**
   * Calls `onDone` once `done()` holds, checked after every applied batch (not now: the caller
   * checks first); `onFail` if the service stops. Returns a cancel function.
   */
  watch(done: () => boolean, onDone: () => void, onFail: (err: Error) => void): () => void {
    const waiter: Waiter = { done, resolve: onDone, fail: onFail };
    this.waiters.add(waiter);
    return () => void this.waiters.delete(waiter);
  }

  report(): FreshnessReport {
    const partitions = [...this.parts.values()].sort((a, b) => a.partition - b.partition).map((p) => ({ ...p }));
    let lastEventTime: number | null = null;
    for (const p of partitions) if (p.lastEventTime !== null) lastEventTime = Math.max(lastEventTime ?? -Infinity, p.lastEventTime);
    return { status: this.status, topic: this.topic, lagMessages: this.lag(), lastEventTime, partitions, bootstrap: this.bootstrap, streamEvents: this.streamEvents };
  }

  /** Fails every pending wait (the service is stopping). */
  close(): void {
    this.status = 'stopped';
    for (const w of this.waiters) w.fail(new TimeoutError('the graph service is stopping; retry against another instance'));
    this.waiters.clear();
  }

  private lag(): number {
    let lag = 0;
    for (const p of this.parts.values()) lag += p.lag;
    return lag;
  }

  private wake(): void {
    for (const w of this.waiters) {
      if (!w.done()) continue;
      this.waiters.delete(w);
      w.resolve();
    }
  }

  /**
   * The 504 of a wait that ran out. `explanation` replaces the list of possible causes when the
   * caller knows more (e.g. what ClickHouse said about the event).
   */
  timeoutError(c: WaitCondition, timeoutMs: number, explanation?: string): TimeoutError {
    const applied = [...this.parts.values()].map((p) => `${p.partition}:${p.appliedOffset ?? p.startOffset - 1}`).join(',');
    const what = c.eventId !== undefined ? `event ${c.eventId}` : `offsets ${JSON.stringify(c.minOffsets)}`;
    const why =
      explanation ??
      'It may still be on its way (emitter buffer, Kafka), have been rejected as invalid (see the dead_letters table), or be older than the ' +
        `last ${this.recent.capacity} events this instance remembers`;
    return new TimeoutError(
      `${what} was not applied to the graph within ${timeoutMs} ms (applied up to partition:offset ${applied || 'none'}, lag ${this.lag()} messages). ` +
        `${why}; retry with a longer waitMs, or ask without waitFor.`,
      { eventId: c.eventId ?? null, timeoutMs },
    );
  }
}
