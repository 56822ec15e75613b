/**
 * RuleIndex: which rules an event can concern, found without looking at every rule. With 100
 * rules, most events matter to a few; the index answers by payload type and key (metric key,
 * property key, relation type), and keysFor() then decides exactly.
 *
 * Contract: candidates(event) holds every enabled rule for which evaluating the event can read
 * state, write state or alert (batch-evaluator.test.ts checks that a rule left out evaluates to
 * nothing), in rule-set order, so evaluation order matches a dry run's (rules in file order per
 * event).
 */
import type { EdgeType, ProvEvent } from '../model/types.js';
import type { Rule } from './core/index.js';

export class RuleIndex {
  private readonly entity: Rule[] = [];
  private readonly activity: Rule[] = [];
  private readonly metricKey = new Map<string, Rule[]>();
  private readonly propertyKey = new Map<string, Rule[]>();
  private readonly relation = new Map<EdgeType, Rule[]>();

  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) {
      if (!rule.enabled) continue;
      for (const slot of slotsOf(rule)) {
        if (slot.type === 'entity') this.entity.push(rule);
        else if (slot.type === 'activity') this.activity.push(rule);
        else if (slot.type === 'metric') add(this.metricKey, slot.key, rule);
        else if (slot.type === 'property') add(this.propertyKey, slot.key, rule);
        else add(this.relation, slot.key, rule);
      }
    }
  }

  /** Rules the event may concern (a superset: evaluation decides). */
  candidates(event: ProvEvent): readonly Rule[] {
    const p = event.payload;
    switch (p.type) {
      case 'entity':
        return this.entity;
      case 'activity':
        return this.activity;
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

type Slot = { type: 'entity' } | { type: 'activity' } | { type: 'metric' | 'property'; key: string } | { type: 'relation'; key: EdgeType };

/** The payloads a rule's evaluator looks at (mirrors keysFor in core/evaluate.ts). */
function slotsOf(rule: Rule): Slot[] {
  switch (rule.kind) {
    case 'threshold':
    case 'regression':
    case 'zscore': {
      const src = rule.kind === 'threshold' ? rule.threshold : rule.kind === 'regression' ? rule.regression : rule.zscore;
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
