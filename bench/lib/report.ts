/**
 * Benchmark reporting: the environment a result was measured in (machine, Node, service
 * versions), medians and percentiles, the side-by-side results table with targets, and the JSON
 * record written to bench/results/. Pure apart from `machineInfo` (reads os) and `writeResults`.
 */
import { cpus, totalmem, platform, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
}

export interface Versions {
  kafka: string;
  clickhouse: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export interface Target {
  /** `>=`: higher is better; `<=`: lower is better. */
  op: '>=' | '<=';
  value: number;
}

/** One line of the results table: a figure measured `runs.length` times, shown as the median. */
export interface ResultLine {
  metric: string;
  partitions: number | null;
  unit: string;
  runs: number[];
  median: number;
  /** Runs that failed with an error (not in `runs`, not in the median). */
  failed: number;
  target?: Target;
  /** PASS / MISS against the target (informational: a benchmark never fails the build); ERROR: no run succeeded. */
  verdict?: 'PASS' | 'MISS' | 'ERROR';
}

export function line(metric: string, partitions: number | null, unit: string, runs: number[], target?: Target, failed = 0): ResultLine {
  const m = median(runs);
  const out: ResultLine = { metric, partitions, unit, runs, median: m, failed };
  if (target) {
    out.target = target;
    out.verdict = runs.length === 0 ? 'ERROR' : (target.op === '>=' ? m >= target.value : m <= target.value) ? 'PASS' : 'MISS';
  }
  return out;
}

export function formatNumber(v: number, unit = ''): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === '×') return `${v.toFixed(1)}×`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Renders the lines as an aligned text table (median first, then every run, then the target). */
export function renderTable(lines: readonly ResultLine[]): string {
  const header = ['metric', 'partitions', 'median', 'runs', 'target', ''];
  const rows = lines.map((l) => [
    `${l.metric} (${l.unit})`,
    l.partitions === null ? '-' : String(l.partitions),
    formatNumber(l.median, l.unit),
    [...l.runs.map((r) => formatNumber(r, l.unit)), ...Array<string>(l.failed).fill('failed')].join(' / '),
    l.target ? `${l.target.op === '>=' ? '≥' : '≤'} ${formatNumber(l.target.value, l.unit)}` : '',
    l.verdict ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** Writes the full record as bench/results/<name>-<timestamp>.json and returns the path. */
export function writeResults(dir: string, name: string, stamp: string, record: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}-${stamp}.json`);
  writeFileSync(path, JSON.stringify(record, null, 2) + '\n');
  return path;
}

/** 20260102T093000 style stamp (UTC), safe in file, topic and database names once `T` is kept. */
export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '');
}
