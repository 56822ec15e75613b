/**
 * `make bench-monitor`: the monitor (issue 5) on real Kafka, Redis and ClickHouse.
 *
 *   node dist/bench/monitor.js [--events 150000] [--runs 3] [--partitions 4] [--rate 10000] ...
 *
 * Two shapes of 100 rules (bench/lib/monitor-rules.ts): `spread` (9 teams' rules, scoped to
 * their projects: an event meets 1-3 rules) and `dense` (99 rules on the same job, metrics and
 * artifacts: an event meets ~20), on 10 teams' interleaved training workloads (workload.ts).
 * Figures, each measured `--runs` times in this one process run (medians reported):
 *   - maximum evaluated event rate (events already in Kafka, a new monitor catching up) with
 *     100 spread rules, 100 dense rules, and side by side the baseline with 1 rule and, as a
 *     diagnostic, with no rule (consume + decode + commit alone);
 *   - alert latency p50/p99, event produced -> alert on the alerts topic, with 100 spread rules
 *     at --rate events/s (the target's load), and with each rule set at half its measured
 *     maximum rate (a load it sustains) (bench/lib/monitor-scenarios.ts); measured over
 *     --seconds after --warmup seconds of the same load on the new monitor (the warm-up's
 *     probes are printed apart: a monitor's first seconds are slower, JIT and first fetches).
 * Every run uses its own topics, consumer groups and Redis prefixes, removed at the end (also on
 * failure and Ctrl-C; `--keep` keeps them). Progress on stderr, the table on stdout, the full
 * record in bench/results/monitor-<ts>.json.
 */
import { cpus, loadavg } from 'node:os';
import { Command, Option } from 'commander';
import { connectWarehouse } from '../services/lib/clickhouse.js';
import { migrate } from '../services/lib/migrations.js';
import { createKafka, ensureTopics, Partitioners } from '../services/lib/kafka.js';
import { createRootLogger } from '../services/lib/log.js';
import { connectRedis, createRedis, deleteKeysMatching, escapeGlob } from '../services/lib/redis.js';
import { ident } from '../services/lib/sql-literal.js';
import { EnvReader, DEFAULT_URLS } from '../services/lib/config.js';
import { repoPath } from '../services/lib/paths.js';
import { errorMessage } from '../services/lib/errors.js';
import { Cleanup } from './lib/cleanup.js';
import { kafkaVersion } from './lib/versions.js';
import { pidListeningOn } from './lib/cpu.js';
import { baselineRule, benchRules, teamsWorkload } from './lib/monitor-rules.js';
import { measureLatency, measureMaxRate, publish } from './lib/monitor-scenarios.js';
import type { LatencyResult, MaxRateResult, MonitorBench, ProducerMode } from './lib/monitor-scenarios.js';
import { line, machineInfo, median, renderTable, timestamp, writeResults, formatNumber } from './lib/report.js';
import type { ResultLine } from './lib/report.js';
import { mixOf } from './lib/workload.js';
import { nonNegativeInt, positiveInt } from './lib/options.js';

const TARGETS = { p99Ms: 500, eventsPerSec: 30_000 } as const;
const progress = (msg: string) => process.stderr.write(`bench-monitor: ${msg}\n`);

function parseOptions(argv: string[]) {
  const cmd = new Command('bench-monitor')
    .description('Monitor benchmark: alert latency under load and maximum evaluated rate with 100 rules, vs 1 rule, in one run.\nServices from KAFKA_BROKERS / CLICKHOUSE_URL / REDIS_URL (defaults: the ports of `make up`).')
    .option('--events <n>', 'events per maximum-rate run', positiveInt('--events'), 150_000)
    .option('--runs <n>', 'repetitions of every measurement (medians are reported)', positiveInt('--runs'), 3)
    .option('--partitions <n>', 'partitions of the events topics', positiveInt('--partitions'), 4)
    .option('--dense-events <n>', 'events per maximum-rate run with the dense rule set (the first n of the topic)', positiveInt('--dense-events'), 30_000)
    .option('--rate <n>', 'latency: background load (events/s)', positiveInt('--rate'), 10_000)
    .option('--seconds <n>', 'latency: how long to measure', positiveInt('--seconds'), 15)
    .option('--warmup <n>', 'latency: seconds of load before the measurement (JIT, first state keys, first fetches of a new monitor); their probes are printed apart', nonNegativeInt('--warmup'), 5)
    .option('--stall <ms>', 'latency: pause the monitor (SIGSTOP) for this long 1 s after the load starts, then resume it: how it catches up from a backlog (as after a pause or a restart; use a --warmup long enough to include it, or measure it)', nonNegativeInt('--stall'), 0)
    .option('--probe-every <n>', 'latency: one probe per n events', positiveInt('--probe-every'), 100)
    .addOption(new Option('--producer <mode>', 'how events are sent: sdk = as the SDK emitters send them (packed per key into batch frames, GZIP); unpacked = one event per message, uncompressed (the figures before this option)').choices(['sdk', 'unpacked']).default('sdk'))
    .option('--monitor-env <KEY=VALUE...>', 'extra env for the monitor processes, e.g. MONITOR_MAX_WAIT_MS=5 (printed with the results)')
    .option('--json', 'print the full JSON record instead of the table')
    .option('--keep', 'keep the benchmark topics, groups, Redis keys and database')
    .showHelpAfterError('(run with --help for usage)');
  cmd.parse(argv);
  const o = cmd.opts<{ events: number; denseEvents: number; runs: number; partitions: number; rate: number; seconds: number; warmup: number; probeEvery: number; stall: number; producer: ProducerMode; monitorEnv?: string[]; json?: boolean; keep?: boolean }>();
  const monitorEnv: Record<string, string> = {};
  for (const kv of o.monitorEnv ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) cmd.error(`--monitor-env expects KEY=VALUE, got ${JSON.stringify(kv)}`);
    monitorEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const r = new EnvReader(process.env);
  const urls = {
    kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
    clickhouseUrl: r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']),
    redisUrl: r.url('REDIS_URL', DEFAULT_URLS.redisUrl, ['redis:', 'rediss:']),
  };
  r.done();
  return { ...o, monitorEnv, json: !!o.json, keep: !!o.keep, ...urls };
}

/** CPU µs per evaluated event of one process group (or the whole machine) in a maximum-rate run. */
function usPerEvent(who: 'machine' | 'monitor' | 'redis'): (r: MaxRateResult) => number {
  return (r) => Math.round(((r.cpu[who] ?? Number.NaN) / r.eventsPerSec) * 1e7) / 10;
}

/** What both kinds of measurement print about their conditions: Redis, the monitor's own stats, CPU shares. */
function runFacts(r: MaxRateResult | LatencyResult): string {
  return `Redis forks (AOF rewrites) ${r.redisForks}, keys at start ${formatNumber(r.redisKeys)}; monitor since its start: ${formatNumber(r.stats['batches'] ?? 0)} transactions, ${formatNumber(r.stats['transactionMs'] ?? 0)} ms in them, ${formatNumber(r.stats['deliveryWaitMs'] ?? 0)} ms waiting for deliveries; cores ${JSON.stringify(r.cpu)}`;
}

async function run(o: ReturnType<typeof parseOptions>, stamp: string, cleanup: Cleanup) {
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const database = `bench_monitor_${stamp}`;
  const admin = await connectWarehouse({ url: o.clickhouseUrl, database: 'default' });
  cleanup.add('close the ClickHouse admin client', () => admin.close());
  const [ver] = await admin.query<{ v: string }>('SELECT version() AS v');
  const wh = await connectWarehouse({ url: o.clickhouseUrl, database }, { create: true });
  cleanup.add(`drop database ${database}`, async () => {
    await wh.close();
    if (!o.keep) await admin.command(`DROP DATABASE IF EXISTS ${ident(database).text}`);
  });
  await migrate(wh);
  const redis = createRedis(o.redisUrl, { connectionName: 'provstream-bench' });
  await connectRedis(redis, o.redisUrl);
  cleanup.add('close the Redis client', async () => redis.disconnect());
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  const kafka = createKafka({ brokers: o.kafkaBrokers, clientId: 'provstream-bench' }, createRootLogger('error', 'provstream-bench'));
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  cleanup.add('disconnect the Kafka admin client', () => kafkaAdmin.disconnect());

  const port = (url: string, fallback: number) => Number(new URL(url).port || fallback);
  const deleteRedisPrefix = async (prefix: string) => void (await deleteKeysMatching(redis, `${escapeGlob(prefix)}*`));
  const b: MonitorBench = {
    kafka, admin: kafkaAdmin, stamp, progress,
    resultsDir: repoPath('bench', 'results'),
    baseEnv: {
      KAFKA_BROKERS: o.kafkaBrokers.join(','), CLICKHOUSE_URL: o.clickhouseUrl, CLICKHOUSE_DATABASE: database, REDIS_URL: o.redisUrl,
      PROVSTREAM_TOPIC_PARTITIONS: String(o.partitions), MONITOR_HTTP_PORT: '-1', LOG_LEVEL: 'info', ...o.monitorEnv,
    },
    servicePids: { kafka: pidListeningOn(Number(o.kafkaBrokers[0]?.split(':')[1])), clickhouse: pidListeningOn(port(o.clickhouseUrl, 8123)), redis: pidListeningOn(port(o.redisUrl, 6379)) },
    onCleanup: (what, fn) => {
      if (!o.keep || what.startsWith('stop')) cleanup.add(what, fn);
    },
    deleteRedisPrefix,
    discardState: async (prefix) => {
      if (!o.keep) await deleteRedisPrefix(prefix);
    },
    redisForks: async () => {
      const info = await redis.info();
      const keys = [...info.matchAll(/^db\d+:keys=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      return { forks: Number(/total_forks:(\d+)/.exec(info)?.[1] ?? 0), rewriting: /aof_rewrite_in_progress:1/.test(info) || /rdb_bgsave_in_progress:1/.test(info), keys };
    },
  };

  // Maximum rate: one topic filled once, consumed by a fresh group per measurement.
  const topic = `bench.monitor.${stamp}.rate`;
  await ensureTopics(kafkaAdmin, [{ topic, numPartitions: o.partitions }]);
  b.onCleanup(`delete topic ${topic}`, () => kafkaAdmin.deleteTopics({ topics: [topic], timeout: 10_000 }));
  const w = teamsWorkload(o.events, stamp, 'team');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  progress(`publishing ${formatNumber(w.events.length)} events to ${topic} (${o.partitions} partitions)`);
  const { perSec: publishedPerSec, counts } = await publish(producer, topic, w, o.producer, o.partitions);
  await producer.disconnect();
  progress(`  published at ${formatNumber(publishedPerSec)} events/s`);

  const sets: Array<{ key: 'dense' | 'spread' | 'one' | 'none'; rules: number; yaml: string | null; events: number }> = [
    { key: 'dense', rules: 100, yaml: benchRules(100, 'dense'), events: Math.min(o.denseEvents, w.events.length) },
    { key: 'spread', rules: 100, yaml: benchRules(100, 'spread'), events: w.events.length },
    { key: 'one', rules: 1, yaml: baselineRule(), events: w.events.length },
    { key: 'none', rules: 0, yaml: null, events: w.events.length },
  ];
  const rates: Record<string, MaxRateResult[]> = { dense: [], spread: [], one: [], none: [] };
  for (let i = 1; i <= o.runs; i++) {
    for (const s of sets) {
      progress(`max rate run ${i}/${o.runs}, ${s.rules} rule(s) ${s.key}: a new monitor consumes ${formatNumber(s.events)} events`);
      const r = await measureMaxRate(b, topic, counts, s.events, `${s.key}-${i}`, s.rules, s.yaml);
      rates[s.key]!.push(r);
      progress(`  ${formatNumber(r.eventsPerSec)} events/s (${r.seconds} s); alerts ${r.stats['alerts'] ?? '?'}, evaluations ${r.stats['evaluations'] ?? '?'}, Redis round trips ${r.stats['loads'] ?? '?'}; ${runFacts(r)}`);
    }
  }

  // Latency: the spread set at --rate (the target's load), then each set at half its measured
  // maximum rate (a load it sustains: above its maximum, latency only measures the growing queue).
  const half = (k: string) => Math.max(100, Math.round(median(rates[k]!.map((r) => r.eventsPerSec)) / 2 / 100) * 100);
  const loads = [
    { key: 'spread-target', shape: 'spread' as const, rate: o.rate },
    { key: 'spread-half', shape: 'spread' as const, rate: half('spread') },
    { key: 'dense-half', shape: 'dense' as const, rate: half('dense') },
  ];
  const latency: Record<string, LatencyResult[]> = { 'spread-target': [], 'spread-half': [], 'dense-half': [] };
  for (let i = 1; i <= o.runs; i++) {
    for (const l of loads) {
      const lw = teamsWorkload(l.rate * (o.warmup + o.seconds), `${stamp}-lat-${l.key}-${i}`, 'team', Date.now()); // the teams the rules are scoped to
      progress(`latency run ${i}/${o.runs}: 100 ${l.shape} rules, ${formatNumber(l.rate)} events/s for ${o.warmup} s of warm-up + ${o.seconds} s, one probe per ${o.probeEvery} events`);
      const r = await measureLatency(b, o.partitions, lw, `lat-${l.key}-${i}`, benchRules(100, l.shape), { rate: l.rate, seconds: o.seconds, warmupSeconds: o.warmup, probeEvery: o.probeEvery, stallMs: o.stall, producer: o.producer });
      latency[l.key]!.push(r);
      progress(`  p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms over ${r.probes} probes (until the alert record was created: p50 ${r.recordP50Ms} ms, p99 ${r.recordP99Ms} ms; p99 by 5 s ${r.p99By5sMs.join(' / ')} ms; warm-up p99 ${r.warmupP99Ms} ms${r.caughtUpMs !== undefined ? `; after the ${formatNumber(o.stall)} ms stall, the last probe over 500 ms was sent ${formatNumber(r.caughtUpMs)} ms after the monitor resumed` : ''}) at ${formatNumber(r.achievedRate)} events/s; ${runFacts(r)}`);
    }
  }

  const eps = (k: string) => rates[k]!.map((r) => r.eventsPerSec);
  const lat = (k: string, p: 'p50Ms' | 'p99Ms') => latency[k]!.map((l) => l[p]);
  const spread = rates['spread']!;
  const machineUs = spread.map(usPerEvent('machine'));
  const lines: ResultLine[] = [
    line(`alert latency p50, 100 spread rules, ${formatNumber(o.rate)} events/s`, o.partitions, 'ms', lat('spread-target', 'p50Ms')),
    line(`alert latency p99, 100 spread rules, ${formatNumber(o.rate)} events/s`, o.partitions, 'ms', lat('spread-target', 'p99Ms'), { op: '<=', value: TARGETS.p99Ms }),
    line(`alert latency p50, 100 spread rules, ${formatNumber(loads[1]!.rate)} events/s (half max)`, o.partitions, 'ms', lat('spread-half', 'p50Ms')),
    line(`alert latency p99, 100 spread rules, ${formatNumber(loads[1]!.rate)} events/s (half max)`, o.partitions, 'ms', lat('spread-half', 'p99Ms'), { op: '<=', value: TARGETS.p99Ms }),
    line(`alert latency p50, 100 dense rules, ${formatNumber(loads[2]!.rate)} events/s (half max)`, o.partitions, 'ms', lat('dense-half', 'p50Ms')),
    line(`alert latency p99, 100 dense rules, ${formatNumber(loads[2]!.rate)} events/s (half max)`, o.partitions, 'ms', lat('dense-half', 'p99Ms'), { op: '<=', value: TARGETS.p99Ms }),
    line('max evaluated rate, 100 spread rules', o.partitions, 'events/s', eps('spread'), { op: '>=', value: TARGETS.eventsPerSec }),
    line('max evaluated rate, 100 dense rules', o.partitions, 'events/s', eps('dense'), { op: '>=', value: TARGETS.eventsPerSec }),
    line('baseline: max evaluated rate, 1 rule', o.partitions, 'events/s', eps('one')),
    line('slowdown: 1 rule / 100 spread rules', o.partitions, '×', eps('one').map((v, i) => v / eps('spread')[i]!)),
    line('slowdown: 1 rule / 100 dense rules', o.partitions, '×', eps('one').map((v, i) => v / eps('dense')[i]!)),
    line('diagnostic: no rule (consume, decode, commit)', o.partitions, 'events/s', eps('none')),
    // The CPU budget of the maximum-rate target: what the whole machine (monitor, Redis, Kafka,
    // ClickHouse, this benchmark) spends per evaluated event, and the cores that makes at the
    // target rate. When that exceeds the machine's cores the target cannot be met here however
    // the work is spread over them.
    line('diagnostic: CPU per event, 100 spread rules, whole machine', o.partitions, 'µs', machineUs),
    line('diagnostic: CPU per event, 100 spread rules, monitor process', o.partitions, 'µs', spread.map(usPerEvent('monitor'))),
    line('diagnostic: CPU per event, 100 spread rules, Redis', o.partitions, 'µs', spread.map(usPerEvent('redis'))),
    line(`diagnostic: cores needed for ${formatNumber(TARGETS.eventsPerSec)} events/s at that cost (machine: ${cpus().length})`, o.partitions, 'cores', machineUs.map((us) => Math.round((us * TARGETS.eventsPerSec) / 1e4) / 100)),
  ];
  if (o.stall > 0) {
    for (const l of loads) {
      const caught = latency[l.key]!.map((r) => r.caughtUpMs ?? 0);
      lines.push(line(`catch-up after a ${formatNumber(o.stall)} ms stall (last probe > 500 ms), 100 ${l.shape} rules, ${formatNumber(l.rate)} events/s`, o.partitions, 'ms', caught));
    }
  }
  return {
    benchmark: 'monitor' as const,
    stamp,
    machine: machineInfo(),
    versions: { kafka: kafkaVersion(), clickhouse: ver?.v ?? 'unknown', redis: redisVersion },
    settings: { events: w.events.length, denseEvents: Math.min(o.denseEvents, w.events.length), runs: o.runs, partitions: o.partitions, rate: o.rate, latencyRates: Object.fromEntries(loads.map((l) => [l.key, l.rate])), seconds: o.seconds, warmupSeconds: o.warmup, probeEvery: o.probeEvery, stallMs: o.stall, producer: o.producer, monitorEnv: o.monitorEnv, publishedPerSec, mode: 'separate process: bin/provstream.js monitor', database, loadAverage: { before: loadBefore, after: loadavg().map((x) => Math.round(x * 100) / 100) } },
    mix: mixOf(w.events),
    lines,
    details: { rates, latency },
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv);
  const stamp = timestamp().toLowerCase();
  const cleanup = new Cleanup(progress);
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let rec;
  try {
    rec = await run(o, stamp, cleanup);
  } finally {
    await cleanup.run();
  }
  const path = writeResults(repoPath('bench', 'results'), 'monitor', stamp, rec);
  if (o.json) process.stdout.write(JSON.stringify(rec, null, 2) + '\n');
  else {
    const m = rec.machine;
    process.stdout.write(
      [
        `provstream monitor benchmark ${stamp}: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; Kafka ${rec.versions.kafka}, ClickHouse ${rec.versions.clickhouse}, Redis ${rec.versions.redis}`,
        `load average (1/5/15 min) before ${rec.settings.loadAverage.before.join(' ')}, after ${rec.settings.loadAverage.after.join(' ')} (other work on the machine shows as "other" cores in the record)`,
        `workload: ${formatNumber(rec.settings.events)} events ${JSON.stringify(rec.mix)}; ${rec.settings.partitions} partitions; latency at ${formatNumber(rec.settings.rate)} events/s for ${rec.settings.seconds} s after ${rec.settings.warmupSeconds} s of warm-up; producer ${rec.settings.producer}; ${rec.settings.runs} runs each${Object.keys(rec.settings.monitorEnv).length ? `; monitor env ${JSON.stringify(rec.settings.monitorEnv)}` : ''}`,
        '',
        renderTable(rec.lines),
        '',
        `full record: ${path}`,
      ].join('\n') + '\n',
    );
  }
}

main().catch((err: unknown) => {
  progress(`error: ${errorMessage(err)}`);
  process.exit(1);
});
