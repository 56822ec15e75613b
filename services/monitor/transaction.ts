/**
 * Optimistic transactions over the monitor's Redis state: one per group of pieces of Kafka
 * batches (one piece per partition at most), or per tick.
 *
 *   begin(partitions)  WATCH the partitions' applied-offset keys, read them
 *   txn.load(reads)    WATCH the version stamps of the keys' buckets, then read the keys (one
 *                      pipeline, so nothing can change between the WATCH and the read)
 *   txn.commit(...)    MULTI: the batch's mutations (redis-state.ts: coalesced per key, one EVAL),
 *                      one MSET moving the stamp of every bucket written, its alerts into the
 *                      outbox (one HSET, one ZADD), each partition's applied offset and
 *                      progress; EXEC. `committed: false` =
 *                      another transaction wrote a key in a bucket this one read: nothing was
 *                      applied, the caller re-reads and re-evaluates.
 *
 * Why: rule state is shared across partitions (a project's runs are spread over partitions by
 * their Kafka key), so two monitor instances, or an instance that lost its partition during a
 * rebalance and has not noticed yet, can evaluate against the same keys at once. Optimistic
 * concurrency turns that into a retry instead of a lost update, and the applied-offset key both
 * fences zombies and makes re-delivered messages (crash between EXEC and the Kafka commit) skip
 * evaluation: state changes exactly once per event.
 *
 * Why stamps and not WATCH on the keys themselves: Redis (7.0) checks each WATCHed key against
 * the client's list of watched keys, so watching N keys costs O(N²); a batch reads thousands of
 * keys (measured: 49 ms per WATCH, most of Redis's time). Keys are hashed into STAMP_BUCKETS
 * buckets, each with a version stamp `<prefix>occ:<n>` that every monitor transaction writing a
 * key of the bucket overwrites with a new value; watching the stamps of the buckets read is a
 * conservative (coarser) WATCH of the keys, bounded in size. The cost is false conflicts between
 * concurrent instances whose transactions touch the same buckets: correct, but instances then
 * take turns (see README: the monitor scales up better than out). Writes by other clients (the
 * CLI clearing a rule's state) do not move stamps. 256 buckets: a transaction of 500 events
 * reads ~1,500 keys, which would touch ~75% of 1024 buckets anyway (so concurrent instances
 * conflict about as often), and watching 256 instead of ~800 stamps cut Redis's WATCH time per
 * transaction from 1.2 ms to 0.3 ms (bench/monitor-profile.ts, spread rules).
 *
 * The connection must be dedicated to this class (WATCH is per connection) and created with
 * createRedis(url, { transactional: true }): after a reconnect the WATCHes are gone, so a
 * transaction begun before a reconnect is refused (`epoch`).
 */
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../lib/errors.js';
import { wrapRedisError } from '../lib/redis.js';
import type { KeyRead, Mutation, Snapshot } from './core/index.js';
import { decodeReads, queueMutations, queueReads, writeFailures } from './redis-state.js';
import { outboxKeys, type OutboxEntry } from './outbox.js';

export interface PartitionRef {
  topic: string;
  partition: number;
}

/** Where a partition stands, for the ticker's event-time watermark (see ticker.ts). */
export interface PartitionProgress {
  /** Largest event time evaluated on the partition so far. */
  watermark: number;
  /** Messages left after this batch (high watermark - next offset) when it was read. */
  lag: number;
  /** Wall-clock time of the commit. */
  at: number;
}

/** A partition's part of a commit. */
export interface AppliedThrough {
  partition: PartitionRef;
  /** Offset of the first message not yet applied (the piece's last offset + 1). */
  nextOffset: string;
  progress?: PartitionProgress;
}

export interface CommitInput {
  mutations: readonly Mutation[];
  /** The alerts raised, with their webhook URLs (the outbox keeps both). */
  alerts: readonly OutboxEntry[];
  /** Partitions whose messages this transaction applied (each begun with `begin`). */
  applied?: readonly AppliedThrough[];
}

export class StateTransactions {
  private epoch = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly groupId: string,
  ) {
    redis.on('ready', () => this.epoch++);
  }

  offsetKey(p: PartitionRef): string {
    return `${this.prefix}offset:${this.groupId}:${p.topic}:${p.partition}`;
  }

  progressKey(topic: string): string {
    return `${this.prefix}progress:${this.groupId}:${topic}`;
  }

  /**
   * Starts a transaction applying messages of `partitions` (none for a tick): WATCHes their
   * applied-offset keys and reads them (Txn.appliedOffset), in one round trip.
   */
  async begin(partitions: readonly PartitionRef[] = []): Promise<Txn> {
    const epoch = this.epoch;
    const applied = new Map<string, bigint | null>();
    if (partitions.length > 0) {
      const keys = partitions.map((p) => this.offsetKey(p));
      const r = await run(() => this.redis.pipeline().watch(...keys).mget(...keys).exec(), 'reading the applied offsets');
      const raw = r?.[1]?.[1];
      const values = Array.isArray(raw) ? (raw as unknown[]) : [];
      keys.forEach((k, i) => {
        const v = values[i];
        applied.set(k, typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : null);
      });
    }
    return new Txn(this, this.redis, this.prefix, applied, epoch);
  }

  /** @internal */
  currentEpoch(): number {
    return this.epoch;
  }

  /** Every partition's progress for a topic (partitions never committed are absent). */
  async progress(topic: string): Promise<Map<number, PartitionProgress>> {
    const all = await run(() => this.redis.hgetall(this.progressKey(topic)), 'reading partition progress');
    const out = new Map<number, PartitionProgress>();
    for (const [field, json] of Object.entries(all)) {
      try {
        const p = JSON.parse(json) as PartitionProgress;
        if (typeof p.watermark === 'number' && typeof p.lag === 'number') out.set(Number(field), p);
      } catch {
        // not ours: ignore
      }
    }
    return out;
  }
}

export class Txn {
  private open = true;
  /** Stamp buckets WATCHed so far. */
  private readonly watched = new Set<number>();

  constructor(
    private readonly owner: StateTransactions,
    private readonly redis: Redis,
    private readonly prefix: string,
    /** First offset not applied yet, by offset key, of the partitions begun (null: none recorded). */
    private readonly applied: ReadonlyMap<string, bigint | null>,
    private readonly epoch: number,
  ) {}

  /** The first offset of `p` not applied yet (null: none recorded); `p` must have been begun. */
  appliedOffset(p: PartitionRef): bigint | null {
    const v = this.applied.get(this.owner.offsetKey(p));
    if (v === undefined) throw new Error(`partition ${p.topic}:${p.partition} is not part of this transaction`);
    return v;
  }

  /** The Loader for evaluateBatch: WATCH the buckets' stamps + read, in one pipeline. */
  load = async (reads: readonly KeyRead[]): Promise<Snapshot> => {
    if (reads.length === 0) return new Map();
    this.checkOpen();
    const pipeline = this.redis.pipeline();
    const stamps: string[] = [];
    for (const r of reads) {
      const b = stampBucket(r.key);
      if (this.watched.has(b)) continue;
      this.watched.add(b);
      stamps.push(this.stampKey(b));
    }
    if (stamps.length > 0) pipeline.watch(...stamps);
    queueReads(pipeline, reads, this.prefix);
    const results = await run(() => pipeline.exec(), 'a state read');
    if (!results) throw new ServiceUnavailableError('Redis', 'a state read returned nothing');
    if (stamps.length > 0 && results[0]?.[0]) throw wrapRedisError(results[0][0], 'WATCH failed');
    return decodeReads(reads, results, stamps.length > 0 ? 1 : 0);
  };

  private stampKey(bucket: number): string {
    return `${this.prefix}occ:${bucket}`;
  }

  /**
   * Applies everything atomically unless a watched key changed (then `committed: false`, nothing
   * applied). Throws a retriable error when the connection was lost since begin() (WATCHes are
   * gone). A command that fails inside EXEC (WRONGTYPE: foreign data under our prefix) does not
   * undo the others (Redis semantics): it is returned in `failed`, the rest was applied.
   */
  async commit(input: CommitInput): Promise<{ committed: boolean; failed: string[] }> {
    this.checkOpen();
    this.open = false;
    if (this.owner.currentEpoch() !== this.epoch) {
      throw new ServiceUnavailableError('Redis', 'the connection was re-established during a transaction; retrying it');
    }
    const multi = this.redis.multi();
    const writes = queueMutations(multi, input.mutations, this.prefix); // the first reply, if any
    // Move the stamp of every bucket written: one MSET (any write to a WATCHed key fails the
    // other transactions watching it). The value is a new integer, so an older instance's INCR
    // of a stamp still works.
    const written = new Set<number>();
    for (const m of input.mutations) written.add(stampBucket(m.key));
    if (written.size > 0) {
      const stamp = String(nextStamp());
      const args: string[] = [];
      for (const b of written) args.push(this.stampKey(b), stamp);
      multi.mset(...args);
    }
    // The outbox: one HSET and one ZADD for all the alerts.
    if (input.alerts.length > 0) {
      const out = outboxKeys(this.prefix);
      const now = Date.now();
      const fields: string[] = [];
      const due: (string | number)[] = [];
      for (const e of input.alerts) {
        fields.push(e.alert.alertId, JSON.stringify(e));
        due.push(now, e.alert.alertId);
      }
      multi.hset(out.alerts, ...fields);
      multi.zadd(out.due, ...due);
    }
    for (const a of input.applied ?? []) {
      const key = this.owner.offsetKey(a.partition);
      if (!this.applied.has(key)) throw new Error(`partition ${a.partition.topic}:${a.partition.partition} was not begun in this transaction (its applied offset is not watched)`);
      multi.set(key, a.nextOffset);
      if (a.progress) multi.hset(this.owner.progressKey(a.partition.topic), String(a.partition.partition), JSON.stringify(a.progress));
    }
    const results = await run(() => multi.exec(), 'a state transaction');
    if (results === null) return { committed: false, failed: [] };
    const failed = writes > 0 ? writeFailures(results[0]?.[1]) : [];
    for (const [err] of results) if (err) failed.push(err.message);
    return { committed: true, failed };
  }

  /** Ends the transaction without writing (UNWATCH). */
  async abort(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.redis.unwatch().catch(() => undefined);
  }

  private checkOpen(): void {
    if (!this.open) throw new Error('transaction already committed or aborted');
  }
}

async function run<T>(fn: () => Promise<T>, what: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrapRedisError(err, what);
  }
}

let lastStamp = 0;

/** A stamp value no earlier commit of this process wrote (increasing; starts at the clock in µs). */
function nextStamp(): number {
  lastStamp = Math.max(lastStamp + 1, Date.now() * 1000);
  return lastStamp;
}

/** Version-stamp buckets (see the header): bounds the WATCH list of a transaction. */
export const STAMP_BUCKETS = 256;

/** FNV-1a of the key, modulo STAMP_BUCKETS. */
export function stampBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % STAMP_BUCKETS;
}
