/**
 * bench-graph: the query workload on one built graph and its in-memory timings.
 *
 * - Starts: random recent entities (the newest 10% of vertices by time, entities only), the
 *   vertices people ask about ("how was this model / report made?").
 * - Lineage: upstream from each start at depth 5, 10 and 20 (default lineage edge types).
 * - Segmentation, connected pairs: destination = a random recent entity, source = a random
 *   entity among its ancestors within 20 hops, boundary maxLength 20 (so every pair is
 *   connected); Vsrc-empty: the same destinations, no source, maxLength 20.
 * - Summarization: 1,000 segments of connected pairs, K = {activity: name, entity: entityType}
 *   ("what usually happens" at the level of job names and kinds of artifacts), k = ∞.
 * All choices come from a seeded generator, so a run is repeatable. Times in milliseconds.
 */
import { lineage } from '../../services/graph/core/lineage.js';
import { segment } from '../../services/graph/core/segment.js';
import { summarize } from '../../services/graph/core/summarize.js';
import type { ProvGraph } from '../../services/graph/core/graph.js';
import { SeededRandom } from '../../services/graph/random.js';
import { percentile } from './report.js';

export const LINEAGE_DEPTHS = [5, 10, 20] as const;
export type LineageDepth = (typeof LINEAGE_DEPTHS)[number];
export const SEGMENT_MAX_LENGTH = 20;
export const SUMMARIZED_SEGMENTS = 1_000;
export const LABEL_KEYS = { activity: 'name', entity: 'entityType' } as const;

export interface Workload {
  /** Lineage start ids. */
  starts: string[];
  /** Connected (source, destination) pairs. */
  pairs: Array<{ source: string; destination: string }>;
}

export interface Percentiles {
  p50: number;
  p99: number;
  /** p99 of the process CPU time per query (threads included): the cost without waiting for a core. */
  cpuP99: number;
  /** Mean result size (vertices), to show what a query returned. */
  meanSize: number;
}

export interface InMemoryRun {
  lineage: Record<LineageDepth, Percentiles>;
  segmentPair: Percentiles;
  segmentNoSource: Percentiles;
  summarizeMs: number;
  summary: { inputVertices: number; inputEdges: number; vertices: number; edges: number; compaction: number; rounds: number };
}

/** `count` starts and `count` pairs (plus enough extra pairs for 1,000 summarized segments). */
export function chooseWorkload(g: ProvGraph, count: number, seed: string): Workload {
  const rng = new SeededRandom(`bench-graph/${seed}`);
  // By time, and picked from lists sorted by id, not by index: the same queries whatever the
  // vertex numbering (the graph is relaid out after the build: ProvGraph.relayout).
  const times = new Float64Array(g.vertexCount);
  for (let v = 0; v < g.vertexCount; v++) times[v] = g.timeOf(v);
  const cutoff = times.slice().sort()[Math.floor(g.vertexCount * 0.9)] ?? Infinity;
  const recent: string[] = [];
  for (let v = 0; v < g.vertexCount; v++) if (times[v]! >= cutoff && g.kindOf(v) === 'entity') recent.push(g.idOf(v));
  if (recent.length === 0) throw new Error('the graph has no recent entity to start from');
  recent.sort(byString);
  const starts = Array.from({ length: count }, () => rng.pick(recent));
  const pairs: Workload['pairs'] = [];
  for (let attempts = 0; pairs.length < Math.max(count, SUMMARIZED_SEGMENTS) && attempts < 100 * SUMMARIZED_SEGMENTS; attempts++) {
    const destination = rng.pick(recent);
    const ancestors = lineage(g, destination, { direction: 'upstream', maxDepth: SEGMENT_MAX_LENGTH }).vertices.filter((v) => v.kind === 'entity' && v.distance > 0).map((v) => v.id);
    if (ancestors.length > 0) pairs.push({ source: rng.pick(ancestors.sort(byString)), destination });
  }
  return { starts, pairs };
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Timings {
  ms: number[];
  cpuMs: number[];
  sizes: number[];
}

/**
 * Per-query wall and CPU times of `fn` over `items` (each run once: a repeated query would run
 * on warm CPU caches), after `warm` untimed calls (JIT, scratch buffers).
 */
export function timeEach<T>(items: readonly T[], fn: (x: T) => number, warm = Math.min(20, items.length)): Timings {
  for (let i = 0; i < warm; i++) fn(items[i]!);
  const t: Timings = { ms: [], cpuMs: [], sizes: [] };
  for (const x of items) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    t.sizes.push(fn(x));
    t.ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    t.cpuMs.push((c.user + c.system) / 1000);
  }
  return t;
}

export function percentiles(t: Timings): Percentiles {
  const meanSize = t.sizes.reduce((a, b) => a + b, 0) / Math.max(1, t.sizes.length);
  return { p50: percentile(t.ms, 50), p99: percentile(t.ms, 99), cpuP99: percentile(t.cpuMs, 99), meanSize: Math.round(meanSize) };
}

/** The closure only (ids; what the SQL baselines return), from lineage(…, { edges: false }). */
export function upstream(g: ProvGraph, id: string, depth: number): string[] {
  return lineage(g, id, { direction: 'upstream', maxDepth: depth, edges: false }).vertices.map((v) => v.id);
}

/**
 * The segments summarized in every run, computed once (segment() is timed on its own), kept as
 * the ids summarize() reads by default (source, destination and core roles). Keeping the whole
 * SegmentResults would hold millions of small objects (mostly similar-provenance vertices) and
 * make every later major GC, and so the p99 of everything measured after, pay for them.
 */
export function summaryInput(g: ProvGraph, w: Workload): string[][] {
  return w.pairs.slice(0, SUMMARIZED_SEGMENTS).map((p) =>
    segment(g, [p.source], [p.destination], { maxLength: SEGMENT_MAX_LENGTH }).vertices.filter((v) => v.role !== 'similar' && v.role !== 'expansion').map((v) => v.id),
  );
}

/** One measurement round of every in-memory figure on the same workload. */
export function measureInMemory(g: ProvGraph, w: Workload, queries: number, segments: readonly string[][]): InMemoryRun {
  const starts = w.starts.slice(0, queries);
  const pairs = w.pairs.slice(0, queries);
  const lin = {} as Record<LineageDepth, Percentiles>;
  for (const depth of LINEAGE_DEPTHS) {
    lin[depth] = percentiles(timeEach(starts, (id) => lineage(g, id, { direction: 'upstream', maxDepth: depth }).vertices.length));
  }
  const boundary = { maxLength: SEGMENT_MAX_LENGTH };
  const segmentPair = percentiles(timeEach(pairs, (p) => segment(g, [p.source], [p.destination], boundary).vertices.length));
  const segmentNoSource = percentiles(timeEach(pairs, (p) => segment(g, [], [p.destination], boundary).vertices.length));

  const t0 = performance.now();
  const s = summarize(g, segments, LABEL_KEYS, Infinity);
  const summarizeMs = performance.now() - t0;
  return {
    lineage: lin,
    segmentPair,
    segmentNoSource,
    summarizeMs,
    summary: { inputVertices: s.input.vertices, inputEdges: s.input.edges, vertices: s.summary.vertices, edges: s.summary.edges, compaction: s.compaction, rounds: s.rounds },
  };
}
