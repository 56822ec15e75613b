/**
 * `make bench-gateway`: OpenLineage through the HTTP gateway, end to end into ClickHouse.
 *
 *   node dist/bench/gateway.js [--ol-events 1000] [--single-events 300] [--batch 100] [--concurrency 8] [--runs 3] [--json]
 *
 * Processes as deployed: the gateway (`provstream gateway`) and the ingest consumer
 * (`provstream ingest`) run as separate processes on real Kafka, Redis (run states) and
 * ClickHouse; this process only sends HTTP requests and observes. Scenarios, interleaved in each
 * of `--runs` rounds (medians reported):
 *   ol-batched   Airflow-, Spark- and dbt-shaped OpenLineage streams, `--batch` events per request
 *   ol-single    the same kind of streams, one event per request (what OpenLineage clients do)
 *   native       the baseline: native provenance events, `--batch` per request, same gateway and path
 * For each: events accepted per second over HTTP (first request -> last 202; the gateway answers
 * 202 only after Kafka acknowledged everything), and end to end (first request -> the ingest
 * consumer group has committed the whole topic, i.e. every row is in ClickHouse, events_raw
 * included); then a check that every run's final state is there. Progress on stderr, the table on
 * stdout, the full record in bench/results/gateway-<ts>.json.
 */
import { createServer } from 'node:net';
import { Command } from 'commander';
import { connectWarehouse } from '../services/lib/clickhouse.js';
import { migrate } from '../services/lib/migrations.js';
import { createKafka, ensureTopics } from '../services/lib/kafka.js';
import { createRedis, connectRedis } from '../services/lib/redis.js';
import { createRootLogger } from '../services/lib/log.js';
import { ident, sql } from '../services/lib/sql-literal.js';
import { EnvReader, DEFAULT_URLS } from '../services/lib/config.js';
import { errorMessage } from '../services/lib/errors.js';
import { repoPath } from '../services/lib/paths.js';
import { airflowStream, dbtStream, sparkStream } from '../services/gateway/openlineage/fixtures.js';
import { Cleanup, interruptOnSignals } from './lib/cleanup.js';
import { startConsumerProcess } from './lib/consumer-process.js';
import { CpuMeter, pidListeningOn } from './lib/cpu.js';
import type { CpuShares } from './lib/cpu.js';
import { quiesce } from './lib/pipeline.js';
import { trainingWorkload } from './lib/workload.js';
import { postAll, waitIngested } from './lib/gateway-load.js';
import type { LoadResult } from './lib/gateway-load.js';
import { line, machineInfo, renderTable, timestamp, writeResults, formatNumber } from './lib/report.js';
import type { ResultLine } from './lib/report.js';
import { positiveInt } from './lib/options.js';

interface Options {
  olEvents: number;
  singleEvents: number;
  batch: number;
  concurrency: number;
  runs: number;
  nativeEvents: number;
  json: boolean;
  kafkaBrokers: string[];
  clickhouseUrl: string;
  redisUrl: string;
}

const SCENARIOS = ['ol-batched', 'ol-single', 'native'] as const;
type Scenario = (typeof SCENARIOS)[number];
/** Runs per unit of workload: Airflow 4 (DAG + 3 tasks), Spark 2, dbt 4. */
const RUNS_PER_UNIT = 10;
const EVENTS_PER_UNIT = airflowStream().events.length + sparkStream().events.length + dbtStream().events.length;

const progress = (msg: string) => process.stderr.write(`bench-gateway: ${msg}\n`);

function parseOptions(argv: string[], env: Record<string, string | undefined>): Options {
  const cmd = new Command('bench-gateway')
    .description('OpenLineage events/s through the HTTP gateway (batched and single) and end to end into ClickHouse, with native events through the same path as the baseline.')
    .option('--ol-events <n>', 'OpenLineage events per batched run (rounded up to whole Airflow+Spark+dbt units)', positiveInt('--ol-events'), 1000)
    .option('--single-events <n>', 'OpenLineage events per single-event run', positiveInt('--single-events'), 300)
    .option('--native-events <n>', 'native events per baseline run', positiveInt('--native-events'), 20_000)
    .option('--batch <n>', 'events per request in the batched scenarios', positiveInt('--batch'), 100)
    .option('--concurrency <n>', 'requests in flight', positiveInt('--concurrency'), 8)
    .option('--runs <n>', 'rounds of all scenarios (medians are reported)', positiveInt('--runs'), 3)
    .option('--json', 'print the full JSON record instead of the table');
  cmd.parse(argv);
  const o = cmd.opts<Omit<Options, 'json' | 'kafkaBrokers' | 'clickhouseUrl' | 'redisUrl'> & { json?: boolean }>();
  const r = new EnvReader(env);
  const out = { ...o, json: !!o.json, kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers), clickhouseUrl: r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']), redisUrl: r.url('REDIS_URL', DEFAULT_URLS.redisUrl, ['redis:', 'rediss:']) };
  r.done();
  return out;
}

/** Whole units of Airflow + Spark + dbt streams, one day apart, in stream order. */
function olEvents(units: number, seed: string): unknown[] {
  const day = 86_400_000;
  const out: unknown[] = [];
  for (let i = 0; i < units; i++) {
    const base = Date.UTC(2024, 0, 1) + i * day;
    out.push(...airflowStream(`${seed}/a${i}`, base).events, ...sparkStream(`${seed}/s${i}`, base + 3_600_000).events, ...dbtStream(`${seed}/d${i}`, base + 7_200_000).events);
  }
  return out;
}

const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface RunResult extends LoadResult {
  scenario: Scenario;
  project: string;
  endToEndSeconds: number;
  acceptedPerSec: number;
  endToEndPerSec: number;
  /** Distinct events of the project in events_raw after the run. */
  eventsRaw: number;
  cpu: CpuShares;
}

async function run(o: Options, stamp: string, cleanup: Cleanup, signal: AbortSignal): Promise<Record<string, unknown>> {
  const database = `bench_gw_${stamp}`;
  const admin = await connectWarehouse({ url: o.clickhouseUrl, database: 'default' });
  cleanup.add('close the ClickHouse admin client', () => admin.close());
  const [ver] = await admin.query<{ v: string }>('SELECT version() AS v');
  const wh = await connectWarehouse({ url: o.clickhouseUrl, database }, { create: true });
  cleanup.add(`drop database ${database}`, async () => {
    await wh.close();
    await admin.command(`DROP DATABASE IF EXISTS ${ident(database).text}`);
  });
  await migrate(wh);
  const topic = `bench.gateway.${stamp}`;
  const dlq = `${topic}.dlq`;
  const group = `bench-gateway-${stamp}`;
  const kafka = createKafka({ brokers: o.kafkaBrokers, clientId: 'provstream-bench-gateway' }, createRootLogger('error'));
  const kadmin = kafka.admin();
  await kadmin.connect();
  cleanup.add('disconnect the Kafka admin client', () => kadmin.disconnect());
  await ensureTopics(kadmin, [{ topic, numPartitions: 4 }, { topic: dlq, numPartitions: 1 }]);
  cleanup.add(`delete topics ${topic}, ${dlq} and group ${group}`, async () => {
    await kadmin.deleteTopics({ topics: [topic, dlq], timeout: 10_000 });
    await kadmin.deleteGroups([group]).catch(() => undefined);
  });
  const redisPrefix = `bench-gateway-${stamp}:`;
  cleanup.add('delete the benchmark run states from Redis', async () => {
    const redis = createRedis(o.redisUrl);
    await connectRedis(redis, o.redisUrl);
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
    await redis.quit();
  });

  const projects = ['warm', ...Array.from({ length: o.runs }, (_, i) => SCENARIOS.map((s) => `${s}-r${i + 1}`)).flat()];
  const token = (p: string) => `${p}-bench-token-${stamp}`;
  const port = await freePort();
  const common = { KAFKA_BROKERS: o.kafkaBrokers.join(','), CLICKHOUSE_URL: o.clickhouseUrl, CLICKHOUSE_DATABASE: database, REDIS_URL: o.redisUrl, PROVSTREAM_TOPIC: topic, PROVSTREAM_DLQ_TOPIC: dlq, LOG_LEVEL: 'info' };
  const resultsDir = repoPath('bench', 'results');
  progress(`starting the ingest consumer and the gateway (logs ${resultsDir}/gateway-${stamp}-*.log)`);
  const ingest = await startConsumerProcess({ env: { ...common, INGEST_GROUP_ID: group }, logFile: `${resultsDir}/gateway-${stamp}-ingest.log`, onWarning: (m) => progress(`ingest warning: ${m}`) });
  cleanup.add(`stop the ingest consumer (pid ${ingest.pid})`, () => ingest.stop());
  const gateway = await startConsumerProcess({
    command: 'gateway',
    env: { ...common, GATEWAY_PORT: String(port), GATEWAY_REDIS_PREFIX: redisPrefix, GATEWAY_MAX_EVENTS_PER_REQUEST: String(Math.max(o.batch, 100)), PROVSTREAM_GATEWAY_TOKENS: projects.map((p) => `${p}:${token(p)}`).join(',') },
    logFile: `${resultsDir}/gateway-${stamp}-gateway.log`,
    onWarning: (m) => progress(`gateway warning: ${m}`),
  });
  cleanup.add(`stop the gateway (pid ${gateway.pid})`, () => gateway.stop());
  const base = `http://127.0.0.1:${port}`;
  const cpu = new CpuMeter({ bench: process.pid, gateway: gateway.pid, ingest: ingest.pid, kafka: pidListeningOn(Number(o.kafkaBrokers[0]?.split(':')[1])), clickhouse: pidListeningOn(Number(new URL(o.clickhouseUrl).port || 8123)), redis: pidListeningOn(Number(new URL(o.redisUrl).port || 6379)) });

  const units = Math.ceil(o.olEvents / EVENTS_PER_UNIT);
  const singleUnits = Math.ceil(o.singleEvents / EVENTS_PER_UNIT);
  const workloads: Record<Scenario, (project: string) => { bodies: unknown[]; runs: number; native: number }> = {
    'ol-batched': () => ({ bodies: chunks(olEvents(units, 'batched'), o.batch), runs: units * RUNS_PER_UNIT, native: 0 }),
    'ol-single': () => ({ bodies: olEvents(singleUnits, 'single'), runs: singleUnits * RUNS_PER_UNIT, native: 0 }),
    native: (project) => ({ bodies: chunks(trainingWorkload({ project, count: o.nativeEvents, seed: stamp }).events, o.batch), runs: 0, native: o.nativeEvents }),
  };

  // Warm-up (not measured): JIT, keep-alive connections, the consumer group join.
  await postAll(`${base}/api/v1/lineage`, token('warm'), chunks(olEvents(2, 'warm'), 10), 4, signal);
  await postAll(`${base}/api/v1/events`, token('warm'), chunks(trainingWorkload({ project: 'warm', count: 2000, seed: stamp }).events, o.batch), 4, signal);
  await waitIngested(kadmin, group, topic, 120_000, signal);

  const results: RunResult[] = [];
  for (let r = 1; r <= o.runs; r++) {
    for (const scenario of SCENARIOS) {
      const project = `${scenario}-r${r}`;
      const w = workloads[scenario](project);
      await quiesce(wh, database, signal);
      progress(`run ${r}/${o.runs} ${scenario}: ${w.bodies.length} requests, ${o.concurrency} in flight`);
      cpu.start();
      const t0 = performance.now();
      const load = await postAll(`${base}/api/v1/${scenario === 'native' ? 'events' : 'lineage'}`, token(project), w.bodies, o.concurrency, signal);
      const visible = await waitIngested(kadmin, group, topic, 600_000, signal);
      const shares = cpu.stop();
      const e2e = (visible - t0) / 1000;
      const [raw] = await wh.query<{ n: number }>(sql`SELECT uniqExact(event_id) AS n FROM events_raw WHERE project = ${project}`);
      const eventsRaw = Number(raw?.n ?? 0);
      if (scenario === 'native' && eventsRaw !== w.native) throw new Error(`${project}: ${eventsRaw} of ${w.native} native events in events_raw`);
      if (scenario !== 'native') {
        const [t] = await wh.query<{ n: number }>(sql`SELECT count() AS n FROM (SELECT id, argMax(status, valid_from) AS s FROM vertices FINAL WHERE project = ${project} AND kind = 'activity' GROUP BY id) WHERE s != 'RUNNING'`);
        if (Number(t?.n) !== w.runs) throw new Error(`${project}: ${Number(t?.n)} of ${w.runs} runs are in their final state in ClickHouse`);
      }
      const res: RunResult = { scenario, project, ...load, endToEndSeconds: Math.round(e2e * 100) / 100, acceptedPerSec: Math.round(load.items / load.acceptSeconds), endToEndPerSec: Math.round(load.items / e2e), eventsRaw, cpu: shares };
      results.push(res);
      progress(`  ${formatNumber(res.acceptedPerSec)} events/s accepted, ${formatNumber(res.endToEndPerSec)} events/s end to end (${res.endToEndSeconds} s); ${res.published} provenance events published, ${eventsRaw} distinct in events_raw; request p50 ${res.latencyP50Ms} ms, p99 ${res.latencyP99Ms} ms; cores ${JSON.stringify(shares)}`);
    }
  }
  await gateway.stop();
  await ingest.stop();

  const of = (s: Scenario, f: (x: RunResult) => number) => results.filter((x) => x.scenario === s).map(f);
  const lines: ResultLine[] = [
    line(`OpenLineage accepted over HTTP, batched (${o.batch}/request)`, null, 'events/s', of('ol-batched', (x) => x.acceptedPerSec)),
    line('OpenLineage accepted over HTTP, single (1/request)', null, 'events/s', of('ol-single', (x) => x.acceptedPerSec)),
    line(`OpenLineage end to end into ClickHouse, batched`, null, 'events/s', of('ol-batched', (x) => x.endToEndPerSec)),
    line('OpenLineage end to end into ClickHouse, single', null, 'events/s', of('ol-single', (x) => x.endToEndPerSec)),
    line('provenance events published per OpenLineage event', null, '×', of('ol-batched', (x) => x.published / x.items)),
    line(`baseline: native events accepted over HTTP (${o.batch}/request)`, null, 'events/s', of('native', (x) => x.acceptedPerSec)),
    line('baseline: native events end to end into ClickHouse', null, 'events/s', of('native', (x) => x.endToEndPerSec)),
    line('batched / single, accepted', null, '×', of('ol-batched', (x) => x.acceptedPerSec).map((v, i) => v / of('ol-single', (x) => x.acceptedPerSec)[i]!)),
    line('provenance events/s from OpenLineage / native, accepted', null, '×', of('ol-batched', (x) => x.published / x.acceptSeconds).map((v, i) => v / of('native', (x) => x.acceptedPerSec)[i]!)),
    line('request latency p50, single', null, 'ms', of('ol-single', (x) => x.latencyP50Ms)),
    line('request latency p99, single', null, 'ms', of('ol-single', (x) => x.latencyP99Ms)),
    line(`request latency p50, batched`, null, 'ms', of('ol-batched', (x) => x.latencyP50Ms)),
  ];
  return {
    benchmark: 'gateway',
    stamp,
    machine: machineInfo(),
    versions: { clickhouse: ver?.v ?? 'unknown' },
    settings: { olEventsPerBatchedRun: units * EVENTS_PER_UNIT, olEventsPerSingleRun: singleUnits * EVENTS_PER_UNIT, nativeEvents: o.nativeEvents, batch: o.batch, concurrency: o.concurrency, runs: o.runs, topicPartitions: 4, runState: 'redis', processes: 'gateway and ingest consumer as separate processes (bin/provstream.js gateway|ingest)' },
    lines,
    details: results,
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv, process.env);
  const stamp = timestamp().toLowerCase();
  const cleanup = new Cleanup(progress);
  const signal = interruptOnSignals(cleanup, progress);
  let rec: Record<string, unknown>;
  try {
    rec = await run(o, stamp, cleanup, signal);
  } finally {
    await cleanup.run();
  }
  const path = writeResults(repoPath('bench', 'results'), 'gateway', stamp, rec);
  const m = rec['machine'] as ReturnType<typeof machineInfo>;
  const header = `gateway benchmark ${stamp}: ${m.cores} cores (${m.cpuModel}), Node ${m.node}, ClickHouse ${(rec['versions'] as { clickhouse: string }).clickhouse}\nsettings ${JSON.stringify(rec['settings'])}`;
  process.stdout.write((o.json ? JSON.stringify(rec, null, 2) : `${header}\n\n${renderTable(rec['lines'] as ResultLine[])}\n\nfull record: ${path}`) + '\n');
}

main().catch((err: unknown) => {
  progress(`error: ${errorMessage(err)}`);
  process.exit(/interrupted by SIG/.test(errorMessage(err)) ? 130 : 1);
});
