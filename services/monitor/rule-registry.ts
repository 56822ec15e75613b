/**
 * The rule registry: where `provstream rules add|list|remove` keep rules and every monitor
 * instance reads them. In Redis, next to the rules' state, so all instances of a deployment
 * (same key prefix) share one rule set and see a change within one poll (rule-source.ts):
 *
 *   <prefix>rules           hash: rule id -> {"raw": <the rule as written>, "addedAt": ms}
 *   <prefix>rules:version   counter, incremented by every change (what monitors poll)
 *
 * Rules are stored as written (the YAML/JSON object) and validated again by whoever loads them,
 * so defaults follow the code that evaluates them. A removed rule gets its state deleted
 * (clearState). A replaced rule keeps its state unless a field that shapes the state changed
 * (classifyRuleChange: kind, selectors, projects, the kind's parameters), so a kind change cannot
 * meet old keys while a new severity or webhook does not forget taint marks or rate counts.
 */
import type { Redis } from 'ioredis';
import { deleteKeysMatching, escapeGlob, wrapRedisError } from '../lib/redis.js';
import { formatIssue, validateRules } from './core/index.js';
import type { Rule } from './core/index.js';

export interface StoredRule {
  id: string;
  /** The rule object as written in the file it was added from. */
  raw: unknown;
  addedAt: number;
}

export interface PutResult {
  added: string[];
  /** Stored with a different definition than before (see `changes`). */
  replaced: string[];
  unchanged: string[];
  /** Per replaced rule: what changed, and whether its state must be cleared. */
  changes: Record<string, RuleChange>;
}

export interface RuleChange {
  /** Fields of the validated rule (defaults filled in) whose value changed, in rule order. */
  changed: string[];
  /** A changed field shapes the rule's state (or the old definition no longer validates). */
  clearsState: boolean;
}

/**
 * Fields of a rule that do not change what its state means: who is told and how loudly,
 * whether it runs, and how long keys live (dedup marks and long-lived state keep the TTL they
 * were written with; new writes use the new one). Every other field (kind, match, projects, the
 * kind's parameters such as threshold or window, pendingTtlMs) decides which keys exist and what
 * they hold, so changing it clears the state: old values must not meet the new definition.
 */
export const STATE_NEUTRAL_FIELDS: ReadonlySet<string> = new Set(['id', 'description', 'severity', 'enabled', 'notify', 'dedupWindowMs', 'stateTtlMs']);

/**
 * Compares two stored definitions of one rule, validated (so `dedupWindow: 1h` and
 * `dedupWindowMs: 3600000`, or a default spelled out, are no change). An old definition that no
 * longer validates clears the state (what it left is unknown).
 */
export function classifyRuleChange(beforeRaw: unknown, afterRaw: unknown): RuleChange {
  const before = validateRules(beforeRaw);
  const after = validateRules(afterRaw);
  if (!before.ok || !after.ok || before.value.length !== 1 || after.value.length !== 1) return { changed: ['definition'], clearsState: true };
  const a = before.value[0]! as unknown as Record<string, unknown>;
  const b = after.value[0]! as unknown as Record<string, unknown>;
  const changed = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return { changed, clearsState: changed.some((k) => !STATE_NEUTRAL_FIELDS.has(k)) };
}

export class RuleRegistry {
  readonly hashKey: string;
  readonly versionKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.hashKey = `${prefix}rules`;
    this.versionKey = `${prefix}rules:version`;
  }

  /** Adds or replaces rules (already validated by the caller) in one transaction. */
  async put(rules: ReadonlyArray<{ id: string; raw: unknown }>, now = Date.now()): Promise<PutResult> {
    const existing = await this.list();
    const byId = new Map(existing.map((r) => [r.id, r]));
    const out: PutResult = { added: [], replaced: [], unchanged: [], changes: {} };
    const multi = this.redis.multi();
    for (const r of rules) {
      const prior = byId.get(r.id);
      if (prior && JSON.stringify(prior.raw) === JSON.stringify(r.raw)) {
        out.unchanged.push(r.id);
        continue;
      }
      if (prior) {
        out.replaced.push(r.id);
        out.changes[r.id] = classifyRuleChange(prior.raw, r.raw);
      } else out.added.push(r.id);
      multi.hset(this.hashKey, r.id, JSON.stringify({ raw: r.raw, addedAt: now }));
    }
    if (out.added.length + out.replaced.length === 0) return out;
    multi.incr(this.versionKey);
    await this.exec(multi, 'storing rules');
    return out;
  }

  /** Removes rules; returns the ids that existed. */
  async remove(ids: readonly string[]): Promise<string[]> {
    const existing = new Set((await this.list()).map((r) => r.id));
    const gone = ids.filter((id) => existing.has(id));
    if (gone.length === 0) return [];
    await this.exec(this.redis.multi().hdel(this.hashKey, ...gone).incr(this.versionKey), 'removing rules');
    return gone;
  }

  async list(): Promise<StoredRule[]> {
    const all = await this.call(() => this.redis.hgetall(this.hashKey), 'reading rules');
    const out: StoredRule[] = [];
    for (const [id, text] of Object.entries(all)) {
      try {
        const v = JSON.parse(text) as { raw?: unknown; addedAt?: unknown };
        out.push({ id, raw: v.raw, addedAt: typeof v.addedAt === 'number' ? v.addedAt : 0 });
      } catch {
        out.push({ id, raw: text, addedAt: 0 });
      }
    }
    return out.sort((a, b) => a.addedAt - b.addedAt || (a.id < b.id ? -1 : 1));
  }

  /** The change counter (0 when no rule was ever stored). */
  async version(): Promise<number> {
    const v = await this.call(() => this.redis.get(this.versionKey), 'reading the rules version');
    return v === null ? 0 : Number(v);
  }

  /** Deletes every state key of a rule (rule:<id>:*); returns how many. */
  async clearState(ruleId: string): Promise<number> {
    return deleteKeysMatching(this.redis, `${escapeGlob(this.prefix)}rule:${escapeGlob(ruleId)}:*`);
  }

  private async exec(multi: ReturnType<Redis['multi']>, what: string): Promise<void> {
    await this.call(() => multi.exec(), what);
  }

  private async call<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrapRedisError(err, what);
    }
  }
}

/** Validates stored rules one by one: a bad one is reported and left out, the others load. */
export function rulesFromStored(stored: readonly StoredRule[]): { rules: Rule[]; errors: Array<{ id: string; message: string }> } {
  const rules: Rule[] = [];
  const errors: Array<{ id: string; message: string }> = [];
  for (const s of stored) {
    const r = validateRules(s.raw);
    if (!r.ok) errors.push({ id: s.id, message: r.errors.map(formatIssue).join('; ') });
    else if (r.value.length !== 1 || r.value[0]!.id !== s.id) errors.push({ id: s.id, message: 'stored entry is not exactly the rule with this id' });
    else rules.push(r.value[0]!);
  }
  return { rules, errors };
}

/**
 * The rule objects of a rule file (YAML/JSON already decoded), aligned with parseRules' result:
 * a single rule, a list, or {rules: [...]}.
 */
export function rawRuleItems(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc;
  if (doc !== null && typeof doc === 'object' && 'rules' in doc && Array.isArray((doc as { rules: unknown }).rules)) return (doc as { rules: unknown[] }).rules;
  return [doc];
}
