/**
 * In-process CPU harness for the monitor's evaluation path (no Kafka, no monitor process): the
 * bench-monitor workload (teamsWorkload, fixed times) split over partitions by key, in chunks of
 * MONITOR_MAX_EVENTS_PER_TRANSACTION (500) events, each chunk through RuleIndex.candidates +
 * evaluateBatch as processor.ts does, against
 *   --store map      an in-process map (the evaluation's CPU alone),
 *   --store memory   MemoryStateStore (slower: copies; FINGERPRINT=1 prints a hash of every
 *                    batch's mutations, alerts and errors, to check an optimization changed
 *                    nothing), or
 *   --store redis    StateTransactions on the real Redis (begin, load, commit), as the service.
 * Prints events/s, CPU µs per event and per (rule, event) pair. To find hot spots:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/monitor-profile.js --shape spread --store redis
 *   HEAPPROF=/tmp/alloc.heapprofile node dist/bench/monitor-profile.js ...   (allocations, GC churn)
 */
import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Command } from 'commander';
import { createRedis, connectRedis, deleteKeysMatching, escapeGlob } from '../services/lib/redis.js';
import { DEFAULT_URLS } from '../services/lib/config.js';
import { MemoryStateStore, parseRules } from '../services/monitor/core/index.js';
import type { KeyRead, Snapshot, StateEntry } from '../services/monitor/core/index.js';
import { evaluateBatch } from '../services/monitor/batch-evaluator.js';
import type { BatchOutcome, Loader } from '../services/monitor/batch-evaluator.js';
import { Overlay } from '../services/monitor/overlay.js';
import { RuleIndex } from '../services/monitor/rule-index.js';
import { StateTransactions } from '../services/monitor/transaction.js';
import { baselineRule, benchRules, teamsWorkload } from './lib/monitor-rules.js';
import type { RuleShape } from './lib/monitor-rules.js';

const o = new Command('monitor-profile')
  .option('--shape <shape>', 'spread | dense | one (the 1-rule baseline)', 'spread')
  .option('--store <store>', 'map | memory | redis', 'map')
  .option('--events <n>', 'events', Number, 150_000)
  .option('--partitions <n>', 'partitions', Number, 4)
  .option('--chunk <n>', 'events per transaction', Number, 500)
  .parse(process.argv)
  .opts<{ shape: string; store: string; events: number; partitions: number; chunk: number }>();

const parsed = parseRules(o.shape === 'one' ? baselineRule() : benchRules(100, o.shape as RuleShape));
if (!parsed.ok) throw new Error('the rules do not parse');
const index = new RuleIndex(parsed.value);
const w = teamsWorkload(o.events, 'bench-monitor', 'team', Date.UTC(2026, 10, 20));

// Partition by key (same key, same partition), each partition's order kept; chunks round robin.
const parts: Array<typeof w.events> = Array.from({ length: o.partitions }, () => []);
w.events.forEach((e, i) => {
  const k = w.keys[i]!;
  let h = 0x811c9dc5;
  for (let j = 0; j < k.length; j++) h = Math.imul(h ^ k.charCodeAt(j), 0x01000193);
  parts[(h >>> 0) % o.partitions]!.push(e);
});
const chunks: Array<{ partition: number; events: typeof w.events }> = [];
for (let off = 0; parts.some((p) => off < p.length); off += o.chunk) {
  parts.forEach((p, partition) => {
    if (off < p.length) chunks.push({ partition, events: p.slice(off, off + o.chunk) });
  });
}

/** A store: a transaction per chunk, with its loader and its commit. */
interface Store {
  begin(partition: number): Promise<{ load: Loader; commit: (r: BatchOutcome) => Promise<void> }>;
  close(): Promise<void>;
}

const now = w.events[0]!.time;
const fingerprint = process.env.FINGERPRINT ? createHash('sha256') : undefined;
// Alerts, suppressed alerts and errors alone: unchanged by a change of the state layout (which
// changes the mutations, hence `fingerprint`, but must not change what the rules decide).
const alertsFingerprint = process.env.FINGERPRINT ? createHash('sha256') : undefined;

function mapStore(): Store {
  const state = new Overlay();
  const load: Loader = async (reads) => {
    const out = new Map<string, StateEntry | null>();
    for (const r of reads) out.set(r.key, state.read(r, () => undefined));
    return out;
  };
  return { begin: async () => ({ load, commit: async (r) => state.apply(r.mutations) }), close: async () => undefined };
}

function memoryStore(): Store {
  const store = new MemoryStateStore(() => now);
  const load: Loader = async (reads) => store.loadSync(reads);
  const commit = async (r: BatchOutcome): Promise<void> => {
    store.applySync(r.mutations);
    for (const part of [r.mutations, r.alerts, r.suppressed, r.errors]) fingerprint?.update(JSON.stringify(part));
    for (const part of [r.alerts, r.suppressed, r.errors]) alertsFingerprint?.update(JSON.stringify(part));
  };
  return { begin: async () => ({ load, commit }), close: async () => undefined };
}

async function redisStore(): Promise<Store> {
  const url = process.env.REDIS_URL ?? DEFAULT_URLS.redisUrl;
  // As short as the service's default prefix (`provstream:`): every key read and written carries
  // it, and the bytes sent to Redis are a cost the harness should measure as the service has it.
  const prefix = `bmp-${randomUUID().slice(0, 8)}:`;
  const redis = createRedis(url, { connectionName: 'provstream-monitor-profile', transactional: true });
  await connectRedis(redis, url);
  const txns = new StateTransactions(redis, prefix, 'profile');
  return {
    begin: async (partition) => {
      const ref = { topic: 'profile', partition };
      const txn = await txns.begin([ref]);
      const commit = async (r: BatchOutcome): Promise<void> => {
        const done = await txn.commit({ mutations: r.mutations, alerts: r.alerts.map((alert) => ({ alert, webhooks: [] })), applied: [{ partition: ref, nextOffset: '1', progress: { watermark: 0, lag: 0, at: now } }] });
        if (!done.committed || done.failed.length > 0) throw new Error(`commit failed: ${done.failed.join('; ')}`);
      };
      return { load: txn.load, commit };
    },
    close: async () => {
      const cleanup = createRedis(url, { connectionName: 'provstream-monitor-profile-cleanup' });
      await connectRedis(cleanup, url);
      await deleteKeysMatching(cleanup, `${escapeGlob(prefix)}*`);
      cleanup.disconnect();
      redis.disconnect();
    },
  };
}

const store = o.store === 'redis' ? await redisStore() : o.store === 'memory' ? memoryStore() : mapStore();
const session = process.env.HEAPPROF ? new Session() : undefined;
const post = (method: string, params: object = {}): Promise<unknown> =>
  new Promise((resolve, reject) => session!.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
if (session) {
  session.connect();
  await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}

// CPU is measured up to the last commit: deleting the run's keys afterwards (store.close) is the
// harness's own clean-up, not the monitor's work (it grows with the number of keys written).
let cpu: NodeJS.CpuUsage | undefined;
let wallS = 0;
const totals = { evaluations: 0, reevaluations: 0, loads: 0, passes: 0, alerts: 0, mutations: 0, loadWaitMs: 0 };
const cpu0 = process.cpuUsage();
const t0 = performance.now();
try {
  for (const c of chunks) {
    const txn = await store.begin(c.partition);
    const load = async (reads: readonly KeyRead[]): Promise<Snapshot> => {
      const t = performance.now();
      const s = await txn.load(reads);
      totals.loadWaitMs += performance.now() - t;
      return s;
    };
    const r = await evaluateBatch(c.events.map((event) => ({ event, rules: index.candidates(event) })), now, load);
    await txn.commit(r);
    totals.evaluations += r.stats.evaluations;
    totals.reevaluations += r.stats.reevaluations;
    totals.loads += r.stats.loads;
    totals.passes += r.stats.passes;
    totals.alerts += r.alerts.length;
    totals.mutations += r.mutations.length;
  }
  cpu = process.cpuUsage(cpu0);
  wallS = (performance.now() - t0) / 1000;
} finally {
  await store.close();
}
if (session) writeFileSync(process.env.HEAPPROF!, JSON.stringify(((await post('HeapProfiler.stopSampling')) as { profile: unknown }).profile));

const n = w.events.length;
const cpuUs = cpu!.user + cpu!.system;
console.log(JSON.stringify({
  shape: o.shape, store: o.store, events: n, chunks: chunks.length, ...totals, loadWaitMs: Math.round(totals.loadWaitMs),
  wallS: Math.round(wallS * 100) / 100, eventsPerSec: Math.round(n / wallS),
  cpuUsPerEvent: Math.round((cpuUs / n) * 10) / 10, cpuUsPerPair: Math.round((cpuUs / totals.evaluations) * 10) / 10,
  ...(fingerprint ? { fingerprint: fingerprint.digest('hex'), alertsFingerprint: alertsFingerprint!.digest('hex') } : {}),
}));
