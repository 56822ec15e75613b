/**
 * Diagnostic scenario: the two halves of the pipeline measured alone, to show which one limits
 * the end-to-end figure. With the ingest consumer stopped, the workload is published through
 * the SDK (SDK -> Kafka alone, nothing else competing for the cores); then the consumer is
 * started again and catches up from its committed offsets (Kafka -> ClickHouse alone), timed
 * from the moment it reports itself running until `count()` of the run's project reaches N.
 */
import type { ConsumerProcess } from './consumer-process.js';
import type { CpuMeter, CpuShares } from './cpu.js';
import { newEmitter, warmEmitter, waitVisible, publishAll } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import type { Workload } from './workload.js';

export interface CatchUpResult {
  project: string;
  events: number;
  /** SDK -> Kafka with no consumer running: first send -> last acknowledgement. */
  sdkAlonePerSec: number;
  sdkCpu: CpuShares;
  /** Kafka -> ClickHouse: consumer running -> all events queryable. */
  ingestAlonePerSec: number;
  /** Process start -> consumer running (node start, migrations check, topic check, connect). */
  consumerStartMs: number;
  ingestCpu: CpuShares;
}

/** `p.consumer` must be stopped; `restart` starts a new one, which is stored into `p`. */
export async function measureCatchUp(p: Pipeline, w: Workload, warm: Workload, project: string, restart: () => Promise<{ consumer: ConsumerProcess; cpu: CpuMeter }>): Promise<CatchUpResult> {
  const errors: Error[] = [];
  const em = newEmitter(p, errors);
  let sdkAlonePerSec: number;
  let sdkCpu: CpuShares;
  try {
    await warmEmitter(em, warm, errors);
    p.cpu.start();
    const t0 = performance.now();
    await publishAll(em, w, p.signal);
    if (!(await em.flush(300_000))) throw new Error(`the SDK did not deliver all events to Kafka: ${errors.map((e) => e.message).join('; ') || 'timeout'}`);
    sdkAlonePerSec = Math.round(w.events.length / ((performance.now() - t0) / 1000));
    sdkCpu = p.cpu.stop();
  } finally {
    await em.close(10_000);
  }
  const spawned = performance.now();
  const { consumer, cpu } = await restart();
  p.consumer = consumer;
  p.cpu = cpu;
  cpu.start();
  const ready = performance.now();
  const visible = await waitVisible(p, project, w.events.length, Math.max(300_000, w.events.length), 50);
  return {
    project,
    events: w.events.length,
    sdkAlonePerSec,
    sdkCpu,
    ingestAlonePerSec: Math.round(w.events.length / ((visible - ready) / 1000)),
    consumerStartMs: Math.round(ready - spawned),
    ingestCpu: cpu.stop(),
  };
}
