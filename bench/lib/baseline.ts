/**
 * Baseline: the write path of one-event-per-request systems. The same kind of events, mapped to
 * the same rows by the product's own mapping (services/ingest/rows.ts) and written by the
 * product's own TableSink, but one event per write, sequentially, each write acknowledged before
 * the next starts (as a request handler that stores the event it was sent and then answers).
 * An event touches two tables (events_raw + its typed table), and a ClickHouse INSERT names one
 * table, so one event's write is one INSERT per table it touches: the result reports both
 * events/s and INSERT statements/s. Every acknowledged insert is immediately queryable.
 */
import { TableSink } from '../../services/ingest/sinks.js';
import { TABLES, addEventRows, emptyRows, tsvTablesOf } from '../../services/ingest/rows.js';
import { validateEvent, formatProblems } from '../../services/model/validate.js';
import type { Warehouse } from '../../services/lib/clickhouse.js';
import type { CpuMeter, CpuShares } from './cpu.js';
import { visibleCount } from './pipeline.js';
import type { Workload } from './workload.js';

export interface BaselineResult {
  project: string;
  events: number;
  inserts: number;
  seconds: number;
  eventsPerSec: number;
  insertsPerSec: number;
  cpu: CpuShares;
}

export async function measureBaseline(wh: Warehouse, w: Workload, project: string, cpu: CpuMeter, signal: AbortSignal): Promise<BaselineResult> {
  const sink = new TableSink(wh);
  let inserts = 0;
  cpu.start();
  const t0 = performance.now();
  for (const ev of w.events) {
    signal.throwIfAborted();
    const v = validateEvent(ev);
    if (!v.ok) throw new Error(`benchmark event ${ev.eventId} is invalid: ${formatProblems(v.problems)}`);
    const rows = emptyRows();
    addEventRows(v.event, rows);
    await sink.write(tsvTablesOf(rows));
    inserts += TABLES.filter((t) => rows[t].length > 0).length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const shares = cpu.stop();
  const visible = await visibleCount(wh, project);
  if (visible !== w.events.length) throw new Error(`baseline wrote ${w.events.length} events but ${visible} are queryable`);
  return {
    project,
    events: w.events.length,
    inserts,
    seconds: Math.round(seconds * 1000) / 1000,
    eventsPerSec: Math.round(w.events.length / seconds),
    insertsPerSec: Math.round(inserts / seconds),
    cpu: shares,
  };
}
