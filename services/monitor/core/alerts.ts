/**
 * Alerts: what evaluation produces, and how their identity is derived.
 *
 * alertId = "alr:" + first 128 bits of sha256(ruleId NUL dedupKey NUL triggerId), where the
 * trigger is the event that caused the alert (or, for ticks, the deadline that expired).
 * Re-running the same event against the same state therefore yields the same alertId, so every
 * sink (Kafka key, ClickHouse ReplacingMergeTree key, webhook Idempotency-Key, feed) can drop
 * duplicates.
 *
 * An alert names its rule's notify targets in their public form (AlertTarget): a webhook's URL
 * is a secret (Slack-style URLs are the credential), and alerts go to the alerts topic, the
 * alerts table, live feeds and every webhook body. Delivery takes the full URLs from the rule
 * (the monitor's outbox keeps them next to the alert, see services/monitor/outbox.ts).
 */
import { sha256Hex } from './hash.js';
import type { NotifyTarget, RuleKind, ScalarValue, Severity } from './rule-types.js';
import { escapeKeyPart, type Json } from './state.js';

export interface Alert {
  alertId: string;
  ruleId: string;
  kind: RuleKind;
  severity: Severity;
  /** When the alerted condition became true (event time, or the expired deadline for ticks). */
  time: number;
  project: string;
  /** What the alert is about: a vertex id, or a job name / artifact for group-level rules. */
  subject: string;
  /** Alerts with equal dedupKey within the rule's dedup window are suppressed. */
  dedupKey: string;
  /** One human-readable sentence. */
  message: string;
  /** The observed value (metric, count, z-score, ...), when the rule has one. */
  value: ScalarValue | null;
  /** What it was compared with, when the rule has one. */
  threshold: ScalarValue | null;
  /** Kind-specific numbers and context (previous value, mean/std, window, path, ...). */
  details: { [key: string]: Json };
  /** Ids of the events that triggered the alert, the triggering event first. */
  eventIds: string[];
  /** Ids of the vertices involved (subject first; for taint, the path from the flagged vertex). */
  vertexIds: string[];
  /** The rule's notify targets, webhooks redacted (publicTargets). */
  notify: AlertTarget[];
}

/**
 * A notify target as an alert carries it. A webhook is named by `target`, its scheme and host
 * followed by "/…#" and the first 8 hex digits of the SHA-256 of the full URL (tells two
 * webhooks on one host apart; `printf %s URL | sha256sum` gives it): never its path or query.
 */
export type AlertTarget = { type: 'webhook'; target: string } | { type: 'kafka' } | { type: 'clickhouse' } | { type: 'feed' };

const REDACTED = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/\s]*)?\/…#[0-9a-f]{8}$/i;

/** The public form of a webhook URL (see AlertTarget); an already redacted one is returned as is. */
export function redactWebhookUrl(url: string): string {
  if (REDACTED.test(url)) return url;
  let origin = '';
  try {
    const u = new URL(url);
    origin = `${u.protocol}//${u.host}`; // host: no user:password@
  } catch {
    // not a URL (rules validate them; old records may hold anything): the fingerprint alone
  }
  return `${origin}/…#${sha256Hex(url).slice(0, 8)}`;
}

const publicForms = new WeakMap<readonly NotifyTarget[], AlertTarget[]>();

/** A rule's notify targets as alerts carry them (memoised per list: alerts of a rule share it). */
export function publicTargets(notify: readonly NotifyTarget[]): AlertTarget[] {
  let out = publicForms.get(notify);
  if (!out) {
    out = notify.map((n) => (n.type === 'webhook' ? { type: 'webhook', target: redactWebhookUrl(n.url) } : n));
    publicForms.set(notify, out);
  }
  return out;
}

/**
 * Normalises a notify target read back from a record (the alerts table, the alerts topic):
 * records written before webhooks were redacted hold `{type: webhook, url}` or `webhook:<url>`,
 * and must not show the URL now either. Undefined when it is not a target.
 */
export function alertTargetFrom(v: unknown): AlertTarget | undefined {
  if (typeof v === 'string') {
    if (v.startsWith('webhook:')) return { type: 'webhook', target: redactWebhookUrl(v.slice(8)) };
    v = { type: v };
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { type?: unknown; url?: unknown; target?: unknown };
  if (o.type === 'webhook') {
    const raw = typeof o.target === 'string' ? o.target : typeof o.url === 'string' ? o.url : '';
    return { type: 'webhook', target: redactWebhookUrl(raw) };
  }
  return o.type === 'kafka' || o.type === 'clickhouse' || o.type === 'feed' ? { type: o.type } : undefined;
}

/** alertTargetFrom over a record's notify list, dropping what is not a target. */
export function alertTargetsFrom(list: readonly unknown[]): AlertTarget[] {
  return list.map(alertTargetFrom).filter((t): t is AlertTarget => t !== undefined);
}

/** The string form of a target, as the alerts table's `notify` column holds it. */
export function alertTargetText(t: AlertTarget): string {
  return t.type === 'webhook' ? `webhook:${t.target}` : t.type;
}

/** What a rule evaluator hands to EvalContext.emit; the context adds identity and rule fields. */
export interface AlertDraft {
  project: string;
  subject: string;
  time: number;
  /** Id of the event (or deadline) that triggered this alert: part of the alertId. */
  triggerId: string;
  message: string;
  value?: ScalarValue | null;
  threshold?: ScalarValue | null;
  details?: { [key: string]: Json };
  eventIds: string[];
  vertexIds: string[];
}

export function dedupKeyOf(ruleId: string, project: string, subject: string): string {
  return `${ruleId}:${escapeKeyPart(project)}:${escapeKeyPart(subject)}`;
}

export function alertIdOf(ruleId: string, dedupKey: string, triggerId: string): string {
  return 'alr:' + sha256Hex(`${ruleId}\0${dedupKey}\0${triggerId}`).slice(0, 32);
}

/** Ids in first-seen order without repeats (alerts list provenance once each). */
export function uniqueIds(ids: readonly (string | null | undefined)[]): string[] {
  const out: string[] = [];
  for (const id of ids) if (id && !out.includes(id)) out.push(id);
  return out;
}

/** A number for messages: at most 4 significant decimals, no float noise. */
export function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
