/**
 * bench-graph: loading the baselines with the same edges as the in-memory graph (the generator is
 * deterministic, so the project is generated again and its relation events are loaded), and
 * timing the same lineage queries on them side by side with the in-memory lineage(), checking
 * that all three return the same vertices.
 */
import { generateProject } from '../../services/graph/generate.js';
import type { ProvGraph } from '../../services/graph/core/graph.js';
import { lineage } from '../../services/graph/core/lineage.js';
import type { Cleanup } from './cleanup.js';
import { LINEAGE_DEPTHS, percentiles, timeEach, upstream, type LineageDepth, type Percentiles } from './graph-queries.js';
import { PostgresLineage, edgeCsvLine } from './lineage-postgres.js';
import { ClickHouseLineage } from './lineage-clickhouse.js';

export interface LineageBackend {
  upstream(id: string, depth: number): Promise<string[]>;
}

export interface BaselineResult {
  system: 'postgres' | 'clickhouse';
  version: string;
  /** Loading (regenerating the events included), and for PostgreSQL building the indexes. */
  loadMs: number;
  indexMs: number;
  edges: number;
  queries: number;
  /**
   * Per run: the baseline's percentiles and, on the same starts, the in-memory ones for the same
   * answer (closure ids + distances: lineage(…, { edges: false })) and for the full lineage()
   * answer (vertices and the edges followed), which is more than the SQL returns.
   */
  runs: Array<{ baseline: Record<LineageDepth, Percentiles>; inMemory: Record<LineageDepth, Percentiles>; inMemoryFull: Record<LineageDepth, Percentiles> }>;
  /** Queries whose vertex set differed from the in-memory answer (must be 0). */
  mismatches: number;
  firstMismatch: string | null;
}

/** The in-memory side of a comparison: median of this many runs per start (µs-scale, noisy). */
const IN_MEMORY_REPEAT = 5;

interface Generated {
  project: string;
  vertices: number;
  seed: string;
}

export async function loadPostgres(url: string, database: string, gen: Generated, keep: boolean, cleanup: Cleanup, signal: AbortSignal): Promise<{ backend: PostgresLineage; loadMs: number; indexMs: number; edges: number; version: string }> {
  const backend = await PostgresLineage.open(url, database);
  cleanup.add(`drop PostgreSQL database ${database}`, () => backend.close(!keep));
  const t0 = performance.now();
  const copy = backend.copy();
  let n = 0;
  try {
    for (const { event } of generateProject(gen).events) {
      const p = event.payload;
      if (p.type !== 'relation') continue;
      if ((++n & 0xffff) === 0) signal.throwIfAborted();
      const wait = copy.write(edgeCsvLine(p.relation, p.from, p.to, event.time));
      if (wait) await wait;
    }
  } catch (err) {
    copy.abort();
    throw err;
  }
  await copy.end();
  const t1 = performance.now();
  await backend.index();
  const indexMs = performance.now() - t1;
  return { backend, loadMs: t1 - t0, indexMs, edges: await backend.edgeCount(), version: await backend.version() };
}

export async function loadClickHouse(url: string, database: string, gen: Generated, keep: boolean, cleanup: Cleanup, signal: AbortSignal): Promise<{ backend: ClickHouseLineage; loadMs: number; indexMs: number; edges: number; version: string }> {
  const backend = await ClickHouseLineage.open(url, database, gen.project);
  cleanup.add(`drop ClickHouse database ${database}`, () => backend.close(!keep));
  const t0 = performance.now();
  let n = 0;
  for (const { event } of generateProject(gen).events) {
    if ((++n & 0xffff) === 0) signal.throwIfAborted();
    await backend.add(event);
  }
  await backend.flush();
  const t1 = performance.now();
  await backend.settle();
  return { backend, loadMs: t1 - t0, indexMs: performance.now() - t1, edges: await backend.edgeCount(), version: await backend.version() };
}

/**
 * `runs` rounds over `starts` at every depth: the baseline's time per query and, in the same
 * round, the in-memory time on the same starts. A warm-up of 3 queries per depth comes first.
 */
export async function measureBaseline(
  system: BaselineResult['system'],
  loaded: { backend: LineageBackend; loadMs: number; indexMs: number; edges: number; version: string },
  g: ProvGraph,
  starts: readonly string[],
  runs: number,
  progress: (m: string) => void,
  signal: AbortSignal,
): Promise<BaselineResult> {
  const result: BaselineResult = { system, version: loaded.version, loadMs: loaded.loadMs, indexMs: loaded.indexMs, edges: loaded.edges, queries: starts.length, runs: [], mismatches: 0, firstMismatch: null };
  const expected = new Map<string, Set<string>>();
  for (const depth of LINEAGE_DEPTHS) for (const s of starts) expected.set(`${depth} ${s}`, new Set(upstream(g, s, depth)));
  for (const depth of LINEAGE_DEPTHS) for (const s of starts.slice(0, 3)) await loaded.backend.upstream(s, depth);
  for (let r = 0; r < runs; r++) {
    const baseline = {} as Record<LineageDepth, Percentiles>;
    const inMemory = {} as Record<LineageDepth, Percentiles>;
    const inMemoryFull = {} as Record<LineageDepth, Percentiles>;
    for (const depth of LINEAGE_DEPTHS) {
      const ms: number[] = [];
      const sizes: number[] = [];
      for (const s of starts) {
        signal.throwIfAborted();
        const t0 = performance.now();
        const ids = await loaded.backend.upstream(s, depth);
        ms.push(performance.now() - t0);
        sizes.push(ids.length);
        const want = expected.get(`${depth} ${s}`)!;
        if (ids.length !== want.size || !ids.every((id) => want.has(id))) {
          result.mismatches++;
          result.firstMismatch ??= `${system} upstream(${s}, ${depth}): ${ids.length} vertices, in-memory ${want.size}`;
        }
      }
      baseline[depth] = percentiles({ ms, cpuMs: ms.map(() => NaN), sizes });
      inMemory[depth] = percentiles(timeEach(starts, (id) => upstream(g, id, depth).length, 3, IN_MEMORY_REPEAT));
      inMemoryFull[depth] = percentiles(timeEach(starts, (id) => lineage(g, id, { direction: 'upstream', maxDepth: depth }).vertices.length, 3, IN_MEMORY_REPEAT));
    }
    result.runs.push({ baseline, inMemory, inMemoryFull });
    progress(`  ${system} run ${r + 1}/${runs}: ${LINEAGE_DEPTHS.map((d) => `depth ${d} p50 ${baseline[d].p50.toFixed(1)} ms (in-memory ${inMemory[d].p50.toFixed(3)} ms)`).join('; ')}`);
  }
  return result;
}

/** Per run, baseline p50 / in-memory p50 on the same starts (same answer, or the full lineage() answer). */
export function speedups(b: BaselineResult, depth: LineageDepth, answer: 'same' | 'full'): number[] {
  return b.runs.map((r) => r.baseline[depth].p50 / Math.max((answer === 'same' ? r.inMemory : r.inMemoryFull)[depth].p50, 1e-6));
}
