/**
 * Event -> table rows (SPEC §3). Pure. Column names match schemas/clickhouse/001_core_tables.sql
 * (and 003_fileviews.sql for fileview_rows).
 */
import type { Payload, ProvEvent, VertexKind } from '../model/types.js';
import { PAYLOAD_FIELDS } from '../model/codec.js';
import { canonicalJson } from '../model/canonical.js';
import { fileviewTableRows } from '../fileview/core/rows.js';
import { encodeTsv } from '../lib/tsv.js';
import type { TsvColumn, TsvKind } from '../lib/tsv.js';

export const TABLES = ['events_raw', 'vertices', 'edges', 'properties', 'metrics', 'fileview_rows'] as const;
export type Table = (typeof TABLES)[number];
export type Row = Record<string, unknown>;
export type RowsByTable = Record<Table, Row[]>;

const col = (name: string, kind: TsvKind): TsvColumn => ({ name, kind });
const str = (...names: string[]) => names.map((n) => col(n, 'string'));

/**
 * The columns ingest writes, per table, with how each is encoded for a TabSeparated insert
 * (services/lib/tsv.ts). rows.int.test.ts checks them against the tables ClickHouse has.
 */
export const TABLE_COLUMNS: Record<Table, readonly TsvColumn[]> = {
  events_raw: [...str('project', 'event_id'), col('time', 'int'), str('producer')[0]!, col('schema_version', 'int'), ...str('payload_type', 'subject', 'body')],
  vertices: [
    ...str('project', 'event_id', 'id', 'kind'), col('valid_from', 'int'), ...str('artifact'), col('version', 'nullable-int'), ...str('content_hash', 'entity_type'), col('size_bytes', 'nullable-int'),
    ...str('name', 'command', 'status'), col('start_time', 'nullable-int'), col('end_time', 'nullable-int'), col('exit_code', 'nullable-int'), ...str('workdir'),
    col('params.key', 'string-array'), col('params.value', 'string-array'), col('env.key', 'string-array'), col('env.value', 'string-array'), ...str('agent_type', 'email'),
  ],
  edges: [...str('project', 'event_id', 'type', 'src', 'dst', 'role'), col('valid_from', 'int')],
  properties: [...str('project', 'event_id', 'subject', 'key', 'value_type', 'value_string'), col('value_number', 'float'), col('value_bool', 'int'), col('valid_from', 'int')],
  metrics: [...str('project', 'event_id', 'subject', 'key'), col('step', 'int'), col('value', 'float'), col('time', 'int')],
  fileview_rows: [
    ...str('project', 'view'), col('view_version', 'int'), ...str('view_id', 'entity_id', 'artifact'), col('row_number', 'int'),
    col('columns.key', 'string-array'), col('columns.value', 'string-array'), col('valid_from', 'int'), str('event_id')[0]!,
  ],
};

/** A record with one value per table, made by `init`. */
export function perTable<T>(init: (t: Table) => T): Record<Table, T> {
  return { events_raw: init('events_raw'), vertices: init('vertices'), edges: init('edges'), properties: init('properties'), metrics: init('metrics'), fileview_rows: init('fileview_rows') };
}

export function emptyRows(): RowsByTable {
  return perTable(() => []);
}

/** JSON with object keys sorted at every level: the same fact always has the same body text. */
export { canonicalJson };

/** Per payload type, its keys (schema fields + `type`) in canonical (sorted) order. */
const SORTED_KEYS = new Map<string, readonly string[]>([...PAYLOAD_FIELDS].map(([t, fields]) => [t, [...fields, 'type'].sort()]));

/**
 * canonicalJson(payload), byte for byte, without sorting keys per event: a payload decoded from
 * Avro has exactly its schema's fields, whose sorted order is known. Sorting and concatenating
 * per object made ~40% of the ingest consumer's garbage. Anything else (a missing, extra or
 * undefined field) takes the general path.
 */
export function payloadBodyJson(p: Payload): string {
  const keys = SORTED_KEYS.get(p.type);
  if (!keys) return canonicalJson(p);
  let count = 0;
  for (const _ in p) count++;
  if (count !== keys.length) return canonicalJson(p);
  const o = p as unknown as Record<string, unknown>;
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = o[k];
    if (v === undefined) return canonicalJson(p);
    out += (i === 0 ? '"' : ',"') + k + '":' + (v !== null && typeof v === 'object' ? canonicalJson(v) : JSON.stringify(v));
  }
  return out + '}';
}

function subjectOf(ev: ProvEvent): string {
  const p = ev.payload;
  switch (p.type) {
    case 'relation':
      return p.from;
    case 'property':
    case 'metric':
      return p.subject;
    default:
      return p.id;
  }
}

/**
 * A vertices row with every column at its "unknown" value. Plain object literals, not spreads:
 * this runs for every event and spreads cost ~10x more (measured by bench-ingest).
 */
function vertexRow(ev: ProvEvent, id: string, kind: VertexKind): Row {
  return {
    project: ev.project, event_id: ev.eventId, id, kind, valid_from: ev.time,
    artifact: '', version: null, content_hash: '', entity_type: '', size_bytes: null,
    name: '', command: '', status: '', start_time: null, end_time: null, exit_code: null, workdir: '',
    'params.key': EMPTY, 'params.value': EMPTY, 'env.key': EMPTY, 'env.value': EMPTY, agent_type: '', email: '',
  };
}
const EMPTY: readonly string[] = [];

/** Appends the rows one event maps to. */
export function addEventRows(ev: ProvEvent, out: RowsByTable): void {
  out.events_raw.push({
    project: ev.project,
    event_id: ev.eventId,
    time: ev.time,
    producer: ev.producer,
    schema_version: ev.schemaVersion,
    payload_type: ev.payload.type,
    subject: subjectOf(ev),
    body: payloadBodyJson(ev.payload),
  });
  const p = ev.payload;
  switch (p.type) {
    case 'entity': {
      const r = vertexRow(ev, p.id, 'entity');
      r['artifact'] = p.artifact;
      r['version'] = p.version;
      r['content_hash'] = p.contentHash;
      r['entity_type'] = p.entityType;
      r['size_bytes'] = p.sizeBytes;
      out.vertices.push(r);
      return;
    }
    case 'activity': {
      const r = vertexRow(ev, p.id, 'activity');
      r['name'] = p.name;
      r['command'] = p.command;
      r['status'] = p.status;
      r['start_time'] = p.startTime;
      r['end_time'] = p.endTime;
      r['exit_code'] = p.exitCode;
      r['workdir'] = p.workdir ?? '';
      r['params.key'] = Object.keys(p.params);
      r['params.value'] = Object.values(p.params);
      r['env.key'] = Object.keys(p.env);
      r['env.value'] = Object.values(p.env);
      out.vertices.push(r);
      return;
    }
    case 'agent': {
      const r = vertexRow(ev, p.id, 'agent');
      r['name'] = p.name;
      r['agent_type'] = p.agentType;
      r['email'] = p.email ?? '';
      out.vertices.push(r);
      return;
    }
    case 'relation':
      out.edges.push({ project: ev.project, event_id: ev.eventId, type: p.relation, src: p.from, dst: p.to, role: p.role ?? '', valid_from: ev.time });
      return;
    case 'property': {
      // Fileview rows travel as reserved-key properties (services/fileview/core/rows.ts).
      const fileviewRows = fileviewTableRows(ev, p);
      if (fileviewRows) {
        out.fileview_rows.push(...fileviewRows);
        return;
      }
      const v = p.value;
      out.properties.push({
        project: ev.project, event_id: ev.eventId, subject: p.subject, key: p.key, value_type: v.kind,
        value_string: v.kind === 'string' || v.kind === 'json' ? v.value : v.kind === 'number' ? String(v.value) : v.value ? 'true' : 'false',
        value_number: v.kind === 'number' ? v.value : v.kind === 'bool' ? Number(v.value) : 0,
        value_bool: v.kind === 'bool' ? Number(v.value) : 0,
        valid_from: ev.time,
      });
      return;
    }
    case 'metric':
      out.metrics.push({ project: ev.project, event_id: ev.eventId, subject: p.subject, key: p.key, step: p.step, value: p.value, time: p.time });
      return;
  }
}

/** Rows already encoded for insertion: per table, TabSeparated lines (TABLE_COLUMNS order) and how many. */
export interface TsvTables {
  text: Record<Table, string>;
  rows: Record<Table, number>;
}

/**
 * Builds TsvTables event by event: each event's rows are encoded as soon as they exist, so the row
 * objects (and the decoded event) die young and only the text lives until the insert. Keeping a
 * whole batch of row objects alive made the young-generation collections copy and promote them:
 * ~30% of the consumer's CPU went to the garbage collector.
 */
export class TsvTablesBuilder {
  private readonly scratch = emptyRows();
  private readonly parts = perTable((): string[] => []);
  private readonly counts = perTable(() => 0);

  addEvent(ev: ProvEvent): void {
    addEventRows(ev, this.scratch);
    for (const t of TABLES) {
      const rows = this.scratch[t];
      if (rows.length === 0) continue;
      const text = encodeTsv(rows, TABLE_COLUMNS[t]);
      text.charCodeAt(0); // flattens the concatenation now, while its pieces are young garbage
      this.parts[t].push(text);
      this.counts[t] += rows.length;
      rows.length = 0;
    }
  }

  build(): TsvTables {
    return { text: perTable((t) => this.parts[t].join('')), rows: { ...this.counts } };
  }
}

/** TsvTables of rows built elsewhere (tests, tools). */
export function tsvTablesOf(rows: RowsByTable): TsvTables {
  return { text: perTable((t) => encodeTsv(rows[t], TABLE_COLUMNS[t])), rows: perTable((t) => rows[t].length) };
}
