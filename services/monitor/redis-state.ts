/**
 * The Redis StateStore: the monitor core's state contract (core/state.ts) on Redis, exactly as
 * core/README.md's table says:
 *
 *   read value  GET key -> JSON.parse (missing -> null); batched as one MGET per read round
 *   read list   LRANGE key 0 -1 -> JSON.parse each (missing -> []); all of a round's lists in one EVAL
 *   read zset   ZRANGEBYSCORE key -inf maxScore WITHSCORES LIMIT 0 limit
 *   set         SET key JSON PX ttlMs                 delete  DEL key
 *   push        LPUSH key JSON, LTRIM key 0 maxLength-1 (only when longer), PEXPIRE key ttlMs
 *   zadd        ZADD key score member, PEXPIRE key ttlMs
 *   zrem        ZREM key member
 *
 * A batch's mutations are coalesced per key first (coalesceWrites: same end state, fewer
 * commands): several pushes to one list become one LPUSH of all their values. The writes then go
 * to Redis as one EVAL that runs these commands (queueMutations: client CPU per command).
 *
 * Every key is stored under `prefix` (one per deployment or test), so several monitors, tests
 * and the demo can share one Redis. apply() sends one MULTI/EXEC (holding that EVAL): no other
 * client's command runs between its mutations. (Redis does not roll back when one command fails with
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
    if (queueMutations(multi, mutations, this.prefix) === 0) return;
    const results = await run(() => multi.exec(), 'a state transaction');
    if (results === null) throw new ProvstreamError('Redis discarded a state transaction (EXEC returned nil)', true);
    checkResults(results, 'a state transaction');
    const failed = writeFailures(results[0]?.[1]);
    if (failed.length > 0) throw new ProvstreamError(`Redis rejected a command of a state transaction: ${failed[0]}`, false);
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
 * one command instead of one per key), then one EVAL of READ_LISTS for all list keys (the
 * table's LRANGE per key, run by Redis), then ZRANGEBYSCORE per sorted-set key, in order.
 * Returns how many replies they produce (for callers that queue more commands after them).
 *
 * Why a script for the lists: ioredis spends ~6 µs of client CPU per command it sends (command
 * object, promise, reply bookkeeping), and a batch reads ~100 lists per round; one EVAL is one
 * command whatever the number of keys.
 */
export function queueReads(cmd: ChainableCommander, reads: readonly KeyRead[], prefix: string): number {
  const values: string[] = [];
  const lists: string[] = [];
  for (const r of reads) {
    if (r.type === 'value') values.push(prefix + r.key);
    else if (r.type === 'list') lists.push(prefix + r.key);
  }
  if (values.length > 0) cmd.mget(values);
  if (lists.length > 0) cmd.eval(READ_LISTS, lists.length, lists); // ioredis flattens the array
  let replies = (values.length > 0 ? 1 : 0) + (lists.length > 0 ? 1 : 0);
  for (const r of reads) {
    if (r.type !== 'zset') continue;
    cmd.zrangebyscore(prefix + r.key, '-inf', scoreArg(r.maxScore), 'WITHSCORES', 'LIMIT', 0, Math.max(0, Math.floor(r.limit)));
    replies++;
  }
  return replies;
}

/**
 * LRANGE key 0 -1 of every key; a key that cannot be read (WRONGTYPE) gives its error in its
 * place (pcall), so that the caller can name the key.
 */
const READ_LISTS = `local out = {}
for i = 1, #KEYS do out[i] = redis.pcall('LRANGE', KEYS[i], 0, -1) end
return out`;

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
  let hasValues = false;
  let hasLists = false;
  for (const r of reads) {
    if (r.type === 'value') hasValues = true;
    else if (r.type === 'list') hasLists = true;
  }
  const values = hasValues ? (reply(next++, 'MGET') as unknown[]) : [];
  const lists = hasLists ? (reply(next++, 'the lists') as unknown[]) : [];
  let v = 0;
  let l = 0;
  for (const read of reads) {
    if (read.type === 'value') {
      const raw = values[v++];
      out.set(read.key, raw === null || raw === undefined ? null : { type: 'value', value: parse(read.key, raw) });
    } else if (read.type === 'list') {
      const items = lists[l++];
      if (items instanceof Error) throw new ProvstreamError(`state key ${read.key} cannot be read: ${items.message}`, false, { key: read.key });
      out.set(read.key, decodeEntry(read, items));
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
 * Queues the writes of the mutations (see the table in the header), coalesced by coalesceWrites
 * (the same end state as each mutation's commands in order, with fewer commands: a batch writes
 * many keys several times: pending observations, taint children, windows), as ONE command: an
 * EVAL of WRITE_STATE that runs the table's commands in Redis. Returns how many replies it
 * queued (0 or 1); read the reply with writeFailures.
 *
 * Why a script: ioredis spends ~6 µs of client CPU per command (a batch of 500 events writes
 * ~700 keys: half of the transaction's CPU), one EVAL with the same keys and values ~1.2 µs per
 * key. Redis runs the same commands, each through pcall: a command that fails (WRONGTYPE on
 * foreign data) does not stop the others, as inside MULTI, and is reported.
 */
export function queueMutations(cmd: ChainableCommander, mutations: readonly Mutation[], prefix: string): number {
  const writes = coalesceWrites(mutations);
  if (writes.length === 0) return 0;
  const keys: string[] = [];
  const args: string[] = [];
  for (const w of writes) {
    keys.push(prefix + w.key);
    switch (w.op) {
      case 'set':
        args.push('s', JSON.stringify(w.value), String(w.ttlMs));
        break;
      case 'delete':
        args.push('d');
        break;
      case 'push':
        if (w.maxLength < 1) {
          args.push('d'); // a list trimmed to nothing does not exist (as in MemoryStateStore)
          break;
        }
        args.push('p', String(w.values.length), String(Math.floor(w.maxLength)), String(w.ttlMs));
        for (const v of w.values) args.push(JSON.stringify(v));
        break;
      case 'zadd':
        args.push('z', scoreArg(w.score), w.member, String(w.ttlMs));
        break;
      case 'zrem':
        args.push('r', w.member);
        break;
    }
  }
  cmd.eval(WRITE_STATE, keys.length, keys.concat(args)); // one array: ioredis flattens it
  return 1;
}

/** The commands of WRITE_STATE that Redis rejected (its reply), as "key: error" lines. */
export function writeFailures(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.map(String) : [];
}

/**
 * KEYS[i] is the key of the i-th write; ARGV holds the writes one after another:
 *   s value ttl            SET key value PX ttl
 *   d                      DEL key
 *   p n maxLength ttl v*n  LPUSH key v1..vn (oldest first), LTRIM key 0 maxLength-1 when the list
 *                          became longer than maxLength (LPUSH returns its length), PEXPIRE key ttl
 *   z score member ttl     ZADD key score member, PEXPIRE key ttl
 *   r member               ZREM key member
 * LPUSH goes in slices of 1,000 values (unpack's stack limit). Returns the failures.
 */
const WRITE_STATE = `local failed = {}
local function check(key, r)
  if type(r) == 'table' and r.err then failed[#failed + 1] = key .. ': ' .. r.err end
end
local a = 1
for i = 1, #KEYS do
  local k = KEYS[i]
  local op = ARGV[a]
  if op == 's' then
    check(k, redis.pcall('SET', k, ARGV[a + 1], 'PX', ARGV[a + 2]))
    a = a + 3
  elseif op == 'd' then
    check(k, redis.pcall('DEL', k))
    a = a + 1
  elseif op == 'p' then
    local first = a + 4
    local last = first + tonumber(ARGV[a + 1]) - 1
    local len = 0
    for s = first, last, 1000 do
      local r = redis.pcall('LPUSH', k, unpack(ARGV, s, math.min(s + 999, last)))
      check(k, r)
      if type(r) == 'number' then len = r end
    end
    local max = tonumber(ARGV[a + 2])
    if len > max then check(k, redis.pcall('LTRIM', k, 0, max - 1)) end
    check(k, redis.pcall('PEXPIRE', k, ARGV[a + 3]))
    a = last + 1
  elseif op == 'z' then
    check(k, redis.pcall('ZADD', k, ARGV[a + 1], ARGV[a + 2]))
    check(k, redis.pcall('PEXPIRE', k, ARGV[a + 3]))
    a = a + 4
  elseif op == 'r' then
    check(k, redis.pcall('ZREM', k, ARGV[a + 1]))
    a = a + 2
  else
    return redis.error_reply('WRITE_STATE: unknown write ' .. tostring(op))
  end
end
return failed`;

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
