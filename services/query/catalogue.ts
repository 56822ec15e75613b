/**
 * The query catalogue: every SQL statement the services send to ClickHouse for reading, as
 * functions of their (bound) parameters. One place, so that catalogue.int.test.ts can run each
 * of them against the real server (18.16 here, current releases under Docker).
 */
import { sql, raw, inList } from '../lib/sql-literal.js';
import type { RawSql, SqlValue } from '../lib/sql-literal.js';
import { LINEAGE_EDGE_TYPES } from '../model/types.js';

/** Distinct events of a project that are queryable (duplicates count once). */
export function visibleEventCount(project: string): string {
  return sql`SELECT uniqExact(event_id) AS n FROM events_raw WHERE project = ${project}`;
}

/** The latest state of every vertex of a project (vertices keeps every state, by valid_from). */
export function latestVertices(project: string): RawSql {
  return raw(sql`
  SELECT id, argMax(kind, valid_from) AS kind, argMax(artifact, valid_from) AS artifact, argMax(version, valid_from) AS version,
         argMax(name, valid_from) AS name, argMax(status, valid_from) AS status, argMax(exit_code, valid_from) AS exit_code,
         argMax(params.key, valid_from) AS param_keys, argMax(params.value, valid_from) AS param_values
  FROM vertices FINAL WHERE project = ${project} GROUP BY id`);
}

/** How many distinct facts each table holds for a project. */
export function factCounts(project: string): string {
  return sql`
    SELECT 'vertices' AS table, toString(kind) AS what, uniqExact(id) AS n FROM vertices FINAL WHERE project = ${project} GROUP BY kind
    UNION ALL SELECT 'edges', toString(type), uniqExact(src, dst) FROM edges FINAL WHERE project = ${project} GROUP BY type
    UNION ALL SELECT 'properties', 'keys', uniqExact(subject, key) FROM properties FINAL WHERE project = ${project}
    UNION ALL SELECT 'metrics', 'points', count() FROM metrics FINAL WHERE project = ${project}`;
}

/** One step of an upstream lineage walk: the lineage edges leaving `frontier`, with labels. */
export function upstreamStep(project: string, frontier: readonly string[]): string {
  return sql`
    SELECT DISTINCT e.type AS type, e.src AS src, e.dst AS dst,
           if(v.kind = 'entity', concat(v.artifact, ' v', toString(v.version)), if(v.kind = 'activity', concat(v.name, ' (', v.status, ')'), v.name)) AS label
    FROM edges AS e ANY LEFT JOIN (${latestVertices(project)}) AS v ON e.dst = v.id
    WHERE e.project = ${project} AND e.src IN ${inList(frontier)} AND e.type IN ${inList(LINEAGE_EDGE_TYPES)}
    ORDER BY type, dst`;
}

/** One step of a downstream (impact) walk, served by edges_by_dst. */
export function downstreamStep(project: string, frontier: readonly string[]): string {
  return sql`
    SELECT DISTINCT type, src, dst FROM edges_by_dst
    WHERE project = ${project} AND dst IN ${inList(frontier)} AND type IN ${inList(LINEAGE_EDGE_TYPES)}
    ORDER BY type, src`;
}

/** Last value and length of every metric series of every run of a project. */
export function metricsByRun(project: string): string {
  return sql`
    SELECT v.name AS run, v.param_values[indexOf(v.param_keys, 'lr')] AS lr, v.status AS status, m.key AS metric,
           max(m.step) + 1 AS steps, round(argMax(m.value, m.step), 4) AS last
    FROM metrics AS m FINAL
    ANY INNER JOIN (${latestVertices(project)}) AS v ON m.subject = v.id
    WHERE m.project = ${project}
    GROUP BY run, lr, status, metric ORDER BY lr, metric`;
}

/** The latest value of every property of a subject. */
export function latestProperties(project: string, subject: string): string {
  return sql`
    SELECT key, argMax(value_type, valid_from) AS type, argMax(value_string, valid_from) AS value
    FROM properties FINAL WHERE project = ${project} AND subject = ${subject} GROUP BY key ORDER BY key`;
}

/** Dead letters by reason. */
export function deadLettersByReason(): string {
  return sql`SELECT reason_code, count() AS n FROM dead_letters FINAL GROUP BY reason_code ORDER BY reason_code`;
}

/**
 * What ClickHouse knows about one event id (the graph's `waitFor` for an id it does not remember):
 * a row `recorded` when events_raw holds it for `project` (primary key: project, event_id), and
 * its latest dead letter (`dead-lettered`, with the reason; dead_letters is keyed by source
 * offset, so that part scans the event_id column of a table that stays small).
 */
export function eventFate(project: string, eventId: string): string {
  return sql`
    SELECT * FROM (
      SELECT 'recorded' AS fate, project, '' AS reason_code, '' AS reason, toUInt64(0) AS time
      FROM events_raw WHERE project = ${project} AND event_id = ${eventId} LIMIT 1)
    UNION ALL
    SELECT * FROM (
      SELECT 'dead-lettered' AS fate, project, reason_code, reason, time
      FROM dead_letters WHERE event_id = ${eventId} ORDER BY time DESC LIMIT 1)`;
}

export interface AlertFilter {
  project?: string;
  ruleId?: string;
  /** Only these severities (e.g. ['warning', 'critical'] for "at least warning"). */
  severities?: readonly string[];
  limit: number;
}

/** The latest alerts (repeats of an alert collapse: FINAL), newest first (`provstream alerts`). */
export function recentAlerts(f: AlertFilter): string {
  const where: string[] = ['1 = 1'];
  if (f.project !== undefined) where.push(sql`project = ${f.project}`);
  if (f.ruleId !== undefined) where.push(sql`rule_id = ${f.ruleId}`);
  if (f.severities !== undefined) where.push(sql`severity IN ${inList(f.severities)}`);
  return sql`
    SELECT project, alert_id, rule_id, kind, toString(severity) AS severity, time, subject, dedup_key, message,
           value_json, threshold_json, details_json, event_ids, vertex_ids, notify
    FROM alerts FINAL WHERE ${raw(where.join(' AND '))}
    ORDER BY time DESC, alert_id LIMIT ${f.limit}`;
}

/**
 * Recorded events of a project for `provstream rules test --from-clickhouse`, in event-time
 * order (ties by event id: events_raw does not keep the Kafka order).
 */
export function eventsForReplay(project: string, sinceMs: number, limit: number): string {
  return sql`
    SELECT event_id, project, time, producer, schema_version, body FROM events_raw FINAL
    WHERE project = ${project} AND time >= ${sinceMs}
    ORDER BY time, event_id LIMIT ${limit}`;
}

// ---------------------------------------------------------------- fileviews (services/fileview)

/**
 * Every version of the fileview definitions of a project (or of one view), oldest first, with the
 * definition JSON (`{"name", "dropped": true}` for a drop) and when it was recorded.
 */
export function fileviewDefinitions(project: string, view: string | null): string {
  return sql`
    SELECT v.view_artifact AS artifact, v.view_version AS version, v.id AS id, v.defined_at AS defined_at, p.definition AS definition
    FROM (
      SELECT id, any(artifact) AS view_artifact, any(version) AS view_version, min(valid_from) AS defined_at
      FROM vertices FINAL
      WHERE project = ${project} AND kind = 'entity' AND entity_type = 'fileview' AND (${view === null} OR artifact = ${`fileview:${view ?? ''}`})
      GROUP BY id
    ) AS v
    ANY LEFT JOIN (
      SELECT subject AS id, argMax(value_string, valid_from) AS definition
      FROM properties FINAL WHERE project = ${project} AND key = 'fileview.definition' GROUP BY subject
    ) AS p USING id
    ORDER BY view_artifact, view_version`;
}

// ---------------------------------------------------------------- gateway: PROV-JSON export

/**
 * One step of the export walk: every edge (all types, with its role) leaving `frontier` in PROV
 * direction ('up': src in frontier, served by edges) or arriving at it ('down': dst in frontier,
 * served by edges_by_dst).
 */
export function exportEdgesAround(project: string, frontier: readonly string[], direction: 'up' | 'down'): string {
  return direction === 'up'
    ? sql`SELECT DISTINCT toString(type) AS type, src, dst, role FROM edges WHERE project = ${project} AND src IN ${inList(frontier)}`
    : sql`SELECT DISTINCT toString(type) AS type, src, dst, role FROM edges_by_dst WHERE project = ${project} AND dst IN ${inList(frontier)}`;
}

/**
 * The latest full state of each given vertex: one row per id, all columns from the same row (an
 * argMax over the whole row, so a tie on valid_from cannot mix two states).
 */
export function exportVertexStates(project: string, ids: readonly string[]): string {
  return sql`
    SELECT id, s.1 AS kind, s.2 AS artifact, s.3 AS version, s.4 AS content_hash, s.5 AS entity_type, s.6 AS size_bytes,
           s.7 AS name, s.8 AS command, s.9 AS status, s.10 AS start_time, s.11 AS end_time, s.12 AS exit_code, s.13 AS workdir,
           s.14 AS param_keys, s.15 AS param_values, s.16 AS env_keys, s.17 AS env_values, s.18 AS agent_type, s.19 AS email
    FROM (
      SELECT id, argMax(tuple(toString(kind), artifact, version, content_hash, entity_type, size_bytes, name, command, status,
                              start_time, end_time, exit_code, workdir, params.key, params.value, env.key, env.value, agent_type, email), valid_from) AS s
      FROM vertices FINAL WHERE project = ${project} AND id IN ${inList(ids)} GROUP BY id)
    ORDER BY id`;
}

/** The latest value of every property of the given subjects (vertex or edge ids). */
export function exportProperties(project: string, subjects: readonly string[]): string {
  return sql`
    SELECT subject, key, v.1 AS type, v.2 AS string, v.3 AS number, v.4 AS bool
    FROM (
      SELECT subject, key, argMax(tuple(toString(value_type), value_string, value_number, value_bool), valid_from) AS v
      FROM properties FINAL WHERE project = ${project} AND subject IN ${inList(subjects)} GROUP BY subject, key)
    ORDER BY subject, key`;
}

/** Every metric point of the given subjects. */
export function exportMetrics(project: string, subjects: readonly string[]): string {
  return sql`
    SELECT DISTINCT subject, key, step, value, time FROM metrics FINAL
    WHERE project = ${project} AND subject IN ${inList(subjects)} ORDER BY subject, key, step, time`;
}

// ---------------------------------------------------------------- graph service (services/graph)

/** The columns of a keyset cursor and their values (the sort key of the table being paged). */
export type KeysetCursor = readonly SqlValue[];

/**
 * `(c1, c2, …) > (v1, v2, …)` written as nested OR/AND, because 18.16 uses the primary key for
 * that form but not for tuple comparison (each page then reads only the rest of the table).
 */
function keysetAfter(columns: readonly string[], values: KeysetCursor | null): string {
  if (values === null) return '1 = 1';
  const at = (i: number): string => {
    const c = raw(columns[i]!);
    const v = values[i] ?? null;
    if (i === columns.length - 1) return sql`${c} > ${v}`;
    return sql`(${c} > ${v} OR (${c} = ${v} AND ${raw(at(i + 1))}))`;
  };
  return at(0);
}

function projectFilter(projects: readonly string[] | null): string {
  return projects === null ? '1 = 1' : sql`project IN ${inList(projects)}`;
}

/** Sort keys of the tables the graph bootstraps from (schemas/clickhouse/001_core_tables.sql). */
export const GRAPH_BOOTSTRAP_KEYS = {
  vertices: ['project', 'id', 'valid_from', 'event_id'],
  edges: ['project', 'src', 'type', 'dst', 'valid_from', 'event_id'],
  properties: ['project', 'subject', 'key', 'valid_from', 'event_id'],
  metrics: ['project', 'subject', 'key', 'step', 'time', 'event_id'],
} as const;

const GRAPH_BOOTSTRAP_COLUMNS: Record<keyof typeof GRAPH_BOOTSTRAP_KEYS, string> = {
  vertices: `project, id, kind, valid_from, event_id, artifact, version, content_hash, entity_type, size_bytes, name, command, status,
    start_time, end_time, exit_code, workdir, params.key AS param_keys, params.value AS param_values, env.key AS env_keys,
    env.value AS env_values, agent_type, email`,
  edges: 'project, type, src, dst, valid_from, event_id',
  properties: 'project, subject, key, value_type, value_string, value_number, value_bool, valid_from, event_id',
  metrics: 'project, subject, key, step, value, time, event_id',
};

/**
 * One page of a table the graph service bootstraps from, in sort-key order after `cursor` (the
 * sort key of the previous page's last row; null for the first page). Not FINAL: duplicates are
 * harmless (the graph applies idempotently) and FINAL would merge on every page. Every state of a
 * vertex comes in valid_from order, so the last one applied wins.
 */
export function graphBootstrapPage(table: keyof typeof GRAPH_BOOTSTRAP_KEYS, projects: readonly string[] | null, cursor: KeysetCursor | null, limit: number): string {
  const keys = GRAPH_BOOTSTRAP_KEYS[table];
  return sql`
    SELECT ${raw(GRAPH_BOOTSTRAP_COLUMNS[table])} FROM ${raw(table)}
    WHERE ${raw(projectFilter(projects))} AND ${raw(keysetAfter(keys, cursor))}
    ORDER BY ${raw(keys.join(', '))} LIMIT ${limit}`;
}

/** Rows per table the graph service will load (for bootstrap progress logs). */
export function graphBootstrapCounts(projects: readonly string[] | null): string {
  const where = raw(projectFilter(projects));
  return sql`
    SELECT 'vertices' AS table, count() AS n FROM vertices WHERE ${where}
    UNION ALL SELECT 'edges', count() FROM edges WHERE ${where}
    UNION ALL SELECT 'properties', count() FROM properties WHERE ${where}
    UNION ALL SELECT 'metrics', count() FROM metrics WHERE ${where}`;
}

/** A stored segment / summarize query (graph_queries). */
export function graphQuery(project: string, queryId: string): string {
  return sql`SELECT * FROM graph_queries FINAL WHERE project = ${project} AND query_id = ${queryId}`;
}

/** The vertices of a stored segment result (or of the segments a summarize query computed). */
export function segmentResultRows(project: string, queryId: string): string {
  return sql`
    SELECT segment, vertex_id, kind, label, role, to_source, from_destination, match_length, hops, graph_version
    FROM segment_results FINAL WHERE project = ${project} AND query_id = ${queryId}
    ORDER BY segment, role, vertex_id`;
}

/** A stored summary: vertices with frequencies, then (summaryEdgeRows) its edges. */
export function summaryVertexRows(project: string, queryId: string): string {
  return sql`
    SELECT block, kind, label, members, segments, vertex_ids, numeric.key AS numeric_keys, numeric.mean AS numeric_means,
      top_values.key AS value_keys, top_values.value AS top_values, top_values.count AS top_counts
    FROM summary_vertices FINAL WHERE project = ${project} AND query_id = ${queryId} ORDER BY block`;
}

/** Which summary vertex each input node (segment, vertex) of a summarize query went to. */
export function summaryMemberRows(project: string, queryId: string): string {
  return sql`
    SELECT segment, vertex_id, block
    FROM summary_members FINAL WHERE project = ${project} AND query_id = ${queryId} ORDER BY segment, vertex_id`;
}

export function summaryEdgeRows(project: string, queryId: string): string {
  return sql`
    SELECT type, src_block, dst_block, frequency, segments, time_min, time_max, time_mean
    FROM summary_edges FINAL WHERE project = ${project} AND query_id = ${queryId} ORDER BY src_block, type, dst_block`;
}
