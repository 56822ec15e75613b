/**
 * Validation of the kind-specific part of a rule: the object named after the kind
 * (`threshold: {...}`, `regression: {...}`, ...) and how `match` may be used with it.
 * Records problems in the shared Issues and returns undefined when the part is unusable.
 */
import { ACTIVITY_STATUSES, LINEAGE_EDGE_TYPES, type ActivityStatus, type EdgeType } from '../../model/types.js';
import {
  COMPARISON_OPS,
  DEFAULTS,
  LIMITS,
  type ComparisonOp,
  type PropertyPredicate,
  type Rule,
  type RuleKind,
  type ScalarValue,
  type SubjectSelector,
  type ValueSource,
} from './rule-types.js';
import { describe, Fields, isRecord, pointer } from './validation.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The part of a rule that depends on its kind (everything but the common RuleBase fields). */
export type KindParams = DistributiveOmit<Rule, 'id' | 'description' | 'severity' | 'enabled' | 'dedupWindowMs' | 'notify' | 'projects' | 'stateTtlMs'>;

const ANY: SubjectSelector = { artifact: null, entityType: null, activity: null, subject: null };
const OP_ALIASES: Record<string, ComparisonOp> = { '=': '==' };
const ORDERING_OPS: readonly ComparisonOp[] = ['<', '<=', '>', '>='];

export function validateKindParams(kind: RuleKind, f: Fields, match: SubjectSelector | undefined): KindParams | undefined {
  const p = f.object(kind, { required: true });
  let out: KindParams | undefined;
  switch (kind) {
    case 'threshold':
    case 'regression':
    case 'zscore':
      out = observation(kind, f, p, match);
      break;
    case 'rate':
      out = rate(f, p, match);
      break;
    case 'absence':
      out = absence(f, p, match);
      break;
    case 'taint':
      out = taint(f, p, match);
      break;
  }
  p?.finish();
  return out;
}

function observation(kind: 'threshold' | 'regression' | 'zscore', f: Fields, p: Fields | undefined, match: SubjectSelector | undefined): KindParams | undefined {
  const sel = match ?? ANY;
  const entityMode = sel.artifact !== null || sel.entityType !== null;
  if (entityMode && sel.activity !== null) {
    f.issues.add(pointer(f.at('match'), 'activity'), 'cannot be combined with match.artifact or match.entityType: a rule watches either entity versions or activities');
  }
  if (kind === 'regression' && !entityMode && sel.activity === null) {
    f.issues.add(f.at('match'), 'a regression rule needs match.artifact (versions of an artifact) or match.activity (runs of a job) to know what "previous" means');
  }
  const pendingTtlMs = f.duration('pendingTtl', { min: 1000 }) ?? DEFAULTS.pendingTtlMs;
  if (!p) return undefined;
  const source = valueSource(p);
  if (source?.at === 'end' && sel.activity === null) {
    p.issues.add(p.at('at'), 'end needs match.activity: it waits for the end of the run a value is logged on (a rule on artifacts or raw vertices has no run to wait for)');
  }
  if (kind === 'threshold') {
    const op = p.oneOf('op', COMPARISON_OPS, { required: true, aliases: OP_ALIASES });
    const value = scalar(p, 'value', op, source?.source === 'metric');
    if (!source || !op || value === undefined) return undefined;
    return { kind, match: sel, pendingTtlMs, threshold: { ...source, op, value } };
  }
  if (kind === 'regression') {
    const minDrop = p.number('minDrop', { required: true, min: 0 });
    const mode = p.oneOf('mode', ['absolute', 'relative'] as const) ?? 'absolute';
    const direction = p.oneOf('direction', ['higher-is-better', 'lower-is-better'] as const) ?? 'higher-is-better';
    if (!source || minDrop === undefined) return undefined;
    return { kind, match: sel, pendingTtlMs, regression: { ...source, minDrop, mode, direction } };
  }
  const window = p.number('window', { integer: true, min: 2, max: LIMITS.zscoreWindowMax }) ?? DEFAULTS.zscoreWindow;
  const minSamples = p.number('minSamples', { integer: true, min: 2, max: window }) ?? Math.min(DEFAULTS.zscoreMinSamples, window);
  const threshold = p.number('threshold', { min: 0, exclusiveMin: true }) ?? DEFAULTS.zscoreThreshold;
  const direction = p.oneOf('direction', ['both', 'above', 'below'] as const) ?? 'both';
  const minStd = p.number('minStd', { min: 0 }) ?? 0;
  if (!source) return undefined;
  return { kind, match: sel, pendingTtlMs, zscore: { ...source, window, minSamples, threshold, direction, minStd } };
}

/** Exactly one of `metric: key` or `property: key`. */
function valueSource(p: Fields): ValueSource | undefined {
  const metric = p.string('metric');
  const property = p.string('property');
  if (metric !== undefined && property !== undefined) {
    p.issues.add(p.at('property'), 'give either metric or property, not both');
    return undefined;
  }
  const at = p.oneOf('at', ['every', 'end'] as const) ?? 'every';
  if (metric !== undefined) return { source: 'metric', key: metric, at };
  if (property !== undefined) return { source: 'property', key: property, at };
  if (!p.has('metric') && !p.has('property')) p.issues.add(p.at('metric'), 'is required (or give property)');
  return undefined;
}

/** A comparison operand: numbers for ordering operators and metrics, else number/string/bool. */
function scalar(p: Fields, key: string, op: ComparisonOp | undefined, numeric: boolean): ScalarValue | undefined {
  const v = p.raw(key, { required: true });
  if (v === undefined) return undefined;
  const needsNumber = numeric || (op !== undefined && ORDERING_OPS.includes(op));
  if (needsNumber && (typeof v !== 'number' || !Number.isFinite(v))) {
    p.issues.add(p.at(key), `must be a number${numeric ? ' (metrics are numeric)' : ` for operator ${op}`}, got ${describe(v)}`);
    return undefined;
  }
  if (typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') {
    p.issues.add(p.at(key), `must be a number, string or boolean, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

function rate(f: Fields, p: Fields | undefined, match: SubjectSelector | undefined): KindParams | undefined {
  const sel = match ?? ANY;
  if (!p) return undefined;
  const event = p.oneOf('event', ['activity', 'entity'] as const) ?? 'activity';
  let status: ActivityStatus[] | null = null;
  const rawStatus = p.list('status', { single: true, nonEmpty: true });
  if (rawStatus && event === 'entity') p.issues.add(p.at('status'), 'only applies when event is activity');
  if (rawStatus) {
    status = [];
    rawStatus.forEach((s, i) => {
      if (typeof s === 'string' && (ACTIVITY_STATUSES as readonly string[]).includes(s)) status!.push(s as ActivityStatus);
      else p.issues.add(pointer(p.at('status'), i), `must be one of ${ACTIVITY_STATUSES.join(', ')}, got ${describe(s)}`);
    });
  }
  if (event === 'activity' && (sel.artifact !== null || sel.entityType !== null)) {
    f.issues.add(f.at('match'), 'match.artifact / match.entityType select entities; this rate rule counts activities (use match.activity or rate.event: entity)');
  }
  if (event === 'entity' && sel.activity !== null) {
    f.issues.add(pointer(f.at('match'), 'activity'), 'selects activities; this rate rule counts entities (use match.artifact)');
  }
  const windowMs = p.duration('window', { required: true, min: 1 });
  const max = p.number('max', { required: true, integer: true, min: 0 });
  const perGroup = p.boolean('perGroup') ?? true;
  let bucketMs = p.duration('bucket', { min: 1 });
  if (windowMs !== undefined) {
    bucketMs ??= Math.max(1, Math.ceil(windowMs / DEFAULTS.rateBuckets));
    if (windowMs / bucketMs > LIMITS.rateBucketsMax) {
      p.issues.add(p.at('bucket'), `gives ${Math.ceil(windowMs / bucketMs)} buckets per window; at most ${LIMITS.rateBucketsMax} (use a larger bucket)`);
    } else if (bucketMs > windowMs) {
      p.issues.add(p.at('bucket'), 'must not be longer than the window');
    }
  }
  if (windowMs === undefined || bucketMs === undefined || max === undefined) return undefined;
  return { kind: 'rate', match: sel, rate: { event, status, windowMs, bucketMs, max, perGroup } };
}

function absence(f: Fields, p: Fields | undefined, match: SubjectSelector | undefined): KindParams | undefined {
  const sel = match ?? ANY;
  if (sel.artifact !== null || sel.entityType !== null) {
    f.issues.add(f.at('match'), 'an absence rule watches activities: use match.activity (job name glob), not artifact/entityType');
  }
  if (!p) return undefined;
  const mode = p.oneOf('mode', ['unfinished', 'no-run'] as const, { required: true });
  const withinMs = p.duration('within', { required: true, min: 1 });
  if (!mode || withinMs === undefined) return undefined;
  return { kind: 'absence', match: sel, absence: { mode, withinMs } };
}

function taint(f: Fields, p: Fields | undefined, match: SubjectSelector | undefined): KindParams | undefined {
  if (match) {
    f.issues.add(f.at('match'), 'not supported by taint rules: they alert on every entity derived from a flagged vertex (the predicate goes in taint.when)');
  }
  if (!p) return undefined;
  const when = predicate(p);
  let via: EdgeType[] = [...DEFAULTS.taintVia];
  const rawVia = p.list('via', { single: true, nonEmpty: true });
  if (rawVia) {
    via = [];
    rawVia.forEach((e, i) => {
      if (typeof e === 'string' && (LINEAGE_EDGE_TYPES as readonly string[]).includes(e)) via.push(e as EdgeType);
      else p.issues.add(pointer(p.at('via'), i), `must be one of ${LINEAGE_EDGE_TYPES.join(', ')}, got ${describe(e)}`);
    });
  }
  const maxDepth = p.number('maxDepth', { integer: true, min: 1, max: LIMITS.taintMaxDepth }) ?? DEFAULTS.taintMaxDepth;
  const maxChildren = p.number('maxChildren', { integer: true, min: 1, max: LIMITS.taintMaxChildren }) ?? DEFAULTS.taintMaxChildren;
  const maxVisit = p.number('maxVisit', { integer: true, min: 1, max: LIMITS.taintMaxVisit }) ?? DEFAULTS.taintMaxVisit;
  const flagTtlMs = p.duration('flagTtl', { min: 1000 }) ?? DEFAULTS.taintFlagTtlMs;
  if (!when) return undefined;
  return { kind: 'taint', taint: { when, via, maxDepth, maxChildren, maxVisit, flagTtlMs } };
}

const COMPACT = /^\s*([^\s=!<>]+)\s*(==|!=|<=|>=|=|<|>)\s*(.+?)\s*$/;

/** `when: {key: pii, op: "==", value: true}` or the compact string `when: pii = true`. */
function predicate(p: Fields): PropertyPredicate | undefined {
  const raw = p.raw('when', { required: true });
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') {
    const m = COMPACT.exec(raw);
    const op = m ? (OP_ALIASES[m[2]!] ?? (m[2] as ComparisonOp)) : undefined;
    const value = m ? literal(m[3]!) : undefined;
    if (!m || !op || value === undefined || (ORDERING_OPS.includes(op) && typeof value !== 'number')) {
      p.issues.add(p.at('when'), `must look like 'pii = true', 'quality == "bad"' or 'score < 0.5' (key, one of ${COMPARISON_OPS.join(', ')}, literal), got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return { key: m[1]!, op, value };
  }
  if (!isRecord(raw)) {
    p.issues.add(p.at('when'), `must be an object {key, op, value} or a string like 'pii = true', got ${describe(raw)}`);
    return undefined;
  }
  const w = new Fields(raw, p.at('when'), p.issues);
  const key = w.string('key', { required: true });
  const op = w.oneOf('op', COMPARISON_OPS, { aliases: OP_ALIASES }) ?? '==';
  const value = scalar(w, 'value', op, false);
  w.finish();
  return key !== undefined && value !== undefined ? { key, op, value } : undefined;
}

/** Literal of the compact predicate form: number, true/false, "quoted" or a bare word. */
function literal(text: string): ScalarValue | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  const quoted = /^"((?:[^"\\]|\\.)*)"$|^'([^']*)'$/.exec(text);
  if (quoted) return quoted[1] !== undefined ? quoted[1].replace(/\\(.)/g, '$1') : quoted[2];
  return /^[^\s"']+$/.test(text) ? text : undefined;
}
