/**
 * Brute-force evaluators of the SPEC §5 / §6 definitions, for tests only.
 *
 * They work on a plain edge list (not on ProvGraph's CSR) and re-implement the boundary
 * predicates, so a bug in the fast path's data structures or helpers cannot hide in both.
 * Segmentation enumerates every walk of length ≤ L by DFS (L = maxLength, or |V| − 1 on a DAG
 * when unbounded; unbounded on a cyclic graph is rejected): exponential, fine for ≤ 12 vertices.
 */
import { agentId } from '../../model/ids.js';
import { LINEAGE_EDGE_TYPES, type EdgeType, type VertexKind } from '../../model/types.js';
import type { VertexPredicate } from './boundary.js';
import type { PropValue } from './graph.js';
import type { SegmentBoundary, SegmentRole } from './segment.js';

export interface RawVertex {
  id: string;
  kind: VertexKind;
  props: Readonly<Record<string, PropValue>>;
}

export interface RawEdge {
  type: EdgeType;
  from: string;
  to: string;
  time: number;
}

/** Every vertex an edge mentions must be listed; duplicate edges keep their earliest time. */
export interface RawGraph {
  vertices: readonly RawVertex[];
  edges: readonly RawEdge[];
}

export interface BruteVertex {
  id: string;
  role: SegmentRole;
  toSource: number | null;
  fromDestination: number | null;
  matchLength: number | null;
  hops: number | null;
}

export interface BruteSegment {
  /** Sorted by id. */
  vertices: BruteVertex[];
  /** Sorted by (from, to, type). */
  edges: RawEdge[];
}

/** Edges with duplicates (same type, from, to) collapsed to the earliest time. */
export function dedupeEdges(edges: readonly RawEdge[]): RawEdge[] {
  const byKey = new Map<string, RawEdge>();
  for (const e of edges) {
    const key = `${e.type}|${e.from}|${e.to}`;
    const prev = byKey.get(key);
    if (!prev || e.time < prev.time) byKey.set(key, { ...e });
  }
  return [...byKey.values()];
}

export function compareEdges(a: RawEdge, b: RawEdge): number {
  return a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

/** Recursive glob matcher (independent of the RegExp translation in boundary.ts). */
function globMatch(p: string, s: string): boolean {
  if (p.length === 0) return s.length === 0;
  if (p.startsWith('**')) {
    for (let j = 0; j <= s.length; j++) if (globMatch(p.slice(2), s.slice(j))) return true;
    return false;
  }
  if (p[0] === '*') {
    for (let j = 0; j <= s.length; j++) {
      if (globMatch(p.slice(1), s.slice(j))) return true;
      if (s[j] === '/') return false;
    }
    return false;
  }
  if (s.length === 0) return false;
  if (p[0] === '?') return s[0] !== '/' && globMatch(p.slice(1), s.slice(1));
  return p[0] === s[0] && globMatch(p.slice(1), s.slice(1));
}

function holds(raw: RawGraph, edges: readonly RawEdge[], p: VertexPredicate, id: string): boolean {
  const v = raw.vertices.find((x) => x.id === id);
  if (!v) return false;
  if ('kind' in p) return v.kind === p.kind;
  if ('id' in p) return id === p.id;
  if ('artifact' in p) {
    const a = v.props['artifact'];
    return typeof a === 'string' && globMatch(p.artifact, a);
  }
  if ('agent' in p) {
    const agent = p.agent.startsWith('agt:') ? p.agent : agentId(p.agent);
    if (!raw.vertices.some((x) => x.id === agent)) return false;
    return id === agent || edges.some((e) => e.from === id && e.to === agent && (e.type === 'wasAssociatedWith' || e.type === 'wasAttributedTo'));
  }
  if ('prop' in p) {
    const a = v.props[p.prop];
    const e = p.value;
    if (a === undefined || typeof a !== typeof e) return false;
    if (p.op === '=') return a === e;
    if (p.op === '!=') return a !== e;
    if (typeof a === 'boolean') return false;
    if (p.op === '<') return a < e;
    if (p.op === '<=') return a <= e;
    if (p.op === '>') return a > e;
    return a >= e;
  }
  return p.all.every((q) => holds(raw, edges, q, id));
}

function isAcyclic(ids: readonly string[], out: Map<string, RawEdge[]>): boolean {
  const state = new Map<string, number>(); // 1 on stack, 2 done
  const visit = (u: string): boolean => {
    state.set(u, 1);
    for (const e of out.get(u) ?? []) {
      const s = state.get(e.to);
      if (s === 1 || (s === undefined && !visit(e.to))) return false;
    }
    state.set(u, 2);
    return true;
  };
  return ids.every((id) => state.has(id) || visit(id));
}

/** segment() by definition: enumerate walks, collect core / eligible tails / similar / expansion. */
export function bruteSegment(raw: RawGraph, sources: readonly string[], destinations: readonly string[], boundary: SegmentBoundary = {}): BruteSegment {
  const all = dedupeEdges(raw.edges);
  const excluded = (id: string): boolean => (boundary.exclude ?? []).some((p) => holds(raw, all, p, id));
  const allowed = new Set(boundary.edgeTypes ?? LINEAGE_EDGE_TYPES);
  const lo = boundary.timeWindow?.from ?? -Infinity;
  const hi = boundary.timeWindow?.to ?? Infinity;
  const inWindow = (e: RawEdge): boolean => e.time >= lo && e.time <= hi;
  const out = new Map<string, RawEdge[]>();
  for (const e of all) {
    if (!allowed.has(e.type) || !inWindow(e) || excluded(e.from) || excluded(e.to)) continue;
    out.set(e.from, [...(out.get(e.from) ?? []), e]);
  }
  const ids = raw.vertices.map((v) => v.id);
  const maxLen = boundary.maxLength ?? Infinity;
  if (maxLen === Infinity && !isAcyclic(ids, out)) throw new Error('bruteSegment: unbounded length on a cyclic graph');
  const cap = maxLen === Infinity ? ids.length : maxLen; // a DAG has no walk longer than |V| - 1
  const known = (id: string): boolean => ids.includes(id) && !excluded(id);
  const D = destinations.filter(known);
  const S = new Set(sources.filter(known));
  const srcMode = sources.length > 0;

  /** Calls fn for every walk from `start` of length ≤ cap (including the empty walk). */
  const walks = (start: string, fn: (path: readonly string[], labels: readonly EdgeType[]) => void): void => {
    const path = [start];
    const labels: EdgeType[] = [];
    const dfs = (): void => {
      fn(path, labels);
      if (labels.length === cap) return;
      for (const e of out.get(path[path.length - 1]!) ?? []) {
        path.push(e.to);
        labels.push(e.type);
        dfs();
        path.pop();
        labels.pop();
      }
    };
    dfs();
  };
  const min = (a: number | null | undefined, b: number): number => (a === null || a === undefined ? b : Math.min(a, b));

  const core = new Map<string, { fromD: number; toS: number | null }>();
  const eligible = new Set<string>();
  for (const d of D) {
    walks(d, (path, labels) => {
      const last = path[path.length - 1]!;
      if (srcMode && !S.has(last)) return;
      path.forEach((v, i) => {
        const prev = core.get(v);
        core.set(v, { fromD: min(prev?.fromD, i), toS: srcMode ? min(prev?.toS, labels.length - i) : null });
        if (srcMode) eligible.add(`${last}\n${labels.slice(i).join(',')}`);
      });
    });
  }
  const similar = new Map<string, number>();
  if (srcMode) {
    for (const x of ids) {
      if (excluded(x) || core.has(x)) continue;
      walks(x, (path, labels) => {
        const last = path[path.length - 1]!;
        if (S.has(last) && eligible.has(`${last}\n${labels.join(',')}`)) similar.set(x, min(similar.get(x), labels.length));
      });
    }
  }
  const hops = boundary.expansion?.hops ?? 0;
  const expTypes = new Set(hops > 0 ? boundary.expansion?.edges ?? [] : []);
  const result = new Set([...core.keys(), ...similar.keys()]);
  const expansion = new Map<string, number>();
  for (let h = 1; h <= hops; h++) {
    const added = all.filter((e) => expTypes.has(e.type) && inWindow(e) && result.has(e.from) && !result.has(e.to) && !excluded(e.to));
    for (const e of added) {
      result.add(e.to);
      if (!expansion.has(e.to)) expansion.set(e.to, h);
    }
  }

  const vertices: BruteVertex[] = [...result].sort().map((id) => {
    const c = core.get(id);
    if (c) {
      const role: SegmentRole = srcMode && S.has(id) ? 'source' : D.includes(id) ? 'destination' : 'core';
      return { id, role, toSource: c.toS, fromDestination: c.fromD, matchLength: null, hops: null };
    }
    const m = similar.get(id);
    if (m !== undefined) return { id, role: 'similar', toSource: null, fromDestination: null, matchLength: m, hops: null };
    return { id, role: 'expansion', toSource: null, fromDestination: null, matchLength: null, hops: expansion.get(id) ?? null };
  });
  const edges = all
    .filter((e) => (allowed.has(e.type) || expTypes.has(e.type)) && inWindow(e) && result.has(e.from) && result.has(e.to))
    .sort(compareEdges);
  return { vertices, edges };
}

/**
 * Partition of nodes 0..n-1 by k-bisimilarity (k = ∞: bisimilarity) over labelled nodes and typed
 * edges, both directions, computed on the relation (pairs) rather than by signatures: R₀ = same
 * label; R_{i+1} keeps (u, v) when every typed out/in edge of either has a matching edge of the
 * other into an R_i-related node. Returns block ids numbered by first occurrence. O(k·n²·m²).
 */
export function bruteBisimulation(labels: readonly string[], edges: ReadonlyArray<readonly [number, number, string]>, k: number): number[] {
  const n = labels.length;
  let rel: boolean[][] = labels.map((a) => labels.map((b) => a === b));
  const steps = (u: number): Array<[string, number]> => [
    ...edges.filter((e) => e[0] === u).map((e): [string, number] => [`out:${e[2]}`, e[1]]),
    ...edges.filter((e) => e[1] === u).map((e): [string, number] => [`in:${e[2]}`, e[0]]),
  ];
  const succ = labels.map((_, u) => steps(u));
  const simulates = (r: boolean[][], u: number, v: number): boolean =>
    succ[u]!.every(([t, u2]) => succ[v]!.some(([t2, v2]) => t2 === t && r[u2]![v2]!));
  for (let round = 0; round < k; round++) {
    const prev = rel;
    const next = prev.map((row, u) => row.map((related, v) => related && simulates(prev, u, v) && simulates(prev, v, u)));
    const changed = next.some((row, u) => row.some((x, v) => x !== prev[u]![v]));
    rel = next;
    if (!changed) break;
  }
  const block = new Array<number>(n).fill(-1);
  let count = 0;
  for (let u = 0; u < n; u++) {
    if (block[u] !== -1) continue;
    for (let v = u; v < n; v++) if (rel[u]![v]) block[v] = count;
    count++;
  }
  return block;
}
