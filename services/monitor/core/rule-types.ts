/**
 * Continuous monitoring rules (SPEC §4, CMQ) as validated, normalised data.
 *
 * A rule file is YAML or JSON (see rules.ts for the file syntax and README.md for examples);
 * parseRules() turns it into these types with every default filled in, so evaluation never has
 * to guess. All durations are milliseconds; all globs use glob.ts syntax.
 */
import type { ActivityStatus, EdgeType } from '../../model/types.js';
import { matchGlob } from './glob.js';

export const RULE_KINDS = ['threshold', 'regression', 'zscore', 'rate', 'absence', 'taint'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const COMPARISON_OPS = ['<', '<=', '>', '>=', '==', '!='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const NOTIFY_TYPES = ['webhook', 'kafka', 'clickhouse', 'feed'] as const;
export type NotifyTarget =
  | { type: 'webhook'; url: string }
  | { type: 'kafka' }
  | { type: 'clickhouse' }
  | { type: 'feed' };

export type ScalarValue = number | string | boolean;

/**
 * Which vertices a rule watches; null = unconstrained. `artifact`/`entityType` make the rule watch
 * entity versions (grouped by artifact), `activity` makes it watch activities (grouped by job
 * name); the two never combine. `subject` filters the raw vertex id and combines with either.
 */
export interface SubjectSelector {
  artifact: string | null;
  entityType: string | null;
  activity: string | null;
  subject: string | null;
}

export interface RuleBase {
  /** Unique in a rule set; [A-Za-z0-9._-], at most 64 characters (it is part of state keys). */
  id: string;
  description: string | null;
  severity: Severity;
  /** Disabled rules are parsed and validated but never evaluated. */
  enabled: boolean;
  /** An alert with the same dedupKey within this window is suppressed; 0 = never suppress. */
  dedupWindowMs: number;
  notify: NotifyTarget[];
  /** Project globs the rule applies to; null = every project. */
  projects: string[] | null;
  /** Lifetime of the rule's long-lived state (versions, windows, taint marks, adjacency). */
  stateTtlMs: number;
}

/** Where an observed value comes from: a metric point or a property, by key. */
export interface ValueSource {
  source: 'metric' | 'property';
  key: string;
  /**
   * Which values of a run are evaluated (rules with match.activity only): `every` value as it
   * arrives (every training step), or the run's latest value when it `end`s (its activity event
   * with status COMPLETED, FAILED or ABORTED); values arriving after the end are evaluated as
   * they come.
   */
  at: 'every' | 'end';
}

interface ObservationRuleBase extends RuleBase {
  match: SubjectSelector;
  /**
   * How long an observation whose subject is not resolved yet (metric before its entity, or on
   * an activity whose outputs are not known yet) waits in state for the missing fact.
   */
  pendingTtlMs: number;
}

/** Where an observation rule's values come from (its kind's parameters). */
export function valueSourceOf(rule: ObservationRule): ValueSource {
  return rule.kind === 'threshold' ? rule.threshold : rule.kind === 'regression' ? rule.regression : rule.zscore;
}

/** Alert when `value op threshold.value`, e.g. accuracy < 0.8 for artifacts models/*. */
export interface ThresholdRule extends ObservationRuleBase {
  kind: 'threshold';
  threshold: ValueSource & { op: ComparisonOp; value: ScalarValue };
}

/** Alert when a value got worse by at least minDrop against the previous version / run. */
export interface RegressionRule extends ObservationRuleBase {
  kind: 'regression';
  regression: ValueSource & {
    /** absolute: previous - current >= minDrop; relative: (previous - current) / |previous| >= minDrop. */
    minDrop: number;
    mode: 'absolute' | 'relative';
    direction: 'higher-is-better' | 'lower-is-better';
  };
}

/** Alert when |z| >= threshold against the last `window` values of the same group. */
export interface ZScoreRule extends ObservationRuleBase {
  kind: 'zscore';
  zscore: ValueSource & {
    window: number;
    minSamples: number;
    threshold: number;
    direction: 'both' | 'above' | 'below';
    /** Floor for the standard deviation; 0 = a constant window never alerts. */
    minStd: number;
  };
}

/** Alert when more than `max` distinct matching vertices were seen within `windowMs`. */
export interface RateRule extends RuleBase {
  kind: 'rate';
  match: SubjectSelector;
  rate: {
    event: 'activity' | 'entity';
    /** Activity statuses that count (null = any); an activity counts once. */
    status: ActivityStatus[] | null;
    windowMs: number;
    bucketMs: number;
    max: number;
    /** Count per job name / artifact (true) or across all matching vertices (false). */
    perGroup: boolean;
  };
}

/** Alert when something expected did not happen in time (evaluated on ticks). */
export interface AbsenceRule extends RuleBase {
  kind: 'absence';
  match: SubjectSelector;
  absence:
    | { mode: 'unfinished'; withinMs: number } // started (RUNNING) and no terminal status in time
    | { mode: 'no-run'; withinMs: number }; // no activity of the job for withinMs
}

export interface PropertyPredicate {
  key: string;
  op: ComparisonOp;
  value: ScalarValue;
}

/** Alert on every entity derived, transitively, from a vertex whose property matches `when`. */
export interface TaintRule extends RuleBase {
  kind: 'taint';
  taint: {
    when: PropertyPredicate;
    /** Lineage edges taint flows along (from the `to` side to the `from` side). */
    via: EdgeType[];
    /** Longest path (in edges) from the flagged vertex that is still tainted. */
    maxDepth: number;
    /** Children remembered per vertex for propagating a late flag. */
    maxChildren: number;
    /** Vertices one event may visit while propagating; beyond it propagation stops. */
    maxVisit: number;
    /**
     * Lifetime of the mark of a flagged vertex (the few that matched `when`), renewed when it
     * taints a derivation; other marks live stateTtl, renewed the same way.
     */
    flagTtlMs: number;
  };
}

export type ObservationRule = ThresholdRule | RegressionRule | ZScoreRule;
export type Rule = ThresholdRule | RegressionRule | ZScoreRule | RateRule | AbsenceRule | TaintRule;

export const DEFAULTS = {
  dedupWindowMs: 600_000,
  stateTtlMs: 30 * 86_400_000,
  pendingTtlMs: 86_400_000,
  zscoreWindow: 30,
  zscoreMinSamples: 10,
  zscoreThreshold: 3,
  rateBuckets: 10,
  taintVia: ['wasDerivedFrom', 'wasGeneratedBy', 'used'] as EdgeType[],
  taintMaxDepth: 16,
  taintMaxChildren: 1000,
  taintMaxVisit: 5000,
  taintFlagTtlMs: 365 * 86_400_000,
} as const;

/** Limits the validator enforces (they bound state size and evaluation rounds). */
export const LIMITS = {
  idPattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  zscoreWindowMax: 10_000,
  rateBucketsMax: 1_000,
  taintMaxDepth: 50,
  taintMaxChildren: 10_000,
  taintMaxVisit: 100_000,
} as const;

export function isObservationRule(rule: Rule): rule is ObservationRule {
  return rule.kind === 'threshold' || rule.kind === 'regression' || rule.kind === 'zscore';
}

/** True when the rule applies to events of `project` (its `projects` globs, if any). */
export function ruleAppliesToProject(rule: Rule, project: string): boolean {
  return rule.projects === null || rule.projects.some((g) => matchGlob(g, project));
}
