/**
 * The ingest mapping against the real ClickHouse: TABLE_COLUMNS lists exactly the columns of each
 * table (a column added by a migration but not written would silently stay empty), and values
 * with every character TSV escapes come back unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/helpers.js';
import { TableSink } from './sinks.js';
import { TABLES, TABLE_COLUMNS, addEventRows, emptyRows, tsvTablesOf } from './rows.js';
import type { ProvEvent } from '../model/types.js';
import { activityId, entityId } from '../model/ids.js';
import { sql } from '../lib/sql-literal.js';

const NASTY = 'tab\there, newline\nthere, cr\r, nul\0, back\\slash, \'single\' "double" é 𝄞 \\N [x]';

describe('ingest rows on the real server', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('rows');
  });
  afterAll(async () => db?.drop());

  it('TABLE_COLUMNS names every column of every ingest table, and nothing else', async () => {
    for (const t of TABLES) {
      const cols = await db.query<{ name: string }>(sql`SELECT name FROM system.columns WHERE database = ${db.database} AND table = ${t}`);
      expect(TABLE_COLUMNS[t].map((c) => c.name).sort(), t).toEqual(cols.map((c) => c.name).sort());
    }
  });

  it('strings with every escaped character, arrays, nulls and floats come back exactly', async () => {
    const act = activityId('rows-nasty');
    const ent = entityId(NASTY, 'sha256:' + 'a'.repeat(64));
    const base = { project: 'rows', time: 1_764_000_000_000, producer: NASTY, schemaVersion: 1 };
    const events: ProvEvent[] = [
      { ...base, eventId: '00000000-0000-4000-8000-000000000001', payload: { type: 'activity', id: act, name: NASTY, command: NASTY, status: 'FAILED', startTime: 1, endTime: null, exitCode: -9, workdir: NASTY, params: { [NASTY]: NASTY, "it's": '' }, env: {} } },
      { ...base, eventId: '00000000-0000-4000-8000-000000000002', payload: { type: 'entity', id: ent, artifact: NASTY, contentHash: 'sha256:' + 'a'.repeat(64), version: null, entityType: NASTY, sizeBytes: 2 ** 40 } },
      { ...base, eventId: '00000000-0000-4000-8000-000000000003', payload: { type: 'property', subject: act, key: NASTY, value: { kind: 'number', value: -1.25e-7 } } },
      { ...base, eventId: '00000000-0000-4000-8000-000000000004', payload: { type: 'metric', subject: act, key: NASTY, step: -3, value: 1e21, time: 5 } },
      { ...base, eventId: '00000000-0000-4000-8000-000000000005', payload: { type: 'relation', relation: 'wasGeneratedBy', from: ent, to: act, role: NASTY } },
    ];
    const rows = emptyRows();
    for (const e of events) addEventRows(e, rows);
    await new TableSink(db).write(tsvTablesOf(rows));
    for (const t of TABLES) {
      if (rows[t].length === 0) continue;
      const got = await db.query<Record<string, unknown>>(`SELECT * FROM ${t} ORDER BY event_id`);
      const want = [...rows[t]].sort((a, b) => String(a['event_id']).localeCompare(String(b['event_id'])));
      expect(got, t).toEqual(want.map((r) => Object.fromEntries(Object.keys(got[0]!).map((k) => [k, r[k]]))));
    }
  });
});
