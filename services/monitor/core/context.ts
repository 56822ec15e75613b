/**
 * EvalContext: everything one evaluation round may touch. Rule evaluators read state only
 * through it and write only by recording mutations and alerts in it.
 *
 * Reads of keys that are not in the snapshot are recorded as misses and answered as "absent";
 * when a round ends with misses, its mutations and alerts are discarded and the caller is asked
 * to load the missing keys and run the round again (result() returns `needs`). This is how
 * evaluation discovers keys it could not know up front (a taint walk, the artifact of a metric's
 * subject, dedup keys of alerts). Writes are visible to later reads in the same round.
 *
 * Instead of a snapshot, a context can read through a StateReader, which answers every read
 * (the batch evaluator's overlay: what it does not know reads as absent and is reported to it).
 * Such a round never misses, so it gives in one go what the snapshot protocol's last round gives
 * once every key it asks for has been loaded: every has() of a key is then true (evaluators call
 * has(key) only next to a read of the same key).
 */
import { alertIdOf, dedupKeyOf, publicTargets, type Alert, type AlertDraft } from './alerts.js';
import type { Rule } from './rule-types.js';
import { ruleKey, type Evaluation, type Json, type KeyRead, type Mutation, type Snapshot, type StateEntry, type StateReader, type ZMember } from './state.js';

export type EmitOutcome = 'emitted' | 'suppressed' | 'pending';

export class EvalContext {
  private readonly mutations: Mutation[] = [];
  private readonly alerts: Alert[] = [];
  private readonly suppressed: Alert[] = [];
  // Created on first use: most evaluations write a key or two and never miss or dedup twice.
  private misses: Map<string, KeyRead> | undefined;
  private overlay: Map<string, StateEntry | null> | undefined;
  /** Dedup keys that alerted in this round, with the record's time. */
  private dedupedInRound: Map<string, number> | undefined;

  private readonly snapshot: Snapshot | undefined;
  private readonly reader: StateReader | undefined;

  constructor(
    readonly rule: Rule,
    /** The loaded keys (misses make the round `needs`), or a reader that answers every read. */
    state: Snapshot | StateReader,
    /** Processing time (epoch ms) for TTL-based decisions; never Date.now(). */
    readonly now: number,
  ) {
    if (typeof state === 'function') this.reader = state;
    else this.snapshot = state;
  }

  key(tag: string, ...parts: (string | number)[]): string {
    return ruleKey(this.rule.id, tag, ...parts);
  }

  /** The JSON value at `key`, or undefined when absent or not loaded yet (then a miss). */
  get(key: string): Json | undefined {
    VALUE_READ.key = key;
    const entry = this.entry(VALUE_READ);
    return entry?.type === 'value' ? entry.value : undefined;
  }

  /** Whether `key` was loaded (or written) in this round; false records nothing. */
  has(key: string): boolean {
    return this.snapshot === undefined || this.overlay?.has(key) === true || this.snapshot.has(key);
  }

  /** List items, newest first; [] when absent or not loaded yet (then a miss). */
  list(key: string): Json[] {
    LIST_READ.key = key;
    const entry = this.entry(LIST_READ);
    return entry?.type === 'list' ? entry.items : [];
  }

  /** Sorted-set members with score <= maxScore (ascending); [] when not loaded yet (a miss). */
  zrange(key: string, maxScore: number, limit: number): ZMember[] {
    const entry = this.entry({ type: 'zset', key, maxScore, limit });
    return entry?.type === 'zset' ? entry.members : [];
  }

  set(key: string, value: Json, ttlMs: number): void {
    this.mutations.push({ op: 'set', key, value, ttlMs: ttl(ttlMs) });
    (this.overlay ??= new Map()).set(key, { type: 'value', value });
  }

  del(key: string): void {
    this.mutations.push({ op: 'delete', key });
    (this.overlay ??= new Map()).set(key, null);
  }

  /** Prepends to a list and trims it to maxLength (the list should have been read first). */
  push(key: string, value: Json, maxLength: number, ttlMs: number): void {
    const items = [value, ...this.list(key)].slice(0, maxLength);
    this.mutations.push({ op: 'push', key, value, maxLength, ttlMs: ttl(ttlMs) });
    (this.overlay ??= new Map()).set(key, { type: 'list', items });
  }

  zadd(key: string, member: string, score: number, ttlMs: number): void {
    this.mutations.push({ op: 'zadd', key, member, score, ttlMs: ttl(ttlMs) });
  }

  zrem(key: string, member: string): void {
    this.mutations.push({ op: 'zrem', key, member });
  }

  /**
   * Emits an alert unless its dedupKey fired within the rule's dedup window, in event time:
   * suppressed when |time - the recorded alert's time| < window, so a backlog processed in a
   * minute dedups like the hours it covers, and a live monitor agrees with `rules test`. An
   * earlier alert with the SAME alertId (the same event re-processed after a crash) does not
   * suppress: it is emitted again with the same id, and idempotent sinks collapse the two.
   */
  emit(draft: AlertDraft): EmitOutcome {
    const { rule } = this;
    const dedupKey = dedupKeyOf(rule.id, draft.project, draft.subject);
    const alert: Alert = {
      alertId: alertIdOf(rule.id, dedupKey, draft.triggerId),
      ruleId: rule.id,
      kind: rule.kind,
      severity: rule.severity,
      time: draft.time,
      project: draft.project,
      subject: draft.subject,
      dedupKey,
      message: draft.message,
      value: draft.value ?? null,
      threshold: draft.threshold ?? null,
      details: draft.details ?? {},
      eventIds: draft.eventIds,
      vertexIds: draft.vertexIds,
      notify: publicTargets(rule.notify),
    };
    if (rule.dedupWindowMs > 0) {
      const window = rule.dedupWindowMs;
      const inRound = this.dedupedInRound?.get(dedupKey);
      if (inRound !== undefined && Math.abs(alert.time - inRound) < window) {
        this.suppressed.push(alert);
        return 'suppressed';
      }
      const ddKey = this.key('dd', draft.project, draft.subject);
      const prior = this.get(ddKey);
      if (!this.has(ddKey)) return 'pending';
      // Event time, both ways: a late alert close to a later one is suppressed too. A record
      // without a time (never written so) counts as within the window.
      const record = isRecord(prior) ? prior : undefined;
      const priorTime = record ? (typeof record.time === 'number' ? record.time : alert.time) : undefined;
      if (record !== undefined && priorTime !== undefined && record.alertId !== alert.alertId && Math.abs(alert.time - priorTime) < window) {
        this.suppressed.push(alert);
        return 'suppressed';
      }
      // The record keeps the later of the two alerts: the next one in event order compares with it.
      const keep = priorTime !== undefined && priorTime > alert.time;
      (this.dedupedInRound ??= new Map()).set(dedupKey, keep ? priorTime : alert.time);
      if (!keep) this.set(ddKey, { alertId: alert.alertId, time: alert.time }, dedupTtl(window));
    }
    this.alerts.push(alert);
    return 'emitted';
  }

  /**
   * Asks for the dedup state of an alert this round may emit later, so that it is loaded in the
   * same round as the evaluator's other discovered keys (saves a round trip). No-op without dedup.
   */
  prefetchDedup(project: string, subject: string): void {
    if (this.rule.dedupWindowMs > 0) this.get(this.key('dd', project, subject));
  }

  /** True when every read of this round was answered by the snapshot. */
  get complete(): boolean {
    return this.misses === undefined;
  }

  result(): Evaluation<Alert> {
    if (this.misses) return { status: 'needs', reads: [...this.misses.values()] };
    return { status: 'done', mutations: this.mutations, alerts: this.alerts, suppressed: this.suppressed };
  }

  private entry(read: KeyRead): StateEntry | null | undefined {
    // The overlay and snapshots hold an entry or null, never undefined: one get() per lookup.
    if (this.overlay) {
      const own = this.overlay.get(read.key);
      if (own !== undefined) return own;
    }
    if (this.snapshot === undefined) return this.reader!(read);
    const loaded = this.snapshot.get(read.key);
    if (loaded !== undefined) return loaded;
    this.misses ??= new Map();
    if (!this.misses.has(read.key)) this.misses.set(read.key, { ...read }); // read may be a scratch object
    return undefined;
  }
}

// The reads of get() and list(), reused: they are the hot path, and a read object lives only
// for the call it is passed to (StateReader's contract; a miss keeps a copy).
const VALUE_READ: { type: 'value'; key: string } = { type: 'value', key: '' };
const LIST_READ: { type: 'list'; key: string } = { type: 'list', key: '' };

/**
 * How long a dedup record is kept (processing time; clean-up only, the window is compared in event
 * time): the window plus a margin of max(window, 1h), so the record outlives the window even when
 * the monitor's lag behind event time grows by up to that margin between two alerts of a key.
 */
function dedupTtl(windowMs: number): number {
  return windowMs + Math.max(windowMs, 3_600_000);
}

function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
