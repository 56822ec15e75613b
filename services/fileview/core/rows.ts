/**
 * How fileview rows travel and land (decision: through Kafka like every other fact, without a
 * schema change). Pure; used by the capture side (encode) and by ingest (decode into the
 * `fileview_rows` table of schemas/clickhouse/003_fileviews.sql).
 *
 * The rows one view version yields for one entity version are sent as property events on that
 * entity with the reserved key `fileview.rows:<view>` and a JSON value
 *   {"view","viewVersion","viewId","artifact","firstRow","rows":[{column: value, …}, …]}
 * split into chunks that stay under the event validator's string limit (row numbers continue
 * across chunks via `firstRow`). Ingest maps such a property to fileview_rows rows instead of a
 * `properties` row; a property under the reserved prefix that does not have this shape is kept
 * as an ordinary property (nothing is dropped).
 */
import type { Row } from './definition.js';

export const ROWS_KEY_PREFIX = 'fileview.rows:';
/** Below validate.ts's 64 KiB string limit, with room for the envelope fields. */
export const MAX_CHUNK_CHARS = 60_000;

export interface RowsChunk {
  view: string;
  viewVersion: number;
  viewId: string;
  artifact: string;
  firstRow: number;
  rows: Row[];
}

export function rowsKey(view: string): string {
  return ROWS_KEY_PREFIX + view;
}

/** Cuts values so that the row's JSON fits in `limit` characters (only ever needed for huge rows). */
function fitRow(row: Row, limit: number): Row {
  if (JSON.stringify(row).length <= limit) return row;
  const entries = Object.entries(row);
  const each = Math.max(0, Math.floor(limit / Math.max(1, entries.length)) - 16);
  const out: Row = {};
  for (const [k, v] of entries) if (JSON.stringify(out).length + k.length + each < limit) out[k.slice(0, 128)] = v.slice(0, Math.max(0, each - k.length));
  return out;
}

/** The chunks (JSON texts) for one evaluation, in row order; none for no rows. */
export function encodeRowChunks(head: Omit<RowsChunk, 'firstRow' | 'rows'>, rows: readonly Row[], limit = MAX_CHUNK_CHARS): string[] {
  const out: string[] = [];
  const overhead = JSON.stringify({ ...head, firstRow: rows.length, rows: [] }).length;
  let chunk: Row[] = [];
  let size = overhead;
  let first = 0;
  const flush = () => {
    if (chunk.length) out.push(JSON.stringify({ ...head, firstRow: first, rows: chunk }));
    first += chunk.length;
    chunk = [];
    size = overhead;
  };
  for (const r of rows) {
    const row = fitRow(r, limit - overhead - 2);
    const len = JSON.stringify(row).length + 1;
    if (chunk.length && size + len > limit) flush();
    chunk.push(row);
    size += len;
  }
  flush();
  return out;
}

/** Parses a chunk; null when the text is not a well-formed chunk. */
export function decodeRowChunk(json: string): RowsChunk | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  const c = v as Partial<RowsChunk> | null;
  if (!c || typeof c !== 'object' || typeof c.view !== 'string' || typeof c.viewId !== 'string' || typeof c.artifact !== 'string') return null;
  if (!Number.isInteger(c.viewVersion) || (c.viewVersion as number) < 1 || !Number.isInteger(c.firstRow) || (c.firstRow as number) < 0 || !Array.isArray(c.rows)) return null;
  for (const r of c.rows) {
    if (!r || typeof r !== 'object' || Array.isArray(r) || !Object.values(r).every((x) => typeof x === 'string')) return null;
  }
  return c as RowsChunk;
}

/**
 * The fileview_rows rows of a property event, or null when it is not a well-formed rows chunk
 * (then it is an ordinary property). Column names match 003_fileviews.sql.
 */
export function fileviewTableRows(
  ev: { project: string; eventId: string; time: number },
  p: { subject: string; key: string; value: { kind: string; value: unknown } },
): Array<Record<string, unknown>> | null {
  if (!p.key.startsWith(ROWS_KEY_PREFIX) || p.value.kind !== 'json' || typeof p.value.value !== 'string') return null;
  const c = decodeRowChunk(p.value.value);
  if (!c || c.view !== p.key.slice(ROWS_KEY_PREFIX.length)) return null;
  return c.rows.map((row, i) => ({
    project: ev.project,
    view: c.view,
    view_version: c.viewVersion,
    view_id: c.viewId,
    entity_id: p.subject,
    artifact: c.artifact,
    row_number: c.firstRow + i,
    'columns.key': Object.keys(row),
    'columns.value': Object.values(row),
    valid_from: ev.time,
    event_id: ev.eventId,
  }));
}
