/**
 * bench-graph: loading the baselines with the same edges as the in-memory graph (the generator is
 * deterministic, so the project is generated again and its relation events are loaded), and
 * timing the same lineage queries on them side by side with the in-memory lineage(), checking
 * that all three return the same vertices.
 */
import { generateProject } from '../../services/graph/generate.js';
import type { ProvGraph } from '../../services/graph/core/graph.js';
import type { Cleanup } from './cleanup.js';
import { LINEAGE_DEPTHS, percentiles, timeEach, upstream, type LineageDepth, type Percentiles, type Timings } from './graph-queries.js';
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
   * Per run: the baseline's percentiles and the in-memory ones for the same queries and the same
   * answer (closure ids + distances: lineage(…, { edges: false })), each in-memory query timed
   * once, right after the baseline answered it, so neither side runs on caches the other warmed.
   */
  runs: Array<{ baseline: Record<LineageDepth, Percentiles>; inMemory: Record<LineageDepth, Percentiles> }>;
  /** Queries whose vertex set differed from the in-memory answer (must be 0). */
  mismatches: number;
  firstMismatch: string | null;
}

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
 * `runs` rounds over `starts` at every depth: each start's baseline query, then the same query
 * in memory (single executions; a repeated in-memory query would run on warm CPU caches). A
 * warm-up of 3 queries per depth comes first.
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
    for (const depth of LINEAGE_DEPTHS) {
      const base: Timings = { ms: [], cpuMs: [], sizes: [] };
      const mem: Timings = { ms: [], cpuMs: [], sizes: [] };
      for (const s of starts) {
        signal.throwIfAborted();
        const t0 = performance.now();
        const ids = await loaded.backend.upstream(s, depth);
        base.ms.push(performance.now() - t0);
        base.cpuMs.push(NaN);
        base.sizes.push(ids.length);
        const m = timeEach([s], (id) => upstream(g, id, depth).length, 0);
        mem.ms.push(m.ms[0]!);
        mem.cpuMs.push(m.cpuMs[0]!);
        mem.sizes.push(m.sizes[0]!);
        const want = expected.get(`${depth} ${s}`)!;
        if (ids.length !== want.size || !ids.every((id) => want.has(id))) {
          result.mismatches++;
          result.firstMismatch ??= `${system} upstream(${s}, ${depth}): ${ids.length} vertices, in-memory ${want.size}`;
        }
      }
      baseline[depth] = percentiles(base);
      inMemory[depth] = percentiles(mem);
    }
    result.runs.push({ baseline, inMemory });
    progress(`  ${system} run ${r + 1}/${runs}: ${LINEAGE_DEPTHS.map((d) => `depth ${d} p50 ${baseline[d].p50.toFixed(1)} ms (in-memory ${inMemory[d].p50.toFixed(3)} ms)`).join('; ')}`);
  }
  return result;
}

/** Per run, baseline p50 / in-memory p50 on the same starts and the same answer. */
export function speedups(b: BaselineResult, depth: LineageDepth): number[] {
  return b.runs.map((r) => r.baseline[depth].p50 / Math.max(r.inMemory[depth].p50, 1e-6));
}
