/**
 * What the ingest scenarios share: the running pipeline under test (SDK settings, topic, the
 * consumer process, the warehouse to observe) and the few queries that observe it.
 */
import { Emitter } from '../../services/emitter/sdk.js';
import type { EmitterOptions } from '../../services/emitter/sdk.js';
import type { Warehouse } from '../../services/lib/clickhouse.js';
import { sql } from '../../services/lib/sql-literal.js';
import { sleep } from '../../services/lib/retry.js';
import type { ConsumerProcess } from './consumer-process.js';
import type { CpuMeter } from './cpu.js';
import type { Workload } from './workload.js';

export interface Pipeline {
  brokers: string[];
  topic: string;
  partitions: number;
  /** SDK options the benchmark sets on top of the SDK's defaults (empty: defaults only). */
  sdk: Pick<EmitterOptions, 'lingerMs' | 'batchSize'>;
  consumer: ConsumerProcess;
  wh: Warehouse;
  cpu: CpuMeter;
  progress: (msg: string) => void;
  /** Aborted on Ctrl-C: every wait and publish loop stops promptly, so cleanup runs after them. */
  signal: AbortSignal;
  /** For error messages: the consumer group's lag per partition ("p0 end 10 committed 8 lag 2; …"). */
  describeLag: () => Promise<string>;
}

/**
 * How many events may wait in the SDK's buffer before the publisher pauses. `Emitter.send` is
 * synchronous and has no "slow down" signal; past its in-memory bound (maxBufferedEvents,
 * 100,000 by default) it spills or drops. Several SDK batches, so Kafka never idles.
 */
export const HIGH_WATER = 20_000;

/** A fresh SDK emitter on the pipeline's topic; delivery problems are collected in `errors`. */
export function newEmitter(p: Pipeline, errors: Error[]): Emitter {
  return new Emitter({ brokers: p.brokers, project: 'bench', topic: p.topic, ...p.sdk, onError: (e) => errors.push(e) });
}

/**
 * Sends one event through the emitter and waits until it is in Kafka, so that connecting the
 * producer (metadata, first connection) is not part of a timed measurement.
 */
export async function warmEmitter(em: Emitter, warm: Workload, errors: Error[]): Promise<void> {
  warm.events.forEach((ev, i) => em.send(ev, warm.keys[i]));
  if (!(await em.flush(30_000))) throw new Error(`the SDK could not deliver warm-up events to Kafka: ${errors.map((e) => e.message).join('; ') || 'timeout'}`);
}

/** Cheap visibility count: events_raw rows of a project, without FINAL (duplicates would count twice). */
export async function visibleCount(wh: Warehouse, project: string): Promise<number> {
  const [row] = await wh.query<{ n: number }>(sql`SELECT count() AS n FROM events_raw WHERE project = ${project}`);
  return Number(row?.n ?? 0);
}

/**
 * Polls until `expected` events of `project` are queryable; resolves with the performance.now()
 * at which that was observed. Throws if the consumer process dies or `timeoutMs` passes.
 */
export async function waitVisible(p: Pipeline, project: string, expected: number, timeoutMs: number, pollMs = 50): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    p.signal.throwIfAborted();
    const n = await visibleCount(p.wh, project);
    const at = performance.now();
    if (n >= expected) return at;
    if (!p.consumer.alive()) throw new Error(`the ingest consumer process exited; ${n} of ${expected} events of ${project} are queryable`);
    if (at > deadline) throw new Error(`only ${n} of ${expected} events of ${project} became queryable within ${Math.round(timeoutMs / 1000)} s; consumer lag: ${await p.describeLag()}`);
    await sleep(pollMs, p.signal);
  }
}

/**
 * Waits (up to `maxMs`) until ClickHouse runs no merge in `database`, so a measurement does not
 * pay for the background merges of the one before. Returns how long it waited.
 */
export async function quiesce(wh: Warehouse, database: string, signal: AbortSignal, maxMs = 60_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < maxMs) {
    const [row] = await wh.query<{ n: number }>(sql`SELECT count() AS n FROM system.merges WHERE database = ${database}`);
    if (Number(row?.n ?? 0) === 0) break;
    await sleep(200, signal);
  }
  return Math.round(performance.now() - started);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Publishes a workload through the SDK as fast as the SDK takes it: pausing while more than
 * HIGH_WATER events are buffered (what a well-behaved high-rate producer must do with this
 * SDK), and yielding regularly so the SDK's sends run. Resolves once everything was accepted.
 */
export async function publishAll(em: Emitter, w: Workload, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < w.events.length; i++) {
    const r = em.send(w.events[i]!, w.keys[i]);
    if (!r.ok) throw new Error(`the SDK rejected benchmark event ${i}: ${r.problems.map((x) => `${x.path} ${x.message}`).join('; ')}`);
    if ((i & 1023) === 1023) {
      signal.throwIfAborted();
      while (em.buffered > HIGH_WATER) await sleep(1, signal);
      await yieldToEventLoop();
    }
  }
}
