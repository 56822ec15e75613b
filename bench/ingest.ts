/**
 * `make bench-ingest`: end-to-end ingest benchmark, SDK -> Kafka -> ingest consumer -> ClickHouse.
 *
 *   node dist/bench/ingest.js [--events 300000] [--runs 3] [--partitions 1,4] [--json] ...
 *
 * For each partition count: sustained throughput (events/s until visible in queries),
 * produce -> queryable freshness (p50/p99 at a paced rate) and, as diagnostics, the two halves
 * alone (SDK -> Kafka with no consumer; the consumer catching up) with the CPU each stage spends
 * per event; once: the one-write-per-event baseline. Every figure is measured `--runs` times in this one process run and the median is
 * reported next to its target with PASS/MISS (information, never the exit code: the process
 * exits non-zero only when something failed). Each partition count has its own topics, consumer
 * group and ClickHouse database (fresh tables, so the second count does not pay for the first's
 * rows and merges), the baseline one more; all removed at the end, also on failure and on Ctrl-C
 * (`--keep` keeps them).
 * Progress goes to stderr, the table to stdout, the full record to bench/results/ingest-<ts>.json.
 */
import { readdirSync } from 'node:fs';
import { Command, Option } from 'commander';
import { connectWarehouse } from '../services/lib/clickhouse.js';
import type { Warehouse } from '../services/lib/clickhouse.js';
import { migrate } from '../services/lib/migrations.js';
import { createKafka, ensureTopics } from '../services/lib/kafka.js';
import { createRootLogger } from '../services/lib/log.js';
import { ident } from '../services/lib/sql-literal.js';
import { EnvReader, DEFAULT_URLS } from '../services/lib/config.js';
import type { Env } from '../services/lib/config.js';
import { loadIngestConfig } from '../services/ingest/config.js';
import { repoPath } from '../services/lib/paths.js';
import { errorMessage } from '../services/lib/errors.js';
import { retry } from '../services/lib/retry.js';
import { Cleanup } from './lib/cleanup.js';
import { startConsumerProcess } from './lib/consumer-process.js';
import { CpuMeter, pidListeningOn } from './lib/cpu.js';
import { quiesce, HIGH_WATER } from './lib/pipeline.js';
import type { Pipeline } from './lib/pipeline.js';
import { measureThroughput } from './lib/throughput.js';
import { measureFreshness, freshnessEventCount } from './lib/freshness.js';
import type { FreshnessOptions } from './lib/freshness.js';
import { measureCatchUp } from './lib/catchup.js';
import { measureBaseline } from './lib/baseline.js';
import type { BaselineResult } from './lib/baseline.js';
import { trainingWorkload, mixOf } from './lib/workload.js';
import { machineInfo, line, median, writeResults, timestamp, formatNumber } from './lib/report.js';
import { renderRecord, cpuCost } from './lib/ingest-record.js';
import type { IngestRecord, PartitionResults } from './lib/ingest-record.js';
import type { ResultLine } from './lib/report.js';
import { positiveInt } from './lib/options.js';

const TARGETS = { throughput: 50_000, ratio: 20, freshnessP99Ms: 2_000 } as const;

interface Options {
  events: number;
  runs: number;
  partitions: number[];
  rate: number;
  freshnessSeconds: number;
  probeEvery: number;
  pollMs: number;
  baselineEvents: number;
  sdkLingerMs?: number;
  sdkBatchSize?: number;
  consumerEnv: Record<string, string>;
  json: boolean;
  keep: boolean;
  kafkaBrokers: string[];
  clickhouseUrl: string;
}

const progress = (msg: string) => process.stderr.write(`bench-ingest: ${msg}\n`);

function parseOptions(argv: string[], env: Env): Options {
  const cmd = new Command('bench-ingest')
    .description('Ingest benchmark: SDK -> Kafka -> ClickHouse throughput and freshness vs a one-write-per-event baseline.\nServices from KAFKA_BROKERS / CLICKHOUSE_URL (defaults: the ports of `make up`).')
    .option('--events <n>', 'events per throughput run', positiveInt('--events'), 300_000)
    .option('--runs <n>', 'repetitions of every measurement (medians are reported)', positiveInt('--runs'), 3)
    .option('--partitions <list>', 'topic partition counts to measure, comma-separated', '1,4')
    .option('--rate <n>', 'freshness: paced publish rate (events/s)', positiveInt('--rate'), 10_000)
    .option('--freshness-seconds <n>', 'freshness: how long to publish', positiveInt('--freshness-seconds'), 15)
    .option('--probe-every <n>', 'freshness: one probe per n events', positiveInt('--probe-every'), 100)
    .option('--poll-ms <n>', 'freshness: probe poll interval', positiveInt('--poll-ms'), 50)
    .option('--baseline-events <n>', 'events written one by one per baseline run (each leaves 2 parts per run that DROP DATABASE must delete on 18.16: keep it small)', positiveInt('--baseline-events'), 2_000)
    .addOption(new Option('--sdk-linger-ms <n>', 'SDK lingerMs (default: the SDK default)').argParser(positiveInt('--sdk-linger-ms')))
    .addOption(new Option('--sdk-batch-size <n>', 'SDK batchSize (default: the SDK default)').argParser(positiveInt('--sdk-batch-size')))
    .option('--consumer-env <KEY=VALUE...>', 'extra env for the ingest consumer, e.g. INGEST_MAX_WAIT_MS=20 (printed with the results)')
    .option('--json', 'print the full JSON record on stdout instead of the table')
    .option('--keep', 'keep the benchmark database, topics and consumer groups')
    .showHelpAfterError('(run with --help for usage)');
  cmd.parse(argv);
  const o = cmd.opts<{ events: number; runs: number; partitions: string; rate: number; freshnessSeconds: number; probeEvery: number; pollMs: number; baselineEvents: number; sdkLingerMs?: number; sdkBatchSize?: number; consumerEnv?: string[]; json?: boolean; keep?: boolean }>();
  const partitions = o.partitions.split(',').map((s) => Number(s.trim()));
  if (partitions.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) cmd.error(`--partitions must list integers from 1 to 64, got ${JSON.stringify(o.partitions)}`);
  // The consumer's own INGEST_* settings from this environment are passed on, and printed.
  const consumerEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('INGEST_') && e[1] !== undefined));
  for (const kv of o.consumerEnv ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) cmd.error(`--consumer-env expects KEY=VALUE, got ${JSON.stringify(kv)}`);
    consumerEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  try {
    loadIngestConfig(consumerEnv); // reject a mistyped --consumer-env now, not after minutes of benchmark
  } catch (err) {
    cmd.error(`--consumer-env / INGEST_* settings: ${errorMessage(err)}`);
  }
  const r = new EnvReader(env);
  const kafkaBrokers = r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers);
  const clickhouseUrl = r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']);
  r.done();
  return {
    ...o, partitions, consumerEnv, kafkaBrokers, clickhouseUrl, json: !!o.json, keep: !!o.keep,
    ...(o.sdkLingerMs ? { sdkLingerMs: o.sdkLingerMs } : {}), ...(o.sdkBatchSize ? { sdkBatchSize: o.sdkBatchSize } : {}),
  };
}

/** Kafka's version from the jars `make up` runs natively; unknown for other installations. */
function kafkaVersion(): string {
  try {
    for (const f of readdirSync(repoPath('.cache', 'kafka', 'libs'))) {
      const m = /^kafka_[\d.]+-([\d.]+)\.jar$/.exec(f);
      if (m) return m[1]!;
    }
  } catch {
    // not the native install
  }
  return 'unknown';
}

async function run(o: Options, stamp: string, cleanup: Cleanup, signal: AbortSignal): Promise<IngestRecord> {
  const database = `bench_${stamp}`;
  // Long timeout: on 18.16 DROP DATABASE waits for running merges (the baseline leaves thousands of tiny parts).
  const admin = await connectWarehouse({ url: o.clickhouseUrl, database: 'default', requestTimeoutMs: 300_000 });
  cleanup.add('close the ClickHouse admin client', () => admin.close());
  const [ver] = await admin.query<{ v: string }>('SELECT version() AS v');
  const versions = { kafka: kafkaVersion(), clickhouse: ver?.v ?? 'unknown' };
  const freshDatabase = async (name: string) => {
    const db = await connectWarehouse({ url: o.clickhouseUrl, database: name }, { create: true });
    cleanup.add(`drop database ${name}`, async () => {
      await db.close();
      if (!o.keep) await retry(() => admin.command(`DROP DATABASE IF EXISTS ${ident(name).text}`), { attempts: 3, onRetry: (err) => progress(`dropping ${name}: ${errorMessage(err)}; retrying`) });
    });
    await migrate(db);
    return db;
  };
  // The baseline's tables.
  const wh = await freshDatabase(database);
  const kafka = createKafka({ brokers: o.kafkaBrokers, clientId: 'provstream-bench' }, createRootLogger('error', 'provstream-bench'));
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  cleanup.add('disconnect the Kafka admin client', () => kafkaAdmin.disconnect());
  const servicePids = { kafka: pidListeningOn(Number(o.kafkaBrokers[0]?.split(':')[1])), clickhouse: pidListeningOn(Number(new URL(o.clickhouseUrl).port || 8123)) };
  const resultsDir = repoPath('bench', 'results');
  const fresh: FreshnessOptions = { rate: o.rate, seconds: o.freshnessSeconds, probeEvery: o.probeEvery, pollMs: o.pollMs };
  const sdk = { ...(o.sdkLingerMs ? { lingerMs: o.sdkLingerMs } : {}), ...(o.sdkBatchSize ? { batchSize: o.sdkBatchSize } : {}) };
  let mix: Record<string, number> = {};
  // One event sent by every new emitter before its clock starts, so connecting is not timed.
  const warm = trainingWorkload({ project: 'bench-warm-sdk', count: 1, seed: stamp });

  // A failed measurement (e.g. the SDK dropping events on a starved machine) is recorded and the
  // benchmark goes on, so the other figures are not lost; the process then exits non-zero.
  const failures: IngestRecord['failures'] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted) throw err;
      failures.push({ what, error: errorMessage(err) });
      progress(`  FAILED: ${errorMessage(err)}`);
      return undefined;
    }
  };
  const perPartitions: PartitionResults[] = [];
  const phaseDatabases: Array<{ db: Warehouse; name: string }> = [];
  for (const partitions of o.partitions) {
    const topic = `bench.ingest.${stamp}.p${partitions}`;
    const dlq = `${topic}.dlq`;
    const group = `bench-ingest-${stamp}-p${partitions}`;
    await ensureTopics(kafkaAdmin, [{ topic, numPartitions: partitions }, { topic: dlq, numPartitions: 1 }]);
    if (!o.keep) cleanup.add(`delete topics ${topic}, ${dlq}`, () => kafkaAdmin.deleteTopics({ topics: [topic, dlq], timeout: 10_000 }));
    if (!o.keep) cleanup.add(`delete consumer group ${group}`, () => kafkaAdmin.deleteGroups([group]));
    // Every partition count gets fresh tables: measured after another's millions of rows (and the
    // merges they cause), the second partition count paid ~2x ClickHouse CPU per event.
    const pDatabase = `${database}_p${partitions}`;
    const pWh = await freshDatabase(pDatabase);
    phaseDatabases.push({ db: pWh, name: pDatabase });
    const consumerEnv = {
      KAFKA_BROKERS: o.kafkaBrokers.join(','), CLICKHOUSE_URL: o.clickhouseUrl, CLICKHOUSE_DATABASE: pDatabase,
      PROVSTREAM_TOPIC: topic, PROVSTREAM_DLQ_TOPIC: dlq, PROVSTREAM_TOPIC_PARTITIONS: String(partitions), INGEST_GROUP_ID: group,
      LOG_LEVEL: 'info', ...o.consumerEnv,
    };
    const consumerStats: Array<Record<string, number>> = [];
    const startConsumer = async () => {
      const logFile = `${resultsDir}/ingest-${stamp}-consumer-p${partitions}-${consumerStats.length + 1}.log`;
      const consumer = await startConsumerProcess({ env: consumerEnv, logFile, onWarning: (m) => progress(`p${partitions}: consumer warning: ${m}`) });
      consumerStats.push(consumer.lastStats);
      cleanup.add(`stop the ingest consumer (pid ${consumer.pid})`, () => consumer.stop());
      return { consumer, cpu: new CpuMeter({ bench: process.pid, ingest: consumer.pid, ...servicePids }) };
    };
    progress(`p${partitions}: starting the ingest consumer process (topic ${topic}, logs ${resultsDir}/ingest-${stamp}-consumer-p${partitions}-*.log)`);
    const describeLag = async () => {
      const [ends, [committed]] = await Promise.all([kafkaAdmin.fetchTopicOffsets(topic), kafkaAdmin.fetchOffsets({ groupId: group, topics: [topic] })]);
      return ends
        .map((e) => {
          const c = committed?.partitions.find((x) => x.partition === e.partition)?.offset ?? '-1';
          return `p${e.partition} end ${e.high} committed ${c} lag ${Number(e.high) - Math.max(0, Number(c))}`;
        })
        .join('; ');
    };
    const p: Pipeline = { brokers: o.kafkaBrokers, topic, partitions, sdk, ...(await startConsumer()), wh: pWh, progress, signal, describeLag };
    const result: PartitionResults = { partitions, throughput: [], freshness: [], catchUp: [], consumerStats: {} };
    // The first events through a fresh consumer group pay for the group join: not part of any figure.
    const joined = performance.now();
    await measureThroughput(p, trainingWorkload({ project: `bench-warm-p${partitions}`, count: 200, seed: stamp }), warm, `bench-warm-p${partitions}`);
    progress(`p${partitions}: consumer ready; warm-up events queryable after ${Math.round(performance.now() - joined)} ms`);
    for (let i = 1; i <= o.runs; i++) {
      const project = `bench-tp-p${partitions}-r${i}`;
      const w = trainingWorkload({ project, count: o.events, seed: stamp });
      if (i === 1) mix = mixOf(w.events);
      const waited = await quiesce(pWh, pDatabase, signal);
      progress(`p${partitions} throughput run ${i}/${o.runs}: publishing ${formatNumber(o.events)} events${waited > 500 ? ` (waited ${waited} ms for merges)` : ''}`);
      const r = await attempt(`p${partitions} throughput run ${i}`, () => measureThroughput(p, w, warm, project));
      if (!r) continue;
      result.throughput.push(r);
      progress(`  ${formatNumber(r.eventsPerSec)} events/s end to end (${r.seconds} s); SDK->Kafka ${formatNumber(r.kafkaDeliveredPerSec)} events/s; cores ${JSON.stringify(r.cpu)}`);
    }
    for (let i = 1; i <= o.runs; i++) {
      const project = `bench-fr-p${partitions}-r${i}`;
      const w = trainingWorkload({ project, count: freshnessEventCount(fresh), seed: stamp });
      await quiesce(pWh, pDatabase, signal);
      progress(`p${partitions} freshness run ${i}/${o.runs}: ${formatNumber(o.rate)} events/s for ${o.freshnessSeconds} s`);
      const r = await attempt(`p${partitions} freshness run ${i}`, () => measureFreshness(p, w, warm, project, fresh));
      if (!r) continue;
      result.freshness.push(r);
      progress(`  all tables: p50 ${r.allTables.p50Ms} ms, p99 ${r.allTables.p99Ms} ms; events_raw: p50 ${r.eventsRaw.p50Ms} ms, p99 ${r.eventsRaw.p99Ms} ms; ${r.probes} probes at ${formatNumber(r.achievedRate)} events/s; SDK backlog peak ${formatNumber(r.sdkMaxBuffered)}; cores ${JSON.stringify(r.cpu)}`);
    }
    for (let i = 1; i <= o.runs; i++) {
      const project = `bench-cu-p${partitions}-r${i}`;
      const w = trainingWorkload({ project, count: o.events, seed: stamp });
      await p.consumer.stop();
      await quiesce(pWh, pDatabase, signal);
      progress(`p${partitions} halves run ${i}/${o.runs}: SDK->Kafka with the consumer stopped, then the consumer catching up`);
      const r = await attempt(`p${partitions} halves run ${i}`, () => measureCatchUp(p, w, warm, project, startConsumer));
      if (!r) continue;
      result.catchUp.push(r);
      progress(`  SDK->Kafka alone ${formatNumber(r.sdkAlonePerSec)} events/s; Kafka->ClickHouse alone ${formatNumber(r.ingestAlonePerSec)} events/s (consumer start ${r.consumerStartMs} ms); cores ${JSON.stringify(r.ingestCpu)}`);
    }
    await p.consumer.stop();
    for (const st of consumerStats) for (const [k, v] of Object.entries(st)) result.consumerStats[k] = (result.consumerStats[k] ?? 0) + v;
    perPartitions.push(result);
  }

  const baseline: BaselineResult[] = [];
  // The throughput phases' merges would otherwise run during the baseline and slow it down
  // (41-154 events/s in one day's runs), inflating the ratio.
  for (const { db, name } of phaseDatabases) await quiesce(db, name, signal, 300_000);
  const baseCpu = new CpuMeter({ bench: process.pid, ...servicePids });
  for (let i = 1; i <= o.runs; i++) {
    const project = `bench-base-r${i}`;
    const w = trainingWorkload({ project, count: o.baselineEvents, seed: stamp });
    await quiesce(wh, database, signal);
    progress(`baseline run ${i}/${o.runs}: ${formatNumber(o.baselineEvents)} events, one write per event`);
    const r = await measureBaseline(wh, w, project, baseCpu, signal);
    baseline.push(r);
    progress(`  ${formatNumber(r.eventsPerSec)} events/s (${formatNumber(r.insertsPerSec)} INSERTs/s); cores ${JSON.stringify(r.cpu)}`);
  }

  const lines: ResultLine[] = [];
  const failed = (partitions: number | null, scenario: string) => failures.filter((f) => f.what.startsWith(`${partitions === null ? '' : `p${partitions} `}${scenario} run`)).length;
  const at = `at ${formatNumber(o.rate)} events/s`;
  for (const r of perPartitions) lines.push(line('sustained throughput SDK->Kafka->ClickHouse', r.partitions, 'events/s', r.throughput.map((t) => t.eventsPerSec), { op: '>=', value: TARGETS.throughput }, failed(r.partitions, 'throughput')));
  for (const r of perPartitions) lines.push(line(`freshness p50 ${at}, all tables`, r.partitions, 'ms', r.freshness.map((f) => f.allTables.p50Ms), undefined, failed(r.partitions, 'freshness')));
  for (const r of perPartitions) lines.push(line(`freshness p99 ${at}, all tables`, r.partitions, 'ms', r.freshness.map((f) => f.allTables.p99Ms), { op: '<=', value: TARGETS.freshnessP99Ms }, failed(r.partitions, 'freshness')));
  for (const r of perPartitions) lines.push(line(`freshness p50 ${at}, events_raw only`, r.partitions, 'ms', r.freshness.map((f) => f.eventsRaw.p50Ms), undefined, failed(r.partitions, 'freshness')));
  for (const r of perPartitions) lines.push(line(`freshness p99 ${at}, events_raw only`, r.partitions, 'ms', r.freshness.map((f) => f.eventsRaw.p99Ms), undefined, failed(r.partitions, 'freshness')));
  lines.push(line('baseline: one write per event', null, 'events/s', baseline.map((b) => b.eventsPerSec)));
  const baselineMedian = median(baseline.map((b) => b.eventsPerSec));
  for (const r of perPartitions) {
    lines.push(line('throughput / baseline median', r.partitions, '×', r.throughput.map((t) => t.eventsPerSec / baselineMedian), { op: '>=', value: TARGETS.ratio }, failed(r.partitions, 'throughput')));
  }
  for (const r of perPartitions) lines.push(line('diagnostic: SDK->Kafka alone (no consumer)', r.partitions, 'events/s', r.catchUp.map((c) => c.sdkAlonePerSec), undefined, failed(r.partitions, 'halves')));
  for (const r of perPartitions) lines.push(line('diagnostic: Kafka->ClickHouse alone (catch-up)', r.partitions, 'events/s', r.catchUp.map((c) => c.ingestAlonePerSec), undefined, failed(r.partitions, 'halves')));
  const effectiveConsumer = loadIngestConfig({ ...o.consumerEnv });
  return {
    benchmark: 'ingest' as const,
    stamp,
    machine: machineInfo(),
    versions,
    settings: {
      events: o.events, runs: o.runs, partitions: o.partitions, freshness: fresh, baselineEvents: o.baselineEvents,
      sdkOptions: sdk, sdkHighWater: HIGH_WATER, consumerEnv: o.consumerEnv,
      consumer: { maxWaitMs: effectiveConsumer.maxWaitMs, maxBytesPerPartition: effectiveConsumer.maxBytesPerPartition, partitionsConsumedConcurrently: effectiveConsumer.partitionsConsumedConcurrently },
      consumerMode: 'separate process: bin/provstream.js ingest',
      database,
    },
    mix,
    lines,
    failures,
    cpuCost: perPartitions.map((r) => cpuCost(r.partitions, r.catchUp, machineInfo().cores)),
    details: { perPartitions, baseline },
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv, process.env);
  const stamp = timestamp().toLowerCase();
  const cleanup = new Cleanup(progress);
  // First Ctrl-C: stop the measurement where it is; the normal path then cleans up (an SDK still
  // sending while its topic is deleted would re-create the topic). Second Ctrl-C: clean up now.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) {
      progress(`${signal} again: cleaning up now`);
      void cleanup.run().finally(() => process.exit(130));
      return;
    }
    progress(`${signal}: stopping, then cleaning up (again to force)`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let rec: IngestRecord;
  try {
    rec = await run(o, stamp, cleanup, interrupted.signal);
  } finally {
    await cleanup.run();
  }
  const path = writeResults(repoPath('bench', 'results'), 'ingest', stamp, rec);
  process.stdout.write((o.json ? JSON.stringify(rec, null, 2) : renderRecord(rec, path)) + '\n');
  if (rec.failures.length > 0) {
    progress(`${rec.failures.length} measurement(s) failed (see FAILED above); exiting with status 1`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  progress(`error: ${errorMessage(err)}`);
  process.exit(/interrupted by SIG/.test(errorMessage(err)) ? 130 : 1);
});
