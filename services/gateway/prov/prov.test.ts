import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../ingest/rows.js';
import { sampleProject } from '../../demo/sample.js';
import { repoPath } from '../../lib/paths.js';
import type { Fact } from '../facts.js';
import { airflowStream, dbtStream, sparkStream } from '../openlineage/fixtures.js';
import { MemoryRunStateStore } from '../openlineage/run-state.js';
import { prepareOpenLineage, resolveOpenLineage } from '../openlineage/translate.js';
import { applyFacts } from './apply-facts.js';
import { exportProv } from './export.js';
import type { GraphSnapshot, ProvDocument } from './export.js';
import { importProv } from './import.js';
import type { ProvImport } from './import.js';
import { RELATIONS } from './vocabulary.js';

const T = Date.UTC(2024, 5, 1);
const fixture = (): Record<string, unknown> => JSON.parse(readFileSync(repoPath('services', 'gateway', 'prov', 'fixtures', 'every-relation.json'), 'utf8')) as Record<string, unknown>;

function imported(doc: unknown): ProvImport {
  const r = importProv(doc, { time: T });
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 1));
  return r.result;
}
const roundTrip = (doc: unknown): ProvDocument => exportProv(applyFacts(imported(doc).facts));

/** A snapshot in a canonical order, to compare two snapshots as sets. */
function canonical(s: GraphSnapshot): Record<string, string[]> {
  const sorted = (xs: unknown[]) => xs.map((x) => canonicalJson(x)).sort();
  return { vertices: sorted(s.vertices), edges: sorted(s.edges), properties: sorted(s.properties), metrics: sorted(s.metrics) };
}

describe('PROV-JSON: a document with every relation, bundles, prefixes and literals', () => {
  const original = fixture();
  const first = imported(original);
  const exported = exportProv(applyFacts(first.facts));

  it('export -> import -> export gives the same document', () => {
    expect(roundTrip(exported)).toEqual(exported);
  });

  it('importing the export again changes nothing in the store (same facts, same ids)', () => {
    expect(canonical(applyFacts(imported(exported).facts))).toEqual(canonical(applyFacts(first.facts)));
  });

  it('every relation kind of PROV-JSON is there, as an edge of the model or kept whole', () => {
    const kinds = new Set([...Object.keys(exported), ...Object.keys((exported['bundle']?.['ex:bundle1'] ?? {}) as object)]);
    expect(Object.keys(RELATIONS).filter((k) => !kinds.has(k))).toEqual([]);
    expect(first.counts).toMatchObject({ entities: 10, activities: 3, agents: 3, edges: 13, keptRelations: 9 });
  });

  it('maps the relations of the model to edges (wasDerivedFrom with prov:Revision -> wasRevisionOf)', () => {
    const edges = applyFacts(first.facts).edges.map((e) => e.type).sort();
    expect(edges).toEqual(['actedOnBehalfOf', 'used', 'used', 'wasAssociatedWith', 'wasAssociatedWith', 'wasAttributedTo', 'wasDerivedFrom', 'wasDerivedFrom', 'wasGeneratedBy', 'wasGeneratedBy', 'wasInformedBy', 'wasRevisionOf', 'wasRevisionOf']);
    const d3 = Object.values(exported['wasDerivedFrom']!).find((r) => Array.isArray((r as Record<string, unknown>)['prov:type'])) as Record<string, unknown>;
    expect(d3['prov:type']).toEqual([{ $: 'prov:Revision', type: 'prov:QUALIFIED_NAME' }, { $: 'prov:Quotation', type: 'prov:QUALIFIED_NAME' }]);
  });

  it('drops nothing: every attribute of every element is in the export, under our id', () => {
    const ours = (id: string) => first.ids[id.startsWith('ent:') ? id.replace(/^ent:/, 'ent_1:') : id]!;
    for (const kind of ['entity', 'activity', 'agent'] as const) {
      for (const [id, attrs] of Object.entries(original[kind] as Record<string, Record<string, unknown>>)) {
        const got = exported[kind]![ours(id)] as Record<string, unknown>;
        expect(got, `${kind} ${id}`).toBeDefined();
        expect(got['prov-json:id']).toBe(id.replace(/^ent:/, 'ent_1:'));
        for (const [k, v] of Object.entries(attrs)) {
          if (k === 'prov:startTime' || k === 'prov:endTime') expect(Date.parse(String(got[k]))).toBe(Date.parse(/Z$/.test(String(v)) ? String(v) : `${String(v)}Z`));
          else expect(got[k], `${id} ${k}`).toEqual(v);
        }
      }
    }
  });

  it('drops nothing: relations keep their attributes; kept relations keep their ids; named relation ids stay', () => {
    expect(exported['wasGeneratedBy']!['ex:gen1']).toMatchObject({ 'ex:quality': 0.98, 'prov:time': '2024-03-01T10:05:30Z' });
    expect(exported['used']).toEqual(expect.objectContaining({}));
    const used = Object.values(exported['used']!) as Array<Record<string, unknown>>;
    expect(used.find((u) => u['prov:role'] === 'input')).toMatchObject({ 'prov:time': '2024-03-01T10:00:01Z' });
    expect(Object.values(exported['wasAssociatedWith']!)).toContainEqual(expect.objectContaining({ 'prov:role': 'operator', 'prov:plan': first.ids['ex:plan'] }));
    expect(exported['wasStartedBy']!['_:s1']).toEqual({ 'prov:activity': first.ids['ex:clean'], 'prov:trigger': first.ids['ex:dataset1'], 'prov:starter': first.ids['ex:publish'], 'prov:time': '2024-03-01T09:59:00Z' });
    expect(exported['wasInfluencedBy']!['_:inf1']).toEqual({ 'prov:influencee': first.ids['ex:chart'], 'prov:influencer': first.ids['ex:lab'] });
    expect(exported['hadMember']!['_:m2']).toEqual({ 'prov:collection': first.ids['ex:collection'], 'prov:entity': first.ids['ent_1:shadowed'] });
    const bundle = exported['bundle']!['ex:bundle1'] as ProvDocument;
    expect(Object.values(bundle['entity']!)).toEqual([expect.objectContaining({ 'prov:label': 'stated in a bundle' })]);
    expect(bundle['mentionOf']!['_:mo1']).toMatchObject({ 'prov:specificEntity': first.ids['ex:inner'] });
  });

  it('a prefix that is ours but bound elsewhere is renamed, everywhere it is used', () => {
    expect(exported['prefix']).toMatchObject({ ent: 'https://provstream.dev/id/entity/', ent_1: 'http://example.org/not-ours/entity/', ex: 'http://example.org/', foaf: 'http://xmlns.com/foaf/0.1/' });
  });

  it('agent types come from prov:type; activities without a status of ours are finished ones', () => {
    expect(Object.values(exported['agent']!).map((a) => (a as Record<string, unknown>)['provstream:agentType']).sort()).toEqual(['person', 'service', 'team']);
    expect(new Set(Object.values(exported['activity']!).map((a) => (a as Record<string, unknown>)['provstream:status']))).toEqual(new Set(['COMPLETED']));
  });
});

describe('PROV-JSON: our model -> export -> import -> the same model', () => {
  async function modelFacts(): Promise<Fact[]> {
    const facts: Fact[] = sampleProject('prov').events.map((e) => ({ time: e.time, payload: e.payload }));
    const prepared = [...airflowStream().events, ...sparkStream().events, ...dbtStream().events].map((e) => {
      const p = prepareOpenLineage(e, { maxFacetBytes: 1 << 20 });
      if (!p.ok) throw new Error('fixture');
      return p.prepared;
    });
    for (const k of await resolveOpenLineage('prov', prepared, new MemoryRunStateStore())) facts.push({ time: k.event.time, payload: k.event.payload });
    return facts;
  }

  it('vertices (every field), edges (every type, roles), properties (every kind), metrics survive', async () => {
    const snapshot = applyFacts(await modelFacts());
    const kinds = new Set(snapshot.edges.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['actedOnBehalfOf', 'used', 'wasAssociatedWith', 'wasAttributedTo', 'wasDerivedFrom', 'wasGeneratedBy', 'wasInformedBy', 'wasRevisionOf']);
    expect(new Set(snapshot.properties.map((p) => p.value.kind))).toEqual(new Set(['string', 'number', 'bool', 'json']));
    const doc = exportProv(snapshot);
    const back = applyFacts(imported(doc).facts);
    expect(canonical(back)).toEqual(canonical(snapshot));
    expect(exportProv(back)).toEqual(doc);
  });
});

describe('PROV-JSON import: problems, each with its path', () => {
  const table: Array<[string, unknown, Array<[string, RegExp]>]> = [
    ['not an object', [1], [['', /must be a JSON object/]]],
    ['an unknown section', { entity: {}, wasFooBy: {} }, [['/wasFooBy', /not a PROV-JSON section/]]],
    ['a section that is not an object', { entity: [] }, [['/entity', /object of id -> attributes/]]],
    ['attributes that are not an object', { entity: { 'ex:e': 3 }, prefix: { ex: 'http://e/' } }, [['/entity/ex:e', /object of attributes/]]],
    ['a prefix without an IRI', { prefix: { ex: 5 } }, [['/prefix/ex', /namespace IRI/]]],
    ['one id declared as two kinds', { entity: { e: {} }, activity: { e: {} } }, [['/activity/e', /already declared as an entity/]]],
    ['a time that is not a date-time', { activity: { a: { 'prov:startTime': 'yesterday' } } }, [['/activity/a/prov:startTime', /not an xsd:dateTime/]]],
    ['a relation end that is not an id', { used: { _u: { 'prov:activity': 'a', 'prov:entity': 5 } } }, [['/used/_u/prov:entity', /id of an element/]]],
    ['a relation naming no element', { wasInfluencedBy: { _i: { 'prov:label': 'x' } } }, [['/wasInfluencedBy/_i', /must name its/]]],
    ['an ent: id that is not derived from its artifact', { entity: { 'ent:0123456789abcdef0123456789abcdef': { 'provstream:entityType': 'file' } } }, [['/entity/ent:0123456789abcdef0123456789abcdef', /needs the provstream:artifact and provstream:contentHash/]]],
  ];
  it.each(table)('%s', (_n, doc, want) => {
    const r = importProv(doc, { time: T });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const [path, message] of want) expect(r.problems).toContainEqual({ path, message: expect.stringMatching(message) });
    expect(r.problems).toHaveLength(want.length);
  });

  it('relations to elements the document does not declare keep their ids and create no vertex', () => {
    const r = imported({ prefix: { ex: 'http://e/' }, activity: { 'ex:a': {} }, used: { _u: { 'prov:activity': 'ex:a', 'prov:entity': 'ex:elsewhere' } } });
    expect(r.facts.filter((f) => f.payload.type === 'entity')).toEqual([]);
    expect(r.facts.filter((f) => f.payload.type === 'relation')).toHaveLength(1);
  });
});
