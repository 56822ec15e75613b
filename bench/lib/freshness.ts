/**
 * Scenario: produce -> queryable freshness at a steady rate. Publishes through the SDK paced at
 * `rate` events/s for `seconds`. About one event in `probeEvery` is a probe: the first metric
 * event at or after every `probeEvery`-th position (metrics are 40% of the mix), with its send
 * time taken just before `Emitter.send`. A poller asks ClickHouse every `pollMs` which pending
 * probes are visible, in two places:
 *   - events_raw: the first table the consumer writes for a batch (primary-key lookup);
 *   - metrics: the last table TableSink writes for a batch of this workload (it writes TABLES of
 *     services/ingest/rows.ts in order, skipping empty ones; checked at start), so a probe
 *     visible there means every row of its batch, in every table, is queryable.
 * The headline figure is the second ("visible in queries" for any query a user runs); the
 * difference between the two is the time the sequential per-table inserts take.
 *
 * Figures are upper bounds: a probe counts as visible when the response that first returns it
 * arrives, so they include up to one poll interval plus one query's latency.
 */
import type { Warehouse } from '../../services/lib/clickhouse.js';
import { sql, inList, raw } from '../../services/lib/sql-literal.js';
import { sleep } from '../../services/lib/retry.js';
import type { EmitterStats } from '../../services/emitter/sdk.js';
import type { CpuShares } from './cpu.js';
import { newEmitter, warmEmitter } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import { percentile, formatNumber } from './report.js';
import type { Workload } from './workload.js';
import { TABLES, addEventRows, emptyRows } from '../../services/ingest/rows.js';

export interface FreshnessOptions {
  rate: number;
  seconds: number;
  probeEvery: number;
  pollMs: number;
  /** Give up on probes not visible this long after the last send (an error: events were lost). */
  drainTimeoutMs?: number;
}

export interface Latencies {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface FreshnessResult {
  project: string;
  events: number;
  targetRate: number;
  /** Rate actually achieved by the pacer (events sent / sending time). */
  achievedRate: number;
  probes: number;
  /** Most events waiting in the SDK's buffer during the run (a backlog here is producer-side delay). */
  sdkMaxBuffered: number;
  sdk: EmitterStats;
  /** Visible in every table (the batch's last insert, into metrics, is done). */
  allTables: Latencies;
  /** Visible in events_raw (the batch's first insert is done). */
  eventsRaw: Latencies;
  cpu: CpuShares;
}

/** How many events a freshness run publishes (generate at least this many). */
export function freshnessEventCount(o: FreshnessOptions): number {
  return Math.round(o.rate * o.seconds);
}

/** Probes that have not been seen in one table yet, and the delays of those that have. */
class ProbeSet {
  readonly pending = new Set<string>();
  readonly seenAt = new Map<string, number>();
  readonly delays: number[] = [];
  constructor(
    readonly table: 'events_raw' | 'metrics',
    readonly sentAt: Map<string, number>,
  ) {}
}

function resolveProbe(s: ProbeSet, id: string, at: number): void {
  if (!s.pending.delete(id)) return;
  s.seenAt.set(id, at);
  s.delays.push(at - s.sentAt.get(id)!);
}

export async function measureFreshness(p: Pipeline, w: Workload, warm: Workload, project: string, o: FreshnessOptions): Promise<FreshnessResult> {
  const total = Math.min(w.events.length, freshnessEventCount(o));
  const filled = emptyRows();
  for (const ev of w.events.slice(0, 5000)) addEventRows(ev, filled);
  const lastTable = TABLES.filter((t) => filled[t].length > 0).at(-1);
  if (lastTable !== 'metrics') throw new Error(`freshness probes need metrics to be the last table the consumer writes for this workload, but it is ${lastTable}; update bench/lib/freshness.ts`);
  const errors: Error[] = [];
  const em = newEmitter(p, errors);
  const sentAt = new Map<string, number>();
  const sets = [new ProbeSet('metrics', sentAt), new ProbeSet('events_raw', sentAt)] as const;
  const pendingCount = () => sets[0].pending.size + sets[1].pending.size;
  let sending = true;
  let stopped = false;
  try {
    await warmEmitter(em, warm, errors);
    p.cpu.start();
    let pollError: unknown;
    const poller = (async () => {
      while (!stopped && (sending || pendingCount() > 0)) {
        await Promise.all(sets.map((s) => pollOnce(p.wh, project, s)));
        // Visible in metrics implies visible in events_raw (written before it in the same batch).
        for (const id of sets[1].pending) if (!sets[0].pending.has(id)) resolveProbe(sets[1], id, sets[0].seenAt.get(id)!);
        await sleep(o.pollMs);
      }
    })().catch((err: unknown) => void (pollError = err ?? new Error('poll failed')));
    const t0 = performance.now();
    let sent = 0;
    let probeWanted = false;
    let sdkMaxBuffered = 0;
    while (sent < total) {
      sdkMaxBuffered = Math.max(sdkMaxBuffered, em.buffered);
      const due = Math.min(total, Math.floor(((performance.now() - t0) * o.rate) / 1000));
      for (; sent < due; sent++) {
        const ev = w.events[sent]!;
        if (sent % o.probeEvery === 0) probeWanted = true;
        if (probeWanted && ev.payload.type === 'metric') {
          probeWanted = false;
          sentAt.set(ev.eventId, performance.now());
          for (const s of sets) s.pending.add(ev.eventId);
        }
        const r = em.send(ev, w.keys[sent]);
        if (!r.ok) throw new Error(`the SDK rejected benchmark event ${sent}: ${r.problems.map((x) => x.message).join('; ')}`);
      }
      await sleep(2, p.signal);
    }
    const sendSeconds = (performance.now() - t0) / 1000;
    sending = false;
    if (!(await em.flush(60_000))) throw new Error(`the SDK did not deliver the freshness events to Kafka within 60 s: ${JSON.stringify(em.stats())}; ${errors.map((e) => e.message).join('; ')}`);
    const sdk = em.stats();
    if (sdk.dropped > 0) {
      throw new Error(`the SDK dropped ${sdk.dropped} of ${total} events although send() returned ok: it could not deliver ${formatNumber(o.rate)} events/s, its buffer (maxBufferedEvents) filled up (peak ${formatNumber(sdkMaxBuffered)} seen) and it has no spillDir; is the machine busy?`);
    }
    const drainDeadline = performance.now() + (o.drainTimeoutMs ?? 120_000);
    while (pendingCount() > 0 && performance.now() < drainDeadline) {
      if (!p.consumer.alive()) throw new Error('the ingest consumer process exited during the freshness run');
      if (pollError) throw pollError;
      await sleep(o.pollMs, p.signal);
    }
    if (pendingCount() > 0) {
      throw new Error(`${sets[0].pending.size} of ${sentAt.size} probe events, all delivered to Kafka, did not become queryable within ${Math.round((o.drainTimeoutMs ?? 120_000) / 1000)} s; consumer lag: ${await p.describeLag()}`);
    }
    await poller;
    if (pollError) throw pollError;
    const cpu = p.cpu.stop();
    return {
      project,
      events: total,
      targetRate: o.rate,
      achievedRate: Math.round(total / sendSeconds),
      probes: sentAt.size,
      sdkMaxBuffered,
      sdk,
      allTables: summarize(sets[0].delays),
      eventsRaw: summarize(sets[1].delays),
      cpu,
    };
  } finally {
    sending = false;
    stopped = true;
    await em.close(10_000);
  }
}

async function pollOnce(wh: Warehouse, project: string, s: ProbeSet): Promise<void> {
  if (s.pending.size === 0) return;
  const rows = await wh.query<{ event_id: string }>(sql`SELECT event_id FROM ${raw(s.table)} WHERE project = ${project} AND event_id IN ${inList([...s.pending])}`);
  const now = performance.now();
  for (const r of rows) resolveProbe(s, r.event_id, now);
}

function summarize(delays: number[]): Latencies {
  const r = (p: number) => Math.round(percentile(delays, p));
  return { p50Ms: r(50), p90Ms: r(90), p99Ms: r(99), maxMs: Math.round(Math.max(...delays)) };
}
