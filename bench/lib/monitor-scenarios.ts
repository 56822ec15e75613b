/**
 * The monitor benchmark's two scenarios, each against a real `provstream monitor` process
 * (dist, configured by env only; see consumer-process.ts for why a separate process):
 *
 *   maxRate   the events are in Kafka before the monitor starts; the monitor consumes them with
 *             a new group and a new Redis prefix; the rate is events / time, timed from the
 *             first committed offset of the group (after the join) to the last.
 *   latency   the monitor runs on an empty topic; events are produced at a paced rate, and one in
 *             `probeEvery` is a probe (metric probe_latency, which the `probe` rule alerts on at
 *             once); latency = the probe's alert read from the alerts topic by this process minus
 *             the time the probe was handed to the producer. Upper bound: it includes the
 *             benchmark's own consumer fetch.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { CompressionTypes, ensureTopics, Partitioners } from '../../services/lib/kafka.js';
import { encodeEvent, eventCountOf, packByKey } from '../../services/model/codec.js';
import type { KeyedFrame } from '../../services/model/codec.js';
import { activityId } from '../../services/model/ids.js';
import type { ProvEvent } from '../../services/model/types.js';
import { alertFromMessage } from '../../services/monitor/alert-sinks.js';
import { sleep } from '../../services/lib/retry.js';
import { startConsumerProcess } from './consumer-process.js';
import type { ConsumerProcess } from './consumer-process.js';
import { CpuMeter } from './cpu.js';
import type { CpuShares } from './cpu.js';
import { percentile } from './report.js';
import type { Workload } from './workload.js';

export interface MonitorBench {
  kafka: Kafka;
  admin: Admin;
  /** Env of every monitor process (brokers, ClickHouse, Redis, database, extra MONITOR_* settings). */
  baseEnv: Record<string, string>;
  resultsDir: string;
  stamp: string;
  servicePids: Record<string, number | null>;
  progress: (msg: string) => void;
  /** Registers teardown (topics, groups, Redis prefixes, processes). */
  onCleanup: (what: string, fn: () => Promise<unknown>) => void;
  deleteRedisPrefix: (prefix: string) => Promise<void>;
  /**
   * Deletes a measurement's Redis state as soon as it is done (unless --keep): otherwise the
   * keys of every earlier run (millions after the dense runs, > 1 GB) stay until the end, and
   * later runs measure a Redis slowed by them (0.24 -> 0.4 cores at the same rate).
   */
  discardState: (prefix: string) => Promise<void>;
  /**
   * Redis's fork count (INFO stats total_forks): with `make up`'s AOF, each fork is an AOF
   * rewrite, whose child process takes a core for seconds on a 2-core machine. Counted around
   * every measurement, to tell its outliers apart.
   */
  redisForks: () => Promise<{ forks: number; rewriting: boolean; keys: number }>;
}

export const MONITOR_STAT_KEYS = ['batches', 'events', 'alerts', 'suppressed', 'evaluations', 'passes', 'loads', 'conflicts', 'evalErrors', 'invalid', 'transactionMs', 'deliveryWaitMs'] as const;

async function startMonitor(b: MonitorBench, label: string, env: Record<string, string>): Promise<ConsumerProcess> {
  const logFile = `${b.resultsDir}/monitor-${b.stamp}-${label}.log`;
  const m = await startConsumerProcess({ command: 'monitor', statKeys: MONITOR_STAT_KEYS, env: { ...b.baseEnv, ...env }, logFile, onWarning: (w) => b.progress(`${label}: monitor warning: ${w}`) });
  b.onCleanup(`stop the monitor (${label})`, () => m.stop());
  return m;
}

function rulesFile(b: MonitorBench, label: string, yaml: string | null): Record<string, string> {
  if (yaml === null) return {};
  const path = `${b.resultsDir}/monitor-${b.stamp}-${label}.rules.yaml`;
  writeFileSync(path, yaml);
  return { MONITOR_RULES_FILE: path };
}

/**
 * How the benchmark's events reach Kafka:
 *   sdk       as the SDK's emitters send them by default (services/emitter/sdk.ts): the events
 *             of one send packed into one batch frame per key (packByKey), GZIP-compressed;
 *   unpacked  one event per Kafka message, uncompressed (the SDK's `pack: false`, or a foreign
 *             producer): the most messages per event, what the figures before --producer were.
 */
export type ProducerMode = 'sdk' | 'unpacked';

/** Events per message, per partition, by offset: how many events lie below a committed offset. */
export class EventCounts {
  private readonly runs = new Map<number, Array<{ base: number; cumulative: number[] }>>();

  /** Records one partition's messages of one send, appended from `baseOffset` on. */
  add(partition: number, baseOffset: number, eventsPerMessage: readonly number[]): void {
    const cumulative: number[] = [];
    let n = 0;
    for (const e of eventsPerMessage) cumulative.push((n += e));
    let list = this.runs.get(partition);
    if (!list) this.runs.set(partition, (list = []));
    list.push({ base: baseOffset, cumulative });
  }

  /** Events in the messages with offsets below `offset` on `partition`. */
  below(partition: number, offset: number): number {
    let n = 0;
    for (const r of this.runs.get(partition) ?? []) {
      const inRun = Math.min(r.cumulative.length, Math.max(0, offset - r.base));
      if (inRun > 0) n += r.cumulative[inRun - 1]!;
    }
    return n;
  }
}

/**
 * The Kafka messages for events (with their keys), as `mode` sends them, each with the number of
 * events it holds. Keys decide partitions (the producer's default partitioner), so packing by
 * key keeps every event on its partition.
 */
export function messagesFor(events: readonly ProvEvent[], keys: readonly string[], mode: ProducerMode): Array<{ key: string; value: Buffer; events: number }> {
  const plain = events.map((e, i) => ({ key: keys[i]!, value: encodeEvent(e) }));
  return asSent(plain, mode).map((m) => ({ ...m, events: eventCountOf(m.value) }));
}

/** One send's encoded events as `mode` sends them (packed per key or not). */
function asSent(messages: KeyedFrame[], mode: ProducerMode): KeyedFrame[] {
  return mode === 'sdk' ? packByKey(messages) : messages;
}

function compressionOf(mode: ProducerMode): CompressionTypes {
  return mode === 'sdk' ? CompressionTypes.GZIP : CompressionTypes.None;
}

/** Forks between two readings, plus one when a rewrite was already running at the first. */
function forksDuring(before: { forks: number; rewriting: boolean }, after: { forks: number }): number {
  return after.forks - before.forks + (before.rewriting ? 1 : 0);
}

/** Publishes a workload as fast as the producer goes (before a maxRate measurement). */
export async function publish(producer: Producer, topic: string, w: Workload, mode: ProducerMode, partitions: number, chunk = 2_000): Promise<{ perSec: number; counts: EventCounts }> {
  const partitionOf = partitionerFor(partitions);
  const t0 = performance.now();
  const counts = new EventCounts();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < w.events.length; i += chunk) {
    const messages = messagesFor(w.events.slice(i, i + chunk), w.keys.slice(i, i + chunk), mode);
    const partitioned = new Map<number, typeof messages>();
    for (const m of messages) {
      const p = partitionOf(m.key);
      const list = partitioned.get(p);
      if (list) list.push(m);
      else partitioned.set(p, [m]);
    }
    // Explicit partitions (the default partitioner's choice), so that each send's record metadata
    // (base offset per partition) says which offsets hold how many events.
    const sent = producer.send({
      topic,
      acks: -1,
      compression: compressionOf(mode),
      messages: [...partitioned].flatMap(([partition, ms]) => ms.map((m) => ({ key: m.key, value: m.value, partition }))),
    });
    inflight.push(
      sent.then((meta) => {
        for (const r of meta) counts.add(r.partition, Number(r.baseOffset), (partitioned.get(r.partition) ?? []).map((m) => m.events));
      }),
    );
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  return { perSec: Math.round(w.events.length / ((performance.now() - t0) / 1000)), counts };
}

/** The partition kafkajs's default partitioner (murmur2) picks for a key, over `partitions`. */
export function partitionerFor(partitions: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return (key) => partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}

export interface MaxRateResult {
  label: string;
  /** Redis forks (AOF rewrites) during the measurement, counting one already running at its start. */
  redisForks: number;
  /** Keys in Redis when the measurement started (all databases). */
  redisKeys: number;
  rules: number;
  events: number;
  eventsPerSec: number;
  seconds: number;
  cpu: CpuShares;
  stats: Record<string, number>;
}

/**
 * Times a new monitor from its first commit until at least `events` events of `topic` are
 * committed: the events committed after the first commit, per second.
 */
export async function measureMaxRate(b: MonitorBench, topic: string, counts: EventCounts, events: number, label: string, ruleCount: number, yaml: string | null): Promise<MaxRateResult> {
  const group = `bench-monitor-${b.stamp}-${label}`;
  const prefix = `bench-monitor-${b.stamp}-${label}:`;
  const alerts = `bench.monitor.${b.stamp}.${label}.alerts`;
  await ensureTopics(b.admin, [{ topic: alerts, numPartitions: 1 }]);
  b.onCleanup(`delete topic ${alerts}`, () => b.admin.deleteTopics({ topics: [alerts], timeout: 10_000 }));
  b.onCleanup(`delete group ${group}`, () => b.admin.deleteGroups([group]));
  b.onCleanup(`delete Redis prefix ${prefix}`, () => b.deleteRedisPrefix(prefix));
  const m = await startMonitor(b, label, { PROVSTREAM_TOPIC: topic, MONITOR_GROUP_ID: group, MONITOR_REDIS_PREFIX: prefix, MONITOR_ALERTS_TOPIC: alerts, MONITOR_START: 'earliest', ...rulesFile(b, label, yaml) });
  const cpu = new CpuMeter({ bench: process.pid, monitor: m.pid, ...b.servicePids });
  let t0 = 0;
  let c0 = 0;
  let done = 0;
  let forks0 = { forks: 0, rewriting: false, keys: 0 };
  const deadline = Date.now() + 600_000;
  for (;;) {
    const [committed] = await b.admin.fetchOffsets({ groupId: group, topics: [topic] });
    done = (committed?.partitions ?? []).reduce((n, p) => n + counts.below(p.partition, Math.max(0, Number(p.offset))), 0);
    if (t0 === 0 && done > 0) {
      t0 = performance.now();
      c0 = done;
      forks0 = await b.redisForks();
      cpu.start();
    }
    if (done >= events) break;
    if (!m.alive()) throw new Error(`${label}: the monitor exited during the measurement (see ${b.resultsDir}/monitor-${b.stamp}-${label}.log)`);
    if (Date.now() > deadline) throw new Error(`${label}: only ${done} of ${events} events evaluated within 10 minutes`);
    await sleep(50);
  }
  const seconds = (performance.now() - t0) / 1000;
  const shares = cpu.stop();
  const redisForks = forksDuring(forks0, await b.redisForks());
  await m.stop();
  await b.discardState(prefix);
  if (done === c0) throw new Error(`${label}: the monitor's first commit already covered all ${events} events, so there is no window to time; measure more events (--events, --dense-events)`);
  // Every event committed in the window counts, also those of the last batch beyond `events`
  // (they were evaluated in it too: counting only up to `events` would understate the rate, the
  // more so the larger the batches, e.g. packed frames).
  return { label, redisForks, redisKeys: forks0.keys, rules: ruleCount, events: done - c0, eventsPerSec: Math.round((done - c0) / seconds), seconds: Math.round(seconds * 100) / 100, cpu: shares, stats: { ...m.lastStats } };
}

export interface LatencyResult {
  label: string;
  /** Redis forks (AOF rewrites) during the measurement, counting one already running at its start. */
  redisForks: number;
  /** Keys in Redis when the measurement started (all databases). */
  redisKeys: number;
  targetRate: number;
  achievedRate: number;
  probes: number;
  p50Ms: number;
  p90Ms: number;
  /**
   * Diagnostic: probe sent -> the alert record created by the monitor's producer (its Kafka
   * timestamp), p50/p99: the monitor's share of the latency, without the alert's own trip
   * through Kafka to the reader.
   */
  recordP50Ms: number;
  recordP99Ms: number;
  /** Diagnostic: p99 of the probes sent in each 5-s window of the measurement, in order (is the tail a phase or everywhere?). */
  p99By5sMs: number[];
  /** p99 of the probes sent during the warm-up (not in the figures above). */
  warmupP99Ms: number;
  /**
   * With a stall (LatencyOptions.stallMs): how long after the monitor was resumed the last probe
   * whose latency exceeded 500 ms was sent (0: none did), i.e. how long it took to catch up.
   */
  caughtUpMs?: number;
  p99Ms: number;
  maxMs: number;
  cpu: CpuShares;
  stats: Record<string, number>;
}

export interface LatencyOptions {
  rate: number;
  producer: ProducerMode;
  seconds: number;
  /** Seconds of load before probes count (see measureLatency). */
  warmupSeconds: number;
  probeEvery: number;
  /** ms the monitor is paused (SIGSTOP) 1 s after the load starts, then resumed: a backlog to catch up from (0: none). */
  stallMs: number;
}

/** When a stalled run pauses the monitor: ms after its load started. */
const STALL_AT_MS = 1000;

/** ms after `resumedAt` (ms since the load started) that the last probe over 500 ms was sent; 0 when none was. */
export function caughtUp(timeline: ReadonlyArray<{ sent: number; ms: number }>, resumedAt: number): number {
  let last = resumedAt;
  for (const t of timeline) if (t.ms > 500 && t.sent > last) last = t.sent;
  return Math.round(last - resumedAt);
}

export async function measureLatency(b: MonitorBench, partitions: number, w: Workload, label: string, yaml: string, o: LatencyOptions): Promise<LatencyResult> {
  const topic = `bench.monitor.${b.stamp}.${label}.events`;
  const alerts = `bench.monitor.${b.stamp}.${label}.alerts`;
  const group = `bench-monitor-${b.stamp}-${label}`;
  const prefix = `bench-monitor-${b.stamp}-${label}:`;
  await ensureTopics(b.admin, [{ topic, numPartitions: partitions }, { topic: alerts, numPartitions: 1 }]);
  b.onCleanup(`delete topics ${topic}, ${alerts}`, () => b.admin.deleteTopics({ topics: [topic, alerts], timeout: 10_000 }));
  b.onCleanup(`delete group ${group}`, () => b.admin.deleteGroups([group]));
  b.onCleanup(`delete Redis prefix ${prefix}`, () => b.deleteRedisPrefix(prefix));
  const m = await startMonitor(b, label, { PROVSTREAM_TOPIC: topic, MONITOR_GROUP_ID: group, MONITOR_REDIS_PREFIX: prefix, MONITOR_ALERTS_TOPIC: alerts, ...rulesFile(b, label, yaml) });

  /** Probes in flight: when sent (performance.now() and wall clock), and in which phase. */
  const inFlight = new Map<string, { at: number; wall: number; window: number; sinceLoad: number }>();
  /** Every probe of the load (warm-up included): ms after the load started it was sent, its latency. */
  const timeline: Array<{ sent: number; ms: number }> = [];
  const latencies: number[] = [];
  const recorded: number[] = [];
  const warmup: number[] = [];
  /** Latencies of the measured probes by the 5-s window of the run they were sent in. */
  const byWindow: number[][] = [];
  const reader = b.kafka.consumer({ groupId: `${group}-reader`, maxWaitTimeInMs: 5 });
  b.onCleanup(`delete group ${group}-reader`, () => b.admin.deleteGroups([`${group}-reader`]));
  await reader.connect();
  await reader.subscribe({ topic: alerts, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const a = alertFromMessage(message.value);
      const id = a?.ruleId === 'probe' ? a.eventIds[0] : undefined;
      const p = id === undefined ? undefined : inFlight.get(id);
      if (id === undefined || p === undefined) return;
      inFlight.delete(id);
      const ms = performance.now() - p.at;
      if (p.sinceLoad >= 0) timeline.push({ sent: p.sinceLoad, ms });
      if (p.window < 0) {
        warmup.push(ms);
        return;
      }
      latencies.push(ms);
      recorded.push(Number(message.timestamp) - p.wall);
      (byWindow[p.window] ??= []).push(ms);
    },
  });
  const producer = b.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    let k = 0;
    const probe = (): { key: string; value: Buffer; id: string } => {
      const id = randomUUID();
      const now = Date.now();
      const ev: ProvEvent = { eventId: id, project: 'bench-latency', time: now, producer: 'bench', schemaVersion: 1, payload: { type: 'metric', subject: activityId(id), key: 'probe_latency', step: k, value: k++, time: now } };
      return { key: `probe|${k % 64}`, value: encodeEvent(ev), id };
    };
    // The group has joined and the whole path works before the load starts.
    for (let tries = 0; ; tries++) {
      const p = probe();
      inFlight.set(p.id, { at: performance.now(), wall: Date.now(), window: -1, sinceLoad: -1 });
      await producer.send({ topic, messages: [{ key: p.key, value: p.value }] });
      await sleep(500);
      if (warmup.length > 0) break;
      if (tries > 60) throw new Error(`${label}: no probe alert within 30 s of starting the monitor`);
    }
    warmup.length = 0;

    // The load's events are encoded before the clock starts: encoding is the emitters' work, on
    // their machines; done here during the run it took CPU from the monitor on the same 2 cores.
    // (Probes are encoded when sent: they carry their send time.)
    // The first o.warmupSeconds of load warm the monitor up (JIT, the rule state's first keys,
    // the group's first fetches): their probes are reported apart, CPU and rate are not counted.
    const total = Math.min(w.events.length, Math.round(o.rate * (o.warmupSeconds + o.seconds)));
    const encoded = w.events.slice(0, total).map((e) => encodeEvent(e));
    const cpu = new CpuMeter({ bench: process.pid, monitor: m.pid, ...b.servicePids });
    let measuring = false;
    let forks0: ReturnType<MonitorBench['redisForks']> = Promise.resolve({ forks: 0, rewriting: false, keys: 0 });
    const t0 = performance.now();
    const warmupMs = o.warmupSeconds * 1000;
    let tMeasure = 0;
    let sentBeforeMeasure = 0;
    let sent = 0;
    let probes = 0;
    const inflight = new Set<Promise<unknown>>();
    /** With a stall: ms after the load started when the monitor was (to be) resumed. */
    let resumedAt: number | undefined;
    while (sent < total) {
      const elapsed = performance.now() - t0;
      if (o.stallMs > 0 && resumedAt === undefined && elapsed >= STALL_AT_MS) {
        resumedAt = elapsed + o.stallMs;
        process.kill(m.pid, 'SIGSTOP');
        const resume = () => {
          try {
            process.kill(m.pid, 'SIGCONT');
          } catch {
            // it has exited already
          }
        };
        const timer = setTimeout(resume, o.stallMs);
        // If the run fails while it is paused, resume it before it is stopped (clean-ups run last first).
        b.onCleanup(`stop: resume the paused monitor (${label})`, async () => {
          clearTimeout(timer);
          resume();
        });
      }
      if (!measuring && elapsed >= warmupMs) {
        measuring = true;
        forks0 = b.redisForks();
        cpu.start();
        tMeasure = performance.now();
        sentBeforeMeasure = sent;
      }
      const due = Math.min(total, Math.floor((elapsed / 1000) * o.rate));
      if (due > sent) {
        const messages: Array<{ key: string; value: Buffer }> = [];
        for (; sent < due; sent++) {
          if (sent % o.probeEvery === 0) {
            const p = probe();
            const now = performance.now();
            inFlight.set(p.id, { at: now, wall: Date.now(), window: measuring ? Math.floor((now - tMeasure) / 5000) : -1, sinceLoad: now - t0 });
            messages.push({ key: p.key, value: p.value });
            if (measuring) probes++;
          }
          messages.push({ key: w.keys[sent]!, value: encoded[sent]! });
        }
        const s = producer.send({ topic, acks: -1, compression: compressionOf(o.producer), messages: asSent(messages, o.producer) });
        inflight.add(s);
        void s.finally(() => inflight.delete(s));
        if (inflight.size >= 16) await Promise.race(inflight);
      }
      await sleep(5);
    }
    await Promise.all(inflight);
    if (!measuring) throw new Error(`${label}: the workload (${total} events) ended within the warm-up; generate more events`);
    const achievedRate = Math.round((sent - sentBeforeMeasure) / ((performance.now() - tMeasure) / 1000));
    const drainUntil = Date.now() + 60_000;
    while (inFlight.size > 0 && Date.now() < drainUntil) await sleep(50);
    const shares = cpu.stop();
    const f0 = await forks0;
    const redisForks = forksDuring(f0, await b.redisForks());
    if (inFlight.size > 0) throw new Error(`${label}: ${inFlight.size} of ${probes} probe alerts (and the warm-up's) did not arrive within 60 s`);
    await m.stop();
    await b.discardState(prefix);
    return {
      label, redisForks, redisKeys: f0.keys, targetRate: o.rate, achievedRate, probes,
      p50Ms: Math.round(percentile(latencies, 50)), p90Ms: Math.round(percentile(latencies, 90)), p99Ms: Math.round(percentile(latencies, 99)), maxMs: Math.round(percentile(latencies, 100)),
      recordP50Ms: Math.round(percentile(recorded, 50)), recordP99Ms: Math.round(percentile(recorded, 99)),
      p99By5sMs: Array.from(byWindow, (l) => (l && l.length > 0 ? Math.round(percentile(l, 99)) : 0)),
      warmupP99Ms: warmup.length > 0 ? Math.round(percentile(warmup, 99)) : 0,
      ...(resumedAt !== undefined ? { caughtUpMs: caughtUp(timeline, resumedAt) } : {}),
      cpu: shares, stats: { ...m.lastStats },
    };
  } finally {
    await producer.disconnect();
    await reader.disconnect();
  }
}
