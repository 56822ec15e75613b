/**
 * `provstream rules add|list|remove|test`: the monitor's rule registry (Redis, shared by every
 * monitor instance of the deployment, picked up without restart: services/monitor/rule-source.ts)
 * and dry runs that alert no one.
 */
import { readFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import type { MonitorConfig } from '../monitor/config.js';
import { dryRun, formatDuration, formatIssue, parseRules, ruleFormatOf } from '../monitor/core/index.js';
import type { DryRunResult, Rule } from '../monitor/core/index.js';
import { RuleRegistry, rawRuleItems, rulesFromStored } from '../monitor/rule-registry.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { InputError } from '../lib/errors.js';
import { eventsForReplay } from '../query/catalogue.js';
import { renderAlert } from './alert-render.js';
import { formatProblems, validateEvent } from '../model/validate.js';
import type { ProvEvent } from '../model/types.js';

type Out = (s: string) => void;

/** Reads and validates a rule file; every problem is reported at once (InputError). */
export async function readRuleFile(path: string): Promise<{ rules: Rule[]; raw: unknown[] }> {
  const text = await readFile(path, 'utf8').catch((err: Error) => {
    throw new InputError(`cannot read ${path}: ${err.message}`);
  });
  const format = ruleFormatOf(path);
  const parsed = parseRules(text, format);
  if (!parsed.ok) throw new InputError(`${path} has ${parsed.errors.length} problem(s):\n  ${parsed.errors.map(formatIssue).join('\n  ')}`);
  const raw = rawRuleItems(format === 'json' ? JSON.parse(text) : parseYaml(text));
  return { rules: parsed.value, raw };
}

async function withRegistry<T>(cfg: MonitorConfig, fn: (r: RuleRegistry) => Promise<T>): Promise<T> {
  const redis: Redis = createRedis(cfg.redisUrl, { connectionName: 'provstream-cli' });
  try {
    await connectRedis(redis, cfg.redisUrl);
    return await fn(new RuleRegistry(redis, cfg.redisPrefix));
  } finally {
    redis.disconnect();
  }
}

export interface AddOptions {
  json: boolean;
  /** Clear the state of every rule of the file that was stored already, changed or not. */
  resetState?: boolean;
}

/**
 * What MONITOR_RULES_FILE (as this CLI's environment names it) means for `ids`: monitors run
 * the file's definition of an id defined in both places, so the registry's is not what runs and
 * the state the CLI keeps or clears is that rule's. Undefined when there is nothing to say.
 */
async function rulesFileNote(cfg: MonitorConfig, ids: readonly string[]): Promise<{ ids: string[]; note: string } | undefined> {
  if (!cfg.rulesFile || ids.length === 0) return undefined;
  const what = `MONITOR_RULES_FILE (${cfg.rulesFile})`;
  let text: string;
  try {
    text = await readFile(cfg.rulesFile, 'utf8');
  } catch (err) {
    return { ids: [], note: `note: ${what} cannot be read here (${(err as Error).message}); monitors run a rule defined there instead of the registry's` };
  }
  const parsed = parseRules(text, ruleFormatOf(cfg.rulesFile));
  if (!parsed.ok) return { ids: [], note: `note: ${what} is invalid here; a rule defined there runs instead of the registry's` };
  const both = ids.filter((id) => parsed.value.some((r) => r.id === id));
  if (both.length === 0) return undefined;
  return { ids: both, note: `warning: ${both.join(', ')} also defined in ${what}: monitors run the file's definition, not the registry's (its state is the one kept or cleared here)` };
}

/**
 * Adds or replaces the rules of a file. A replaced rule keeps its state unless a field that
 * shapes it changed (classifyRuleChange); `resetState` clears it anyway.
 */
export async function rulesAdd(cfg: MonitorConfig, path: string, o: AddOptions, out: Out): Promise<void> {
  const { rules, raw } = await readRuleFile(path);
  const items = rules.map((r, i) => ({ id: r.id, raw: raw[i] }));
  const clash = await rulesFileNote(cfg, items.map((r) => r.id));
  const result = await withRegistry(cfg, async (reg) => {
    const put = await reg.put(items);
    const cleared: Record<string, number> = {};
    for (const id of [...put.replaced, ...put.unchanged]) {
      if (o.resetState || put.changes[id]?.clearsState) cleared[id] = await reg.clearState(id);
    }
    return { ...put, stateKeysCleared: cleared, alsoInRulesFile: clash?.ids ?? [] };
  });
  if (o.json) return out(JSON.stringify(result));
  const cleared = (id: string) => {
    const n = result.stateKeysCleared[id];
    if (n === undefined) return 'state kept';
    return `state cleared${result.changes[id]?.clearsState ? '' : ' (--reset-state)'} (${n} key${n === 1 ? '' : 's'})`;
  };
  if (result.added.length) out(`added: ${result.added.join(', ')}`);
  for (const id of result.replaced) {
    const changed = result.changes[id]?.changed ?? [];
    out(`rule ${id} updated (${changed.length ? `${changed.join(', ')} changed` : 'same definition, written differently'}): ${cleared(id)}`);
  }
  for (const id of result.unchanged) out(`rule ${id} unchanged: ${cleared(id)}`);
  if (clash) out(clash.note);
  out(`running monitors (Redis prefix "${cfg.redisPrefix}") pick this up within ${formatDuration(cfg.rulesPollMs)}`);
}

export async function rulesList(cfg: MonitorConfig, json: boolean, out: Out): Promise<void> {
  const stored = await withRegistry(cfg, (reg) => reg.list());
  const { rules, errors } = rulesFromStored(stored);
  if (json) return out(JSON.stringify({ rules, invalid: errors }));
  if (rules.length === 0 && errors.length === 0) return out(`no rules (add some with: provstream rules add rules.yaml)`);
  for (const r of rules) out(`${r.id.padEnd(24)} ${r.kind.padEnd(10)} ${r.severity.padEnd(8)} ${r.enabled ? 'enabled ' : 'disabled'} ${describeRule(r)}`);
  for (const e of errors) out(`${e.id.padEnd(24)} INVALID    ${e.message}`);
}

export async function rulesRemove(cfg: MonitorConfig, ids: string[], json: boolean, out: Out): Promise<boolean> {
  const clash = await rulesFileNote(cfg, ids);
  const result = await withRegistry(cfg, async (reg) => {
    const removed = await reg.remove(ids);
    let cleared = 0;
    for (const id of removed) cleared += await reg.clearState(id);
    return { removed, unknown: ids.filter((id) => !removed.includes(id)), stateKeysCleared: cleared, alsoInRulesFile: clash?.ids ?? [] };
  });
  if (json) out(JSON.stringify(result));
  else {
    if (result.removed.length) out(`removed: ${result.removed.join(', ')} (${result.stateKeysCleared} state keys cleared)`);
    if (result.unknown.length) out(`not found: ${result.unknown.join(', ')}`);
    if (clash) out(clash.note);
  }
  return result.unknown.length === 0;
}

export interface TestOptions {
  events?: string;
  fromClickhouse?: boolean;
  project?: string;
  since?: string;
  limit: number;
  until?: string;
  json: boolean;
}

/** Replays recorded events through dryRun: what would fire, notifying no one. */
export async function rulesTest(cfg: MonitorConfig, path: string, o: TestOptions, out: Out, progress: Out): Promise<DryRunResult> {
  const { rules } = await readRuleFile(path);
  let events: ProvEvent[];
  if (o.fromClickhouse) {
    if (!o.project) throw new InputError('--from-clickhouse needs --project <name>');
    events = await eventsFromClickHouse(cfg, o.project, o.since ? parseTime(o.since, '--since') : 0, o.limit);
  } else if (o.events) {
    events = await eventsFromFile(o.events, progress);
  } else throw new InputError('say where the events come from: --events <file.jsonl> or --from-clickhouse --project <name>');
  const until = o.until === undefined ? undefined : o.until === 'now' ? Date.now() : parseTime(o.until, '--until');
  progress(`replaying ${events.length} events through ${rules.length} rule(s)${until ? ` (timers ticked until ${new Date(until).toISOString()})` : ''}; nobody is notified`);
  const result = dryRun(rules, events, {
    ...(until === undefined ? {} : { until }),
    onProgress: (p) => progress(`replayed ${p.events.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} events (${Math.floor((p.events / p.total) * 100)}%), ${p.alerts.toLocaleString('en-US')} alert(s) so far`),
  });
  if (o.json) {
    out(JSON.stringify(result));
    return result;
  }
  for (const a of result.alerts) out(renderAlert(a, true));
  const byRule = new Map<string, number>();
  for (const a of result.alerts) byRule.set(a.ruleId, (byRule.get(a.ruleId) ?? 0) + 1);
  out(`\n${result.alerts.length} alert(s) would fire, ${result.suppressed.length} more suppressed by dedup windows, from ${result.stats.events} events`);
  for (const r of rules) out(`  ${r.id.padEnd(24)} ${byRule.get(r.id) ?? 0}`);
  for (const e of result.errors) out(`error: rule ${e.ruleId}${e.eventId ? ` on event ${e.eventId}` : ''}: ${e.message}`);
  return result;
}

async function eventsFromFile(path: string, progress: Out): Promise<ProvEvent[]> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const events: ProvEvent[] = [];
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      progress(`${path}:${line}: not JSON (${(err as Error).message}); skipped`);
      continue;
    }
    const v = validateEvent(obj);
    if (v.ok) events.push(v.event);
    else progress(`${path}:${line}: invalid event, skipped: ${formatProblems(v.problems)}`);
  }
  return events;
}

async function eventsFromClickHouse(cfg: MonitorConfig, project: string, sinceMs: number, limit: number): Promise<ProvEvent[]> {
  const wh = await connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase, settings: { readonly: 2 } });
  try {
    const rows = await wh.query<{ event_id: string; project: string; time: number; producer: string; schema_version: number; body: string }>(eventsForReplay(project, sinceMs, limit));
    const events: ProvEvent[] = [];
    for (const r of rows) {
      const v = validateEvent({ eventId: r.event_id, project: r.project, time: Number(r.time), producer: r.producer, schemaVersion: Number(r.schema_version), payload: JSON.parse(r.body) as unknown });
      if (v.ok) events.push(v.event);
    }
    return events;
  } finally {
    await wh.close();
  }
}

function parseTime(s: string, flag: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw new InputError(`${flag} must be epoch milliseconds or an ISO time, got ${JSON.stringify(s)}`);
  return n;
}

function describeRule(r: Rule): string {
  const m = 'match' in r ? Object.entries(r.match).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${String(v)}`).join(' ') : '';
  const notify = r.notify.map((n) => (n.type === 'webhook' ? `webhook(${n.url})` : n.type)).join(',');
  return `${m ? m + ' ' : ''}notify=${notify}`;
}
