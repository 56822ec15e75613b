/**
 * RunStateStore on Redis, shared by every gateway and OpenLineage-consumer process.
 *
 * One string key per run (`<prefix>ol-run:<project>|<activity id>`, JSON of RunState) with a TTL
 * (a run whose state expired starts over: keep the TTL longer than any run plus its stragglers).
 * An update reads the key, folds in TypeScript (./run-state.ts, the one copy of the logic), and
 * writes with a compare-and-set script; when another process changed the key in between, it
 * reads again and refolds. No WATCH/MULTI, so one connection serves any number of concurrent
 * requests.
 */
import type { Redis } from '../../lib/redis.js';
import { wrapRedisError } from '../../lib/redis.js';
import { ProvstreamError } from '../../lib/errors.js';
import { backoffDelay, sleep } from '../../lib/retry.js';
import type { RunState, RunStateStore } from './run-state.js';

/** SET key new PX ttl, but only if the key still holds `expected` ("" = absent). 1 on success. */
const COMPARE_AND_SET = `
local cur = redis.call('GET', KEYS[1])
if (cur == false and ARGV[1] == '') or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

const MAX_ATTEMPTS = 50;

export class RedisRunStateStore implements RunStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {
    redis.defineCommand('provstreamRunStateCas', { numberOfKeys: 1, lua: COMPARE_AND_SET });
  }

  keyOf(key: string): string {
    return `${this.prefix}ol-run:${key}`;
  }

  async update<T>(key: string, fn: (current: RunState | null) => { next: RunState; result: T }): Promise<T> {
    const k = this.keyOf(key);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let raw: string | null;
      let ok: number;
      let result: T;
      try {
        raw = await this.redis.get(k);
        const out = fn(raw === null ? null : (JSON.parse(raw) as RunState));
        result = out.result;
        const cas = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<number>>)['provstreamRunStateCas']!;
        ok = await cas.call(this.redis, k, raw ?? '', JSON.stringify(out.next), String(this.ttlMs));
      } catch (err) {
        throw wrapRedisError(err, `the OpenLineage run state ${k}`);
      }
      if (ok === 1) return result;
      await sleep(backoffDelay(attempt, 1, 50));
    }
    throw new ProvstreamError(`the OpenLineage run state ${k} kept changing under ${MAX_ATTEMPTS} concurrent updates; retry`, true, { key: k });
  }

  async close(): Promise<void> {
    // The Redis client belongs to the composition root, which closes it.
  }
}
