/**
 * The realistic streams (Airflow, Spark, dbt) in many arrival orders, with duplicates and
 * different batchings, mapped and folded like the gateway does, turned into table rows like the
 * ingest does, and read back like the queries do (latest row per vertex and per property key,
 * sets of edges and metric points): every order must give the same tables.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addEventRows, canonicalJson, emptyRows } from '../../ingest/rows.js';
import type { Row } from '../../ingest/rows.js';
import { activityId } from '../../model/ids.js';
import { airflowStream, dbtStream, sparkStream } from './fixtures.js';
import { MemoryRunStateStore } from './run-state.js';
import { prepareOpenLineage, resolveOpenLineage } from './translate.js';
import type { PreparedEvent } from './translate.js';

const streams = [airflowStream(), sparkStream(), dbtStream()];
const events = streams.flatMap((s) => s.events);

function prepare(e: unknown): PreparedEvent {
  const p = prepareOpenLineage(e, { maxFacetBytes: 1 << 20 });
  if (!p.ok) throw new Error(JSON.stringify(p.problems));
  return p.prepared;
}
/** Validated and mapped once (pure); every order below reuses them. */
const all = events.map(prepare);

/** Publishes `order` in batches of the given sizes; returns the logical content of the tables. */
async function tablesAfter(order: readonly PreparedEvent[], batchSizes: readonly number[] = [1]): Promise<Record<string, unknown>> {
  const store = new MemoryRunStateStore();
  const rows = emptyRows();
  for (let i = 0, b = 0; i < order.length; b++) {
    const n = Math.max(1, batchSizes[b % batchSizes.length] ?? 1);
    for (const { event } of await resolveOpenLineage('p', order.slice(i, i + n), store)) addEventRows(event, rows);
    i += n;
  }
  const latest = (list: Row[], key: (r: Row) => string, strip: string[]) => {
    const best = new Map<string, Row>();
    const ties: string[] = [];
    for (const r of list) {
      const k = key(r);
      const b = best.get(k);
      const content = (x: Row) => canonicalJson(Object.fromEntries(Object.entries(x).filter(([c]) => !strip.includes(c))));
      if (b && b['valid_from'] === r['valid_from'] && content(b) !== content(r)) ties.push(k);
      if (!b || (r['valid_from'] as number) > (b['valid_from'] as number)) best.set(k, r);
    }
    return { rows: [...best.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => canonicalJson(Object.fromEntries(Object.entries(r).filter(([c]) => !strip.includes(c))))), ties };
  };
  const vertices = latest(rows.vertices, (r) => String(r['id']), ['valid_from', 'event_id']);
  const properties = latest(rows.properties, (r) => `${String(r['subject'])} ${String(r['key'])}`, ['valid_from', 'event_id']);
  const set = (list: Row[], cols: string[]) => [...new Set(list.map((r) => cols.map((c) => String(r[c])).join(' ')))].sort();
  return {
    vertices: vertices.rows,
    edges: set(rows.edges, ['type', 'src', 'dst', 'role']),
    properties: properties.rows,
    metrics: set(rows.metrics, ['subject', 'key', 'step', 'value', 'time']),
    ties: [...vertices.ties, ...properties.ties],
  };
}

describe('realistic OpenLineage streams end in the same tables whatever the arrival order', () => {
  let reference: Record<string, unknown>;

  it('in order: the runs end as the streams say', async () => {
    reference = await tablesAfter(all);
    expect(reference['ties']).toEqual([]);
    const statusOf = (runId: string) => (reference['vertices'] as string[]).map((v) => JSON.parse(v) as Row).find((v) => v['id'] === activityId(runId));
    const [a, s, d] = streams as [ReturnType<typeof airflowStream>, ReturnType<typeof sparkStream>, ReturnType<typeof dbtStream>];
    expect(statusOf(a.runs['dag']!)).toMatchObject({ status: 'FAILED', start_time: Date.UTC(2024, 4, 1, 2, 0, 0), end_time: Date.UTC(2024, 4, 1, 2, 12, 0) });
    expect(statusOf(a.runs['report']!)).toMatchObject({ status: 'FAILED' });
    expect(statusOf(a.runs['transform']!)).toMatchObject({ status: 'COMPLETED' });
    expect(statusOf(s.runs['sql']!)).toMatchObject({ status: 'COMPLETED', start_time: Date.UTC(2024, 4, 1, 3, 0, 2), end_time: Date.UTC(2024, 4, 1, 3, 1, 35) });
    expect(statusOf(d.runs['test']!)).toMatchObject({ status: 'COMPLETED' });
  });

  it('reversed, one event per request', async () => {
    expect(await tablesAfter([...all].reverse())).toEqual(reference);
  });

  it('every event twice, in one batch', async () => {
    expect(await tablesAfter([...all, ...all], [all.length * 2])).toEqual(reference);
  });

  it('random orders with duplicates and random batch sizes (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(all.map((_, i) => i), { minLength: all.length, maxLength: all.length }), fc.array(fc.integer({ min: 0, max: all.length - 1 }), { maxLength: 10 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), async (order, dups, batches) => {
          const list = [...order.map((i) => all[i]!)];
          for (const d of dups) list.splice(d % (list.length + 1), 0, all[d]!);
          expect(await tablesAfter(list, batches)).toEqual(reference);
        }),
      { numRuns: 40 },
    );
  }, 60_000);
});
