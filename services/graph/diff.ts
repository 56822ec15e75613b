/**
 * `diff` of two activities or two entity versions (SPEC §4 introspective queries): a structured
 * diff, section by section, of what differs between two runs or two versions. Pure.
 *
 * Activities: attributes (name, command, status, exit code, duration, workdir), inputs (used
 * entities that are not code, keyed by artifact, valued by version), code (used entities whose
 * artifact looks like source code), params, env, agents, metrics (last value per key), outputs
 * (generated entities by artifact).
 * Entities: attributes (artifact, version, content hash, type, size), derivedFrom (by artifact),
 * agents (attributed to), properties (user properties), metrics, and — when both were generated
 * by activities — the diff of their generating activities (`generatedBy`).
 */
import { InputError } from '../lib/errors.js';
import type { EdgeType, VertexKind } from '../model/types.js';
import { EDGE_TYPE_CODE, type PropValue, type ProvGraph } from './core/graph.js';
import { agentsOf, vertexLabel } from './introspect.js';
import { ENV_PREFIX, METRIC_PREFIX, PARAM_PREFIX, STATE_KEYS } from './project-graph.js';

/** A section value: a scalar, or entity versions ({id, version}) for artifact-keyed sections. */
export type DiffValue = PropValue | null | Array<{ id: string; version: number | null }>;

export interface SectionDiff {
  added: Array<{ key: string; value: DiffValue }>;
  removed: Array<{ key: string; value: DiffValue }>;
  changed: Array<{ key: string; a: DiffValue; b: DiffValue }>;
  /** Keys equal on both sides. */
  unchanged: string[];
}

export interface VertexSummary {
  id: string;
  kind: VertexKind;
  label: string;
  time: number;
}

export interface ActivityDiff {
  kind: 'activity';
  a: VertexSummary;
  b: VertexSummary;
  sections: Record<'attributes' | 'inputs' | 'code' | 'params' | 'env' | 'agents' | 'metrics' | 'outputs', SectionDiff>;
}

export interface EntityDiff {
  kind: 'entity';
  a: VertexSummary;
  b: VertexSummary;
  sections: Record<'attributes' | 'derivedFrom' | 'agents' | 'properties' | 'metrics', SectionDiff>;
  /** Diff of the activities that generated a and b (null when either has none, or it is the same one). */
  generatedBy: ActivityDiff | null;
}

export type VertexDiff = ActivityDiff | EntityDiff;

const CODE_EXTENSIONS = /\.(py|ipynb|r|jl|sh|bash|zsh|js|mjs|cjs|ts|scala|java|kt|sql|go|rs|c|cc|cpp|h|hpp|rb|pl|m|lua|swift|cs)$/i;
const CODE_TYPES = new Set(['code', 'script', 'notebook', 'source']);

/** Whether an entity is code: a source-file extension, or an entity type code/script/notebook/source. */
export function looksLikeCode(artifact: string, entityType?: string | null): boolean {
  return CODE_EXTENSIONS.test(artifact) || (entityType !== undefined && entityType !== null && CODE_TYPES.has(entityType.toLowerCase()));
}

/** Structured diff of vertices `a` and `b` (indices); InputError unless both are activities or both entities. */
export function diffVertices(graph: ProvGraph, a: number, b: number): VertexDiff {
  const ka = graph.kindOf(a);
  const kb = graph.kindOf(b);
  if (ka !== kb || ka === 'agent') {
    throw new InputError(`diff compares two activities or two entity versions; ${graph.idOf(a)} is an ${ka} and ${graph.idOf(b)} is an ${kb}`, { a: graph.idOf(a), b: graph.idOf(b) });
  }
  return ka === 'activity' ? diffActivities(graph, a, b) : diffEntities(graph, a, b);
}

function summary(graph: ProvGraph, v: number): VertexSummary {
  return { id: graph.idOf(v), kind: graph.kindOf(v), label: vertexLabel(graph, v), time: graph.timeOf(v) };
}

function diffActivities(graph: ProvGraph, a: number, b: number): ActivityDiff {
  const used = (v: number, code: boolean) => versionsByArtifact(graph, neighbours(graph, v, 'out', 'used').filter((e) => isCode(graph, e) === code));
  const generated = (v: number) => versionsByArtifact(graph, neighbours(graph, v, 'in', 'wasGeneratedBy'));
  return {
    kind: 'activity',
    a: summary(graph, a),
    b: summary(graph, b),
    sections: {
      attributes: compare(pick(graph, a, STATE_KEYS.activity, ['startTime', 'endTime']), pick(graph, b, STATE_KEYS.activity, ['startTime', 'endTime'])),
      inputs: compare(used(a, false), used(b, false)),
      code: compare(used(a, true), used(b, true)),
      params: compare(prefixed(graph, a, PARAM_PREFIX), prefixed(graph, b, PARAM_PREFIX)),
      env: compare(prefixed(graph, a, ENV_PREFIX), prefixed(graph, b, ENV_PREFIX)),
      agents: compare(agentMap(graph, a), agentMap(graph, b)),
      metrics: compare(prefixed(graph, a, METRIC_PREFIX), prefixed(graph, b, METRIC_PREFIX)),
      outputs: compare(generated(a), generated(b)),
    },
  };
}

function diffEntities(graph: ProvGraph, a: number, b: number): EntityDiff {
  const derived = (v: number) => versionsByArtifact(graph, neighbours(graph, v, 'out', 'wasDerivedFrom'));
  const genA = neighbours(graph, a, 'out', 'wasGeneratedBy');
  const genB = neighbours(graph, b, 'out', 'wasGeneratedBy');
  const ga = genA[0];
  const gb = genB[0];
  return {
    kind: 'entity',
    a: summary(graph, a),
    b: summary(graph, b),
    sections: {
      attributes: compare(pick(graph, a, STATE_KEYS.entity, []), pick(graph, b, STATE_KEYS.entity, [])),
      derivedFrom: compare(derived(a), derived(b)),
      agents: compare(agentMap(graph, a), agentMap(graph, b)),
      properties: compare(userProps(graph, a), userProps(graph, b)),
      metrics: compare(prefixed(graph, a, METRIC_PREFIX), prefixed(graph, b, METRIC_PREFIX)),
    },
    generatedBy: ga !== undefined && gb !== undefined && ga !== gb ? diffActivities(graph, ga, gb) : null,
  };
}

/** Neighbours of `v` over one edge type, in direction `dir` (out = PROV direction). */
function neighbours(graph: ProvGraph, v: number, dir: 'out' | 'in', type: EdgeType): number[] {
  const out: number[] = [];
  graph.forEachNeighbour(v, dir, 1 << EDGE_TYPE_CODE[type], (w) => out.push(w));
  return out.sort((x, y) => x - y);
}

function isCode(graph: ProvGraph, v: number): boolean {
  const artifact = graph.prop(v, 'artifact');
  const type = graph.prop(v, 'entityType');
  return looksLikeCode(typeof artifact === 'string' ? artifact : '', typeof type === 'string' ? type : null);
}

/** Entities keyed by artifact (placeholders by id), valued by their versions sorted by version. */
function versionsByArtifact(graph: ProvGraph, entities: readonly number[]): Map<string, DiffValue> {
  const m = new Map<string, Array<{ id: string; version: number | null }>>();
  for (const e of entities) {
    const artifact = graph.prop(e, 'artifact');
    const version = graph.prop(e, 'version');
    const key = typeof artifact === 'string' ? artifact : graph.idOf(e);
    const list = m.get(key) ?? [];
    list.push({ id: graph.idOf(e), version: typeof version === 'number' ? version : null });
    m.set(key, list);
  }
  for (const list of m.values()) list.sort((x, y) => (x.version ?? 0) - (y.version ?? 0) || (x.id < y.id ? -1 : 1));
  return m;
}

function pick(graph: ProvGraph, v: number, keys: readonly string[], skip: readonly string[]): Map<string, DiffValue> {
  const m = new Map<string, DiffValue>();
  for (const k of keys) {
    if (skip.includes(k)) continue;
    const value = graph.prop(v, k);
    if (value !== undefined) m.set(k, value);
  }
  return m;
}

function prefixed(graph: ProvGraph, v: number, prefix: string): Map<string, DiffValue> {
  const m = new Map<string, DiffValue>();
  for (const [k, value] of Object.entries(graph.props(v))) if (k.startsWith(prefix)) m.set(k.slice(prefix.length), value);
  return m;
}

/** Properties that are neither the kind's state keys nor params/env/metrics. */
function userProps(graph: ProvGraph, v: number): Map<string, DiffValue> {
  const state = new Set<string>(STATE_KEYS[graph.kindOf(v)]);
  const m = new Map<string, DiffValue>();
  for (const [k, value] of Object.entries(graph.props(v))) {
    if (state.has(k) || k.startsWith(PARAM_PREFIX) || k.startsWith(ENV_PREFIX) || k.startsWith(METRIC_PREFIX)) continue;
    m.set(k, value);
  }
  return m;
}

function agentMap(graph: ProvGraph, v: number): Map<string, DiffValue> {
  return new Map(agentsOf(graph, v).map((name) => [name, true]));
}

function same(x: DiffValue, y: DiffValue): boolean {
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((e, i) => e.id === y[i]!.id);
  return x === y;
}

/** Section diff of two keyed maps; every list sorted by key. */
export function compare(a: ReadonlyMap<string, DiffValue>, b: ReadonlyMap<string, DiffValue>): SectionDiff {
  const out: SectionDiff = { added: [], removed: [], changed: [], unchanged: [] };
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const key of keys) {
    const inA = a.has(key);
    const inB = b.has(key);
    if (inA && !inB) out.removed.push({ key, value: a.get(key)! });
    else if (!inA && inB) out.added.push({ key, value: b.get(key)! });
    else if (same(a.get(key)!, b.get(key)!)) out.unchanged.push(key);
    else out.changed.push({ key, a: a.get(key)!, b: b.get(key)! });
  }
  return out;
}
