/**
 * A lineage snapshot of the model -> a PROV-JSON document (pure, deterministic: sections, ids
 * and attributes in sorted order, relation ids derived from the relation).
 *
 *   entity / activity / agent     the element, its fields as `provstream:*` attributes (times as
 *                                 prov:startTime / prov:endTime), its properties as attributes
 *   used, wasGeneratedBy, ...     the PROV relation of the same name; wasRevisionOf is a
 *                                 wasDerivedFrom with prov:type prov:Revision; the edge's role is
 *                                 prov:role; the edge's properties are the relation's attributes
 *   kept relations                relations the model has no edge for (wasStartedBy, hadMember, ...),
 *                                 stored whole by ./import.ts, come back as they were
 *   bundles                       elements and relations imported from a bundle go back into it
 *   metrics                       `provstream:metrics`, a provstream:json literal of the points
 */
import { edgeId } from '../../model/ids.js';
import type { Activity, Agent, EdgeType, EntityVersion, MetricPoint, PropertyValue } from '../../model/types.js';
import { shortHash } from '../facts.js';
import { fromPropertyValue, isoTime, jsonLiteral } from './values.js';
import { EDGE_RELATION, KEY, OUR_PREFIXES, PREDEFINED_PREFIXES, QNAME_TYPE, RELATIONS, REVISION } from './vocabulary.js';
import { isObject } from '../shape.js';

export interface SnapshotEdge {
  type: EdgeType;
  from: string;
  to: string;
  role: string | null;
}

/** The lineage to export: vertices, the edges among them, latest properties, metric points. */
export interface GraphSnapshot {
  vertices: Array<EntityVersion | Activity | Agent>;
  edges: SnapshotEdge[];
  properties: Array<{ subject: string; key: string; value: PropertyValue }>;
  metrics: Array<Omit<MetricPoint, 'type'>>;
}

export type ProvDocument = Record<string, Record<string, unknown>>;
type Attrs = Record<string, unknown>;

const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Assigns every namespace IRI the exported document uses a prefix: ours and PROV's first, then
 * each subject's `xmlns:<p>` declarations; a prefix bound to two IRIs keeps its name for the first
 * (sorted) IRI and becomes `<p>_2`, `<p>_3`... for the others.
 */
class Prefixes {
  readonly byName = new Map<string, string>();
  private readonly byIri = new Map<string, string>();

  constructor(declared: Array<[string, string]>) {
    for (const [p, iri] of [...Object.entries(PREDEFINED_PREFIXES), ...Object.entries(OUR_PREFIXES)]) this.bind(p, iri);
    for (const [p, iri] of declared.sort(([a, x], [b, y]) => cmp(a, b) || cmp(x, y))) this.bind(p, iri);
  }

  private bind(p: string, iri: string): void {
    if (this.byIri.has(iri) && this.byName.get(p) === iri) return;
    let name = p;
    for (let n = 2; this.byName.has(name) && this.byName.get(name) !== iri; n++) name = `${p}_${n}`;
    this.byName.set(name, iri);
    if (!this.byIri.has(iri)) this.byIri.set(iri, name);
  }

  /** Rewrites `p:local` (p as the subject declared it) to the document's prefix for the same IRI. */
  qname(q: string, local: Map<string, string>): string {
    const colon = q.indexOf(':');
    if (colon <= 0 || q.startsWith('_:')) return q;
    const p = q.slice(0, colon);
    const iri = local.get(p);
    if (!iri) return q;
    return `${this.byIri.get(iri) ?? p}:${q.slice(colon + 1)}`;
  }

  document(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [p, iri] of this.byName) if (PREDEFINED_PREFIXES[p] !== iri) out[p] = iri;
    return sortKeys(out);
  }
}

function isSpecialKey(k: string): boolean {
  return k.startsWith(KEY.xmlns) || k.startsWith(KEY.keptRelation) || k.startsWith(KEY.bundle);
}

function elementFields(v: EntityVersion | Activity | Agent): Attrs {
  switch (v.type) {
    case 'entity':
      return {
        'provstream:artifact': v.artifact,
        'provstream:contentHash': v.contentHash,
        'provstream:entityType': v.entityType,
        ...(v.version !== null ? { 'provstream:version': v.version } : {}),
        ...(v.sizeBytes !== null ? { 'provstream:sizeBytes': v.sizeBytes } : {}),
      };
    case 'activity':
      return {
        'provstream:name': v.name,
        'provstream:command': v.command,
        'provstream:status': v.status,
        ...(v.startTime !== null ? { 'prov:startTime': isoTime(v.startTime) } : {}),
        ...(v.endTime !== null ? { 'prov:endTime': isoTime(v.endTime) } : {}),
        ...(v.exitCode !== null ? { 'provstream:exitCode': v.exitCode } : {}),
        ...(v.workdir !== null ? { 'provstream:workdir': v.workdir } : {}),
        ...(Object.keys(v.params).length ? { 'provstream:params': jsonLiteral(v.params) } : {}),
        ...(Object.keys(v.env).length ? { 'provstream:env': jsonLiteral(v.env) } : {}),
      };
    case 'agent':
      return { 'provstream:name': v.name, 'provstream:agentType': v.agentType, ...(v.email !== null ? { 'provstream:email': v.email } : {}) };
  }
}

/** Relation id for an edge of ours: stable, and a blank node (the import does not keep it). */
function edgeRelationId(e: SnapshotEdge): string {
  return `_:${e.type}-${shortHash(`${e.type}\0${e.from}\0${e.to}\0${e.role ?? ''}`, 16)}`;
}

export function exportProv(s: GraphSnapshot): ProvDocument {
  const props = new Map<string, Map<string, PropertyValue>>();
  for (const p of s.properties) {
    const m = props.get(p.subject) ?? new Map<string, PropertyValue>();
    m.set(p.key, p.value);
    props.set(p.subject, m);
  }
  const xmlnsOf = (subject: string) => {
    const local = new Map<string, string>(Object.entries({ ...PREDEFINED_PREFIXES, ...OUR_PREFIXES }));
    for (const [k, v] of props.get(subject) ?? []) if (k.startsWith(KEY.xmlns) && v.kind === 'string') local.set(k.slice(KEY.xmlns.length), v.value);
    return local;
  };
  const declared: Array<[string, string]> = [];
  for (const m of props.values()) for (const [k, v] of m) if (k.startsWith(KEY.xmlns) && v.kind === 'string') declared.push([k.slice(KEY.xmlns.length), v.value]);
  const prefixes = new Prefixes(declared);

  const doc: ProvDocument = {};
  const place = (section: string, id: string, attrs: Attrs, bundles: string[]) => {
    const targets = bundles.length ? bundles.map((b) => (((doc['bundle'] ??= {})[b] ??= {}) as ProvDocument)) : [doc];
    for (const t of targets) (t[section] ??= {})[id] = sortKeys(attrs);
  };
  const qvalue = (v: unknown, local: Map<string, string>): unknown => {
    if (isObject(v) && typeof v['$'] === 'string' && (v['type'] === QNAME_TYPE || v['type'] === 'xsd:QName')) return { ...v, $: prefixes.qname(v['$'], local) };
    if (Array.isArray(v)) return v.map((x) => qvalue(x, local));
    return v;
  };
  /** A subject's properties as attributes (QNames rewritten to the document's prefixes), and its bundles. */
  const attributesOf = (subject: string, except: readonly string[] = []): { attrs: Attrs; bundles: string[] } => {
    const local = xmlnsOf(subject);
    const attrs: Attrs = {};
    const bundles: string[] = [];
    for (const [k, v] of props.get(subject) ?? []) {
      if (k.startsWith(KEY.bundle)) bundles.push(k.slice(KEY.bundle.length));
      if (isSpecialKey(k) || except.includes(k)) continue;
      const value = fromPropertyValue(v);
      attrs[prefixes.qname(k, local)] = k === KEY.sourceId && typeof value === 'string' ? prefixes.qname(value, local) : qvalue(value, local);
    }
    return { attrs, bundles: bundles.sort() };
  };

  const metrics = new Map<string, Array<Omit<MetricPoint, 'type' | 'subject'>>>();
  for (const { subject, ...m } of s.metrics) metrics.set(subject, [...(metrics.get(subject) ?? []), m]);
  const ordered = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => cmp(a.id, b.id));
  for (const v of ordered(s.vertices)) {
    const { attrs, bundles } = attributesOf(v.id);
    const points = (metrics.get(v.id) ?? []).sort((a, b) => cmp(a.key, b.key) || a.step - b.step || a.time - b.time || a.value - b.value);
    place(v.type, v.id, { ...attrs, ...elementFields(v), ...(points.length ? { 'provstream:metrics': jsonLiteral(points) } : {}) }, bundles);
  }

  const edgeKey = (e: SnapshotEdge) => `${e.type}\0${e.from}\0${e.to}\0${e.role ?? ''}`;
  for (const e of [...s.edges].sort((a, b) => cmp(edgeKey(a), edgeKey(b)))) {
    const relation = EDGE_RELATION[e.type];
    const [first, second] = RELATIONS[relation]!.refs as [[string, string], [string, string]];
    const sid = edgeId(e.type, e.from, e.to);
    const { attrs, bundles } = attributesOf(sid, [KEY.sourceId]);
    const named = props.get(sid)?.get(KEY.sourceId);
    const relId = named?.kind === 'string' ? prefixes.qname(named.value, xmlnsOf(sid)) : edgeRelationId(e);
    const fields: Attrs = { [first[0]]: e.from, [second[0]]: e.to };
    if (e.role !== null) fields['prov:role'] = e.role;
    if (e.type === 'wasRevisionOf') {
      const revision = { $: REVISION, type: QNAME_TYPE };
      const other = attrs['prov:type'];
      fields['prov:type'] = other === undefined ? revision : [revision, ...(Array.isArray(other) ? other : [other])];
    }
    place(relation, relId, { ...attrs, ...fields }, bundles);
  }

  for (const v of ordered(s.vertices)) {
    const local = xmlnsOf(v.id);
    for (const [k, value] of props.get(v.id) ?? []) {
      if (!k.startsWith(KEY.keptRelation) || value.kind !== 'json') continue;
      const rest = k.slice(KEY.keptRelation.length);
      const slash = rest.indexOf('/');
      const relation = rest.slice(0, slash);
      const relId = prefixes.qname(rest.slice(slash + 1), local);
      const attrs = JSON.parse(value.value) as Attrs;
      const bundle = attrs[KEY.keptBundles];
      delete attrs[KEY.keptBundles];
      const out: Attrs = {};
      for (const [a, x] of Object.entries(attrs)) out[prefixes.qname(a, local)] = typeof x === 'string' && RELATIONS[relation]?.refs.some(([r]) => r === a) ? prefixes.qname(x, local) : qvalue(x, local);
      place(relation, relId, out, Array.isArray(bundle) ? (bundle as string[]) : []);
    }
  }

  const out: ProvDocument = { prefix: prefixes.document() };
  // Bundles inherit the document's prefixes.
  for (const [k, v] of Object.entries(sortKeys(doc))) out[k] = k === 'bundle' ? sortKeys(Object.fromEntries(Object.entries(v).map(([b, sub]) => [b, sortKeys(sub as ProvDocument)]))) : sortKeys(v);
  return out;
}
