/** ClickHouse rows (as JSONEachRow returns them) → the payloads the stream would have carried. */
import { describe, expect, it } from 'vitest';
import { addEventRows, emptyRows } from '../ingest/rows.js';
import type { ProvEvent } from '../model/types.js';
import { workedExampleEvents } from './example-events.js';
import { cursorOf, rowToPayload, type BootstrapTable } from './bootstrap.js';

const base = { eventId: 'e', project: 'p', producer: 't', schemaVersion: 1 };

/** The rows ingest writes for an event, with the column shapes ClickHouse returns them in. */
function rowsOf(ev: ProvEvent): Array<[BootstrapTable, Record<string, unknown>]> {
  const rows = emptyRows();
  addEventRows(ev, rows);
  const out: Array<[BootstrapTable, Record<string, unknown>]> = [];
  for (const r of rows.vertices) out.push(['vertices', { ...r, param_keys: r['params.key'], param_values: r['params.value'], env_keys: r['env.key'], env_values: r['env.value'] }]);
  for (const r of rows.edges) out.push(['edges', r]);
  for (const r of rows.properties) out.push(['properties', r]);
  for (const r of rows.metrics) out.push(['metrics', r]);
  return out;
}

describe('rowToPayload', () => {
  it('round-trips every payload kind of the worked example through the table rows', () => {
    for (const ev of workedExampleEvents('p').events) {
      const [[table, row]] = rowsOf(ev) as [[BootstrapTable, Record<string, unknown>]];
      const { payload, time } = rowToPayload(table, row);
      expect(time).toBe(ev.time);
      expect(payload).toEqual(ev.payload);
    }
  });

  it('activities keep params and env; properties keep their type; metrics their step and time', () => {
    const events: ProvEvent[] = [
      { ...base, time: 5, payload: { type: 'activity', id: 'act:x', name: 'n', command: 'c', status: 'FAILED', startTime: 1, endTime: 4, exitCode: 2, workdir: '/w', params: { lr: '0.1' }, env: { A: 'b' } } },
      { ...base, time: 6, payload: { type: 'agent', id: 'agt:a', name: 'a', agentType: 'team', email: 'a@x' } },
      { ...base, time: 7, payload: { type: 'property', subject: 'act:x', key: 'n', value: { kind: 'number', value: 2.5 } } },
      { ...base, time: 7, payload: { type: 'property', subject: 'act:x', key: 'b', value: { kind: 'bool', value: false } } },
      { ...base, time: 7, payload: { type: 'property', subject: 'act:x', key: 'j', value: { kind: 'json', value: '{"a":1}' } } },
      { ...base, time: 7, payload: { type: 'property', subject: 'act:x', key: 's', value: { kind: 'string', value: 'v' } } },
      { ...base, time: 9, payload: { type: 'metric', subject: 'act:x', key: 'loss', step: 3, value: 0.25, time: 8 } },
    ];
    for (const ev of events) {
      const [[table, row]] = rowsOf(ev) as [[BootstrapTable, Record<string, unknown>]];
      expect(rowToPayload(table, row).payload).toEqual(ev.payload);
    }
  });

  it('the cursor is the row’s sort key', () => {
    expect(cursorOf('edges', { project: 'p', src: 'a', type: 'used', dst: 'b', valid_from: 3, event_id: 'e', role: '' })).toEqual(['p', 'a', 'used', 'b', 3, 'e']);
  });
});
