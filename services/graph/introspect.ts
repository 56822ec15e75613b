/**
 * Introspective queries (SPEC §4): `why` (how a vertex was produced, back to its sources) and
 * `impact` (everything derived from it), as derivation trees a person can read. Pure.
 *
 * A provenance graph is a DAG whose ancestors are shared (one script used by every run), so a
 * tree would repeat them exponentially. The tree is the BFS tree (each vertex appears expanded
 * once, at its shortest distance); every other edge to an already placed vertex is shown as a
 * reference (`seen: true`, not expanded). `wasDerivedFrom` edges that only restate an
 * activity's input (entity e wasGeneratedBy g, g used x, e wasDerivedFrom x) are left out: the
 * activity already explains that derivation.
 */
import { LINEAGE_EDGE_TYPES, type EdgeType, type VertexKind } from '../model/types.js';
import { EDGE_TYPE_CODE, edgeTypeMask, edgeTypeOfCode, type Direction, type ProvGraph } from './core/graph.js';

/** Edges `why` follows by default: how things were produced (revisions are a separate history). */
export const WHY_EDGE_TYPES: readonly EdgeType[] = ['wasGeneratedBy', 'used', 'wasDerivedFrom', 'wasInformedBy'];

export interface TreeOptions {
  /** Maximum depth in edges (default 20). */
  maxDepth?: number;
  /** Ignore edges and vertices later than this (ms; default: everything). */
  asOf?: number;
  /** Edge types followed (default WHY_EDGE_TYPES for why, the lineage types for impact). */
  edgeTypes?: readonly EdgeType[];
  /** Stop placing vertices after this many (default 2,000); the tree is then `truncated`. */
  maxNodes?: number;
}

export interface TreeNode {
  id: string;
  kind: VertexKind;
  /** e.g. `data/raw.csv v2`, `train (COMPLETED)`, `alice`. */
  label: string;
  /** The edge type that links this node to its parent (null for the root). */
  via: EdgeType | null;
  time: number;
  /** Agents associated with an activity / an entity is attributed to (names). */
  agents: string[];
  /** True when this vertex is expanded elsewhere in the tree (this is a reference). */
  seen?: true;
  /** True when the depth or node limit stopped the expansion below this node. */
  truncated?: true;
  children: TreeNode[];
}

export interface DerivationTree {
  root: TreeNode;
  /** Distinct vertices placed in the tree (the root included). */
  vertexCount: number;
  /** Tree leaves that have no further edge of the followed types (why: the sources). */
  ends: string[];
  truncated: boolean;
}

export interface ImpactResult extends DerivationTree {
  /** Affected entity versions by artifact (the root excluded). */
  byArtifact: Array<{ artifact: string; versions: Array<{ id: string; version: number | null }> }>;
  /** Affected activities. */
  activities: Array<{ id: string; label: string; status: string | null }>;
  /** People and services whose work is affected (associated with / attributed the affected vertices). */
  agents: string[];
}

const AGENT_MASK = (1 << EDGE_TYPE_CODE.wasAssociatedWith) | (1 << EDGE_TYPE_CODE.wasAttributedTo);

/** A short human label of a vertex. */
export function vertexLabel(graph: ProvGraph, v: number): string {
  const p = (k: string) => graph.prop(v, k);
  if (graph.isPlaceholder(v)) return `${graph.idOf(v)} (not recorded yet)`;
  switch (graph.kindOf(v)) {
    case 'entity': {
      const artifact = p('artifact');
      const version = p('version');
      if (typeof artifact !== 'string') return graph.idOf(v);
      return version === undefined ? artifact : `${artifact} v${String(version)}`;
    }
    case 'activity': {
      const name = p('name') ?? p('command') ?? graph.idOf(v);
      const status = p('status');
      return status === undefined ? String(name) : `${String(name)} (${String(status)})`;
    }
    case 'agent':
      return String(p('name') ?? graph.idOf(v));
  }
}

/** Names of the agents an activity is associated with / an entity is attributed to. */
export function agentsOf(graph: ProvGraph, v: number, asOf = Infinity): string[] {
  const out: string[] = [];
  graph.forEachNeighbour(v, 'out', AGENT_MASK, (w) => {
    const name = vertexLabel(graph, w);
    if (!out.includes(name)) out.push(name);
  }, asOf);
  return out.sort();
}

/** How `v` was produced: the upstream derivation tree (PROV direction) down to its sources. */
export function why(graph: ProvGraph, v: number, options: TreeOptions = {}): DerivationTree {
  return derivationTree(graph, v, 'out', options.edgeTypes ?? WHY_EDGE_TYPES, options);
}

/** Everything derived from `v`: the downstream tree plus the affected artifacts, runs and people. */
export function impact(graph: ProvGraph, v: number, options: TreeOptions = {}): ImpactResult {
  const tree = derivationTree(graph, v, 'in', options.edgeTypes ?? LINEAGE_EDGE_TYPES, options);
  const artifacts = new Map<string, Array<{ id: string; version: number | null }>>();
  const activities: ImpactResult['activities'] = [];
  const agents = new Set<string>();
  const placed = new Set<string>();
  const visit = (n: TreeNode): void => {
    if (n.seen || placed.has(n.id)) return;
    placed.add(n.id);
    if (n !== tree.root) {
      const w = graph.indexOf(n.id);
      if (n.kind === 'entity') {
        const artifact = String(graph.prop(w, 'artifact') ?? n.id);
        const version = graph.prop(w, 'version');
        const list = artifacts.get(artifact) ?? [];
        list.push({ id: n.id, version: typeof version === 'number' ? version : null });
        artifacts.set(artifact, list);
      } else if (n.kind === 'activity') {
        const status = graph.prop(w, 'status');
        activities.push({ id: n.id, label: n.label, status: typeof status === 'string' ? status : null });
      }
      for (const a of n.agents) agents.add(a);
    }
    for (const c of n.children) visit(c);
  };
  visit(tree.root);
  const byArtifact = [...artifacts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([artifact, versions]) => ({ artifact, versions: versions.sort((x, y) => (x.version ?? 0) - (y.version ?? 0)) }));
  return { ...tree, byArtifact, activities, agents: [...agents].sort() };
}

/**
 * BFS tree from `v` along `dir` over `types`. Children are ordered by edge type (in the order
 * given), then by label, then by vertex index, so the output is deterministic and readable. O(placed vertices + their
 * edges of the followed types).
 */
export function derivationTree(graph: ProvGraph, v: number, dir: Direction, types: readonly EdgeType[], options: TreeOptions): DerivationTree {
  const maxDepth = options.maxDepth ?? 20;
  const asOf = options.asOf ?? Infinity;
  const maxNodes = options.maxNodes ?? 2000;
  const mask = edgeTypeMask(types);
  const rank = new Map(types.map((t, i) => [EDGE_TYPE_CODE[t], i]));
  const depth = new Map<number, number>([[v, 0]]);
  const parent = new Map<number, { u: number; code: number }>();
  const order = [v];
  let truncated = false;
  const labels = new Map<number, string>();
  const labelOf = (w: number): string => {
    let l = labels.get(w);
    if (l === undefined) labels.set(w, (l = vertexLabel(graph, w)));
    return l;
  };
  const edgesOf = (u: number): Array<{ w: number; code: number }> => {
    const out: Array<{ w: number; code: number }> = [];
    graph.forEachNeighbour(u, dir, mask, (w, code) => {
      if (graph.timeOf(w) > asOf) return;
      const [from, to] = dir === 'out' ? [u, w] : [w, u];
      if (code === EDGE_TYPE_CODE.wasDerivedFrom && impliedByActivity(graph, from, to, asOf)) return;
      out.push({ w, code });
    }, asOf);
    return out.sort((a, b) => rank.get(a.code)! - rank.get(b.code)! || (labelOf(a.w) < labelOf(b.w) ? -1 : labelOf(a.w) > labelOf(b.w) ? 1 : a.w - b.w));
  };
  for (let head = 0; head < order.length; head++) {
    const u = order[head]!;
    const d = depth.get(u)!;
    if (d >= maxDepth) continue;
    for (const { w, code } of edgesOf(u)) {
      if (depth.has(w)) continue;
      if (order.length >= maxNodes) {
        truncated = true;
        break;
      }
      depth.set(w, d + 1);
      parent.set(w, { u, code });
      order.push(w);
    }
  }
  const ends: string[] = [];
  const build = (u: number, via: number | null): TreeNode => {
    const node: TreeNode = {
      id: graph.idOf(u),
      kind: graph.kindOf(u),
      label: labelOf(u),
      via: via === null ? null : edgeTypeOfCode(via),
      time: graph.timeOf(u),
      agents: agentsOf(graph, u, asOf),
      children: [],
    };
    const edges = edgesOf(u);
    if (edges.length === 0) ends.push(node.id);
    for (const { w, code } of edges) {
      const p = parent.get(w);
      if (p && p.u === u && p.code === code) node.children.push(build(w, code));
      else if (depth.has(w)) node.children.push({ id: graph.idOf(w), kind: graph.kindOf(w), label: labelOf(w), via: edgeTypeOfCode(code), time: graph.timeOf(w), agents: [], seen: true, children: [] });
      else node.truncated = true;
    }
    return node;
  };
  const root = build(v, null);
  return { root, vertexCount: order.length, ends, truncated: truncated || hasTruncation(root) };
}

function hasTruncation(n: TreeNode): boolean {
  return n.truncated === true || n.children.some(hasTruncation);
}

/** True when entity `from` was generated by an activity that used `to` (so from wasDerivedFrom to is implied). */
function impliedByActivity(graph: ProvGraph, from: number, to: number, asOf: number): boolean {
  let implied = false;
  graph.forEachNeighbour(from, 'out', 1 << EDGE_TYPE_CODE.wasGeneratedBy, (g) => {
    if (implied) return;
    graph.forEachNeighbour(g, 'out', 1 << EDGE_TYPE_CODE.used, (x) => {
      if (x === to) implied = true;
    }, asOf);
  }, asOf);
  return implied;
}
