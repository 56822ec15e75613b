/**
 * Text output of the graph commands (what a person reads; --json prints the service's answer
 * as it is). Pure: answer JSON in, lines out. Shapes: services/graph/operations.ts.
 */
import { renderTable } from './sql.js';

/* The subset of the answer shapes the renderers read (the CLI does not import the service). */
interface Freshness {
  status: string;
  lagMessages: number;
  lastEventTime: number | null;
}
export interface AnswerJson<T> {
  project: string;
  graph: { epoch: string; version: number; vertices: number; edges: number };
  freshness: Freshness;
  waitedMs: number;
  tookMs: number;
  cached: boolean;
  result: T;
  queryId?: string;
  stored?: boolean;
  storeError?: string;
}
interface Vertex {
  id: string;
  kind: string;
  label: string;
}
interface TreeNode extends Vertex {
  via: string | null;
  agents: string[];
  seen?: true;
  truncated?: true;
  children: TreeNode[];
}
interface Tree {
  root: TreeNode;
  vertexCount: number;
  ends: string[];
  truncated: boolean;
}
interface Impact extends Tree {
  byArtifact: Array<{ artifact: string; versions: Array<{ id: string; version: number | null }> }>;
  activities: Array<{ id: string; label: string; status: string | null }>;
  agents: string[];
}
interface Lineage {
  root: Vertex;
  vertices: Array<Vertex & { distance: number; direction: string }>;
  edges: unknown[];
  /** Absent from a graph service older than maxNodes on lineage. */
  truncated?: boolean;
  depthReached?: number;
  maxNodes?: number;
}
type DiffValue = string | number | boolean | null | Array<{ id: string; version: number | null }>;
interface Section {
  added: Array<{ key: string; value: DiffValue }>;
  removed: Array<{ key: string; value: DiffValue }>;
  changed: Array<{ key: string; a: DiffValue; b: DiffValue }>;
  unchanged: string[];
}
interface Diff {
  kind: 'activity' | 'entity';
  a: Vertex;
  b: Vertex;
  sections: Record<string, Section>;
  generatedBy?: Diff | null;
}
interface SegmentVertex extends Vertex {
  role: string;
  toSource: number | null;
  fromDestination: number | null;
  matchLength: number | null;
  hops: number | null;
}
interface Segment {
  vertices: SegmentVertex[];
  edges: unknown[];
}
interface Summary {
  vertices: Array<{
    block: number;
    label: string;
    members: number;
    segments: number;
    numeric: Record<string, { mean: number; min: number; max: number }>;
    values?: Record<string, { count: number; distinct: number; top: Array<{ value: string | boolean; count: number }> }>;
  }>;
  edges: Array<{ type: string; from: number; to: number; frequency: number; segments: number }>;
  input: { vertices: number; edges: number };
  summary: { vertices: number; edges: number };
  compaction: number;
  rounds: number;
  stable: boolean;
  pathCheck: { ok: boolean; maxLength: number; falsePath: unknown; unmappedEdge: unknown };
}

/** `ent:9bf9a745d16f…` — enough of an id to tell vertices apart, short enough to read. */
export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 16)}…` : id;
}

/** One line about the graph the answer came from. */
export function footer(a: AnswerJson<unknown>): string {
  const parts = [`graph ${a.graph.epoch} v${a.graph.version} (${a.graph.vertices} vertices, ${a.graph.edges} edges)`, a.freshness.status, `lag ${a.freshness.lagMessages}`];
  if (a.waitedMs > 0) parts.push(`waited ${a.waitedMs} ms`);
  parts.push(`${a.tookMs} ms`);
  if (a.cached) parts.push('from the Redis cache');
  if (a.queryId) parts.push(`query ${a.queryId}${a.stored === false ? ' (NOT stored: ' + (a.storeError ?? '?') + ')' : ''}`);
  return parts.join(' · ');
}

export function renderTree(root: TreeNode): string {
  const lines: string[] = [];
  const head = (n: TreeNode) => {
    const agents = n.agents.length ? ` · ${n.agents.join(', ')}` : '';
    const mark = n.seen ? ' (see above)' : n.truncated ? ' (…)' : '';
    return `${n.via ? n.via + ' ' : ''}${n.label}${agents}${mark}  [${shortId(n.id)}]`;
  };
  const walk = (n: TreeNode, prefix: string, last: boolean, top: boolean) => {
    lines.push(top ? head(n) : `${prefix}${last ? '└─ ' : '├─ '}${head(n)}`);
    const next = top ? '' : prefix + (last ? '   ' : '│  ');
    n.children.forEach((c, i) => walk(c, next, i === n.children.length - 1, false));
  };
  walk(root, '', true, true);
  return lines.join('\n');
}

function labelsOf(root: TreeNode): Map<string, string> {
  const m = new Map<string, string>();
  const walk = (n: TreeNode) => {
    m.set(n.id, n.label);
    n.children.forEach(walk);
  };
  walk(root);
  return m;
}

export function renderWhy(a: AnswerJson<Tree>): string {
  const t = a.result;
  const labels = labelsOf(t.root);
  const sources = t.ends.filter((id) => id !== t.root.id).map((id) => labels.get(id) ?? id);
  return [
    `How ${t.root.label} was produced:`,
    renderTree(t.root),
    '',
    `sources: ${sources.length ? sources.join(', ') : '(none: nothing upstream was recorded)'}${t.truncated ? '  (tree cut by --depth / --max-nodes)' : ''}`,
    footer(a),
  ].join('\n');
}

export function renderImpact(a: AnswerJson<Impact>): string {
  const r = a.result;
  const artifacts = r.byArtifact.map((x) => ({ artifact: x.artifact, versions: x.versions.map((v) => (v.version === null ? shortId(v.id) : `v${v.version}`)).join(', ') }));
  return [
    `What depends on ${r.root.label}:`,
    renderTree(r.root),
    '',
    artifacts.length ? renderTable(artifacts) : '(nothing is derived from it)',
    '',
    `${r.activities.length} run(s) affected; people and services involved: ${r.agents.length ? r.agents.join(', ') : '(none recorded)'}${r.truncated ? '  (tree cut by --depth / --max-nodes)' : ''}`,
    footer(a),
  ].join('\n');
}

export function renderLineage(a: AnswerJson<Lineage>, direction: string): string {
  const rows = a.result.vertices.map((v) => ({ distance: v.distance, direction: v.direction, kind: v.kind, label: v.label, id: shortId(v.id) }));
  const r = a.result;
  const cut = r.truncated ? `\n(cut at --max-nodes ${r.maxNodes}: everything within distance ${r.depthReached}; the next distance has more vertices than that; raise --max-nodes or lower --depth)` : '';
  return [`${direction} lineage of ${r.root.label} [${shortId(r.root.id)}]: ${r.vertices.length} vertices, ${r.edges.length} edges${cut}`, renderTable(rows), footer(a)].join('\n');
}

function value(v: DiffValue): string {
  if (Array.isArray(v)) return v.map((x) => (x.version === null ? shortId(x.id) : `v${x.version}`)).join(', ');
  return v === true ? '' : String(v);
}

function renderSections(d: Diff, indent: string): string[] {
  const lines: string[] = [];
  for (const [name, s] of Object.entries(d.sections)) {
    const changes = s.added.length + s.removed.length + s.changed.length;
    if (changes === 0) {
      if (s.unchanged.length) lines.push(`${indent}${name}: same (${s.unchanged.join(', ')})`);
      continue;
    }
    lines.push(`${indent}${name}:`);
    const kv = (key: string, v: DiffValue) => (value(v) === '' ? key : `${key} = ${value(v)}`);
    for (const c of s.changed) lines.push(`${indent}  ~ ${c.key}: ${value(c.a)} → ${value(c.b)}`);
    for (const x of s.removed) lines.push(`${indent}  - ${kv(x.key, x.value)}`);
    for (const x of s.added) lines.push(`${indent}  + ${kv(x.key, x.value)}`);
    if (s.unchanged.length) lines.push(`${indent}  = ${s.unchanged.join(', ')}`);
  }
  return lines;
}

export function renderDiff(a: AnswerJson<Diff>): string {
  const d = a.result;
  const lines = [`diff ${d.a.label} [${shortId(d.a.id)}]  →  ${d.b.label} [${shortId(d.b.id)}]`, ...renderSections(d, '  ')];
  if (d.generatedBy) {
    lines.push(`  generated by: ${d.generatedBy.a.label} [${shortId(d.generatedBy.a.id)}] → ${d.generatedBy.b.label} [${shortId(d.generatedBy.b.id)}]`);
    lines.push(...renderSections(d.generatedBy, '    '));
  }
  lines.push(footer(a));
  return lines.join('\n');
}

const ROLE_ORDER = ['destination', 'core', 'source', 'similar', 'expansion'];

export function renderSegment(a: AnswerJson<Segment>): string {
  const n = (x: number | null) => (x === null ? '' : String(x));
  const rows = [...a.result.vertices]
    .sort((x, y) => ROLE_ORDER.indexOf(x.role) - ROLE_ORDER.indexOf(y.role) || (x.fromDestination ?? 0) - (y.fromDestination ?? 0) || x.label.localeCompare(y.label))
    .map((v) => ({ role: v.role, kind: v.kind, label: v.label, from_dst: n(v.fromDestination), to_src: n(v.toSource), match: n(v.matchLength), hops: n(v.hops), id: shortId(v.id) }));
  const counts = ROLE_ORDER.map((r) => `${a.result.vertices.filter((v) => v.role === r).length} ${r}`).join(', ');
  return [`segment: ${a.result.vertices.length} vertices (${counts}), ${a.result.edges.length} edges`, renderTable(rows), footer(a)].join('\n');
}

export function renderSummary(a: AnswerJson<Summary>): string {
  const s = a.result;
  const label = (b: number) => s.vertices[b]?.label ?? String(b);
  // Metrics and durations first; timestamps and exit codes average to nothing worth reading.
  const weight = (k: string) => (k.startsWith('metric.') ? 0 : k === 'durationMs' ? 1 : 2);
  const numeric = (v: Summary['vertices'][number]) =>
    Object.entries(v.numeric)
      .filter(([k]) => !['startTime', 'endTime', 'exitCode'].includes(k))
      .sort(([a], [b]) => weight(a) - weight(b) || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, 3)
      .map(([k, x]) => `${k} ${+x.mean.toPrecision(4)} [${+x.min.toPrecision(4)}..${+x.max.toPrecision(4)}]`)
      .join('; ');
  // Properties whose members disagree on a few values (e.g. status COMPLETED 9, FAILED 1): where
  // outliers show; one value is already uniform, a value per member (hashes, ids) is noise.
  const mixed = (v: Summary['vertices'][number]) =>
    Object.entries(v.values ?? {})
      .filter(([, x]) => x.distinct > 1 && x.distinct <= x.top.length && x.distinct < x.count)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, 2)
      .map(([k, x]) => `${k} ${x.top.map((t) => `${String(t.value)} ${t.count}`).join(', ')}`)
      .join('; ');
  const vertices = s.vertices.map((v) => ({ block: v.block, label: v.label, members: v.members, segments: v.segments, 'numeric (mean [min..max])': numeric(v), 'mixed values': mixed(v) }));
  const edges = s.edges.map((e) => ({ from: label(e.from), type: e.type, to: label(e.to), frequency: e.frequency, segments: e.segments }));
  const check = s.pathCheck.ok ? `no false path up to length ${s.pathCheck.maxLength}` : `FALSE PATH found up to length ${s.pathCheck.maxLength}: ${JSON.stringify(s.pathCheck.falsePath ?? s.pathCheck.unmappedEdge)}`;
  return [
    `summary: ${s.input.vertices} vertices + ${s.input.edges} edges → ${s.summary.vertices} + ${s.summary.edges} (compaction ${s.compaction.toFixed(2)}), ${s.rounds} round(s), ${s.stable ? 'stable' : 'not yet stable (k rounds)'}, ${check}`,
    renderTable(vertices),
    '',
    edges.length ? renderTable(edges) : '(no summary edges)',
    footer(a),
  ].join('\n');
}
