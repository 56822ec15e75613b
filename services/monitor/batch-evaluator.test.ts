/**
 * evaluateBatch must give exactly what evaluating the events one by one, in order, with every
 * rule, against the store gives (the core's protocol), whatever the batch boundaries; and the
 * RuleIndex must never hide a rule that keysFor says is concerned.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateEventSync, evaluateThrough, keysFor, MemoryStateStore, taintLineageKey } from './core/index.js';
import type { Alert, Mutation, Rule, TaintRule } from './core/index.js';
import type { ProvEvent } from '../model/types.js';
import { evaluateBatch, flagLineageRequests } from './batch-evaluator.js';
import { RuleIndex } from './rule-index.js';
import { FIXTURE_RULES_YAML, fixtureStream, parseOrThrow } from './fixtures.js';

const NOW = Date.UTC(2026, 10, 20);

function sequential(rules: readonly Rule[], events: readonly ProvEvent[]): { alerts: Alert[]; mutations: Mutation[]; store: MemoryStateStore } {
  const store = new MemoryStateStore(() => NOW);
  const alerts: Alert[] = [];
  const mutations: Mutation[] = [];
  for (const ev of events) {
    for (const rule of rules) {
      const out = evaluateEventSync(store.loadSync.bind(store), rule, ev, NOW);
      store.applySync(out.mutations);
      alerts.push(...out.alerts);
      mutations.push(...out.mutations);
    }
  }
  return { alerts, mutations, store };
}

async function batched(rules: readonly Rule[], events: readonly ProvEvent[], sizes: () => number) {
  const store = new MemoryStateStore(() => NOW);
  const index = new RuleIndex(rules);
  const alerts: Alert[] = [];
  const mutations: Mutation[] = [];
  let passes = 0;
  let loads = 0;
  for (let i = 0; i < events.length; ) {
    const chunk = events.slice(i, i + sizes());
    i += chunk.length;
    const out = await evaluateBatch(chunk.map((event) => ({ event, rules: index.candidates(event) })), NOW, (reads) => store.load(reads));
    expect(out.errors).toEqual([]);
    store.applySync(out.mutations);
    alerts.push(...out.alerts);
    mutations.push(...out.mutations);
    passes += out.stats.passes;
    loads += out.stats.loads;
  }
  return { alerts, mutations, store, passes, loads };
}

/** A deterministic pseudo-random source (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('evaluateBatch', () => {
  const rules = parseOrThrow(FIXTURE_RULES_YAML);
  const { events } = fixtureStream(['p-a', 'p-b', 'p-c']);
  const reference = sequential(rules, events);

  it('the fixture fires every rule at least once (so the comparisons below mean something)', () => {
    const fired = new Set(reference.alerts.map((a) => a.ruleId));
    expect([...fired].sort()).toEqual(rules.map((r) => r.id).sort());
  });

  it.each([
    ['one event per batch', () => 1],
    ['batches of 7', () => 7],
    ['the whole stream in one batch', () => 100_000],
    ['random sizes 1..60', ((r) => () => 1 + Math.floor(r() * 60))(rng(42))],
  ])('equals sequential evaluation: %s', async (_name, sizes) => {
    const got = await batched(rules, events, sizes);
    expect(got.alerts).toEqual(reference.alerts);
    expect(got.mutations).toEqual(reference.mutations);
    expect(got.store.keys()).toEqual(reference.store.keys());
  });

  it('read-through evaluation (one round, every read answered) equals the snapshot protocol, pair by pair', () => {
    const store = new MemoryStateStore(() => NOW);
    for (const ev of events) {
      for (const rule of rules) {
        const expected = evaluateEventSync(store.loadSync.bind(store), rule, ev, NOW);
        const got = evaluateThrough(rule, ev, (r) => store.loadSync([r]).get(r.key) ?? null, NOW);
        expect({ mutations: got.mutations, alerts: got.alerts, suppressed: got.suppressed }, `${rule.id} on ${ev.eventId}`).toEqual({ mutations: expected.mutations, alerts: expected.alerts, suppressed: expected.suppressed });
        store.applySync(expected.mutations);
      }
    }
  });

  it('needs few round trips for a big batch', async () => {
    const got = await batched(rules, events, () => 100_000);
    expect(got.loads).toBeLessThanOrEqual(12);
  });

  it('evaluates a tick alone, and refuses ticks mixed with events', async () => {
    const [absence] = parseOrThrow(`rules: [{id: stuck, kind: absence, severity: warning, notify: [feed], match: {activity: train}, absence: {mode: unfinished, within: 1m}}]`);
    const store = new MemoryStateStore(() => NOW);
    const start = NOW - 10 * 60_000;
    const run: ProvEvent = {
      eventId: 'e1', project: 'p', time: start, producer: 't', schemaVersion: 1,
      payload: { type: 'activity', id: 'act:00000000-0000-4000-a000-000000000001', name: 'train', command: 'x', status: 'RUNNING', startTime: start, endTime: null, exitCode: null, workdir: null, params: {}, env: {} },
    };
    const armed = await evaluateBatch([{ event: run, rules: [absence!] }], NOW, (r) => store.load(r));
    store.applySync(armed.mutations);
    const tick = await evaluateBatch([{ event: null, rules: [absence!] }], NOW, (r) => store.load(r));
    expect(tick.alerts.map((a) => a.subject)).toEqual([run.payload.type === 'activity' ? run.payload.id : '']);
    await expect(evaluateBatch([{ event: null, rules: [absence!] }, { event: run, rules: [absence!] }], NOW, (r) => store.load(r))).rejects.toThrow(/alone/);
  });
});

describe('evaluateBatch with external lineage (taint flags, the graph service)', () => {
  const [pii, other] = parseOrThrow(`rules:
  - {id: pii, kind: taint, severity: critical, notify: [feed], taint: {when: "pii = true"}}
  - {id: dep, kind: taint, severity: info, notify: [feed], projects: [elsewhere], taint: {when: "deprecated = true"}}`);
  const ev = (eventId: string, payload: ProvEvent['payload']): ProvEvent => ({ eventId, project: 'p', time: NOW, producer: 't', schemaVersion: 1, payload });
  const raw = 'ent:00000000000000000000000000000001';
  const derived = 'ent:00000000000000000000000000000002';
  const later = 'ent:00000000000000000000000000000003';
  const flag = ev('f1', { type: 'property', subject: raw, key: 'pii', value: { kind: 'bool', value: true } });

  it('flagLineageRequests: one request per flagged root and rule shape, only for flags of rules that apply', () => {
    const items = [
      { event: ev('e0', { type: 'relation', relation: 'wasDerivedFrom', from: derived, to: raw, role: null }), rules: [pii!, other!] },
      { event: flag, rules: [pii!, other!] },
      { event: { ...flag, eventId: 'f2' }, rules: [pii!] },
      { event: ev('f3', { type: 'property', subject: raw, key: 'pii', value: { kind: 'bool', value: false } }), rules: [pii!] },
      { event: ev('f4', { type: 'property', subject: raw, key: 'deprecated', value: { kind: 'bool', value: true } }), rules: [other!] },
      { event: null, rules: [pii!] },
    ];
    expect(flagLineageRequests(items)).toEqual([{ key: taintLineageKey(pii as TaintRule, 'p', raw), project: 'p', root: raw, via: ['wasDerivedFrom', 'wasGeneratedBy', 'used'], maxDepth: 16, maxVisit: 5000 }]);
  });

  it('flagLineageRequests: rules that differ only in maxVisit ask separately (an answer cut for one is too short for the other)', () => {
    const small = { ...(pii as TaintRule), id: 'pii-small', taint: { ...(pii as TaintRule).taint, maxVisit: 10 } };
    const reqs = flagLineageRequests([{ event: flag, rules: [pii!, small] }]);
    expect(reqs.map((r) => r.maxVisit)).toEqual([5000, 10]);
    expect(new Set(reqs.map((r) => r.key)).size).toBe(2);
  });

  it('passes it to every pass: graph-found descendants alert and are marked for the rest of the batch', async () => {
    const store = new MemoryStateStore(() => NOW);
    const external = new Map([[taintLineageKey(pii as TaintRule, 'p', raw), { children: new Map([[raw, [derived]]]) }]]);
    const items = [flag, ev('e2', { type: 'relation', relation: 'wasDerivedFrom', from: later, to: derived, role: null })].map((event) => ({ event, rules: [pii!] }));
    const withGraph = await evaluateBatch(items, NOW, (r) => store.load(r), external);
    expect(withGraph.alerts.map((a) => [a.subject, a.vertexIds])).toEqual([
      [derived, [raw, derived]],
      [later, [raw, derived, later]],
    ]);
    const streamOnly = await evaluateBatch(items, NOW, (r) => store.load(r));
    expect(streamOnly.alerts).toEqual([]);
  });
});

describe('RuleIndex', () => {
  it('leaves out only rules that evaluate to nothing, and keeps rule order', () => {
    const rules = parseOrThrow(FIXTURE_RULES_YAML + `
  - {id: all-entities, kind: rate, severity: info, notify: [feed], match: {artifact: "**"}, rate: {event: entity, window: 1h, max: 1000}}
  - {id: etl-stuck, kind: absence, severity: warning, notify: [feed], match: {activity: "*"}, absence: {mode: unfinished, within: 2h}}
  - {id: off, kind: taint, severity: info, enabled: false, notify: [feed], taint: {when: "pii = true"}}
  - {id: elsewhere, kind: threshold, severity: info, dedupWindow: 0, projects: ["other-*"], notify: [feed], threshold: {metric: loss, op: ">", value: 0}}
  - {id: here, kind: threshold, severity: info, dedupWindow: 0, projects: ["id?"], notify: [feed], threshold: {metric: loss, op: ">", value: 0}}
`);
    const index = new RuleIndex(rules);
    const { events } = fixtureStream(['idx']);
    let offered = 0;
    for (const ev of events) {
      const candidates = index.candidates(ev);
      offered += candidates.length;
      for (const r of rules) {
        if (candidates.includes(r)) continue;
        expect(keysFor(r, ev), `${r.id} on ${ev.payload.type}`).toEqual([]);
        expect(evaluate(r, ev, new Map(), NOW), `${r.id} on ${ev.payload.type}`).toEqual({ status: 'done', mutations: [], alerts: [], suppressed: [] });
      }
      expect([...candidates]).toEqual(rules.filter((r) => candidates.includes(r)));
      expect(candidates.some((r) => r.id === 'off' || r.id === 'elsewhere')).toBe(false);
      if (ev.payload.type === 'metric' && ev.payload.key === 'loss') expect(candidates.some((r) => r.id === 'here')).toBe(true);
    }
    expect(offered).toBeGreaterThan(events.length);
    expect(offered).toBeLessThan(events.length * rules.length * 0.5);
  });
});
