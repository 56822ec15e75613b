/**
 * dryRun: what a rule set would fire on a list of events (`provstream rules test`), using a
 * fresh MemoryStateStore and nothing else.
 *
 * The clock is event time: `now` is the largest event time seen so far (a watermark), so TTLs,
 * dedup windows and deadlines behave as they would have live, however fast the run goes. Before
 * each event, rules with timers are ticked at the new watermark (a deadline that expired before
 * an event fires before that event is applied); after the last event they are ticked once more
 * at `until` (default: the watermark). Events are processed in the given order.
 */
import type { ProvEvent } from '../../model/types.js';
import type { Alert } from './alerts.js';
import { evaluateEventSync, evaluateTickSync } from './drive.js';
import { hasTimers } from './evaluate.js';
import { MemoryStateStore } from './memory-store.js';
import type { Rule } from './rule-types.js';

export interface DryRunOptions {
  /** Tick timers once more at this time after the last event (e.g. "now" for the CLI). */
  until?: number;
  /** Called after every `progressEvery` events (default 100,000): a long replay says how far it got. */
  onProgress?: (p: { events: number; total: number; alerts: number }) => void;
  progressEvery?: number;
}

export interface DryRunError {
  ruleId: string;
  eventId: string | null;
  message: string;
}

export interface DryRunResult {
  /** Alerts that would be delivered, in firing order. */
  alerts: Alert[];
  /** Alerts withheld by dedup windows. */
  suppressed: Alert[];
  /** Evaluations that failed (a bug, or state exceeding bounds); the run continues. */
  errors: DryRunError[];
  stats: { events: number; evaluations: number; ticks: number; rounds: number; mutations: number; stateKeys: number };
}

export function dryRun(rules: readonly Rule[], events: readonly ProvEvent[], options: DryRunOptions = {}): DryRunResult {
  let now = Number.NEGATIVE_INFINITY;
  const store = new MemoryStateStore(() => now);
  const load = store.loadSync.bind(store);
  const active = rules.filter((r) => r.enabled);
  const timed = active.filter(hasTimers);
  const result: DryRunResult = {
    alerts: [],
    suppressed: [],
    errors: [],
    stats: { events: 0, evaluations: 0, ticks: 0, rounds: 0, mutations: 0, stateKeys: 0 },
  };

  const run = (rule: Rule, eventId: string | null, fn: () => ReturnType<typeof evaluateTickSync>): void => {
    try {
      const out = fn();
      store.applySync(out.mutations);
      result.alerts.push(...out.alerts);
      result.suppressed.push(...out.suppressed);
      result.stats.rounds += out.rounds;
      result.stats.mutations += out.mutations.length;
    } catch (err) {
      result.errors.push({ ruleId: rule.id, eventId, message: err instanceof Error ? err.message : String(err) });
    }
  };
  const tick = (): void => {
    for (const rule of timed) {
      result.stats.ticks++;
      run(rule, null, () => evaluateTickSync(load, rule, now));
    }
  };

  const every = options.progressEvery ?? 100_000;
  for (const event of events) {
    result.stats.events++;
    if (event.time > now) {
      now = event.time;
      tick();
    }
    for (const rule of active) {
      result.stats.evaluations++;
      run(rule, event.eventId, () => evaluateEventSync(load, rule, event, now));
    }
    if (options.onProgress && result.stats.events % every === 0) options.onProgress({ events: result.stats.events, total: events.length, alerts: result.alerts.length });
  }
  const end = Math.max(options.until ?? now, now);
  if (Number.isFinite(end)) {
    now = end;
    tick();
  }
  result.stats.stateKeys = store.keys().length;
  return result;
}
