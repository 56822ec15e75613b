/**
 * The Redis StateStore: the monitor core's state contract (core/state.ts) on Redis, exactly as
 * core/README.md's table says:
 *
 *   read value  GET key -> JSON.parse (missing -> null); batched as one MGET per read round
 *   read list   LRANGE key 0 -1 -> JSON.parse each (missing -> [])
 *   read zset   ZRANGEBYSCORE key -inf maxScore WITHSCORES LIMIT 0 limit
 *   set         SET key JSON PX ttlMs                 delete  DEL key
 *   push        LPUSH key JSON, LTRIM key 0 maxLength-1, PEXPIRE key ttlMs
 *   zadd        ZADD key score member, PEXPIRE key ttlMs
 *   zrem        ZREM key member
 *
 * A batch's mutations are coalesced per key first (coalesceWrites: same end state, fewer
 * commands): several pushes to one list become one LPUSH of all their values.
 *
 * Every key is stored under `prefix` (one per deployment or test), so several monitors, tests
 * and the demo can share one Redis. apply() sends one MULTI/EXEC: no other client's command runs
 * between its mutations. (Redis does not roll a transaction back when one command fails with
 * WRONGTYPE; the core gives every key tag one fixed type, and `provstream rules add` clears a
 * replaced rule's state, so a type conflict means foreign data under our prefix.)
 *
 * The command builders are exported for the stream processor's transactions (transaction.ts),
 * which add WATCH, the outbox and offsets around the same commands.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { ProvstreamError } from '../lib/errors.js';
import { wrapRedisError } from '../lib/redis.js';
import type { Json, KeyRead, Mutation, Snapshot, StateEntry, StateStore, ZMember } from './core/index.js';

export class RedisStateStore implements StateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async load(reads: readonly KeyRead[]): Promise<Snapshot> {
    if (reads.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    queueReads(pipeline, reads, this.prefix);
    const results = await run(() => pipeline.exec(), 'a state read');
    return decodeReads(reads, results ?? [], 0);
  }

  async apply(mutations: readonly Mutation[]): Promise<void> {
    if (mutations.length === 0) return;
    const multi = this.redis.multi();
    queueMutations(multi, mutations, this.prefix);
    const results = await run(() => multi.exec(), 'a state transaction');
    if (results === null) throw new ProvstreamError('Redis discarded a state transaction (EXEC returned nil)', true);
    checkResults(results, 'a state transaction');
  }
}

type Results = [error: Error | null, result: unknown][];

async function run<T>(fn: () => Promise<T>, what: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrapRedisError(err, what);
  }
}

/**
 * Queues the read commands for `reads`: one MGET for all value keys (the table's GET, batched:
 * one command instead of one per key), then LRANGE / ZRANGEBYSCORE per collection key, in order.
 * Returns how many replies they produce (for callers that queue more commands after them).
 */
export function queueReads(cmd: ChainableCommander, reads: readonly KeyRead[], prefix: string): number {
  const values = reads.filter((r) => r.type === 'value').map((r) => prefix + r.key);
  if (values.length > 0) cmd.mget(values);
  let replies = values.length > 0 ? 1 : 0;
  for (const r of reads) {
    if (r.type === 'value') continue;
    const key = prefix + r.key;
    if (r.type === 'list') cmd.lrange(key, 0, -1);
    else cmd.zrangebyscore(key, '-inf', scoreArg(r.maxScore), 'WITHSCORES', 'LIMIT', 0, Math.max(0, Math.floor(r.limit)));
    replies++;
  }
  return replies;
}

/** Decodes the replies of queueReads (starting at `offset` in a larger pipeline's results). */
export function decodeReads(reads: readonly KeyRead[], results: Results, offset: number): Map<string, StateEntry | null> {
  const out = new Map<string, StateEntry | null>();
  const reply = (i: number, key: string): unknown => {
    const r = results[i];
    if (!r) throw new ProvstreamError(`Redis returned no reply for state key ${key}`, true);
    if (r[0]) throw new ProvstreamError(`state key ${key} cannot be read: ${r[0].message}`, false, { key });
    return r[1];
  };
  let next = offset;
  const hasValues = reads.some((r) => r.type === 'value');
  const values = hasValues ? (reply(next++, 'MGET') as unknown[]) : [];
  let v = 0;
  for (const read of reads) {
    if (read.type === 'value') {
      const raw = values[v++];
      out.set(read.key, raw === null || raw === undefined ? null : { type: 'value', value: parse(read.key, raw) });
    } else out.set(read.key, decodeEntry(read, reply(next++, read.key)));
  }
  return out;
}

function decodeEntry(read: KeyRead, value: unknown): StateEntry {
  const items = Array.isArray(value) ? (value as unknown[]) : [];
  if (read.type === 'list') return { type: 'list', items: items.map((v) => parse(read.key, v)) };
  const members: ZMember[] = [];
  for (let i = 0; i + 1 < items.length; i += 2) members.push({ member: String(items[i]), score: parseScore(String(items[i + 1])) });
  return { type: 'zset', members };
}

/**
 * Queues the commands of the mutations (see the table in the header) as coalesced by
 * coalesceWrites: the same end state as each mutation's commands in order, with fewer commands
 * (a batch writes many keys several times: pending observations, taint children, windows).
 */
export function queueMutations(cmd: ChainableCommander, mutations: readonly Mutation[], prefix: string): void {
  for (const w of coalesceWrites(mutations)) {
    const key = prefix + w.key;
    switch (w.op) {
      case 'set':
        cmd.set(key, JSON.stringify(w.value), 'PX', w.ttlMs);
        break;
      case 'delete':
        cmd.del(key);
        break;
      case 'push':
        if (w.maxLength < 1) {
          cmd.del(key); // a list trimmed to nothing does not exist (as in MemoryStateStore)
          break;
        }
        cmd.lpush(key, ...w.values.map((v) => JSON.stringify(v)));
        cmd.ltrim(key, 0, Math.floor(w.maxLength) - 1);
        cmd.pexpire(key, w.ttlMs);
        break;
      case 'zadd':
        cmd.zadd(key, scoreArg(w.score), w.member);
        cmd.pexpire(key, w.ttlMs);
        break;
      case 'zrem':
        cmd.zrem(key, w.member);
        break;
    }
  }
}

/** One key's write: a mutation, with consecutive pushes of one maxLength merged (values oldest first). */
export type Write = Exclude<Mutation, { op: 'push' }> | { op: 'push'; key: string; values: Json[]; maxLength: number; ttlMs: number };

/**
 * The writes that leave a store as `mutations` applied in order would (all at one instant, as in
 * one MULTI). Per key, in the order keys first appear (every command touches one key, so writes
 * to different keys commute):
 *   - everything before the key's last whole-key write (set, delete, push trimmed to nothing) is
 *     dropped: that write replaces the key whatever it held;
 *   - consecutive pushes with the same maxLength become one push of all their values (LPUSH of
 *     several values = the same LPUSHes one by one; trimming to m after each or once at the end
 *     keeps the same newest m) with the last push's TTL;
 *   - zadd and zrem stay as they are.
 * Every TTL is checked first, as queueing each mutation would.
 */
export function coalesceWrites(mutations: readonly Mutation[]): Write[] {
  const byKey = new Map<string, Mutation[]>();
  for (const m of mutations) {
    if (m.op === 'set' || m.op === 'zadd' || (m.op === 'push' && m.maxLength >= 1)) ttl(m.key, m.ttlMs);
    const ops = byKey.get(m.key);
    if (ops) ops.push(m);
    else byKey.set(m.key, [m]);
  }
  const out: Write[] = [];
  for (const ops of byKey.values()) {
    let start = 0;
    for (let i = ops.length - 1; i > 0; i--) {
      const m = ops[i]!;
      if (m.op === 'set' || m.op === 'delete' || (m.op === 'push' && m.maxLength < 1)) {
        start = i;
        break;
      }
    }
    let run: Extract<Write, { op: 'push' }> | undefined;
    for (let i = start; i < ops.length; i++) {
      const m = ops[i]!;
      if (m.op !== 'push') {
        run = undefined;
        out.push(m);
      } else if (run && m.maxLength >= 1 && run.maxLength === m.maxLength) {
        run.values.push(m.value);
        run.ttlMs = m.ttlMs;
      } else {
        run = { op: 'push', key: m.key, values: [m.value], maxLength: m.maxLength, ttlMs: m.ttlMs };
        out.push(run);
        if (m.maxLength < 1) run = undefined;
      }
    }
  }
  return out;
}

/** Throws on the first failed command of a pipeline or transaction. */
export function checkResults(results: Results, what: string): void {
  for (const [err] of results) if (err) throw new ProvstreamError(`Redis rejected a command of ${what}: ${err.message}`, false);
}

function ttl(key: string, ttlMs: number): number {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new RangeError(`state key ${key}: ttlMs must be an integer >= 1, got ${ttlMs}`);
  return ttlMs;
}

function scoreArg(n: number): string {
  if (n === Infinity) return '+inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

function parseScore(s: string): number {
  if (s === 'inf' || s === '+inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}

function parse(key: string, raw: unknown): Json {
  try {
    return JSON.parse(String(raw)) as Json;
  } catch {
    throw new ProvstreamError(`state key ${key} holds text that is not JSON (not written by the monitor?)`, false, { key });
  }
}
