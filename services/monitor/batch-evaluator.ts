/**
 * Batch evaluation: the core's load -> evaluate -> (needs -> load more) protocol for a whole
 * Kafka batch at once, so that Redis is asked a few times per batch instead of a few times per
 * (rule, event). Same results as evaluating the events one by one, in order, against the store
 * (batch-evaluator.test.ts checks this against MemoryStateStore and dryRun).
 *
 *   1. load keysFor(rule, event) of every (rule, event) pair of the batch, in one round trip;
 *   2. evaluate the events in order against an Overlay (the loaded keys + the batch's own
 *      mutations so far). A read of a key that was not loaded is answered "absent" and recorded:
 *      that item and the ones after it are now speculative;
 *   3. if anything was missing: load every key recorded in this pass (one round trip), roll the
 *      overlay back to the first item that missed, and evaluate again from there;
 *   4. when a pass misses nothing, every answer came from the store or from the batch's own
 *      earlier writes: the outcome is exact.
 * Each pass loads at least one new key, so this terminates; the number of passes is about the
 * longest chain of dependent reads in the batch (2-3 for observation rules, taint depth + 2).
 *
 * Pure apart from `load`, and it applies nothing: the caller commits `mutations` (in order,
 * atomically) and delivers the alerts. Rule evaluation errors (a rule exceeding MAX_ROUNDS,
 * state of an unexpected shape) skip that (rule, event) and are reported, never thrown.
 */
import type { ProvEvent } from '../model/types.js';
import { evaluateEventSync, evaluateTickSync, keysFor, tickKeysFor } from './core/index.js';
import type { Alert, KeyRead, Mutation, Outcome, Rule, Snapshot } from './core/index.js';
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
  /** (rule, event) pairs evaluated in the final pass. */
  evaluations: number;
  passes: number;
  /** Round trips to the store. */
  loads: number;
  keysLoaded: number;
}

export type Loader = (reads: readonly KeyRead[]) => Promise<Snapshot>;

interface Planned {
  event: ProvEvent | null;
  rules: readonly Rule[];
}

type ItemResult = Array<{ rule: Rule; outcome: Outcome } | { rule: Rule; error: string }>;

export async function evaluateBatch(items: readonly WorkItem[], now: number, load: Loader): Promise<BatchOutcome> {
  if (items.length > 1 && items.some((i) => i.event === null)) throw new Error('evaluateBatch: a tick must be evaluated alone');
  const overlay = new Overlay();
  const stats: BatchStats = { evaluations: 0, passes: 0, loads: 0, keysLoaded: 0 };
  const loadInto = async (reads: KeyRead[]): Promise<void> => {
    overlay.addBase(await load(reads));
    stats.loads++;
    stats.keysLoaded += reads.length;
  };

  // 1. The keys knowable from the events alone. An empty keysFor does NOT make a pair
  // irrelevant: a raw-mode threshold without dedup reads nothing and still alerts.
  const first = new Map<string, KeyRead>();
  const plan: Planned[] = items.map((item) => {
    for (const rule of item.rules) {
      for (const r of item.event ? keysFor(rule, item.event) : tickKeysFor(rule, now)) if (!first.has(r.key)) first.set(r.key, r);
    }
    return { event: item.event, rules: item.rules };
  });
  if (first.size > 0) await loadInto([...first.values()]);

  const results: ItemResult[] = [];
  const checkpoints: number[] = [];
  let resume = 0;
  for (;;) {
    stats.passes++;
    const misses = new Map<string, KeyRead>();
    let missed = false;
    const read = (reads: readonly KeyRead[]): Snapshot =>
      overlay.read(reads, (r) => {
        missed = true;
        if (!misses.has(r.key)) misses.set(r.key, r);
      });
    let firstMiss = -1;
    for (let i = resume; i < plan.length; i++) {
      const { event, rules } = plan[i]!;
      checkpoints[i] = overlay.checkpoint();
      missed = false;
      const result: ItemResult = [];
      for (const rule of rules) {
        try {
          const outcome = event ? evaluateEventSync(read, rule, event, now) : evaluateTickSync(read, rule, now);
          overlay.apply(outcome.mutations);
          result.push({ rule, outcome });
        } catch (err) {
          result.push({ rule, error: errorMessage(err) });
        }
      }
      results[i] = result;
      if (missed && firstMiss < 0) firstMiss = i;
    }
    if (firstMiss < 0) break;
    const fresh = [...misses.values()].filter((r) => !overlay.isLoaded(r.key));
    if (fresh.length === 0) throw new Error('evaluateBatch: a pass missed keys but none is new (evaluation is not deterministic?)');
    await loadInto(fresh);
    overlay.rollback(checkpoints[firstMiss]!);
    resume = firstMiss;
  }

  const out: BatchOutcome = { alerts: [], suppressed: [], mutations: [], errors: [], stats };
  plan.forEach((item, i) => {
    for (const r of results[i]!) {
      stats.evaluations++;
      if ('error' in r) {
        out.errors.push({ ruleId: r.rule.id, eventId: item.event?.eventId ?? null, message: r.error });
        continue;
      }
      out.alerts.push(...r.outcome.alerts);
      out.suppressed.push(...r.outcome.suppressed);
      for (const m of r.outcome.mutations) out.mutations.push(m);
    }
  });
  return out;
}
