import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProvEvent } from '../../model/types.js';
import { dryRun } from './dry-run.js';
import { evaluate, firstRoundReads, keysFor } from './evaluate.js';
import { MemoryStateStore } from './memory-store.js';
import { parseRules } from './rules.js';
import type { Rule } from './rule-types.js';
import type { Json, KeyRead, Mutation, Snapshot } from './state.js';
import { MIN, Stream, T0 } from './test-fixtures.js';
import { evaluateEventSync, evaluateTickSync } from './drive.js';

const RULES = `
rules:
  - {id: low-acc, kind: threshold, severity: warning, notify: [feed], match: {artifact: "models/*"}, threshold: {metric: accuracy, op: "<", value: 0.8}}
  - {id: slow, kind: threshold, severity: info, notify: [feed], match: {activity: train}, threshold: {metric: accuracy, op: "<", value: 0.8}}
  - {id: any-acc, kind: threshold, severity: info, notify: [feed], threshold: {metric: accuracy, op: "<", value: 0.5}}
  - {id: reg, kind: regression, severity: warning, notify: [feed], match: {artifact: "models/*"}, regression: {metric: accuracy, minDrop: 0.02}}
  - {id: z, kind: zscore, severity: info, notify: [feed], dedupWindow: 0, zscore: {metric: accuracy, minSamples: 3, threshold: 2}}
  - {id: zart, kind: zscore, severity: info, notify: [feed], match: {artifact: "models/*"}, zscore: {metric: accuracy, minSamples: 2, threshold: 1}}
  - {id: fails, kind: rate, severity: critical, notify: [feed], match: {activity: train}, rate: {status: FAILED, window: 15m, max: 1}}
  - {id: stuck, kind: absence, severity: warning, notify: [feed], match: {activity: train}, absence: {mode: unfinished, within: 5m}}
  - {id: quiet, kind: absence, severity: warning, notify: [feed], match: {activity: train}, absence: {mode: no-run, within: 20m}}
  - {id: pii, kind: taint, severity: critical, notify: [feed], taint: {when: "pii = true"}}
`;

const parsed = parseRules(RULES);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const RULE_SET: Rule[] = parsed.value;
const rules = (): Rule[] => RULE_SET;

/** A small project history touching every rule kind; `seed` varies values and order a little. */
function history(seed: number): ProvEvent[] {
  const s = new Stream('proj', T0);
  const out: ProvEvent[] = [s.entity('data/raw.csv', 'r1')];
  const raw = s.entityId('data/raw.csv', 'r1');
  for (let i = 0; i < 6; i++) {
    const run = `act:run${i}`;
    const model = s.entityId('models/m', `v${i}`);
    const acc = 0.95 - ((i * 7 + seed) % 5) * 0.06;
    const status = (i + seed) % 3 === 0 ? 'FAILED' : 'COMPLETED';
    const batch: ProvEvent[] = [
      s.activity(run, 'train', 'RUNNING', { time: T0 + i * 4 * MIN }),
      s.relation('used', run, raw),
      s.metric(run, 'accuracy', acc, { step: 1 }),
      s.entity('models/m', `v${i}`, { version: i + 1 }),
      s.relation('wasGeneratedBy', model, run),
      s.metric(model, 'accuracy', acc - 0.01, { step: 2 }),
      s.activity(run, 'train', status, { time: T0 + i * 4 * MIN + (i === 4 ? 7 : 2) * MIN }),
    ];
    if (seed % 2 === 1) batch.reverse();
    out.push(...batch);
    if (i === 2) out.push(s.property(raw, 'pii', true));
  }
  // a run whose per-step accuracy jumps (raw-mode zscore: the run is its own group)
  for (const [step, v] of [0.5, 0.52, 0.51, 3].entries()) out.push(s.metric('act:run5', 'accuracy', v + (seed % 3) * 0.001, { step: 10 + step }));
  return out;
}

describe('keysFor', () => {
  it('covers every key evaluation reads before it learns anything from state', () => {
    for (const seed of [0, 1, 2, 3]) {
      for (const event of history(seed)) {
        for (const rule of rules()) {
          const declared = new Set(keysFor(rule, event).map((r) => r.key));
          for (const read of firstRoundReads(rule, event, event.time)) expect(declared, `${rule.id} on ${event.payload.type}`).toContain(read.key);
        }
      }
    }
  });

  it('reads nothing for events a rule does not care about', () => {
    const s = new Stream();
    const agent = s.event({ type: 'agent', id: 'agt:alice', name: 'alice', agentType: 'person', email: null });
    const otherMetric = s.metric('act:x', 'loss', 1);
    for (const rule of rules()) {
      expect(keysFor(rule, agent)).toEqual([]);
      expect(keysFor(rule, otherMetric)).toEqual([]);
      expect(evaluate(rule, agent, new Map(), T0)).toEqual({ status: 'done', mutations: [], alerts: [], suppressed: [] });
    }
  });

  it('names only keys in the rule namespace', () => {
    for (const event of history(0)) {
      for (const rule of rules()) for (const read of keysFor(rule, event)) expect(read.key.startsWith(`rule:${rule.id}:`)).toBe(true);
    }
  });
});

/** A store that keeps values as JSON text, the way Redis will: catches values JSON cannot carry. */
class JsonTextStore {
  private readonly inner: MemoryStateStore;
  constructor(clock: () => number) {
    this.inner = new MemoryStateStore(clock);
  }
  loadSync(reads: readonly KeyRead[]): Snapshot {
    const snap = this.inner.loadSync(reads);
    const out = new Map<string, ReturnType<Snapshot['get']>>();
    for (const [k, v] of snap) {
      if (v?.type === 'value') out.set(k, { type: 'value', value: JSON.parse(v.value as string) as Json });
      else if (v?.type === 'list') out.set(k, { type: 'list', items: v.items.map((i) => JSON.parse(i as string) as Json) });
      else out.set(k, v ?? null);
    }
    return out as Snapshot;
  }
  applySync(mutations: readonly Mutation[]): void {
    this.inner.applySync(
      mutations.map((m) => {
        if (m.op === 'set' || m.op === 'push') {
          const text = JSON.stringify(m.value);
          expect(JSON.parse(text)).toEqual(m.value);
          return { ...m, value: text };
        }
        return m;
      }),
    );
  }
}

describe('state continuity', () => {
  it('gives the same alerts when state goes through JSON text (Redis) and evaluation restarts per event', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), (seed) => {
        const events = history(seed);
        const expected = dryRun(rules(), events);
        expect(expected.errors).toEqual([]);

        // "instances" share nothing but the store: every event is evaluated from a fresh call
        let now = Number.NEGATIVE_INFINITY;
        const store = new JsonTextStore(() => now);
        const load = (reads: readonly KeyRead[]) => store.loadSync(reads);
        const got: string[] = [];
        for (const event of events) {
          if (event.time > now) {
            now = event.time;
            for (const rule of rules()) {
              const out = evaluateTickSync(load, rule, now);
              store.applySync(out.mutations);
              got.push(...out.alerts.map((a) => a.alertId));
            }
          }
          for (const rule of rules()) {
            const out = evaluateEventSync(load, rule, event, now);
            store.applySync(out.mutations);
            got.push(...out.alerts.map((a) => a.alertId));
          }
        }
        for (const rule of rules()) {
          const out = evaluateTickSync(load, rule, now);
          store.applySync(out.mutations);
          got.push(...out.alerts.map((a) => a.alertId));
        }
        expect(got).toEqual(expected.alerts.map((a) => a.alertId));
      }),
      { numRuns: 21 },
    );
  });

  it('produces alerts of every kind on the sample history, each linked to events and vertices', () => {
    const { alerts } = dryRun(rules(), history(0), { until: T0 + 120 * MIN });
    expect(new Set(alerts.map((a) => a.ruleId)), alerts.map((a) => a.message).join('\n')).toEqual(new Set(['low-acc', 'slow', 'reg', 'z', 'zart', 'fails', 'stuck', 'quiet', 'pii']));
    for (const a of alerts) {
      expect(a.eventIds.length).toBeGreaterThan(0);
      expect(a.vertexIds.length).toBeGreaterThan(0);
      expect(new Set(alerts.filter((b) => b.alertId === a.alertId)).size).toBe(1);
    }
  });
});
