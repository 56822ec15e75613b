import { describe, expect, it } from 'vitest';
import { TableSink } from './sinks.js';
import { addEventRows, emptyRows, tsvTablesOf } from './rows.js';
import type { TsvTables } from './rows.js';
import type { Warehouse } from '../lib/clickhouse.js';
import { FIXTURE_CASES } from '../model/fixtures.js';

/** A warehouse that records TSV inserts and lets the test decide when each one completes. */
function recordingWarehouse() {
  const inserts: Array<{ table: string; lines: number; finish: (err?: Error) => void }> = [];
  const wh = {
    database: 'test',
    insertTsv: (table: string, _columns: readonly string[], text: string | readonly string[]) =>
      new Promise<void>((resolve, reject) => inserts.push({ table, lines: [text].flat().join('').split('\n').length - 1, finish: (err) => (err ? reject(err) : resolve()) })),
  } as unknown as Warehouse;
  return { wh, inserts };
}

function rowsOf(...names: string[]): TsvTables {
  const rows = emptyRows();
  for (const n of names) addEventRows(FIXTURE_CASES[n]!, rows);
  return tsvTablesOf(rows);
}

const tick = () => new Promise((r) => setImmediate(r));

async function finishAll(inserts: ReturnType<typeof recordingWarehouse>['inserts'], from = 0): Promise<void> {
  for (let round = 0; round < 4; round++) {
    await tick();
    for (const i of inserts.slice(from)) i.finish();
    from = inserts.length;
  }
}

describe('TableSink group commit', () => {
  it('merges the batches written in the same turn into one insert per table, events_raw last', async () => {
    const { wh, inserts } = recordingWarehouse();
    const sink = new TableSink(wh);
    const a = sink.write(rowsOf('agent', 'entity'));
    const b = sink.write(rowsOf('relation', 'metric'));
    await finishAll(inserts);
    await Promise.all([a, b]);
    expect(inserts.map((i) => [i.table, i.lines])).toEqual([
      ['vertices', 2],
      ['edges', 1],
      ['metrics', 1],
      ['events_raw', 4],
    ]);
  });

  it('a batch arriving while an insert is in flight goes with the next group, after it', async () => {
    const { wh, inserts } = recordingWarehouse();
    const sink = new TableSink(wh);
    const first = sink.write(rowsOf('agent'));
    await tick();
    expect(inserts.map((i) => i.table)).toEqual(['vertices']);
    const second = sink.write(rowsOf('entity'));
    const third = sink.write(rowsOf('metric'));
    await finishAll(inserts);
    await Promise.all([first, second, third]);
    expect(inserts.map((i) => [i.table, i.lines])).toEqual([
      ['vertices', 1],
      ['events_raw', 1],
      ['vertices', 1],
      ['metrics', 1],
      ['events_raw', 2],
    ]);
  });

  it('a failed insert fails every batch of its group, and the sink keeps working', async () => {
    const { wh, inserts } = recordingWarehouse();
    const sink = new TableSink(wh);
    const a = sink.write(rowsOf('agent'));
    const b = sink.write(rowsOf('entity'));
    await tick();
    inserts[0]!.finish(new Error('rejected'));
    await expect(a).rejects.toThrow('rejected');
    await expect(b).rejects.toThrow('rejected');
    const c = sink.write(rowsOf('metric'));
    await finishAll(inserts, 1);
    await c;
    expect(inserts.slice(1).map((i) => i.table)).toEqual(['metrics', 'events_raw']);
  });

  it('linger: batches arriving within lingerMs of the oldest share its insert; flushEvents queued go at once', async () => {
    const { wh, inserts } = recordingWarehouse();
    const sink = new TableSink(wh, { lingerMs: 60, flushEvents: 3 });
    const a = sink.write(rowsOf('agent'));
    await new Promise((r) => setTimeout(r, 20));
    expect(inserts).toEqual([]); // still lingering
    const b = sink.write(rowsOf('entity'));
    await new Promise((r) => setTimeout(r, 70));
    expect(inserts.map((i) => [i.table, i.lines])).toEqual([['vertices', 2]]); // one group, after the linger time
    await finishAll(inserts);
    await Promise.all([a, b]);
    const from = inserts.length;
    const t0 = performance.now();
    const c = sink.write(rowsOf('agent', 'entity', 'metric')); // 3 events: flushEvents reached
    await tick();
    await tick();
    expect(inserts.slice(from).map((i) => i.table)).toEqual(['vertices', 'metrics']);
    expect(performance.now() - t0).toBeLessThan(50);
    await finishAll(inserts, from);
    await c;

    // While lingering: the write that brings the queue to flushEvents ends the wait.
    const from2 = inserts.length;
    const d = sink.write(rowsOf('agent'));
    await new Promise((r) => setTimeout(r, 10));
    expect(inserts.length).toBe(from2);
    const e = sink.write(rowsOf('entity', 'metric'));
    await tick();
    await tick();
    expect(inserts.slice(from2).map((i) => [i.table, i.lines])).toEqual([['vertices', 2], ['metrics', 1]]);
    await finishAll(inserts, from2);
    await Promise.all([d, e]);
  });
});
