/**
 * RuleIndex: which rules an event can concern, found without looking at every rule. With 100
 * rules, most events matter to a few; the index answers by project (rules' `projects` globs),
 * payload type and key (metric key, property key, relation type) and, for entity and activity
 * events, the rule's selector; evaluation then decides exactly.
 *
 * Contract: candidates(event) holds every enabled rule for which evaluating the event can read
 * state, write state or alert (batch-evaluator.test.ts checks that a rule left out evaluates to
 * nothing), in rule-set order, so evaluation order matches a dry run's (rules in file order per
 * event).
 */
import type { EdgeType, ProvEvent } from '../model/types.js';
import { activityMatches, entityMatches, ruleAppliesToProject, valueSourceOf } from './core/index.js';
import type { Rule, SubjectSelector } from './core/index.js';

export class RuleIndex {
  /** Per project: the rules that apply to it (projects globs), indexed by payload. */
  private readonly byProject = new Map<string, PayloadIndex>();
  private readonly everywhere: PayloadIndex | undefined;

  constructor(readonly rules: readonly Rule[]) {
    const enabled = rules.filter((r) => r.enabled);
    // Without project-scoped rules one index serves every project.
    if (enabled.every((r) => r.projects === null)) this.everywhere = new PayloadIndex(enabled);
  }

  /** Rules the event may concern (a superset: evaluation decides). */
  candidates(event: ProvEvent): readonly Rule[] {
    return (this.everywhere ?? this.forProject(event.project)).candidates(event);
  }

  private forProject(project: string): PayloadIndex {
    let index = this.byProject.get(project);
    if (!index) {
      if (this.byProject.size >= MAX_PROJECTS) this.byProject.clear();
      index = new PayloadIndex(this.rules.filter((r) => r.enabled && ruleAppliesToProject(r, project)));
      this.byProject.set(project, index);
    }
    return index;
  }
}

/** Project indexes kept at most (a cache: rebuilt on demand). */
const MAX_PROJECTS = 10_000;

class PayloadIndex {
  private readonly entity: Rule[] = [];
  private readonly activity: Rule[] = [];
  private readonly metricKey = new Map<string, Rule[]>();
  private readonly propertyKey = new Map<string, Rule[]>();
  private readonly relation = new Map<EdgeType, Rule[]>();

  constructor(rules: readonly Rule[]) {
    for (const rule of rules) {
      for (const slot of slotsOf(rule)) {
        if (slot.type === 'entity') this.entity.push(rule);
        else if (slot.type === 'activity') this.activity.push(rule);
        else if (slot.type === 'metric') add(this.metricKey, slot.key, rule);
        else if (slot.type === 'property') add(this.propertyKey, slot.key, rule);
        else add(this.relation, slot.key, rule);
      }
    }
  }

  candidates(event: ProvEvent): readonly Rule[] {
    const p = event.payload;
    switch (p.type) {
      // Entity and activity events only matter to rules whose selector matches them (resolution,
      // rate counting and absence all start with that test), so filter here: a glob test is far
      // cheaper than an evaluation.
      case 'entity':
        return this.entity.filter((r) => entityMatches(selectorOf(r), p));
      case 'activity':
        return this.activity.filter((r) => activityMatches(selectorOf(r), p));
      case 'metric':
        return this.metricKey.get(p.key) ?? NONE;
      case 'property':
        return this.propertyKey.get(p.key) ?? NONE;
      case 'relation':
        return this.relation.get(p.relation) ?? NONE;
      case 'agent':
        return NONE;
    }
  }
}

const NONE: readonly Rule[] = [];
const ANY: SubjectSelector = { artifact: null, entityType: null, activity: null, subject: null };

function selectorOf(rule: Rule): SubjectSelector {
  return 'match' in rule ? rule.match : ANY;
}

type Slot = { type: 'entity' } | { type: 'activity' } | { type: 'metric' | 'property'; key: string } | { type: 'relation'; key: EdgeType };

/** The payloads a rule's evaluator looks at (mirrors keysFor in core/evaluate.ts). */
function slotsOf(rule: Rule): Slot[] {
  switch (rule.kind) {
    case 'threshold':
    case 'regression':
    case 'zscore': {
      const src = valueSourceOf(rule);
      const slots: Slot[] = [{ type: src.source, key: src.key }];
      const m = rule.match;
      if (m.artifact !== null || m.entityType !== null) slots.push({ type: 'entity' }, { type: 'relation', key: 'wasGeneratedBy' });
      else if (m.activity !== null) slots.push({ type: 'activity' });
      return slots;
    }
    case 'rate':
      return [rule.rate.event === 'entity' ? { type: 'entity' } : { type: 'activity' }];
    case 'absence':
      return [{ type: 'activity' }];
    case 'taint':
      return [{ type: 'property', key: rule.taint.when.key }, ...rule.taint.via.map((key): Slot => ({ type: 'relation', key }))];
  }
}

function add<K>(map: Map<K, Rule[]>, key: K, rule: Rule): void {
  const list = map.get(key);
  if (!list) map.set(key, [rule]);
  else if (list[list.length - 1] !== rule) list.push(rule);
}
