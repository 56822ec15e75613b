import { describe, expect, it } from 'vitest';
import { decodeRowChunk, encodeRowChunks, fileviewTableRows, rowsKey, MAX_CHUNK_CHARS } from './rows.js';
import type { Row } from './definition.js';
import { validateEvent } from '../../model/validate.js';
import { addEventRows, emptyRows } from '../../ingest/rows.js';
import type { ProvEvent } from '../../model/types.js';

const head = { view: 'metrics', viewVersion: 2, viewId: 'ent:' + 'a'.repeat(32), artifact: 'reports/m.json' };
const SUBJECT = 'ent:' + 'b'.repeat(32);

function event(key: string, value: string, eventId = '00000000-0000-4000-8000-000000000001'): ProvEvent {
  return { eventId, project: 'p', time: 1_764_000_000_000, producer: 't', schemaVersion: 1, payload: { type: 'property', subject: SUBJECT, key, value: { kind: 'json', value } } };
}

describe('fileview rows through the event model', () => {
  it('no rows, no chunks', () => expect(encodeRowChunks(head, [])).toEqual([]));

  it('chunks stay under the limit, number rows continuously and decode back', () => {
    const rows: Row[] = Array.from({ length: 3000 }, (_, i) => ({ epoch: String(i), loss: (1 / (i + 1)).toFixed(6), note: 'x'.repeat(20) }));
    const chunks = encodeRowChunks(head, rows);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    const decoded = chunks.map((c) => decodeRowChunk(c)!);
    expect(decoded.flatMap((d) => d.rows)).toEqual(rows);
    let next = 0;
    for (const d of decoded) {
      expect(d.firstRow).toBe(next);
      next += d.rows.length;
    }
  });

  it('a single huge row is cut to fit', () => {
    const [chunk, ...rest] = encodeRowChunks(head, [{ a: 'x'.repeat(200_000), b: 'y'.repeat(200_000) }]);
    expect(rest).toEqual([]);
    expect(chunk!.length).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    expect(Object.keys(decodeRowChunk(chunk!)!.rows[0]!)).toEqual(['a', 'b']);
  });

  it('a chunk is a valid property event, and ingest maps it to fileview_rows, not properties', () => {
    const [chunk] = encodeRowChunks(head, [{ accuracy: '0.93' }, { accuracy: '0.95', loss: '0.1' }]);
    const ev = event(rowsKey('metrics'), chunk!);
    expect(validateEvent(ev).ok).toBe(true);
    const out = emptyRows();
    addEventRows(ev, out);
    expect(out.properties).toEqual([]);
    expect(out.events_raw).toHaveLength(1);
    expect(out.fileview_rows).toEqual([
      { project: 'p', view: 'metrics', view_version: 2, view_id: head.viewId, entity_id: SUBJECT, artifact: 'reports/m.json', row_number: 0, 'columns.key': ['accuracy'], 'columns.value': ['0.93'], valid_from: ev.time, event_id: ev.eventId },
      { project: 'p', view: 'metrics', view_version: 2, view_id: head.viewId, entity_id: SUBJECT, artifact: 'reports/m.json', row_number: 1, 'columns.key': ['accuracy', 'loss'], 'columns.value': ['0.95', '0.1'], valid_from: ev.time, event_id: ev.eventId },
    ]);
  });

  const notRows: Array<[string, string, string]> = [
    ['another key', 'fileview.definition', JSON.stringify({ ...head, firstRow: 0, rows: [] })],
    ['view name differs from the key', rowsKey('other'), JSON.stringify({ ...head, firstRow: 0, rows: [] })],
    ['rows are not string maps', rowsKey('metrics'), JSON.stringify({ ...head, firstRow: 0, rows: [{ a: 1 }] })],
    ['missing firstRow', rowsKey('metrics'), JSON.stringify({ ...head, rows: [] })],
  ];
  for (const [name, key, value] of notRows) {
    it(`kept as an ordinary property when it is not a rows chunk: ${name}`, () => {
      expect(fileviewTableRows({ project: 'p', eventId: 'e', time: 1 }, { subject: SUBJECT, key, value: { kind: 'json', value } })).toBeNull();
      const out = emptyRows();
      addEventRows(event(key, value), out);
      expect(out.properties).toHaveLength(1);
      expect(out.fileview_rows).toEqual([]);
    });
  }
});
