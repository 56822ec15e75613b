/**
 * The pure core of the monitor (SPEC §4, continuous monitoring queries): rule files, rule
 * evaluation as (state snapshot, event) -> (mutations, alerts), the state contract a store must
 * honour, an in-memory store and dry runs. No I/O; adapters (Redis, Kafka, sinks) depend on
 * this module, never the reverse. See README.md for the state layout.
 */
export { parseRules, ruleFormatOf, validateRules, formatIssue, type Result, type RuleFormat, type RuleIssue } from './rules.js';
export * from './rule-types.js';
export { parseDuration, formatDuration } from './duration.js';
export { matchGlob } from './glob.js';
export { entityMatches, activityMatches } from './observe.js';
export type { Alert, AlertTarget } from './alerts.js';
export { alertIdOf, dedupKeyOf, alertTargetFrom, alertTargetsFrom, alertTargetText, publicTargets, redactWebhookUrl } from './alerts.js';
export {
  ruleKey,
  clearKeyMemo,
  escapeKeyPart,
  mergeSnapshots,
  type Evaluation,
  type Json,
  type KeyRead,
  type Mutation,
  type Snapshot,
  type StateEntry,
  type StateReader,
  type StateStore,
  type ZMember,
} from './state.js';
export { keysFor, evaluate, evaluateThrough, tickKeysFor, evaluateTick, evaluateTickThrough, hasTimers, type ReadThroughResult } from './evaluate.js';
export { TICK_BATCH } from './eval-absence.js';
export { taintLineageKey, taintLineageRequest, type DownstreamLineage, type ExternalLineage, type TaintLineageRequest } from './eval-taint.js';
export {
  MAX_ROUNDS,
  RoundsExceededError,
  evaluateEventAsync,
  evaluateTickAsync,
  evaluateEventSync,
  evaluateTickSync,
  type Outcome,
} from './drive.js';
export { MemoryStateStore, StateTypeError } from './memory-store.js';
export { dryRun, type DryRunOptions, type DryRunResult, type DryRunError } from './dry-run.js';
