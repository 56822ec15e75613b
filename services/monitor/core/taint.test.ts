import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EdgeType, ProvEvent } from '../../model/types.js';
import { evaluateEventSync } from './drive.js';
import type { Alert } from './alerts.js';
import { taintLineageKey, type ExternalLineage } from './eval-taint.js';
import type { Rule, TaintRule } from './rule-types.js';
import { Harness, rule, Stream, T0 } from './test-fixtures.js';

function asTaint(r: Rule): TaintRule {
  if (r.kind !== 'taint') throw new Error('not a taint rule');
  return r;
}
const pii = asTaint(rule(`{id: pii, kind: taint, severity: critical, notify: [feed], taint: {when: "pii = true"}}`));

/** raw.csv -> clean (act:clean) -> features -> train (act:train) -> model */
function pipeline(s: Stream) {
  const raw = s.entityId('data/raw.csv', '1');
  const features = s.entityId('data/features.parquet', '1');
  const model = s.entityId('models/m.bin', '1');
  const events = {
    raw: s.entity('data/raw.csv', '1'),
    cleanUsedRaw: s.relation('used', 'act:clean', raw),
    features: s.entity('data/features.parquet', '1'),
    featuresGenByClean: s.relation('wasGeneratedBy', features, 'act:clean'),
    trainUsedFeatures: s.relation('used', 'act:train', features),
    model: s.entity('models/m.bin', '1'),
    modelGenByTrain: s.relation('wasGeneratedBy', model, 'act:train'),
  };
  return { raw, features, model, events };
}

describe('lineage taint', () => {
  it('alerts each entity exactly once when the flag arrives after some derivations and before others', () => {
    const s = new Stream();
    const h = new Harness([pii]);
    const { raw, features, model, events } = pipeline(s);
    h.feedAll(Object.values(events));
    expect(h.alerts).toEqual([]);

    const flag = s.property(raw, 'pii', true);
    const onFlag = h.feed(flag);
    expect(onFlag.map((a) => a.subject)).toEqual([features, model]);
    expect(onFlag[1]).toMatchObject({
      ruleId: 'pii',
      severity: 'critical',
      vertexIds: [raw, 'act:clean', features, 'act:train', model],
      eventIds: [flag.eventId, events.cleanUsedRaw.eventId, events.featuresGenByClean.eventId, events.trainUsedFeatures.eventId, events.modelGenByTrain.eventId],
      details: { root: raw, predicate: 'pii == true', depth: 4, path: [raw, 'act:clean', features, 'act:train', model] },
    });
    expect(onFlag[1]?.message).toBe(`${model} is derived from ${raw}, flagged pii == true, through 4 edges: ${raw} -> act:clean -> ${features} -> act:train -> ${model}`);

    // derivations seen after the flag: a new model from the tainted features, a report from the model
    const model2 = s.entityId('models/m.bin', '2');
    const report = s.entityId('reports/r.html', '1');
    const after = [
      s.relation('used', 'act:train2', features),
      s.entity('models/m.bin', '2'),
      s.relation('wasGeneratedBy', model2, 'act:train2'),
      s.relation('wasDerivedFrom', report, model),
    ];
    expect(h.feedAll(after).map((a) => a.subject)).toEqual([model2, report]);

    // duplicates, replays and a second flag change nothing
    h.feedAll([...Object.values(events), ...after, s.property(raw, 'pii', true), s.property(features, 'pii', true)]);
    const perEntity = new Map<string, number>();
    for (const a of h.alerts) perEntity.set(a.subject, (perEntity.get(a.subject) ?? 0) + 1);
    expect([...perEntity]).toEqual([
      [features, 1],
      [model, 1],
      [model2, 1],
      [report, 1],
    ]);
    expect(h.suppressed).toEqual([]);
  });

  it('works whichever way round the relations of a derivation arrive', () => {
    const s = new Stream();
    const h = new Harness([pii]);
    const { raw, features, model, events } = pipeline(s);
    h.feed(s.property(raw, 'pii', true));
    // outputs announced before the run's inputs
    expect(h.feedAll([events.modelGenByTrain, events.featuresGenByClean, events.trainUsedFeatures]).map((a) => a.subject)).toEqual([]);
    expect(h.feed(events.cleanUsedRaw).map((a) => a.subject)).toEqual([features, model]);
  });

  it('walks late flags level by level through dynamic reads', () => {
    const s = new Stream();
    const h = new Harness([{ ...pii, dedupWindowMs: 0 }]);
    const chain = Array.from({ length: 8 }, (_, i) => s.entityId('data/chain', String(i)));
    for (let i = 1; i < chain.length; i++) h.feed(s.relation('wasDerivedFrom', chain[i]!, chain[i - 1]!));
    h.rounds = [];
    expect(h.feed(s.property(chain[0]!, 'pii', true))).toHaveLength(7);
    expect(h.rounds).toEqual([8]); // keysFor covers level 1; one round per further level, plus the last empty one
  });

  it('stops at maxDepth edges from the flagged vertex', () => {
    const s = new Stream();
    const h = new Harness([{ ...pii, taint: { ...pii.taint, maxDepth: 2 } }]);
    const chain = Array.from({ length: 5 }, (_, i) => s.entityId('data/chain', String(i)));
    h.feed(s.relation('wasDerivedFrom', chain[1]!, chain[0]!));
    h.feed(s.relation('wasDerivedFrom', chain[2]!, chain[1]!));
    h.feed(s.relation('wasDerivedFrom', chain[3]!, chain[2]!));
    expect(h.feed(s.property(chain[0]!, 'pii', true)).map((a) => a.details.depth)).toEqual([1, 2]);
    expect(h.feed(s.relation('wasDerivedFrom', chain[4]!, chain[2]!))).toEqual([]);
  });

  it('does not loop on cycles', () => {
    const r = rule(`{id: dep, kind: taint, severity: info, notify: [feed], taint: {when: "deprecated = true", via: [used, wasGeneratedBy, wasInformedBy]}}`);
    const s = new Stream();
    const h = new Harness([r]);
    const e = s.entityId('data/x', '1');
    h.feedAll([s.relation('wasInformedBy', 'act:a', 'act:b'), s.relation('wasInformedBy', 'act:b', 'act:a'), s.relation('wasGeneratedBy', e, 'act:b')]);
    expect(h.feed(s.property('act:a', 'deprecated', true)).map((a) => a.vertexIds)).toEqual([['act:a', 'act:b', e]]);
  });

  it('flags on any predicate, e.g. a dataset version later marked bad', () => {
    const r = rule(`{id: bad, kind: taint, severity: warning, notify: [feed], taint: {when: {key: quality, op: "==", value: bad}}}`);
    const s = new Stream();
    const h = new Harness([r]);
    const [v1, v2, m] = [s.entityId('data/d', '1'), s.entityId('data/d', '2'), s.entityId('models/m', '1')];
    h.feedAll([s.relation('wasDerivedFrom', m, v2), s.relation('wasRevisionOf', v2, v1)]);
    expect(h.feed(s.property(v1, 'quality', 'bad'))).toEqual([]); // revisions are not in `via` by default
    expect(h.feed(s.property(v2, 'quality', 'good'))).toEqual([]);
    expect(h.feed(s.property(`edge:used:act:x>${v2}`, 'quality', 'bad'))).toEqual([]); // edge properties never flag
    expect(h.feed(s.property(v2, 'quality', 'bad')).map((a) => a.subject)).toEqual([m]);
  });

  it('forgets derivations after stateTtl', () => {
    const s = new Stream();
    const h = new Harness([{ ...pii, stateTtlMs: 60_000 }]);
    const [a, b] = [s.entityId('d/a', '1'), s.entityId('d/b', '1')];
    h.feed(s.relation('wasDerivedFrom', b, a, T0));
    expect(h.feed(s.property(a, 'pii', true, T0 + 61_000))).toEqual([]);
  });

  it('remembers at most maxChildren derivations per vertex (the newest)', () => {
    const s = new Stream();
    const h = new Harness([{ ...pii, taint: { ...pii.taint, maxChildren: 2 } }]);
    const src = s.entityId('d/src', '1');
    const kids = [1, 2, 3].map((i) => s.entityId('d/kid', String(i)));
    for (const k of kids) h.feed(s.relation('wasDerivedFrom', k, src));
    expect(h.feed(s.property(src, 'pii', true)).map((a) => a.subject)).toEqual([kids[2], kids[1]]);
  });

  it('is deterministic: re-evaluating the flag against unchanged state gives the same alerts', () => {
    const s = new Stream();
    const h = new Harness([pii]);
    const { raw, events } = pipeline(s);
    h.feedAll(Object.values(events));
    const flag = s.property(raw, 'pii', true);
    const load = (reads: Parameters<typeof h.store.loadSync>[0]) => h.store.loadSync(reads);
    const first = evaluateEventSync(load, pii, flag, h.now);
    const again = evaluateEventSync(load, pii, flag, h.now);
    expect(again).toEqual(first);
    expect(first.alerts.map((a) => a.alertId)).toHaveLength(2);
  });
});

describe('lineage taint: property test against graph reachability', () => {
  const vertex = (i: number, isEntity: boolean): string => (isEntity ? `ent:${i.toString(16).padStart(32, '0')}` : `act:v${i}`);
  const relationFor = (fromEntity: boolean, toEntity: boolean): EdgeType =>
    fromEntity && toEntity ? 'wasDerivedFrom' : fromEntity ? 'wasGeneratedBy' : toEntity ? 'used' : 'wasInformedBy';
  const all = rule(`{id: t, kind: taint, severity: info, notify: [feed], taint: {when: "pii = true", via: [wasDerivedFrom, wasGeneratedBy, used, wasInformedBy]}}`);

  it('alerts exactly the entities reachable from the flagged vertex, once each, in any arrival order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 2, maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        (kinds, rawEdges, rootPick, flagPick) => {
          const n = kinds.length;
          const ids = kinds.map((isEntity, i) => vertex(i, isEntity));
          const edges = rawEdges.map(([a, b]) => [a % n, b % n] as const).filter(([a, b]) => a !== b);
          const root = rootPick % n;
          const s = new Stream();
          const events: ProvEvent[] = edges.map(([from, to]) => s.relation(relationFor(kinds[from]!, kinds[to]!), ids[from]!, ids[to]!));
          events.splice(flagPick % (events.length + 1), 0, s.property(ids[root]!, 'pii', true));

          const reach = new Set([root]);
          for (let changed = true; changed; ) {
            changed = false;
            for (const [from, to] of edges) {
              if (reach.has(to) && !reach.has(from)) {
                reach.add(from);
                changed = true;
              }
            }
          }
          const expected = [...reach].filter((i) => i !== root && kinds[i]).map((i) => ids[i]!).sort();

          const h = new Harness([all]);
          h.feedAll(events);
          expect(h.alerts.map((a) => a.subject).sort()).toEqual(expected);
          for (const a of h.alerts) expect(a.vertexIds[0]).toBe(ids[root]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('lineage taint: how long marks live', () => {
  const DAY = 86_400_000;
  // Steps: [day, 'flag'] flags root; [day, child, parent] derives child from parent (wasDerivedFrom).
  type Step = [number, 'flag'] | [number, string, string];
  it.each([
    ['a derivation 31 days after the flag (stateTtl 30d)', '', [[0, 'flag'], [31, 'a', 'root']], ['a']],
    ['a derivation after the flagTtl (365d by default)', '', [[0, 'flag'], [366, 'a', 'root']], []],
    ['a derivation renews the flagged mark', '', [[0, 'flag'], [300, 'a', 'root'], [600, 'b', 'root']], ['a', 'b']],
    ['a derivation renews a tainted (not flagged) mark', '', [[0, 'flag'], [1, 'a', 'root'], [25, 'b', 'a'], [50, 'c', 'a']], ['a', 'b', 'c']],
    ['a derived mark nothing uses lives stateTtl', '', [[0, 'flag'], [1, 'a', 'root'], [40, 'c', 'a']], ['a']],
    ['a renewed derived mark lives stateTtl from its last use', '', [[0, 'flag'], [1, 'a', 'root'], [25, 'b', 'a'], [56, 'c', 'a']], ['a', 'b']],
    ['flagTtl: 10d', ', flagTtl: 10d', [[0, 'flag'], [11, 'a', 'root']], []],
    ['flagTtl: 10d, the flag seen again renews it', ', flagTtl: 10d', [[0, 'flag'], [8, 'flag'], [15, 'a', 'root']], ['a']],
  ] as [string, string, Step[], string[]][])('%s', (_name, options, steps, expected) => {
    const r = rule(`{id: pii, kind: taint, severity: critical, notify: [feed], dedupWindow: 0, taint: {when: "pii = true"${options}}}`);
    const s = new Stream();
    const h = new Harness([r]);
    const id = (name: string) => s.entityId(`data/${name}`, '1');
    for (const step of steps) {
      const time = T0 + step[0] * DAY;
      if (step[1] === 'flag') h.feed(s.property(id('root'), 'pii', true, time));
      else h.feed(s.relation('wasDerivedFrom', id(step[1]), id(step[2]!), time));
    }
    expect(h.alerts.map((a) => a.subject)).toEqual(expected.map(id));
  });
});

describe('lineage taint: external lineage (the graph service) for flags', () => {
  // Derivations the graph knows, made before the rule existed: the rule's state has none of them.
  // raw <-used- act:clean <-wasGeneratedBy- features <-used- act:train <-wasGeneratedBy- model
  //   ^-used- act:other <-wasGeneratedBy- report
  const s0 = new Stream();
  const raw = s0.entityId('data/raw.csv', '1');
  const features = s0.entityId('data/features.parquet', '1');
  const model = s0.entityId('models/m.bin', '1');
  const report = s0.entityId('reports/r.html', '1');
  const graphEdges: Array<[string, string]> = [
    [raw, 'act:clean'],
    [raw, 'act:other'],
    ['act:clean', features],
    ['act:other', report],
    [features, 'act:train'],
    ['act:train', model],
  ];
  /** The external lineage of `root` as the batch evaluator passes it: source -> derived. */
  function lineageOf(r: TaintRule, root: string, edges: Array<[string, string]> = graphEdges, project = 'proj'): ExternalLineage {
    const children = new Map<string, string[]>();
    for (const [from, to] of edges) children.set(from, [...(children.get(from) ?? []), to]);
    return new Map([[taintLineageKey(r, project, root), { children }]]);
  }

  it.each([
    ['without external lineage: nothing (the stream saw no derivation)', pii, undefined, []],
    ['every descendant entity the graph knows, once', pii, lineageOf(pii, raw), [features, report, model]],
    ['maxDepth 2: only entities within 2 edges', { ...pii, taint: { ...pii.taint, maxDepth: 2 } }, undefined, [features, report]],
    ['maxVisit 3: the walk stops after 3 newly tainted vertices (activities count)', { ...pii, taint: { ...pii.taint, maxVisit: 3 } }, undefined, [features]],
    ['an answer fetched for another rule shape (via) is not used', pii, lineageOf({ ...pii, taint: { ...pii.taint, via: ['used'] } }, raw), []],
    ['an answer for another project is not used', pii, lineageOf(pii, raw, graphEdges, 'other'), []],
  ] as Array<[string, TaintRule, ExternalLineage | undefined, string[]]>)('%s', (_name, r, given, expected) => {
    const s = new Stream();
    const h = new Harness([r]);
    const external = given === undefined && expected.length > 0 ? lineageOf(r, raw) : given;
    const flag = s.property(raw, 'pii', true);
    const fired = h.feed(flag, undefined, external);
    expect(fired.map((a) => a.subject)).toEqual(expected);
    for (const a of fired) expect(a.eventIds).toEqual([flag.eventId]); // graph edges name no events
    // the flag seen again (with the same answer) alerts nothing more
    expect(h.feed(s.property(raw, 'pii', true), undefined, external)).toEqual([]);
  });

  it('alerts like a stream-found descendant: path, depth, alert id of the flag event', () => {
    const viaGraph = new Harness([pii]);
    const viaStream = new Harness([pii]);
    const s = new Stream();
    const flag = s.property(raw, 'pii', true);
    const derivations = [
      s.relation('used', 'act:clean', raw),
      s.relation('wasGeneratedBy', features, 'act:clean'),
      s.relation('used', 'act:train', features),
      s.relation('wasGeneratedBy', model, 'act:train'),
    ];
    viaStream.feedAll(derivations);
    const streamAlerts = viaStream.feed(flag);
    const graphAlerts = viaGraph.feed(flag, flag.time, lineageOf(pii, raw, graphEdges.filter(([, to]) => to !== 'act:other' && to !== report)));
    const strip = (a: Alert) => ({ ...a, eventIds: a.eventIds.slice(0, 1) });
    expect(graphAlerts).toEqual(streamAlerts.map(strip));
    expect(graphAlerts[1]?.vertexIds).toEqual([raw, 'act:clean', features, 'act:train', model]);
  });

  it('marks graph-found descendants, so later stream derivations from them are tainted (and not re-alerted)', () => {
    const s = new Stream();
    const h = new Harness([pii]);
    h.feed(s.property(raw, 'pii', true), undefined, lineageOf(pii, raw));
    const dashboard = s.entityId('reports/dash.html', '1');
    const later = s.relation('wasDerivedFrom', dashboard, model);
    const fired = h.feed(later);
    expect(fired.map((a) => a.subject)).toEqual([dashboard]);
    expect(fired[0]?.vertexIds).toEqual([raw, 'act:clean', features, 'act:train', model, dashboard]);
    expect(fired[0]?.eventIds).toContain(later.eventId);
    // the stream now learns a derivation the graph had already reported: no second alert
    expect(h.feedAll([s.relation('wasGeneratedBy', model, 'act:train'), s.relation('used', 'act:train', features)])).toEqual([]);
    const perEntity = h.alerts.map((a) => a.subject).sort();
    expect(perEntity).toEqual([features, report, model, dashboard].sort());
  });

  it('merges stored children (with their events) and the graph children, each vertex once', () => {
    const s = new Stream();
    const h = new Harness([pii]);
    const extra = s.entityId('data/extra', '1');
    const stored = s.relation('wasDerivedFrom', features, raw); // the stream saw this one
    h.feedAll([stored, s.relation('wasDerivedFrom', extra, raw)]);
    const fired = h.feed(s.property(raw, 'pii', true), undefined, lineageOf(pii, raw, [...graphEdges, [raw, features]]));
    expect(fired.map((a) => a.subject)).toEqual([extra, features, report, model]); // stored first (newest first), then the graph's
    expect(fired.find((a) => a.subject === features)?.eventIds).toContain(stored.eventId);
    expect(new Set(fired.map((a) => a.subject)).size).toBe(fired.length);
  });
});
