/**
 * HTTP inputs → typed graph operation requests. Pure. Every problem is collected with the path
 * of the offending field and reported at once as an InputError (HTTP 400), e.g.
 * `boundary.exclude[1].op must be one of =, !=, <, <=, >, >=`.
 *
 * Query strings (GET): direction, depth, types (comma list or "all"), asOf (epoch ms or an ISO
 * date), maxNodes, waitFor (event id), minOffsets ("0:12,1:40"), waitMs.
 * Bodies (POST): JSON as documented in services/graph/README.md.
 */
import { InputError } from '../lib/errors.js';
import { EDGE_TYPES, VERTEX_KINDS, type EdgeType } from '../model/types.js';
import type { CompareOp, VertexPredicate } from './core/boundary.js';
import type { LineageDirection } from './core/lineage.js';
import { SEGMENT_ROLES as ROLES, type SegmentBoundary, type SegmentRole } from './core/segment.js';
import type { LabelKeys } from './core/summarize.js';
import type { WaitCondition } from './freshness.js';
import { DEFAULT_LINEAGE_MAX_NODES, MAX_DEPTH, MAX_NODES } from './limits.js';

export { DEFAULT_LINEAGE_MAX_NODES, MAX_DEPTH, MAX_NODES };

export interface TreeRequest {
  ref: string;
  depth?: number;
  types?: EdgeType[];
  asOf?: number;
  maxNodes?: number;
}

export interface LineageRequest extends TreeRequest {
  direction: LineageDirection;
}

export interface SegmentSpec {
  sources: string[];
  destinations: string[];
  boundary: SegmentBoundary;
  /** `boundary.asOf`: references are resolved as of this time (it also caps `boundary.timeWindow.to`). */
  asOf?: number;
}

/** A summarize input: a segment to compute, or an explicit vertex set. */
export type SegmentInputSpec = SegmentSpec | { vertices: string[] };

export interface SummarizeRequest {
  segments: SegmentInputSpec[];
  labelKeys: LabelKeys;
  /** Refinement rounds; Infinity = full bisimulation. */
  k: number;
  roles?: SegmentRole[];
  /** Edge types taken between a segment's vertices (default: all, SPEC §6). */
  edgeTypes?: EdgeType[];
  /** L of the no-false-path check. */
  pathCheckLength: number;
}

export interface WaitRequest {
  condition: WaitCondition;
  waitMs: number;
}

export const DEFAULT_LABEL_KEYS: LabelKeys = { activity: ['command'], entity: ['artifact'] };
export const DEFAULT_PATH_CHECK_LENGTH = 6;
const MAX_PATH_CHECK_LENGTH = 12;
const MAX_SEGMENTS = 10_000;
const OPS: readonly CompareOp[] = ['=', '!=', '<', '<=', '>', '>='];
const DIRECTIONS: readonly LineageDirection[] = ['upstream', 'downstream', 'both'];

type Obj = Record<string, unknown>;

/** Collects problems; `done()` throws them as one InputError. */
class Problems {
  readonly list: string[] = [];
  add(path: string, msg: string): void {
    this.list.push(`${path} ${msg}`);
  }
  done(): void {
    if (this.list.length) throw new InputError(this.list.join('; '), { problems: this.list.length });
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON has no NaN or Infinity: a client's NaN arrives as null, which must not read as "not given". */
const NULL_HINT = '; a NaN or Infinity becomes null in JSON: leave the field out for the default';

function int(p: Problems, path: string, raw: unknown, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    p.add(path, `must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)}${raw === null ? NULL_HINT : ''})`);
    return undefined;
  }
  return n;
}

/** Epoch ms, or an ISO date/time. */
function time(p: Problems, path: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') {
    if (/^-?\d+$/.test(raw)) return Number(raw);
    const t = Date.parse(raw);
    if (!Number.isNaN(t)) return t;
  }
  p.add(path, `must be epoch milliseconds or an ISO date such as 2026-11-02T09:00:00Z (got ${JSON.stringify(raw)}${raw === null ? NULL_HINT : ''})`);
  return undefined;
}

function edgeTypes(p: Problems, path: string, raw: unknown): EdgeType[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const list = typeof raw === 'string' ? (raw === 'all' ? [...EDGE_TYPES] : raw.split(',').map((s) => s.trim()).filter(Boolean)) : raw;
  if (!Array.isArray(list)) {
    p.add(path, 'must be a list of edge types');
    return undefined;
  }
  const bad = list.filter((t) => !(EDGE_TYPES as readonly unknown[]).includes(t));
  if (bad.length) p.add(path, `has unknown edge type(s) ${bad.map((b) => JSON.stringify(b)).join(', ')}; known: ${EDGE_TYPES.join(', ')}`);
  return list as EdgeType[];
}

function stringList(p: Problems, path: string, raw: unknown, required: boolean): string[] {
  if (raw === undefined && !required) return [];
  if (raw === undefined) {
    p.add(path, 'is required: a list of vertex ids or artifact@version references');
    return [];
  }
  if (typeof raw === 'string') return [raw];
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string' || s === '')) {
    p.add(path, 'must be a list of vertex ids or artifact@version references');
    return [];
  }
  return raw as string[];
}

/** Query-string wait: waitFor=<eventId>, minOffsets=0:12,1:40, waitMs (≤ maxWaitMs). */
export function parseWait(query: Obj, defaultWaitMs: number, maxWaitMs: number): WaitRequest {
  const p = new Problems();
  const condition: WaitCondition = {};
  const waitFor = query['waitFor'];
  if (typeof waitFor === 'string' && waitFor !== '') condition.eventId = waitFor;
  else if (isObj(waitFor) && typeof waitFor['eventId'] === 'string') condition.eventId = waitFor['eventId'];
  else if (waitFor !== undefined && waitFor !== '') p.add('waitFor', 'must be an event id (or {"eventId": "…"} in a body)');
  const offsets = query['minOffsets'];
  if (typeof offsets === 'string' && offsets !== '') {
    const m: Record<string, number> = {};
    for (const part of offsets.split(',')) {
      const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(part);
      if (match) m[match[1]!] = Number(match[2]);
      else p.add('minOffsets', `must look like "0:12,1:40" (partition:offset pairs), got ${JSON.stringify(part)}`);
    }
    condition.minOffsets = m;
  } else if (isObj(offsets)) {
    const m: Record<string, number> = {};
    for (const [k, v] of Object.entries(offsets)) {
      if (/^\d+$/.test(k) && typeof v === 'number' && Number.isInteger(v) && v >= 0) m[k] = v;
      else p.add(`minOffsets.${k}`, 'must map a partition number to an offset ≥ 0');
    }
    condition.minOffsets = m;
  } else if (offsets !== undefined && offsets !== '') p.add('minOffsets', 'must be "partition:offset,…" or an object');
  const waitMs = int(p, 'waitMs', query['waitMs'], 0, maxWaitMs) ?? defaultWaitMs;
  p.done();
  return { condition, waitMs };
}

export function parseTreeQuery(ref: string, query: Obj): TreeRequest {
  const p = new Problems();
  const r = treeFields(p, ref, query);
  p.done();
  return r;
}

export function parseLineageQuery(ref: string, query: Obj): LineageRequest {
  const p = new Problems();
  const r = treeFields(p, ref, query);
  const direction = query['direction'] ?? 'upstream';
  if (!(DIRECTIONS as readonly unknown[]).includes(direction)) p.add('direction', `must be one of ${DIRECTIONS.join(', ')} (got ${JSON.stringify(direction)})`);
  p.done();
  return { ...r, direction: direction as LineageDirection };
}

function treeFields(p: Problems, ref: string, query: Obj): TreeRequest {
  if (!ref) p.add('id', 'is required (a vertex id or artifact@version)');
  const r: TreeRequest = { ref };
  const depth = int(p, 'depth', query['depth'], 0, MAX_DEPTH);
  if (depth !== undefined) r.depth = depth;
  const types = edgeTypes(p, 'types', query['types']);
  if (types) r.types = types;
  const asOf = time(p, 'asOf', query['asOf']);
  if (asOf !== undefined) r.asOf = asOf;
  const maxNodes = int(p, 'maxNodes', query['maxNodes'], 1, MAX_NODES);
  if (maxNodes !== undefined) r.maxNodes = maxNodes;
  return r;
}

export function parseDiffQuery(query: Obj): { a: string; b: string } {
  const p = new Problems();
  const a = query['a'];
  const b = query['b'];
  if (typeof a !== 'string' || a === '') p.add('a', 'is required: the first activity or entity version (id or artifact@version)');
  if (typeof b !== 'string' || b === '') p.add('b', 'is required: the second activity or entity version (id or artifact@version)');
  p.done();
  return { a: a as string, b: b as string };
}

/** The keys that name a predicate, each with the other fields its object may have. */
const PREDICATE_FIELDS: Readonly<Record<string, readonly string[]>> = { kind: [], id: [], artifact: [], agent: [], prop: ['op', 'value'], all: [] };

/** One predicate per object, with its own fields only: an extra key would otherwise be ignored silently. */
function predicate(p: Problems, path: string, raw: unknown): VertexPredicate | null {
  if (!isObj(raw)) {
    p.add(path, 'must be an object such as {"kind":"agent"}, {"artifact":"scripts/*"}, {"agent":"bob"}, {"id":"…"}, {"prop":"pii","op":"=","value":true} or {"all":[…]}');
    return null;
  }
  const named = Object.keys(raw).filter((k) => k in PREDICATE_FIELDS);
  if (named.length === 0) {
    p.add(path, `names no known predicate (${Object.keys(PREDICATE_FIELDS).join(', ')})`);
    return null;
  }
  if (named.length > 1) {
    p.add(path, `combines ${named.map((k) => JSON.stringify(k)).join(' and ')}: one predicate per object; to require several, list them in {"all": […]}`);
    return null;
  }
  const key = named[0]!;
  const fields = PREDICATE_FIELDS[key]!;
  let extra = false;
  for (const k of Object.keys(raw)) {
    if (k === key || fields.includes(k)) continue;
    p.add(`${path}.${k}`, `is not a field of a "${key}" predicate (${[key, ...fields].join(', ')})`);
    extra = true;
  }
  if (extra) return null;
  if (key === 'kind') {
    if (!(VERTEX_KINDS as readonly unknown[]).includes(raw['kind'])) p.add(`${path}.kind`, `must be one of ${VERTEX_KINDS.join(', ')}`);
    return { kind: raw['kind'] as (typeof VERTEX_KINDS)[number] };
  }
  if (key === 'prop') {
    const op = raw['op'] ?? '=';
    const value = raw['value'];
    if (typeof raw['prop'] !== 'string' || raw['prop'] === '') p.add(`${path}.prop`, 'must be a property name');
    if (!(OPS as readonly unknown[]).includes(op)) p.add(`${path}.op`, `must be one of ${OPS.join(', ')}`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) p.add(`${path}.value`, 'must be a string, number or boolean');
    return { prop: raw['prop'] as string, op: op as CompareOp, value: value as string | number | boolean };
  }
  if (key === 'all') {
    const list = raw['all'];
    if (!Array.isArray(list) || list.length === 0) {
      p.add(`${path}.all`, 'must list at least one predicate (an empty "all" matches every vertex, so it would exclude them all)');
      return null;
    }
    const parts = list.map((q, i) => predicate(p, `${path}.all[${i}]`, q));
    return { all: parts.filter((q): q is VertexPredicate => q !== null) };
  }
  if (typeof raw[key] !== 'string' || raw[key] === '') p.add(`${path}.${key}`, 'must be a non-empty string');
  return { [key]: raw[key] as string } as VertexPredicate;
}

function boundary(p: Problems, path: string, raw: unknown): { b: SegmentBoundary; asOf?: number } {
  const b: SegmentBoundary = {};
  if (raw === undefined || raw === null) return { b };
  if (!isObj(raw)) {
    p.add(path, 'must be an object');
    return { b };
  }
  const known = new Set(['exclude', 'edgeTypes', 'maxLength', 'timeWindow', 'expansion', 'asOf']);
  for (const k of Object.keys(raw)) if (!known.has(k)) p.add(`${path}.${k}`, `is not a boundary field (known: ${[...known].join(', ')})`);
  if (raw['exclude'] !== undefined) {
    if (!Array.isArray(raw['exclude'])) p.add(`${path}.exclude`, 'must be a list of predicates');
    else b.exclude = raw['exclude'].map((q, i) => predicate(p, `${path}.exclude[${i}]`, q)).filter((q): q is VertexPredicate => q !== null);
  }
  const types = edgeTypes(p, `${path}.edgeTypes`, raw['edgeTypes']);
  if (types) b.edgeTypes = types;
  const maxLength = int(p, `${path}.maxLength`, raw['maxLength'], 0, 10_000);
  if (maxLength !== undefined) b.maxLength = maxLength;
  const window: { from?: number; to?: number } = {};
  if (raw['timeWindow'] !== undefined) {
    if (!isObj(raw['timeWindow'])) p.add(`${path}.timeWindow`, 'must be {"from": ms|ISO, "to": ms|ISO}');
    else {
      const from = time(p, `${path}.timeWindow.from`, raw['timeWindow']['from']);
      const to = time(p, `${path}.timeWindow.to`, raw['timeWindow']['to']);
      if (from !== undefined) window.from = from;
      if (to !== undefined) window.to = to;
    }
  }
  const asOf = time(p, `${path}.asOf`, raw['asOf']);
  if (asOf !== undefined) window.to = Math.min(window.to ?? Infinity, asOf);
  if (window.from !== undefined || window.to !== undefined) b.timeWindow = window;
  if (raw['expansion'] !== undefined) {
    const e = raw['expansion'];
    if (!isObj(e)) p.add(`${path}.expansion`, 'must be {"hops": n, "edges": [edge types]}');
    else {
      const hops = int(p, `${path}.expansion.hops`, e['hops'], 0, 100) ?? 0;
      const edges = edgeTypes(p, `${path}.expansion.edges`, e['edges']) ?? [];
      if (hops > 0 && edges.length === 0) p.add(`${path}.expansion.edges`, 'must name at least one edge type when hops > 0');
      b.expansion = { hops, edges };
    }
  }
  return asOf === undefined ? { b } : { b, asOf };
}

function segmentSpec(p: Problems, path: string, raw: unknown): SegmentSpec {
  if (!isObj(raw)) {
    p.add(path, 'must be {"sources": […], "destinations": […], "boundary": {…}}');
    return { sources: [], destinations: [], boundary: {} };
  }
  const destinations = stringList(p, `${path}.destinations`, raw['destinations'], true);
  if (destinations.length === 0 && !p.list.some((x) => x.startsWith(`${path}.destinations`))) p.add(`${path}.destinations`, 'must name at least one vertex');
  const spec: SegmentSpec = { sources: stringList(p, `${path}.sources`, raw['sources'], false), destinations, boundary: {} };
  const { b, asOf } = boundary(p, `${path}.boundary`, raw['boundary']);
  spec.boundary = b;
  if (asOf !== undefined) spec.asOf = asOf;
  return spec;
}

export function parseSegmentBody(body: unknown): SegmentSpec {
  const p = new Problems();
  const spec = segmentSpec(p, 'body', body);
  p.done();
  return spec;
}

export function parseSummarizeBody(body: unknown): SummarizeRequest {
  const p = new Problems();
  const b = isObj(body) ? body : {};
  if (!isObj(body)) p.add('body', 'must be a JSON object');
  const segments: SegmentInputSpec[] = [];
  const raw = b['segments'];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_SEGMENTS) p.add('segments', `must be a list of 1 to ${MAX_SEGMENTS} segments`);
  else
    raw.forEach((s, i) => {
      if (isObj(s) && 'vertices' in s) segments.push({ vertices: stringList(p, `segments[${i}].vertices`, s['vertices'], true) });
      else segments.push(segmentSpec(p, `segments[${i}]`, s));
    });
  const labelKeys: LabelKeys = {};
  const rawKeys = b['labelKeys'] ?? DEFAULT_LABEL_KEYS;
  if (!isObj(rawKeys)) p.add('labelKeys', 'must map a kind to property names, e.g. {"activity": ["command"], "entity": ["artifact"]}');
  else
    for (const [kind, keys] of Object.entries(rawKeys)) {
      if (!(VERTEX_KINDS as readonly string[]).includes(kind)) p.add(`labelKeys.${kind}`, `is not a vertex kind (${VERTEX_KINDS.join(', ')})`);
      else if (typeof keys === 'string') labelKeys[kind as keyof LabelKeys] = [keys];
      else if (Array.isArray(keys) && keys.every((k) => typeof k === 'string')) labelKeys[kind as keyof LabelKeys] = keys as string[];
      else p.add(`labelKeys.${kind}`, 'must be a property name or a list of them');
    }
  let k = Infinity;
  const rawK = b['k'];
  if (rawK !== undefined && rawK !== null && !(typeof rawK === 'string' && ['inf', 'infinity', '∞'].includes(rawK.toLowerCase()))) {
    k = int(p, 'k', rawK, 0, 1_000_000) ?? Infinity;
  }
  const req: SummarizeRequest = { segments, labelKeys, k, pathCheckLength: int(p, 'pathCheckLength', b['pathCheckLength'], 0, MAX_PATH_CHECK_LENGTH) ?? DEFAULT_PATH_CHECK_LENGTH };
  if (b['roles'] !== undefined) {
    if (!Array.isArray(b['roles']) || b['roles'].some((r) => !(ROLES as readonly unknown[]).includes(r))) p.add('roles', `must be a list of ${ROLES.join(', ')}`);
    else req.roles = b['roles'] as SegmentRole[];
  }
  if (b['extraEdgeTypes'] !== undefined) p.add('extraEdgeTypes', 'is no longer accepted: summarize now takes every edge type between a segment\'s vertices (SPEC §6); use edgeTypes to restrict them, e.g. the lineage types only');
  const types = edgeTypes(p, 'edgeTypes', b['edgeTypes']);
  if (types) req.edgeTypes = types;
  p.done();
  return req;
}
