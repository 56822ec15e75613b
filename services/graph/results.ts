/**
 * Where segment and summarize results go: the ClickHouse tables of
 * schemas/clickhouse/004_graph_results.sql (ClickHouseResultSink), and the Redis answer cache
 * (RedisResultCache). Row mapping is pure and exported for tests. Also what ClickHouse knows
 * about a waited-for event id (ClickHouseEventLookup, for event-wait.ts).
 *
 * Write order: result rows first, graph_queries last, so a query listed in graph_queries has all
 * its rows (the same rule as ingest's events_raw). Writes are idempotent: the query id is a hash
 * of the request and the graph version, and the tables are ReplacingMergeTrees on it.
 */
import type { Redis } from 'ioredis';
import type { Warehouse } from '../lib/clickhouse.js';
import { wrapRedisError } from '../lib/redis.js';
import type { ResultCache, ResultSink, SegmentAnswer, StoredQuery, SummaryAnswer } from './operations.js';
import type { Summary } from './core/summarize.js';
import { eventFate } from '../query/catalogue.js';
import type { EventFacts, EventLookup } from './event-wait.js';

type Row = Record<string, unknown>;

export function segmentRows(q: StoredQuery, segment: number, r: SegmentAnswer): { vertices: Row[]; edges: Row[] } {
  const base = { query_id: q.queryId, project: q.project, segment };
  return {
    vertices: r.vertices.map((v) => ({
      ...base,
      graph_epoch: q.graph.epoch,
      graph_version: q.graph.version,
      vertex_id: v.id,
      kind: v.kind,
      label: v.label,
      role: v.role,
      to_source: v.toSource,
      from_destination: v.fromDestination,
      match_length: v.matchLength,
      hops: v.hops,
    })),
    edges: r.edges.map((e) => ({ ...base, type: e.type, src: e.from, dst: e.to, time: Math.max(0, Math.round(e.time)) })),
  };
}

export function queryRow(q: StoredQuery, operation: 'segment' | 'summarize', vertices: number, edges: number, s: SummaryAnswer | null): Row {
  return {
    query_id: q.queryId,
    project: q.project,
    operation,
    request: q.request,
    graph_epoch: q.graph.epoch,
    graph_version: q.graph.version,
    created_at: q.createdAt,
    took_ms: Math.max(0, Math.round(q.tookMs)),
    vertices,
    edges,
    input_vertices: s?.input.vertices ?? null,
    input_edges: s?.input.edges ?? null,
    compaction: s?.compaction ?? null,
    rounds: s?.rounds ?? null,
    stable: s === null ? null : Number(s.stable),
    path_check_length: s?.pathCheck.maxLength ?? null,
    path_check_ok: s === null ? null : Number(s.pathCheck.ok),
  };
}

export function summaryRows(q: StoredQuery, s: SummaryAnswer): { vertices: Row[]; edges: Row[] } {
  const base = { query_id: q.queryId, project: q.project };
  return {
    vertices: s.vertices.map((v) => {
      const numeric = Object.entries(v.numeric);
      const values = Object.entries(v.values).flatMap(([key, x]) => x.top.map((t) => ({ key, value: String(t.value), count: t.count })));
      const valueKeys = Object.entries(v.values);
      return {
        ...base,
        graph_epoch: q.graph.epoch,
        graph_version: q.graph.version,
        block: v.block,
        kind: v.kind,
        label: v.label,
        label_values: JSON.stringify(v.labelValues),
        members: v.members,
        segments: v.segments,
        vertex_ids: v.vertexIds,
        'numeric.key': numeric.map(([k]) => k),
        'numeric.count': numeric.map(([, a]) => a.count),
        'numeric.min': numeric.map(([, a]) => a.min),
        'numeric.max': numeric.map(([, a]) => a.max),
        'numeric.mean': numeric.map(([, a]) => a.mean),
        'value_keys.key': valueKeys.map(([k]) => k),
        'value_keys.count': valueKeys.map(([, x]) => x.count),
        'value_keys.distinct': valueKeys.map(([, x]) => x.distinct),
        'top_values.key': values.map((x) => x.key),
        'top_values.value': values.map((x) => x.value),
        'top_values.count': values.map((x) => x.count),
      };
    }),
    edges: s.edges.map((e) => ({ ...base, type: e.type, src_block: e.from, dst_block: e.to, frequency: e.frequency, segments: e.segments, time_min: e.time.min, time_max: e.time.max, time_mean: e.time.mean })),
  };
}

export class ClickHouseResultSink implements ResultSink {
  constructor(private readonly wh: Warehouse) {}

  async storeSegment(q: StoredQuery, r: SegmentAnswer): Promise<void> {
    const rows = segmentRows(q, 0, r);
    await this.wh.insert('segment_results', rows.vertices);
    await this.wh.insert('segment_edges', rows.edges);
    await this.wh.insert('graph_queries', [queryRow(q, 'segment', r.vertices.length, r.edges.length, null)]);
  }

  async storeSummary(q: StoredQuery, s: SummaryAnswer, segments: ReadonlyArray<{ index: number; answer: SegmentAnswer }>, members: Summary['members']): Promise<void> {
    const seg = segments.map(({ index, answer }) => segmentRows(q, index, answer));
    await this.wh.insert('segment_results', seg.flatMap((x) => x.vertices));
    await this.wh.insert('segment_edges', seg.flatMap((x) => x.edges));
    const rows = summaryRows(q, s);
    await this.wh.insert('summary_vertices', rows.vertices);
    await this.wh.insert('summary_edges', rows.edges);
    await this.wh.insert('summary_members', members.map((m) => ({ query_id: q.queryId, project: q.project, segment: m.segment, vertex_id: m.id, block: m.block })));
    await this.wh.insert('graph_queries', [queryRow(q, 'summarize', s.vertices.length, s.edges.length, s)]);
  }
}

/** Answers cached under the caller's key (it carries the configured prefix) with a TTL. */
export class RedisResultCache implements ResultCache {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<string | null> {
    try {
      return await this.redis.get(key);
    } catch (err) {
      throw wrapRedisError(err, `GET ${key}`);
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.set(key, value, 'EX', ttlSeconds);
    } catch (err) {
      throw wrapRedisError(err, `SET ${key}`);
    }
  }
}

export interface EventFateRow {
  fate: string;
  project: string;
  reason_code: string;
  reason: string;
  time: number | string;
}

/** The rows of catalogue.eventFate → EventFacts. */
export function eventFactsOf(rows: readonly EventFateRow[]): EventFacts {
  const dead = rows.find((r) => r.fate === 'dead-lettered');
  return {
    recorded: rows.some((r) => r.fate === 'recorded'),
    deadLetter: dead ? { reasonCode: dead.reason_code, reason: dead.reason, project: dead.project, time: Number(dead.time) } : null,
  };
}

/** events_raw and dead_letters, asked about one event id. */
export class ClickHouseEventLookup implements EventLookup {
  constructor(private readonly wh: Warehouse) {}

  async find(project: string, eventId: string): Promise<EventFacts> {
    return eventFactsOf(await this.wh.query<EventFateRow>(eventFate(project, eventId)));
  }
}
