/**
 * The alert outbox in Redis: alerts are written into it in the same MULTI/EXEC as the state
 * change that raised them (transaction.ts), and removed once every sink confirmed them. A crash
 * between the two leaves them here, and the sweeper (delivery.ts) of any instance delivers them
 * later; sinks are idempotent by alertId, so a repeat is harmless.
 *
 *   <prefix>outbox          sorted set: alertId, score = wall-clock ms when it was committed
 *   <prefix>outbox:alerts   hash: alertId -> {"alert": <the alert>, "webhooks": [<full URLs>]}
 *
 * The outbox is the one place outside the rules where full webhook URLs are kept: alerts carry
 * them redacted (core/alerts.ts), so a sweep after a crash delivers to the URLs of the rule that
 * raised the alert, even when that rule was changed or removed since. An entry written before
 * this format (the bare alert, URLs in its `notify`) is read as the same thing.
 */
import type { Redis } from 'ioredis';
import { wrapRedisError } from '../lib/redis.js';
import { alertTargetsFrom, type Alert, type Rule } from './core/index.js';

/** An alert waiting for delivery: the public alert, and where its webhooks really are. */
export interface OutboxEntry {
  alert: Alert;
  /** Full URLs of the rule's webhook targets, in the rule's order (secrets: never published). */
  webhooks: readonly string[];
}

/** The webhook URLs of a rule. */
export function webhookUrls(rule: Rule): string[] {
  return rule.notify.flatMap((n) => (n.type === 'webhook' ? [n.url] : []));
}

/** Pairs alerts with their rules' webhook URLs (`rules`: the rule set that raised them). */
export function outboxEntries(alerts: readonly Alert[], rules: ReadonlyMap<string, Rule>): OutboxEntry[] {
  return alerts.map((alert) => {
    const rule = rules.get(alert.ruleId);
    if (!rule) throw new Error(`alert ${alert.alertId} names rule ${alert.ruleId}, which is not in the rule set that evaluated it`);
    return { alert, webhooks: webhookUrls(rule) };
  });
}

/** Parses an outbox hash value (either format, see the file comment). */
export function outboxEntryFromJson(text: string): OutboxEntry {
  const v = JSON.parse(text) as Partial<OutboxEntry> & { alertId?: unknown; notify?: unknown[] };
  if (v.alert && Array.isArray(v.webhooks)) return { alert: v.alert, webhooks: v.webhooks };
  // The bare alert of an older monitor: its notify targets still hold the URLs.
  const old = v as unknown as Alert & { notify: unknown[] };
  const webhooks = old.notify.flatMap((n) => (isOldWebhook(n) ? [n.url] : []));
  const notify = alertTargetsFrom(old.notify);
  return { alert: { ...old, notify }, webhooks };
}

function isOldWebhook(n: unknown): n is { type: 'webhook'; url: string } {
  return typeof n === 'object' && n !== null && (n as { type?: unknown }).type === 'webhook' && typeof (n as { url?: unknown }).url === 'string';
}

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

  /** Entries committed at or before `committedBefore` (wall-clock ms), oldest first. */
  async due(committedBefore: number, limit: number): Promise<OutboxEntry[]> {
    try {
      const ids = await this.redis.zrangebyscore(this.keys.due, '-inf', committedBefore, 'LIMIT', 0, limit);
      if (ids.length === 0) return [];
      const texts = await this.redis.hmget(this.keys.alerts, ...ids);
      const orphans = ids.filter((_, i) => texts[i] === null);
      if (orphans.length) await this.redis.zrem(this.keys.due, ...orphans);
      return texts.filter((t): t is string => t !== null).map(outboxEntryFromJson);
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
