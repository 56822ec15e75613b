/**
 * Batch evaluation: the core's load -> evaluate -> (needs -> load more) protocol for a whole
 * Kafka batch at once, so that Redis is asked a few times per batch instead of a few times per
 * (rule, event). Same results as evaluating the events one by one, in order, against the store
 * (batch-evaluator.test.ts checks this against MemoryStateStore and dryRun).
 *
 *   1. load keysFor(rule, event) of every (rule, event) pair of the batch, in one round trip;
 *   2. evaluate the pairs in order against an Overlay (the loaded keys + the batch's own
 *      mutations so far), recording the keys each pair read. A read of a key that was neither
 *      loaded nor written is answered "absent" and marks the pair `missed` (speculative). Pairs
 *      read through the overlay (the core's evaluateThrough): every read is answered at once, so
 *      a pair is evaluated once per pass, not once per round of the snapshot protocol;
 *   3. if any pair missed: load every missed key (one round trip) and make another pass. A pair
 *      is evaluated again only if it missed, or if it read a key that is `dirty`: just loaded,
 *      or written differently in this pass than in the previous one by an earlier pair. Any
 *      other pair read exactly the same values as before, so its outcome (a pure function of
 *      rule, event, now and the values read) is reused and its mutations re-applied;
 *   4. when a pass misses nothing, every answer came from the store or from the batch's own
 *      earlier writes: the outcome is exact.
 * Each pass loads at least one new key, so this terminates; passes are about the longest chain
 * of dependent reads in the batch (2-3 for observation rules, taint depth + 2), and a pass after
 * the first re-evaluates only the pairs that depend on what was missing.
 *
 * `external`: lineage from outside the stream for the batch's taint flags (the graph service's
 * answers, fetched by the caller before the batch: see `flagLineageRequests` and graph-lineage.ts);
 * a constant input of every pass, like the loaded keys.
 *
 * Pure apart from `load`, and it applies nothing: the caller commits `mutations` (in order,
 * atomically) and delivers the alerts. Rule evaluation errors (state of an unexpected shape)
 * skip that (rule, event) and are reported, never thrown.
 */
import type { ProvEvent } from '../model/types.js';
import { clearKeyMemo, evaluateThrough, evaluateTickThrough, keysFor, taintLineageRequest, tickKeysFor } from './core/index.js';
import type { Alert, ExternalLineage, Json, KeyRead, Mutation, ReadThroughResult, Rule, Snapshot, StateReader, TaintLineageRequest } from './core/index.js';
import { Overlay } from './overlay.js';
import { errorMessage } from '../lib/errors.js';

export interface WorkItem {
  /** The event to evaluate, or null for a tick of `rules` (a tick item must be the only item). */
  event: ProvEvent | null;
  /** Candidate rules, in rule-set order (RuleIndex.candidates, or every timed rule for ticks). */
  rules: readonly Rule[];
}

export interface EvaluationError {
  ruleId: string;
  eventId: string | null;
  message: string;
}

export interface BatchOutcome {
  /** Alerts to deliver, in (event, rule) order. */
  alerts: Alert[];
  /** Alerts withheld by dedup windows (counted, never delivered). */
  suppressed: Alert[];
  /** Every mutation of the batch, in order; apply them in one transaction. */
  mutations: Mutation[];
  errors: EvaluationError[];
  stats: BatchStats;
}

export interface BatchStats {
  /** (rule, event) pairs of the batch (candidates from the rule index). */
  evaluations: number;
  /** Pairs evaluated again in later passes (they depended on keys loaded late). */
  reevaluations: number;
  passes: number;
  /** Round trips to the store. */
  loads: number;
  keysLoaded: number;
}

export type Loader = (reads: readonly KeyRead[]) => Promise<Snapshot>;

interface Pair {
  rule: Rule;
  outcome?: ReadThroughResult;
  error?: string;
  /** Keys the evaluation read: reads[from .. to) (the pass's array, shared by its pairs). */
  reads: string[];
  from: number;
  to: number;
  /** It read a key that was neither loaded nor written earlier in the pass (speculative). */
  missed: boolean;
}

/**
 * The lineage requests of the items' taint flags (events that make a vertex match a taint rule's
 * `when`), each once. Costs one type check per event that is not a property event.
 */
export function flagLineageRequests(items: readonly WorkItem[]): TaintLineageRequest[] {
  let out: Map<string, TaintLineageRequest> | undefined;
  for (const item of items) {
    if (item.event?.payload.type !== 'property') continue;
    for (const rule of item.rules) {
      const r = taintLineageRequest(rule, item.event);
      if (r && !out?.has(r.key)) (out ??= new Map()).set(r.key, r);
    }
  }
  return out ? [...out.values()] : [];
}

export async function evaluateBatch(items: readonly WorkItem[], now: number, load: Loader, external?: ExternalLineage): Promise<BatchOutcome> {
  if (items.length > 1 && items.some((i) => i.event === null)) throw new Error('evaluateBatch: a tick must be evaluated alone');
  clearKeyMemo(); // the memo holds the keys of the batch in progress (see ruleKey)
  const loaded = new Overlay();
  const stats: BatchStats = { evaluations: 0, reevaluations: 0, passes: 0, loads: 0, keysLoaded: 0 };
  const loadInto = async (reads: KeyRead[]): Promise<void> => {
    loaded.addBase(await load(reads));
    stats.loads++;
    stats.keysLoaded += reads.length;
  };

  // 1. The keys knowable from the events alone. An empty keysFor does NOT make a pair
  // irrelevant: a raw-mode threshold without dedup reads nothing and still alerts.
  const first = new Map<string, KeyRead>();
  for (const item of items) {
    for (const rule of item.rules) {
      for (const r of item.event ? keysFor(rule, item.event) : tickKeysFor(rule, now)) if (!first.has(r.key)) first.set(r.key, r);
    }
  }
  if (first.size > 0) await loadInto([...first.values()]);

  let pairs: Pair[][] | undefined;
  let fresh: string[] = [];
  for (;;) {
    stats.passes++;
    const pass = new Pass(loaded.fork(), now, external);
    const dirty = new Set<string>(fresh);
    const next: Pair[][] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const before = pairs?.[i];
      const row: Pair[] = [];
      for (let j = 0; j < item.rules.length; j++) {
        const prev = before?.[j];
        if (prev && !prev.missed && !readsAny(prev, dirty)) {
          if (prev.outcome) pass.overlay.apply(prev.outcome.mutations);
          row.push(prev);
          continue;
        }
        if (prev) stats.reevaluations++;
        const pair = pass.evaluate(item.rules[j]!, item.event);
        if (prev) markChanged(prev, pair, dirty);
        if (pair.outcome) pass.overlay.apply(pair.outcome.mutations);
        row.push(pair);
      }
      next.push(row);
    }
    pairs = next;
    if (pass.misses.size === 0) break;
    const toLoad = [...pass.misses.values()].filter((r) => !loaded.isLoaded(r.key));
    if (toLoad.length === 0) throw new Error('evaluateBatch: a pass missed keys but none is new (evaluation is not deterministic?)');
    await loadInto(toLoad);
    fresh = toLoad.map((r) => r.key);
  }

  const out: BatchOutcome = { alerts: [], suppressed: [], mutations: [], errors: [], stats };
  items.forEach((item, i) => {
    for (const p of pairs![i]!) {
      stats.evaluations++;
      if (!p.outcome) {
        out.errors.push({ ruleId: p.rule.id, eventId: item.event?.eventId ?? null, message: p.error ?? 'evaluation failed' });
        continue;
      }
      out.alerts.push(...p.outcome.alerts);
      out.suppressed.push(...p.outcome.suppressed);
      for (const m of p.outcome.mutations) out.mutations.push(m);
    }
  });
  return out;
}

/**
 * One pass: evaluates pairs reading through the overlay (the core's read-through mode): every
 * read is answered at once, so there are no rounds, and the outcome is what the snapshot
 * protocol's last round would give with the same answers. One reader per pass (no closures per
 * pair: this is the hot path).
 */
class Pass {
  readonly misses = new Map<string, KeyRead>();
  private pair: Pair | undefined;
  /** Keys read by the pass's pairs, one after another (one array, not one per pair). */
  private readonly reads: string[] = [];

  constructor(
    readonly overlay: Overlay,
    private readonly now: number,
    private readonly external: ExternalLineage | undefined,
  ) {}

  evaluate(rule: Rule, event: ProvEvent | null): Pair {
    const pair: Pair = { rule, reads: this.reads, from: this.reads.length, to: 0, missed: false };
    this.pair = pair;
    try {
      pair.outcome = event ? evaluateThrough(rule, event, this.read, this.now, this.external) : evaluateTickThrough(rule, this.read, this.now);
    } catch (err) {
      pair.error = errorMessage(err);
    }
    pair.to = this.reads.length;
    this.pair = undefined;
    return pair;
  }

  private readonly read: StateReader = (r) => {
    this.reads.push(r.key);
    return this.overlay.read(r, this.onMiss);
  };

  private readonly onMiss = (r: KeyRead): void => {
    this.pair!.missed = true;
    if (!this.misses.has(r.key)) this.misses.set(r.key, { ...r }); // r is only lent (StateReader)
  };
}

function readsAny(pair: Pair, set: ReadonlySet<string>): boolean {
  if (set.size === 0) return false;
  for (let i = pair.from; i < pair.to; i++) if (set.has(pair.reads[i]!)) return true;
  return false;
}

/** Marks the keys whose values later pairs see differently, when a pair's mutations changed. */
function markChanged(prev: Pair, now: Pair, dirty: Set<string>): void {
  const before = prev.outcome?.mutations ?? [];
  const after = now.outcome?.mutations ?? [];
  if (before.length === after.length && before.every((m, i) => sameMutation(m, after[i]!))) return;
  for (const m of before) dirty.add(m.key);
  for (const m of after) dirty.add(m.key);
}

function sameMutation(a: Mutation, b: Mutation): boolean {
  if (a.op !== b.op || a.key !== b.key) return false;
  switch (a.op) {
    case 'delete':
      return true;
    case 'zrem':
      return a.member === (b as typeof a).member;
    case 'zadd':
      return a.member === (b as typeof a).member && a.score === (b as typeof a).score && a.ttlMs === (b as typeof a).ttlMs;
    case 'set':
    case 'push':
      return a.ttlMs === (b as typeof a).ttlMs && (a.op !== 'push' || a.maxLength === (b as typeof a).maxLength) && sameJson(a.value, (b as typeof a).value);
  }
}

/**
 * Equal values, object keys in the same order: then their JSON texts are equal too, so later
 * pairs read the same. Walks the values instead of comparing JSON.stringify texts (this runs for
 * every mutation of every re-evaluated pair). Where it says "different" for equal texts (NaN),
 * keys are only marked dirty needlessly: more re-evaluation, never a wrong outcome.
 */
function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i]!, b[i]!)) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i] || !sameJson(a[k]!, b[k]!)) return false;
  }
  return true;
}
