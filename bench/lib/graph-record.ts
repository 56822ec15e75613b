/**
 * The graph benchmark's result record (bench/results/graph-<ts>.json) and its rendering: header
 * with machine, versions and settings; per size the graph's shape, build and memory breakdown;
 * one table of every figure (median over runs, each run, target, PASS/MISS). Targets apply at
 * 10^6 vertices (issue 4); smaller sizes are shown for the trend. Pure.
 */
import type { MemoryEstimate } from '../../services/graph/core/graph.js';
import type { GenerateStats } from '../../services/graph/generate.js';
import type { BaselineResult } from './graph-baselines.js';
import { speedups } from './graph-baselines.js';
import { LINEAGE_DEPTHS, SEGMENT_MAX_LENGTH, SUMMARIZED_SEGMENTS, type InMemoryRun } from './graph-queries.js';
import { formatNumber, line, type MachineInfo, type ResultLine, type Target } from './report.js';

export const TARGETS = { queryP50Ms: 20, queryP99Ms: 200, cteSpeedup: 100, summarizeMs: 2_000, bytesPerEdge: 150, atVertices: 1e6 } as const;

export interface SizeResult {
  target: number;
  stats: Pick<GenerateStats, 'vertices' | 'edges' | 'events' | 'verticesByKind' | 'edgesByType'>;
  generateMs: number;
  build: { applyMs: number; compactMs: number; relayoutMs: number; buildMs: number };
  memory: { estimate: MemoryEstimate; heapBytes: number; heapBytesPerEdge: number };
  queries: number;
  inMemory: InMemoryRun[];
  baselines: BaselineResult[];
  skipped: string[];
  /** 1-minute load average when the size started and ended: other work on the machine shows here. */
  loadAverage: { start: number; end: number };
}

export interface GraphRecord {
  benchmark: 'graph';
  stamp: string;
  machine: MachineInfo;
  versions: { node: string; postgres: string; clickhouse: string };
  settings: { sizes: number[]; queries: number; baselineQueries: Record<string, number>; runs: number; seed: string; segmentMaxLength: number; summarizedSegments: number; labelKeys: Record<string, string> };
  sizes: SizeResult[];
  lines: Array<ResultLine & { vertices: number }>;
}

const SYSTEM_NAMES = { postgres: 'PostgreSQL recursive CTE', clickhouse: 'ClickHouse iterative joins' } as const;

/** Every figure of one size as result lines (targets only at the size the targets are for). */
export function linesFor(s: SizeResult): Array<ResultLine & { vertices: number }> {
  const targeted = s.target >= TARGETS.atVertices;
  const t = (target: Target): Target | undefined => (targeted ? target : undefined);
  const out: Array<ResultLine & { vertices: number }> = [];
  const add = (metric: string, unit: string, runs: number[], target?: Target) => out.push({ ...line(metric, null, unit, runs, target), vertices: s.stats.vertices });
  const p50 = t({ op: '<=', value: TARGETS.queryP50Ms });
  const p99 = t({ op: '<=', value: TARGETS.queryP99Ms });
  add('graph build (apply every event + compact)', 's', [s.build.buildMs / 1000]);
  add('memory per edge: ProvGraph.memoryEstimate', 'bytes', [s.memory.estimate.bytesPerEdge], t({ op: '<=', value: TARGETS.bytesPerEdge }));
  add('memory per edge: measured heap delta', 'bytes', [s.memory.heapBytesPerEdge], t({ op: '<=', value: TARGETS.bytesPerEdge }));
  for (const d of LINEAGE_DEPTHS) {
    add(`lineage upstream depth ${d}, p50`, 'ms', s.inMemory.map((r) => r.lineage[d].p50), p50);
    add(`lineage upstream depth ${d}, p99`, 'ms', s.inMemory.map((r) => r.lineage[d].p99), p99);
  }
  add(`segment, connected pair, maxLength ${SEGMENT_MAX_LENGTH}, p50`, 'ms', s.inMemory.map((r) => r.segmentPair.p50), p50);
  add(`segment, connected pair, maxLength ${SEGMENT_MAX_LENGTH}, p99`, 'ms', s.inMemory.map((r) => r.segmentPair.p99), p99);
  add(`segment, Vsrc empty, maxLength ${SEGMENT_MAX_LENGTH}, p50`, 'ms', s.inMemory.map((r) => r.segmentNoSource.p50), p50);
  add(`segment, Vsrc empty, maxLength ${SEGMENT_MAX_LENGTH}, p99`, 'ms', s.inMemory.map((r) => r.segmentNoSource.p99), p99);
  add(`  diagnostic: segment, connected pair, p99 of CPU time`, 'ms', s.inMemory.map((r) => r.segmentPair.cpuP99));
  add(`  diagnostic: segment, Vsrc empty, p99 of CPU time`, 'ms', s.inMemory.map((r) => r.segmentNoSource.cpuP99));
  add(`  diagnostic: segment, connected pair, mean result size`, 'vertices', s.inMemory.map((r) => r.segmentPair.meanSize));
  add(`summarize ${formatNumber(SUMMARIZED_SEGMENTS)} segments (k = ∞)`, 'ms', s.inMemory.map((r) => r.summarizeMs), t({ op: '<=', value: TARGETS.summarizeMs }));
  for (const b of s.baselines) {
    const name = SYSTEM_NAMES[b.system];
    for (const d of LINEAGE_DEPTHS) {
      add(`${name} depth ${d}, p50 (${b.queries} queries)`, 'ms', b.runs.map((r) => r.baseline[d].p50));
      add(`${name} depth ${d}, p99 (${b.queries} queries)`, 'ms', b.runs.map((r) => r.baseline[d].p99));
    }
    for (const d of LINEAGE_DEPTHS) {
      const target = b.system === 'postgres' && d === 20 ? t({ op: '>=', value: TARGETS.cteSpeedup }) : undefined;
      add(`speedup vs ${name}, depth ${d} (same queries and answer, p50/p50)`, '×', speedups(b, d), target);
    }
  }
  return out;
}

function renderLines(lines: ReadonlyArray<ResultLine & { vertices: number }>): string {
  const header = ['vertices', 'metric', 'median', 'runs', 'target', ''];
  const rows = lines.map((l) => [
    formatNumber(l.vertices),
    `${l.metric} (${l.unit})`,
    formatNumber(l.median, l.unit),
    l.runs.map((r) => formatNumber(r, l.unit)).join(' / '),
    l.target ? `${l.target.op === '>=' ? '≥' : '≤'} ${formatNumber(l.target.value, l.unit)}` : '',
    l.verdict ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

const mb = (bytes: number) => `${formatNumber(bytes / 2 ** 20)} MiB`;

export function renderGraphRecord(rec: GraphRecord, path: string): string {
  const m = rec.machine;
  const out = [
    `bench-graph ${rec.stamp}: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}; Node ${rec.versions.node}, PostgreSQL ${rec.versions.postgres}, ClickHouse ${rec.versions.clickhouse}`,
    `settings: ${rec.settings.queries} in-memory queries per figure, baseline queries ${JSON.stringify(rec.settings.baselineQueries)}, ${rec.settings.runs} runs (medians), seed ${rec.settings.seed}; segments: connected (source, destination) pairs and Vsrc-empty, maxLength ${rec.settings.segmentMaxLength}; summaries of ${rec.settings.summarizedSegments} segments with K = ${JSON.stringify(rec.settings.labelKeys)}, k = ∞`,
    '',
  ];
  for (const s of rec.sizes) {
    const e = s.memory.estimate;
    const summary = s.inMemory[0]?.summary;
    out.push(
      `${formatNumber(s.stats.vertices)} vertices, ${formatNumber(s.stats.edges)} edges (${(s.stats.edges / s.stats.vertices).toFixed(2)} per vertex), ${formatNumber(s.stats.events)} events: generated in ${(s.generateMs / 1000).toFixed(1)} s, applied in ${(s.build.applyMs / 1000).toFixed(1)} s + compacted in ${(s.build.compactMs / 1000).toFixed(2)} s + laid out in ${(s.build.relayoutMs / 1000).toFixed(2)} s`,
      `  machine load (1-min average, ${rec.machine.cores} cores): ${s.loadAverage.start.toFixed(1)} at start, ${s.loadAverage.end.toFixed(1)} at end`,
      `  memory: estimate ${mb(e.totalBytes)} (vertices ${mb(e.vertexBytes)}, edges ${mb(e.edgeBytes)}, properties ${mb(e.propBytes)}, ids ${mb(e.idBytes)}); measured heap delta ${mb(s.memory.heapBytes)}`,
    );
    if (summary) out.push(`  summary: ${formatNumber(summary.inputVertices)} + ${formatNumber(summary.inputEdges)} input -> ${formatNumber(summary.vertices)} + ${formatNumber(summary.edges)} (compaction ${summary.compaction.toFixed(3)}, ${summary.rounds} rounds)`);
    for (const b of s.baselines) {
      out.push(`  ${SYSTEM_NAMES[b.system]}: ${formatNumber(b.edges)} edges loaded in ${(b.loadMs / 1000).toFixed(1)} s (${b.system === 'postgres' ? 'indexes + ANALYZE' : 'OPTIMIZE FINAL'} ${(b.indexMs / 1000).toFixed(1)} s); answers ${b.mismatches === 0 ? 'identical to the in-memory lineage' : `DIFFER in ${b.mismatches} queries: ${b.firstMismatch}`}`);
    }
    for (const why of s.skipped) out.push(`  skipped: ${why}`);
  }
  out.push('', renderLines(rec.lines), '', `full record: ${path}`);
  return out.join('\n');
}
