/**
 * Load for the gateway benchmark: posts prepared request bodies to a listening gateway with a
 * fixed number of requests in flight (keep-alive connections), and observes when everything
 * published reached ClickHouse (the ingest consumer group has committed the whole topic: it
 * commits only after ClickHouse acknowledged the rows).
 */
import type { Admin } from 'kafkajs';
import { sleep } from '../../services/lib/retry.js';
import { percentile } from './report.js';

export interface LoadResult {
  requests: number;
  /** OpenLineage or native events in the bodies. */
  items: number;
  /** Provenance events the gateway published (its `published` counts). */
  published: number;
  /** First request sent -> last 202 received. */
  acceptSeconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** Posts every body (each an event or an array of events); any answer but 202 fails the run. */
export async function postAll(url: string, token: string, bodies: readonly unknown[], concurrency: number, signal: AbortSignal): Promise<LoadResult> {
  const payloads = bodies.map((b) => JSON.stringify(b));
  const latencies: number[] = [];
  let next = 0;
  let items = 0;
  let published = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < payloads.length; i = next++) {
      signal.throwIfAborted();
      const started = performance.now();
      const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: payloads[i]!, signal });
      const body = (await r.json()) as { accepted?: number; published?: number };
      if (r.status !== 202) throw new Error(`the gateway answered ${r.status} to request ${i}: ${JSON.stringify(body).slice(0, 500)}`);
      latencies.push(performance.now() - started);
      items += body.accepted ?? 0;
      published += body.published ?? 0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, payloads.length) }, worker));
  return { requests: payloads.length, items, published, acceptSeconds: (performance.now() - t0) / 1000, latencyP50Ms: Math.round(percentile(latencies, 50)), latencyP99Ms: Math.round(percentile(latencies, 99)) };
}

/** True when `group` has committed every partition of `topic` up to its end. */
async function caughtUp(admin: Admin, group: string, topic: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return ends.every((e) => {
    const c = committed?.partitions.find((p) => p.partition === e.partition);
    return c !== undefined && c.offset !== '-1' && BigInt(c.offset) >= BigInt(e.high);
  });
}

/** Waits until the ingest consumer group has everything in ClickHouse; resolves with performance.now() then. */
export async function waitIngested(admin: Admin, group: string, topic: string, timeoutMs: number, signal: AbortSignal, pollMs = 50): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    if (await caughtUp(admin, group, topic)) return performance.now();
    if (performance.now() > deadline) throw new Error(`the ingest consumer did not catch up with ${topic} within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(pollMs, signal);
  }
}
