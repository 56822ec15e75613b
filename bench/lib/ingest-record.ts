/**
 * The ingest benchmark's result record (what bench/results/ingest-<ts>.json holds) and its
 * human rendering: header with machine, versions and every setting, the results table with
 * targets, then "where the time goes". Pure.
 */
import type { MachineInfo, ResultLine, Versions } from './report.js';
import { median, renderTable, formatNumber } from './report.js';
import type { ThroughputResult } from './throughput.js';
import type { FreshnessOptions, FreshnessResult } from './freshness.js';
import type { CatchUpResult } from './catchup.js';
import type { BaselineResult } from './baseline.js';
import type { CpuShares } from './cpu.js';

export interface PartitionResults {
  partitions: number;
  throughput: ThroughputResult[];
  freshness: FreshnessResult[];
  catchUp: CatchUpResult[];
  /** Summed over the consumer processes of this partition count: batches, events, retries, ... */
  consumerStats: Record<string, number>;
}

export interface IngestRecord {
  benchmark: 'ingest';
  stamp: string;
  machine: MachineInfo;
  versions: Versions;
  settings: {
    events: number;
    runs: number;
    partitions: number[];
    freshness: FreshnessOptions;
    baselineEvents: number;
    /** Emitter options set by the benchmark (empty: SDK defaults). */
    sdkOptions: Record<string, number>;
    sdkHighWater: number;
    /** Consumer env set by the benchmark beyond connection/topic/group/database (empty: product defaults). */
    consumerEnv: Record<string, string>;
    consumer: { maxWaitMs: number; maxBytesPerPartition: number; partitionsConsumedConcurrently: number };
    consumerMode: string;
    database: string;
  };
  mix: Record<string, number>;
  lines: ResultLine[];
  cpuCost: CpuCost[];
  /** Measurements that ended in an error (the process exits non-zero when there are any). */
  failures: Array<{ what: string; error: string }>;
  details: { perPartitions: PartitionResults[]; baseline: BaselineResult[] };
}

/**
 * CPU microseconds each stage spends per event, from the halves measured alone (median over
 * runs). Unlike rates, these barely move when other work shares the machine, and they give the
 * CPU-bound ceiling: cores / total µs per event.
 */
export interface CpuCost {
  partitions: number;
  sdkUs: number;
  consumerUs: number;
  clickhouseUs: number;
  kafkaUs: number;
  totalUs: number;
  ceilingPerSec: number;
}

export function cpuCost(partitions: number, runs: readonly CatchUpResult[], cores: number): CpuCost {
  const us = (c: CpuShares, k: string, events: number) => ((c[k] ?? 0) * (c['wallSeconds'] ?? 0) * 1e6) / events;
  const med = (f: (r: CatchUpResult) => number) => Math.round(median(runs.map(f)) * 10) / 10;
  const sdkUs = med((r) => us(r.sdkCpu, 'bench', r.events));
  const consumerUs = med((r) => us(r.ingestCpu, 'ingest', r.events));
  const clickhouseUs = med((r) => us(r.ingestCpu, 'clickhouse', r.events) + us(r.sdkCpu, 'clickhouse', r.events));
  const kafkaUs = med((r) => us(r.ingestCpu, 'kafka', r.events) + us(r.sdkCpu, 'kafka', r.events));
  const totalUs = Math.round((sdkUs + consumerUs + clickhouseUs + kafkaUs) * 10) / 10;
  return { partitions, sdkUs, consumerUs, clickhouseUs, kafkaUs, totalUs, ceilingPerSec: Math.round((cores * 1e6) / totalUs) };
}

const PROCESSES = ['bench', 'ingest', 'kafka', 'clickhouse', 'other'];

function cores(list: CpuShares[]): string {
  return PROCESSES.map((k) => `${k} ${formatNumber(median(list.map((c) => c[k] ?? NaN)))}`).join(', ');
}

export function renderRecord(rec: IngestRecord, resultsPath: string): string {
  const { machine: m, versions: v, settings: s, mix } = rec;
  const total = Object.values(mix).reduce((a, b) => a + b, 0) || 1;
  const out = [
    `provstream ingest benchmark ${rec.stamp} — medians of ${s.runs} run(s)`,
    `machine: ${m.cores} cores ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; Kafka ${v.kafka}, ClickHouse ${v.clickhouse}, all on this machine`,
    `workload: ${formatNumber(s.events)} events per throughput run; mix ${Object.entries(mix).map(([k, n]) => `${k} ${Math.round((100 * n) / total)}%`).join(', ')}`,
    `freshness: ${formatNumber(s.freshness.rate)} events/s for ${s.freshness.seconds} s, 1 probe per ${s.freshness.probeEvery} events, polled every ${s.freshness.pollMs} ms; baseline: ${formatNumber(s.baselineEvents)} events, one write per event`,
    `SDK options: ${Object.keys(s.sdkOptions).length ? JSON.stringify(s.sdkOptions) : 'SDK defaults'}; the producer waits while more than ${formatNumber(s.sdkHighWater)} events are buffered`,
    `consumer: ${s.consumerMode}; env set by the benchmark: ${Object.keys(s.consumerEnv).length ? JSON.stringify(s.consumerEnv) : 'none (product defaults)'}; effective ${JSON.stringify(s.consumer)}`,
    '',
    renderTable(rec.lines),
    '',
    'where the time goes (medians; CPU in cores = CPU-seconds per wall-second; "other" = load not from the pipeline):',
  ];
  for (const r of rec.details.perPartitions) {
    const st = r.consumerStats;
    const perBatch = st['batches'] ? (st['events'] ?? 0) / st['batches'] : NaN;
    out.push(
      `  p${r.partitions} end to end: SDK->Kafka ${formatNumber(median(r.throughput.map((t) => t.kafkaDeliveredPerSec)))} events/s while the consumer runs; last event queryable ${formatNumber(median(r.throughput.map((t) => t.tailAfterDeliveredMs)))} ms after the last Kafka ack`,
      `      CPU: ${cores(r.throughput.map((t) => t.cpu))}`,
      `  p${r.partitions} SDK alone: ${formatNumber(median(r.catchUp.map((c) => c.sdkAlonePerSec)))} events/s; CPU: ${cores(r.catchUp.map((c) => c.sdkCpu))}`,
      `  p${r.partitions} consumer alone: ${formatNumber(median(r.catchUp.map((c) => c.ingestAlonePerSec)))} events/s; CPU: ${cores(r.catchUp.map((c) => c.ingestCpu))}`,
      `  p${r.partitions} freshness: achieved ${formatNumber(median(r.freshness.map((f) => f.achievedRate)))} events/s, ${formatNumber(median(r.freshness.map((f) => f.probes)))} probes, SDK backlog peak ${formatNumber(median(r.freshness.map((f) => f.sdkMaxBuffered)))} events; all tables p90 ${formatNumber(median(r.freshness.map((f) => f.allTables.p90Ms)))} ms, max ${formatNumber(median(r.freshness.map((f) => f.allTables.maxMs)))} ms`,
      `      CPU: ${cores(r.freshness.map((f) => f.cpu))}`,
      `  p${r.partitions} consumer: ${formatNumber(st['events'] ?? NaN)} events in ${formatNumber(st['batches'] ?? NaN)} partition batches (${formatNumber(perBatch)} events per batch) and ${formatNumber(st['insertGroups'] ?? NaN)} insert groups (${formatNumber((st['events'] ?? NaN) / (st['insertGroups'] ?? NaN))} events per group), ${st['retries'] ?? 0} retries, ${st['deadLetters'] ?? 0} dead letters`,
    );
  }
  for (const c of rec.cpuCost) {
    out.push(`  p${c.partitions} CPU per event: SDK ${c.sdkUs} µs + consumer ${c.consumerUs} µs + ClickHouse ${c.clickhouseUs} µs + Kafka ${c.kafkaUs} µs = ${c.totalUs} µs -> CPU-bound ceiling on ${m.cores} cores ≈ ${formatNumber(c.ceilingPerSec)} events/s end to end`);
  }
  const b = rec.details.baseline;
  if (b.length) out.push(`  baseline: ${formatNumber(median(b.map((x) => x.insertsPerSec)))} INSERTs/s (${formatNumber(b[0]!.inserts / b[0]!.events)} per event); CPU: ${cores(b.map((x) => x.cpu))}`);
  const other = Math.max(0, ...rec.details.perPartitions.flatMap((r) => [...r.throughput, ...r.freshness].map((x) => x.cpu['other'] ?? 0)));
  if (other > 0.25) out.push(`  WARNING: other processes used up to ${formatNumber(other)} cores during the measurements; the figures are disturbed (quiet the machine and run again)`);
  for (const f of rec.failures) out.push(`  FAILED ${f.what}: ${f.error}`);
  out.push('', `PASS/MISS compare medians with the issue's targets; they never change the exit code. Full record: ${resultsPath}`);
  return out.join('\n');
}
