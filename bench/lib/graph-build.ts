/**
 * bench-graph: the in-memory graph of a generated project, built the way the graph service builds
 * it (every event through ProjectGraph.apply, the service's one event → graph mapping), with the
 * graph's own work timed apart from generating the events, and its memory measured two ways:
 * ProvGraph.memoryEstimate() and the heap delta (V8 heap + array buffers, after a full GC and
 * the release of freed buffers, before vs after; the delta includes the service's side maps
 * around the core graph and the generator's small state).
 *
 * After the last event: one compaction and the relayout the service does after its bootstrap
 * (ProjectGraph.relayout: vertices renumbered for locality), both timed as part of the build.
 *
 * Events are pulled from the generator in chunks (untimed), then applied (timed), so neither
 * the generator's cost nor all events at once are part of the figures.
 */
import { generateProject, type GenerateStats, type GeneratedEvent } from '../../services/graph/generate.js';
import { ProjectGraph } from '../../services/graph/project-graph.js';
import type { MemoryEstimate } from '../../services/graph/core/graph.js';

export interface BuiltGraph {
  graph: ProjectGraph;
  stats: GenerateStats;
  /** Generating the events (not part of the build). */
  generateMs: number;
  /** Applying every event, then the final compaction into CSR. */
  applyMs: number;
  compactMs: number;
  /** Renumbering the vertices for locality, as the service does after its bootstrap. */
  relayoutMs: number;
  buildMs: number;
  /** Heap + array-buffer bytes retained by the graph (full GC before and after). */
  heapBytes: number;
  estimate: MemoryEstimate;
}

const CHUNK = 20_000;

/** `global.gc` (node --expose-gc); the heap figure is meaningless without it, so it is required. */
export function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (the Makefile target does): the heap delta needs a full GC before and after');
  return () => {
    gc();
    gc();
  };
}

export function heapInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Heap + array buffers after a full GC, once freed array buffers are really released (V8 frees
 * their backing stores on a background sweeper, so a figure taken right after gc() still counts
 * buffers the graph replaced while growing or trimming).
 */
export async function settledHeap(gc: () => void): Promise<number> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  gc();
  return heapInUse();
}

export async function buildGraph(project: string, vertices: number, seed: string, gc: () => void, progress: (m: string) => void): Promise<BuiltGraph> {
  const before = await settledHeap(gc);
  const generated = generateProject({ project, vertices, seed });
  const graph = new ProjectGraph(project);
  const chunk: GeneratedEvent[] = [];
  let generateMs = 0;
  let applyMs = 0;
  let nextReport = performance.now() + 10_000;
  for (;;) {
    chunk.length = 0;
    const g0 = performance.now();
    for (let r = generated.events.next(); !r.done; r = generated.events.next()) {
      chunk.push(r.value);
      if (chunk.length === CHUNK) break;
    }
    const g1 = performance.now();
    generateMs += g1 - g0;
    if (chunk.length === 0) break;
    for (const { event } of chunk) graph.apply(event.payload, event.time);
    const g2 = performance.now();
    applyMs += g2 - g1;
    if (g2 > nextReport) {
      nextReport = g2 + 10_000;
      progress(`  building: ${generated.stats.vertices.toLocaleString('en-US')} of ${vertices.toLocaleString('en-US')} vertices, ${Math.round(applyMs / 1000)} s applying`);
    }
  }
  chunk.length = 0;
  const c0 = performance.now();
  graph.graph.compact();
  const c1 = performance.now();
  graph.relayout();
  const relayoutMs = performance.now() - c1;
  const compactMs = c1 - c0;
  const heapBytes = (await settledHeap(gc)) - before;
  return { graph, stats: generated.stats, generateMs, applyMs, compactMs, relayoutMs, buildMs: applyMs + compactMs + relayoutMs, heapBytes, estimate: graph.graph.memoryEstimate() };
}
