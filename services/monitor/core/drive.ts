/**
 * The load -> evaluate -> (needs -> load more -> evaluate again) loop, shared by every caller:
 * the stream processor (async, Redis), dry runs and tests (sync, MemoryStateStore).
 *
 * It returns the final mutations and alerts but applies nothing: the caller delivers alerts
 * first and then applies mutations (see state.ts for why that order). Each round loads only the
 * keys not loaded yet; the snapshot only grows, so evaluation converges. MAX_ROUNDS bounds it
 * (a taint walk needs at most maxDepth + 2 rounds; validation caps maxDepth at 50).
 */
import type { ProvEvent } from '../../model/types.js';
import type { Alert } from './alerts.js';
import { evaluate, evaluateTick, keysFor, tickKeysFor } from './evaluate.js';
import type { ExternalLineage } from './eval-taint.js';
import type { Rule } from './rule-types.js';
import { mergeSnapshots, type Evaluation, type KeyRead, type Mutation, type Snapshot } from './state.js';

export const MAX_ROUNDS = 64;

export interface Outcome {
  mutations: Mutation[];
  alerts: Alert[];
  suppressed: Alert[];
  /** Evaluation rounds used (1 when keysFor covered everything). */
  rounds: number;
}

export class RoundsExceededError extends Error {
  readonly retriable = false;
  constructor(
    readonly ruleId: string,
    readonly eventId: string | null,
    rounds: number,
  ) {
    super(`rule ${ruleId}: evaluation${eventId ? ` of event ${eventId}` : ' of a tick'} still needed more state after ${rounds} rounds`);
    this.name = 'RoundsExceededError';
  }
}

type Step = (snapshot: Snapshot) => Evaluation<Alert>;

export async function evaluateEventAsync(load: (reads: readonly KeyRead[]) => Promise<Snapshot>, rule: Rule, event: ProvEvent, now: number, external?: ExternalLineage): Promise<Outcome> {
  return driveAsync(keysFor(rule, event), (s) => evaluate(rule, event, s, now, external), load, rule.id, event.eventId);
}

export async function evaluateTickAsync(load: (reads: readonly KeyRead[]) => Promise<Snapshot>, rule: Rule, now: number): Promise<Outcome> {
  return driveAsync(tickKeysFor(rule, now), (s) => evaluateTick(rule, s, now), load, rule.id, null);
}

export function evaluateEventSync(load: (reads: readonly KeyRead[]) => Snapshot, rule: Rule, event: ProvEvent, now: number, external?: ExternalLineage): Outcome {
  return driveSync(keysFor(rule, event), (s) => evaluate(rule, event, s, now, external), load, rule.id, event.eventId);
}

export function evaluateTickSync(load: (reads: readonly KeyRead[]) => Snapshot, rule: Rule, now: number): Outcome {
  return driveSync(tickKeysFor(rule, now), (s) => evaluateTick(rule, s, now), load, rule.id, null);
}

async function driveAsync(first: KeyRead[], step: Step, load: (reads: readonly KeyRead[]) => Promise<Snapshot>, ruleId: string, eventId: string | null): Promise<Outcome> {
  let snapshot: Snapshot = first.length > 0 ? await load(dedupe(first)) : new Map();
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const r = step(snapshot);
    if (r.status === 'done') return { mutations: r.mutations, alerts: r.alerts, suppressed: r.suppressed, rounds: round };
    snapshot = mergeSnapshots(snapshot, await load(unseen(r.reads, snapshot)));
  }
  throw new RoundsExceededError(ruleId, eventId, MAX_ROUNDS);
}

function driveSync(first: KeyRead[], step: Step, load: (reads: readonly KeyRead[]) => Snapshot, ruleId: string, eventId: string | null): Outcome {
  let snapshot: Snapshot = first.length > 0 ? load(dedupe(first)) : new Map();
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const r = step(snapshot);
    if (r.status === 'done') return { mutations: r.mutations, alerts: r.alerts, suppressed: r.suppressed, rounds: round };
    snapshot = mergeSnapshots(snapshot, load(unseen(r.reads, snapshot)));
  }
  throw new RoundsExceededError(ruleId, eventId, MAX_ROUNDS);
}

function dedupe(reads: readonly KeyRead[]): KeyRead[] {
  const seen = new Map<string, KeyRead>();
  for (const r of reads) if (!seen.has(r.key)) seen.set(r.key, r);
  return [...seen.values()];
}

function unseen(reads: readonly KeyRead[], snapshot: Snapshot): KeyRead[] {
  return dedupe(reads).filter((r) => !snapshot.has(r.key));
}
