/**
 * Event -> table rows (SPEC §3). Pure. Column names match schemas/clickhouse/001_core_tables.sql
 * (and 003_fileviews.sql for fileview_rows).
 */
import type { ProvEvent } from '../model/types.js';
import { canonicalJson } from '../model/canonical.js';
import { fileviewTableRows } from '../fileview/core/rows.js';

export const TABLES = ['events_raw', 'vertices', 'edges', 'properties', 'metrics', 'fileview_rows'] as const;
export type Table = (typeof TABLES)[number];
export type Row = Record<string, unknown>;
export type RowsByTable = Record<Table, Row[]>;

export function emptyRows(): RowsByTable {
  return { events_raw: [], vertices: [], edges: [], properties: [], metrics: [], fileview_rows: [] };
}

/** JSON with object keys sorted at every level: the same fact always has the same body text. */
export { canonicalJson };

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

const VERTEX_DEFAULTS = {
  artifact: '', version: null, content_hash: '', entity_type: '', size_bytes: null,
  name: '', command: '', status: '', start_time: null, end_time: null, exit_code: null, workdir: '',
  'params.key': [], 'params.value': [], 'env.key': [], 'env.value': [], agent_type: '', email: '',
};

/** Appends the rows one event maps to. */
export function addEventRows(ev: ProvEvent, out: RowsByTable): void {
  const base = { project: ev.project, event_id: ev.eventId };
  out.events_raw.push({
    ...base,
    time: ev.time,
    producer: ev.producer,
    schema_version: ev.schemaVersion,
    payload_type: ev.payload.type,
    subject: subjectOf(ev),
    body: canonicalJson(ev.payload),
  });
  const p = ev.payload;
  switch (p.type) {
    case 'entity':
      out.vertices.push({
        ...VERTEX_DEFAULTS, ...base, id: p.id, kind: 'entity', valid_from: ev.time,
        artifact: p.artifact, version: p.version, content_hash: p.contentHash, entity_type: p.entityType, size_bytes: p.sizeBytes,
      });
      return;
    case 'activity':
      out.vertices.push({
        ...VERTEX_DEFAULTS, ...base, id: p.id, kind: 'activity', valid_from: ev.time,
        name: p.name, command: p.command, status: p.status, start_time: p.startTime, end_time: p.endTime,
        exit_code: p.exitCode, workdir: p.workdir ?? '',
        'params.key': Object.keys(p.params), 'params.value': Object.values(p.params),
        'env.key': Object.keys(p.env), 'env.value': Object.values(p.env),
      });
      return;
    case 'agent':
      out.vertices.push({ ...VERTEX_DEFAULTS, ...base, id: p.id, kind: 'agent', valid_from: ev.time, name: p.name, agent_type: p.agentType, email: p.email ?? '' });
      return;
    case 'relation':
      out.edges.push({ ...base, type: p.relation, src: p.from, dst: p.to, role: p.role ?? '', valid_from: ev.time });
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
        ...base, subject: p.subject, key: p.key, value_type: v.kind,
        value_string: v.kind === 'string' || v.kind === 'json' ? v.value : v.kind === 'number' ? String(v.value) : v.value ? 'true' : 'false',
        value_number: v.kind === 'number' ? v.value : v.kind === 'bool' ? Number(v.value) : 0,
        value_bool: v.kind === 'bool' ? Number(v.value) : 0,
        valid_from: ev.time,
      });
      return;
    }
    case 'metric':
      out.metrics.push({ ...base, subject: p.subject, key: p.key, step: p.step, value: p.value, time: p.time });
      return;
  }
}
