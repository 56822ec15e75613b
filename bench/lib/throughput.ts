/**
 * Scenario: sustained end-to-end throughput. Publishes a pre-generated workload through the SDK
 * as fast as the SDK accepts it, while the ingest consumer (a separate process) writes it to
 * ClickHouse; the figure is events / (time from the first send until `count()` of the run's
 * project in events_raw reaches the number sent), i.e. until everything is visible in queries.
 * Publishing pauses while the SDK buffers more than HIGH_WATER events (see `publishAll`).
 */
import type { EmitterStats } from '../../services/emitter/sdk.js';
import type { CpuShares } from './cpu.js';
import { newEmitter, warmEmitter, waitVisible, publishAll } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import type { Workload } from './workload.js';

export interface ThroughputResult {
  project: string;
  events: number;
  /** End to end: first send -> all events queryable. */
  seconds: number;
  eventsPerSec: number;
  /** SDK side only: first send -> everything acknowledged by Kafka (acks=all). */
  kafkaDeliveredPerSec: number;
  /** How long after the last Kafka acknowledgement the last event became queryable. */
  tailAfterDeliveredMs: number;
  cpu: CpuShares;
  sdk: EmitterStats;
}

export async function measureThroughput(p: Pipeline, w: Workload, warm: Workload, project: string): Promise<ThroughputResult> {
  const errors: Error[] = [];
  const em = newEmitter(p, errors);
  try {
    await warmEmitter(em, warm, errors);
    const n = w.events.length;
    p.cpu.start();
    const t0 = performance.now();
    const visible = waitVisible(p, project, n, Math.max(300_000, n), 50);
    visible.catch(() => undefined); // observed below; avoid an unhandled rejection while publishing
    await publishAll(em, w, p.signal);
    if (!(await em.flush(300_000))) throw new Error(`the SDK did not deliver all events to Kafka: ${errors.map((e) => e.message).join('; ') || 'timeout'}`);
    const tDelivered = performance.now();
    const tVisible = await visible;
    const cpu = p.cpu.stop();
    const sdk = em.stats();
    if (sdk.dropped > 0 || sdk.rejected > 0) throw new Error(`the SDK dropped ${sdk.dropped} and rejected ${sdk.rejected} events`);
    const seconds = (tVisible - t0) / 1000;
    return {
      project,
      events: n,
      seconds: round(seconds, 3),
      eventsPerSec: Math.round(n / seconds),
      kafkaDeliveredPerSec: Math.round(n / ((tDelivered - t0) / 1000)),
      tailAfterDeliveredMs: Math.max(0, Math.round(tVisible - tDelivered)),
      cpu,
      sdk,
    };
  } finally {
    await em.close(10_000);
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
