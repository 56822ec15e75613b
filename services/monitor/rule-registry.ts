/**
 * The rule registry: where `provstream rules add|list|remove` keep rules and every monitor
 * instance reads them. In Redis, next to the rules' state, so all instances of a deployment
 * (same key prefix) share one rule set and see a change within one poll (rule-source.ts):
 *
 *   <prefix>rules           hash: rule id -> {"raw": <the rule as written>, "addedAt": ms}
 *   <prefix>rules:version   counter, incremented by every change (what monitors poll)
 *
 * Rules are stored as written (the YAML/JSON object) and validated again by whoever loads them,
 * so defaults follow the code that evaluates them. A rule replaced by a different definition, or
 * removed, gets its state deleted (clearState), so a kind change cannot meet old keys.
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
  replaced: string[];
  unchanged: string[];
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
    const out: PutResult = { added: [], replaced: [], unchanged: [] };
    const multi = this.redis.multi();
    for (const r of rules) {
      const prior = byId.get(r.id);
      if (prior && JSON.stringify(prior.raw) === JSON.stringify(r.raw)) {
        out.unchanged.push(r.id);
        continue;
      }
      (prior ? out.replaced : out.added).push(r.id);
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
