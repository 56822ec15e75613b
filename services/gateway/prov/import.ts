/**
 * A PROV-JSON document -> facts of the model (pure). The inverse of ./export.ts: importing an
 * export and exporting again gives the same document. Nothing of a document is dropped:
 *
 *   entity, activity, agent        vertices; `provstream:*` attributes are their fields, PROV
 *                                  times their start/end; every other attribute a property
 *   used, wasGeneratedBy, wasDerivedFrom (prov:type prov:Revision -> wasRevisionOf),
 *   wasInformedBy, wasAssociatedWith, wasAttributedTo, actedOnBehalfOf
 *                                  edges; prov:role is the edge's role, prov:time its time, every
 *                                  other attribute an edge property
 *   every other relation           kept whole as a JSON property `prov-json:rel/<relation>/<id>`
 *   (wasStartedBy, wasEndedBy,     of its first element (its element references rewritten to our
 *    wasInvalidatedBy, wasInfluencedBy, specializationOf, alternateOf, hadMember, mentionOf)   ids)
 *   bundles                        flattened; members marked `prov-json:bundle/<id>`
 *   ids                            see ./names.ts; the document's own id is kept as `prov-json:id`
 *                                  when ours differs; elements only referenced get a vertex too
 *
 * Facts without a time of their own (PROV has none for elements) take `opts.time`.
 */
import { canonicalJson } from '../../ingest/rows.js';
import { entityId, edgeId } from '../../model/ids.js';
import type { ActivityStatus, AgentType, EdgeType, Payload, PropertyValue, VertexKind } from '../../model/types.js';
import { boundedArtifact, shortHash } from '../facts.js';
import type { Fact } from '../facts.js';
import { isObject, parseDateTime, pointer, typeName } from '../shape.js';
import type { Problem } from '../shape.js';
import { DocumentNames } from './names.js';
import { isLiteral, textOf, toPropertyValue } from './values.js';
import { ELEMENT_KINDS, KEY, QNAME_TYPE, RELATION_ALIASES, RELATIONS, REVISION } from './vocabulary.js';

type Attrs = Record<string, unknown>;

export interface ProvImport {
  facts: Fact[];
  /** Document id -> our id, for every element of the document. */
  ids: Record<string, string>;
  counts: { entities: number; activities: number; agents: number; edges: number; keptRelations: number; properties: number; metrics: number };
}

export type ProvImported = { ok: true; result: ProvImport } | { ok: false; problems: Problem[] };

interface Statement {
  path: string;
  section: string;
  id: string;
  attrs: Attrs;
  bundle: string | null;
}

const AGENT_TYPES: Record<string, AgentType> = { 'prov:Person': 'person', 'prov:Organization': 'team', 'prov:SoftwareAgent': 'service' };

function collect(doc: Attrs, path: string, bundle: string | null, out: Statement[], problems: Problem[]): void {
  for (const [section, body] of Object.entries(doc)) {
    if (section === 'prefix' || section === 'bundle') continue;
    const name = RELATION_ALIASES[section] ?? section;
    const at = pointer(path, section);
    if (!(ELEMENT_KINDS as readonly string[]).includes(name) && !RELATIONS[name]) {
      problems.push({ path: at, message: `is not a PROV-JSON section (entity, activity, agent, bundle, prefix or a relation such as ${Object.keys(RELATIONS).slice(0, 4).join(', ')}, ...)` });
      continue;
    }
    if (!isObject(body)) {
      problems.push({ path: at, message: `must be an object of id -> attributes, got ${typeName(body)}` });
      continue;
    }
    for (const [id, attrs] of Object.entries(body)) {
      // Several statements with one id are written as an array of attribute objects.
      const list = Array.isArray(attrs) ? attrs : [attrs];
      list.forEach((a, i) => {
        const p = Array.isArray(attrs) ? pointer(pointer(at, id), i) : pointer(at, id);
        if (!isObject(a)) problems.push({ path: p, message: `must be an object of attributes, got ${typeName(a)}` });
        else out.push({ path: p, section: name, id, attrs: a, bundle });
      });
    }
  }
}

class Builder {
  readonly facts: Fact[] = [];
  private readonly props = new Map<string, { subject: string; key: string; value: PropertyValue; time: number }>();
  private readonly uses = new Map<string, Set<string>>();
  readonly vertices = new Map<string, VertexKind>();

  constructor(
    readonly names: DocumentNames,
    readonly time: number,
  ) {}

  /** Later statements of the same (subject, key) replace earlier ones: one value per key per import. */
  property(subject: string, key: string, value: PropertyValue, time = this.time): void {
    this.props.set(`${subject}\0${key}`, { subject, key, value, time });
    const prefixes = [key, ...(value.kind === 'string' && key === KEY.sourceId ? [value.value] : []), ...qnamesIn(value)].map((q) => this.names.prefixOf(q));
    for (const p of prefixes) if (p) this.uses.set(subject, (this.uses.get(subject) ?? new Set()).add(p));
  }

  finish(): { facts: Fact[]; properties: number } {
    for (const [subject, prefixes] of this.uses) for (const p of prefixes) this.property(subject, KEY.xmlns + p, { kind: 'string', value: this.names.declared.get(p)! });
    const props = [...this.props.values()].map(({ subject, key, value, time }) => ({ time, payload: { type: 'property', subject, key, value } as Payload }));
    return { facts: [...this.facts, ...props], properties: props.length };
  }
}

function qnamesIn(v: PropertyValue): string[] {
  if (v.kind !== 'json') return [];
  const out: string[] = [];
  const visit = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (isLiteral(x)) {
      if (x.type === QNAME_TYPE || x.type === 'xsd:QName') out.push(x.$);
      if (x.type) out.push(x.type);
    }
  };
  try {
    visit(JSON.parse(v.value));
  } catch {
    // not JSON text: nothing to scan
  }
  return out;
}

/** Rewrites the prefixes of QName literals (`{"$": "ex:x", "type": "prov:QUALIFIED_NAME"}`) inside a value. */
function normalizeValue(v: unknown, names: DocumentNames): unknown {
  if (Array.isArray(v)) return v.map((x) => normalizeValue(x, names));
  if (isLiteral(v)) {
    const out: Attrs = { ...v };
    if (v.type) out['type'] = names.normalize(v.type);
    if (v.type === QNAME_TYPE || v.type === 'xsd:QName') out['$'] = names.normalize(v.$);
    return out;
  }
  return v;
}

function timeOf(v: unknown, path: string, problems: Problem[]): number | null {
  const text = textOf(v);
  const t = text === null ? null : parseDateTime(text.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  if (t === null) problems.push({ path, message: `${JSON.stringify(v)} is not an xsd:dateTime such as 2024-05-01T12:00:00Z` });
  return t;
}

function isRevision(v: unknown): boolean {
  const list = Array.isArray(v) ? v : [v];
  return list.some((x) => textOf(x) === REVISION);
}

export function importProv(doc: unknown, opts: { time: number }): ProvImported {
  const problems: Problem[] = [];
  if (!isObject(doc)) return { ok: false, problems: [{ path: '', message: `a PROV-JSON document must be a JSON object, got ${typeName(doc)}` }] };
  const statements: Statement[] = [];
  const prefixMaps = [{ path: '/prefix', map: doc['prefix'] }];
  collect(doc, '', null, statements, problems);
  if (doc['bundle'] !== undefined) {
    if (!isObject(doc['bundle'])) problems.push({ path: '/bundle', message: 'must be an object of bundle id -> document' });
    else
      for (const [b, sub] of Object.entries(doc['bundle'])) {
        if (!isObject(sub)) problems.push({ path: pointer('/bundle', b), message: 'a bundle must be a PROV-JSON document (an object)' });
        else {
          prefixMaps.push({ path: `${pointer('/bundle', b)}/prefix`, map: sub['prefix'] });
          collect(sub, pointer('/bundle', b), b, statements, problems);
        }
      }
  }
  const names = new DocumentNames(prefixMaps, shortHash(canonicalJson(doc), 16), problems);
  const b = new Builder(names, opts.time);

  // Elements: merge the statements about one id, then give each its id of our model.
  const elements = new Map<string, { kind: VertexKind; attrs: Attrs; bundles: Set<string>; path: string }>();
  for (const s of statements) {
    if (!(ELEMENT_KINDS as readonly string[]).includes(s.section)) continue;
    const id = names.normalize(s.id);
    const prev = elements.get(id);
    if (prev && prev.kind !== s.section) problems.push({ path: s.path, message: `${s.id} is already declared as ${/^[aeiou]/.test(prev.kind) ? 'an' : 'a'} ${prev.kind}` });
    else elements.set(id, { kind: s.section as VertexKind, attrs: { ...prev?.attrs, ...s.attrs }, bundles: (prev?.bundles ?? new Set()).add(s.bundle ?? ''), path: s.path });
  }
  const ids = new Map<string, string>();
  const idOf = (stored: string, kind: VertexKind): string => {
    const key = `${kind}\0${stored}`;
    let id = ids.get(key);
    if (id === undefined) {
      if (kind === 'entity') {
        const attrs = elements.get(stored)?.kind === 'entity' ? elements.get(stored)!.attrs : {};
        const fallback = names.entityIdentity(stored);
        if (typeof attrs['provstream:artifact'] === 'string' && typeof attrs['provstream:contentHash'] === 'string') id = entityId(attrs['provstream:artifact'], attrs['provstream:contentHash']);
        else id = names.vertexId(stored, 'entity') || entityId(boundedArtifact(fallback.artifact), fallback.contentHash);
      } else id = names.vertexId(stored, kind);
      ids.set(key, id);
    }
    return id;
  };
  const documentIds: Record<string, string> = {};
  for (const [stored, el] of elements) documentIds[stored] = idOf(stored, el.kind);
  const bundleMarks = (subject: string, bundles: Iterable<string>) => {
    for (const bundle of bundles) if (bundle !== '') b.property(subject, KEY.bundle + bundle, { kind: 'bool', value: true });
  };
  return importBody({ b, elements, idOf, bundleMarks, statements, problems, documentIds });
}

interface Ctx {
  b: Builder;
  elements: Map<string, { kind: VertexKind; attrs: Attrs; bundles: Set<string>; path: string }>;
  idOf: (stored: string, kind: VertexKind) => string;
  bundleMarks: (subject: string, bundles: Iterable<string>) => void;
  statements: Statement[];
  problems: Problem[];
  documentIds: Record<string, string>;
}

const FIELD_ATTRS: Record<VertexKind, readonly string[]> = {
  entity: ['provstream:artifact', 'provstream:contentHash', 'provstream:version', 'provstream:entityType', 'provstream:sizeBytes'],
  activity: ['provstream:name', 'provstream:command', 'provstream:status', 'prov:startTime', 'prov:endTime', 'provstream:exitCode', 'provstream:workdir', 'provstream:params', 'provstream:env'],
  agent: ['provstream:name', 'provstream:agentType', 'provstream:email'],
};

const intOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
const strOr = <T>(v: unknown, fallback: T): string | T => (typeof v === 'string' ? v : fallback);

function stringMap(v: unknown, path: string, problems: Problem[]): Record<string, string> {
  if (v === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(textOf(v) ?? '');
    if (isObject(parsed) && Object.values(parsed).every((x) => typeof x === 'string')) return parsed as Record<string, string>;
  } catch {
    // reported below
  }
  problems.push({ path, message: 'must be a provstream:json literal of an object of strings' });
  return {};
}

function importBody(c: Ctx): ProvImported {
  const { b, problems } = c;
  const names = b.names;
  let metrics = 0;
  const declaredVertex = (kind: VertexKind, stored: string, attrs: Attrs, path: string): Extract<Payload, { id: string }> => {
    const id = c.idOf(stored, kind);
    const label = textOf(attrs['prov:label']) ?? names.localName(stored);
    if (kind === 'entity') {
      const identity = names.entityIdentity(stored);
      const artifact = strOr(attrs['provstream:artifact'], boundedArtifact(identity.artifact));
      const contentHash = strOr(attrs['provstream:contentHash'], identity.contentHash);
      if (entityId(artifact, contentHash) !== id) problems.push({ path, message: `an entity named in our ent: namespace needs the provstream:artifact and provstream:contentHash its id ${id} was derived from` });
      return { type: 'entity', id, artifact, contentHash, version: intOrNull(attrs['provstream:version']), entityType: strOr(attrs['provstream:entityType'], 'entity'), sizeBytes: intOrNull(attrs['provstream:sizeBytes']) };
    }
    if (kind === 'activity') {
      const startTime = attrs['prov:startTime'] === undefined ? null : timeOf(attrs['prov:startTime'], `${path}/prov:startTime`, problems);
      const endTime = attrs['prov:endTime'] === undefined ? null : timeOf(attrs['prov:endTime'], `${path}/prov:endTime`, problems);
      return {
        type: 'activity', id, name: strOr(attrs['provstream:name'], label).slice(0, 256), command: strOr(attrs['provstream:command'], ''),
        // PROV records what happened: an activity without a status of ours is a finished one.
        status: strOr(attrs['provstream:status'], 'COMPLETED') as ActivityStatus, startTime, endTime, exitCode: intOrNull(attrs['provstream:exitCode']),
        workdir: strOr(attrs['provstream:workdir'], null), params: stringMap(attrs['provstream:params'], `${path}/provstream:params`, problems), env: stringMap(attrs['provstream:env'], `${path}/provstream:env`, problems),
      };
    }
    const provType = Array.isArray(attrs['prov:type']) ? attrs['prov:type'] : [attrs['prov:type']];
    const fromType = provType.map((t) => AGENT_TYPES[textOf(t) ?? '']).find((t) => t !== undefined);
    return { type: 'agent', id, name: strOr(attrs['provstream:name'], label).slice(0, 256), agentType: strOr(attrs['provstream:agentType'], fromType ?? 'person') as AgentType, email: strOr(attrs['provstream:email'], null) };
  };
  const vertexTime = (p: Payload) => (p.type === 'activity' ? (p.endTime ?? p.startTime ?? b.time) : b.time);

  for (const [stored, el] of c.elements) {
    const payload = declaredVertex(el.kind, stored, el.attrs, el.path);
    b.facts.push({ time: vertexTime(payload), payload });
    b.vertices.set(payload.id, el.kind);
    if (stored !== payload.id) b.property(payload.id, KEY.sourceId, { kind: 'string', value: stored });
    c.bundleMarks(payload.id, el.bundles);
    for (const [k, v] of Object.entries(el.attrs)) {
      if (FIELD_ATTRS[el.kind].includes(k)) continue;
      if (k === 'provstream:metrics') {
        metrics += importMetrics(b, payload.id, v, `${el.path}/provstream:metrics`, problems);
        continue;
      }
      b.property(payload.id, names.normalize(k), toPropertyValue(normalizeValue(v, names)));
    }
  }

  let edges = 0;
  let kept = 0;
  /**
   * Elements a relation names without declaring them stay undeclared (the edge names their ids,
   * as the document did). Only a kept relation with no declared element to live on creates one.
   */
  const declare = (stored: string, kind: VertexKind): string => {
    const id = c.idOf(stored, kind);
    if (!b.vertices.has(id)) {
      b.facts.push({ time: b.time, payload: declaredVertex(kind, stored, {}, '') });
      b.vertices.set(id, kind);
      if (stored !== id) b.property(id, KEY.sourceId, { kind: 'string', value: stored });
    }
    return id;
  };
  for (const s of c.statements) {
    const spec = RELATIONS[s.section];
    if (!spec) continue;
    const refs = new Map<string, string>();
    const refKinds = new Map<string, VertexKind | null>();
    const storedRefs = new Map<string, string>();
    for (const [attr, kind] of spec.refs) {
      const v = s.attrs[attr];
      if (v === undefined || v === null) continue;
      const text = textOf(v);
      if (text === null) {
        problems.push({ path: `${s.path}/${attr}`, message: 'must be the id of an element (a QName string)' });
        continue;
      }
      const stored = names.normalize(text);
      const declared = c.elements.get(stored)?.kind;
      refs.set(attr, kind === 'any' ? (declared ? c.idOf(stored, declared) : stored) : c.idOf(stored, kind));
      refKinds.set(attr, kind === 'any' ? (declared ?? null) : kind);
      storedRefs.set(attr, stored);
    }
    const a1 = spec.refs[0]![0];
    const a2 = spec.refs[1]![0];
    const from = refs.get(a1);
    const to = refs.get(a2);
    const relId = names.normalize(s.id);
    if (spec.edge && from && to && from !== to) {
      const type: EdgeType = spec.edge === 'wasDerivedFrom' && isRevision(s.attrs['prov:type']) ? 'wasRevisionOf' : spec.edge;
      const role = typeof s.attrs['prov:role'] === 'string' ? s.attrs['prov:role'] : null;
      const time = s.attrs['prov:time'] === undefined ? b.time : (timeOf(s.attrs['prov:time'], `${s.path}/prov:time`, problems) ?? b.time);
      b.facts.push({ time, payload: { type: 'relation', relation: type, from, to, role } });
      edges++;
      const subject = edgeId(type, from, to);
      if (!relId.startsWith('_:')) b.property(subject, KEY.sourceId, { kind: 'string', value: relId });
      c.bundleMarks(subject, s.bundle ? [s.bundle] : []);
      for (const [k, v] of Object.entries(s.attrs)) {
        if (k === a1 || k === a2 || (k === 'prov:role' && role !== null)) continue;
        let value = refs.has(k) ? refs.get(k)! : normalizeValue(v, names);
        if (k === 'prov:type' && type === 'wasRevisionOf') {
          // prov:Revision is the edge type; other types stated with it stay a property.
          const rest = (Array.isArray(v) ? v : [v]).filter((x) => textOf(x) !== REVISION);
          if (rest.length === 0) continue;
          value = normalizeValue(rest, names);
        }
        b.property(subject, names.normalize(k), toPropertyValue(value));
      }
      continue;
    }
    let subject = [from, to].find((id) => id !== undefined && b.vertices.has(id));
    if (!subject) {
      const attr = [a1, a2].find((a) => refKinds.get(a));
      if (!attr) {
        problems.push({ path: s.path, message: `a ${s.section} must name its ${a1} or ${a2} element` });
        continue;
      }
      subject = declare(storedRefs.get(attr)!, refKinds.get(attr)!);
    }
    const record: Attrs = {};
    for (const [k, v] of Object.entries(s.attrs)) record[names.normalize(k)] = refs.has(k) ? refs.get(k)! : normalizeValue(v, names);
    if (s.bundle) record[KEY.keptBundles] = [s.bundle];
    b.property(subject, `${KEY.keptRelation}${s.section}/${relId}`, { kind: 'json', value: canonicalJson(record) });
    kept++;
  }
  if (problems.length) return { ok: false, problems };
  const { facts, properties } = b.finish();
  const count = (k: VertexKind) => [...b.vertices.values()].filter((x) => x === k).length;
  return { ok: true, result: { facts, ids: c.documentIds, counts: { entities: count('entity'), activities: count('activity'), agents: count('agent'), edges, keptRelations: kept, properties, metrics } } };
}

function importMetrics(b: Builder, subject: string, v: unknown, path: string, problems: Problem[]): number {
  let points: unknown;
  try {
    points = JSON.parse(textOf(v) ?? '');
  } catch {
    points = null;
  }
  if (!Array.isArray(points)) return problems.push({ path, message: 'must be a provstream:json literal of [{key, step, value, time}]' }), 0;
  for (const p of points) {
    if (!isObject(p) || typeof p['key'] !== 'string' || typeof p['value'] !== 'number' || !Number.isSafeInteger(p['step']) || !Number.isSafeInteger(p['time'])) {
      problems.push({ path, message: `a metric point must be {key, step, value, time}, got ${JSON.stringify(p)}` });
      continue;
    }
    b.facts.push({ time: p['time'] as number, payload: { type: 'metric', subject, key: p['key'], step: p['step'] as number, value: p['value'], time: p['time'] as number } });
  }
  return points.length;
}
