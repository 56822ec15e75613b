/**
 * Alerts: what evaluation produces, and how their identity is derived.
 *
 * alertId = "alr:" + first 128 bits of sha256(ruleId NUL dedupKey NUL triggerId), where the
 * trigger is the event that caused the alert (or, for ticks, the deadline that expired).
 * Re-running the same event against the same state therefore yields the same alertId, so every
 * sink (Kafka key, ClickHouse ReplacingMergeTree key, webhook Idempotency-Key, feed) can drop
 * duplicates.
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
  notify: NotifyTarget[];
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
