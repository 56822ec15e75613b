/**
 * The alert outbox in Redis: alerts are written into it in the same MULTI/EXEC as the state
 * change that raised them (transaction.ts), and removed once every sink confirmed them. A crash
 * between the two leaves them here, and the sweeper (delivery.ts) of any instance delivers them
 * later; sinks are idempotent by alertId, so a repeat is harmless.
 *
 *   <prefix>outbox          sorted set: alertId, score = wall-clock ms when it was committed
 *   <prefix>outbox:alerts   hash: alertId -> the alert as JSON
 */
import type { Redis } from 'ioredis';
import { wrapRedisError } from '../lib/redis.js';
import type { Alert } from './core/index.js';

export function outboxKeys(prefix: string): { due: string; alerts: string } {
  return { due: `${prefix}outbox`, alerts: `${prefix}outbox:alerts` };
}

export class Outbox {
  private readonly keys: { due: string; alerts: string };

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = outboxKeys(prefix);
  }

  /** Forgets delivered alerts. */
  async remove(alertIds: readonly string[]): Promise<void> {
    if (alertIds.length === 0) return;
    try {
      await this.redis
        .multi()
        .zrem(this.keys.due, ...alertIds)
        .hdel(this.keys.alerts, ...alertIds)
        .exec();
    } catch (err) {
      throw wrapRedisError(err, 'removing delivered alerts from the outbox');
    }
  }

  /** Alerts committed at or before `committedBefore` (wall-clock ms), oldest first. */
  async due(committedBefore: number, limit: number): Promise<Alert[]> {
    try {
      const ids = await this.redis.zrangebyscore(this.keys.due, '-inf', committedBefore, 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const texts = await this.redis.hmget(this.keys.alerts, ...ids);
      const orphans = ids.filter((_, i) => texts[i] === null);
      if (orphans.length) await this.redis.zrem(this.keys.due, ...orphans);
      return texts.filter((t): t is string => t !== null).map((t) => JSON.parse(t) as Alert);
    } catch (err) {
      throw wrapRedisError(err, 'reading the alert outbox');
    }
  }

  async size(): Promise<number> {
    try {
      return await this.redis.zcard(this.keys.due);
    } catch (err) {
      throw wrapRedisError(err, 'reading the alert outbox');
    }
  }
}
