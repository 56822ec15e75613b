/**
 * Bootstrap: loads the live graphs from the ClickHouse tables at start (SPEC §4 "rebuilds from
 * ClickHouse on start"), page by page in each table's sort-key order (keyset pagination on the
 * primary key, queries in services/query/catalogue.ts), logging progress per page.
 *
 * Order: vertices, edges, properties, metrics. Every row goes through ProjectGraph.apply, the same
 * mapping the stream uses, so a bootstrapped graph equals one built from the events (the graph's
 * idempotence and order independence make the table order irrelevant to the result).
 *
 * Cost note: 18.16 cannot read in sort-key order, so each page re-reads the rest of the table
 * through the primary-key index (O(rows²/pageRows) rows read in total); larger pages trade memory
 * for fewer passes. Current releases (optimize_read_in_order) read each page once.
 */
import type { Warehouse } from '../lib/clickhouse.js';
import type { Logger } from '../lib/log.js';
import type { Payload, PropertyValue } from '../model/types.js';
import { GRAPH_BOOTSTRAP_KEYS, graphBootstrapCounts, graphBootstrapPage, type KeysetCursor } from '../query/catalogue.js';
import type { BootstrapInfo, Freshness } from './freshness.js';
import type { ProjectGraphs } from './project-graph.js';

export type BootstrapTable = keyof typeof GRAPH_BOOTSTRAP_KEYS;
export const BOOTSTRAP_TABLES: readonly BootstrapTable[] = ['vertices', 'edges', 'properties', 'metrics'];

type Row = Record<string, unknown>;

export interface BootstrapOptions {
  pageRows: number;
  /** Projects to load (null: all). */
  projects: readonly string[] | null;
  signal?: AbortSignal;
  now?: () => number;
}

/** A table row as the payload the stream would have carried, and the time to apply it at. */
export function rowToPayload(table: BootstrapTable, r: Row): { payload: Payload; time: number } {
  const s = (k: string): string => String(r[k] ?? '');
  const n = (k: string): number | null => (r[k] === null || r[k] === undefined ? null : Number(r[k]));
  switch (table) {
    case 'vertices': {
      const time = Number(r['valid_from']);
      if (r['kind'] === 'entity') {
        return { time, payload: { type: 'entity', id: s('id'), artifact: s('artifact'), version: n('version'), contentHash: s('content_hash'), entityType: s('entity_type'), sizeBytes: n('size_bytes') } };
      }
      if (r['kind'] === 'activity') {
        return {
          time,
          payload: {
            type: 'activity', id: s('id'), name: s('name'), command: s('command'), status: s('status') as 'COMPLETED',
            startTime: n('start_time'), endTime: n('end_time'), exitCode: n('exit_code'), workdir: s('workdir') || null,
            params: zip(r['param_keys'], r['param_values']), env: zip(r['env_keys'], r['env_values']),
          },
        };
      }
      return { time, payload: { type: 'agent', id: s('id'), name: s('name'), agentType: (s('agent_type') || 'unknown') as 'person', email: s('email') || null } };
    }
    case 'edges':
      return { time: Number(r['valid_from']), payload: { type: 'relation', relation: s('type') as 'used', from: s('src'), to: s('dst'), role: null } };
    case 'properties': {
      const kind = s('value_type');
      const value: PropertyValue =
        kind === 'number' ? { kind, value: Number(r['value_number']) } : kind === 'bool' ? { kind, value: Number(r['value_bool']) === 1 } : { kind: kind === 'json' ? 'json' : 'string', value: s('value_string') };
      return { time: Number(r['valid_from']), payload: { type: 'property', subject: s('subject'), key: s('key'), value } };
    }
    case 'metrics':
      return { time: Number(r['time']), payload: { type: 'metric', subject: s('subject'), key: s('key'), step: Number(r['step']), value: Number(r['value']), time: Number(r['time']) } };
  }
}

function zip(keys: unknown, values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(keys) || !Array.isArray(values)) return out;
  keys.forEach((k, i) => (out[String(k)] = String(values[i] ?? '')));
  return out;
}

/** The keyset cursor (sort key values) of a row. */
export function cursorOf(table: BootstrapTable, r: Row): KeysetCursor {
  return GRAPH_BOOTSTRAP_KEYS[table].map((k) => r[k] as string | number);
}

/**
 * Loads every table into `graphs`, then lays each project's graph out for locality. Resolves
 * with the rows read and the time taken; rejects on a ClickHouse failure (the caller retries or
 * gives up: a half-loaded graph is never served, since the service stays 'bootstrapping' until
 * this resolves).
 */
export async function bootstrapGraphs(wh: Warehouse, graphs: ProjectGraphs, freshness: Freshness, opts: BootstrapOptions, log: Logger): Promise<BootstrapInfo> {
  const now = opts.now ?? Date.now;
  const started = now();
  const totals = new Map((await wh.query<{ table: string; n: number }>(graphBootstrapCounts(opts.projects))).map((r) => [r.table, Number(r.n)]));
  log.info({ tables: Object.fromEntries(totals), pageRows: opts.pageRows }, 'graph bootstrap from ClickHouse started');
  let rows = 0;
  let skipped = 0;
  for (const table of BOOTSTRAP_TABLES) {
    let cursor: KeysetCursor | null = null;
    let loaded = 0;
    for (let page = 1; ; page++) {
      opts.signal?.throwIfAborted();
      const batch: Row[] = await wh.query<Row>(graphBootstrapPage(table, opts.projects, cursor, opts.pageRows));
      const ids: string[] = [];
      for (const r of batch) {
        const { payload, time } = rowToPayload(table, r);
        if (graphs.apply(String(r['project']), payload, time) === 'skipped') skipped++;
        ids.push(String(r['event_id']));
      }
      freshness.recordBootstrapIds(ids);
      loaded += batch.length;
      log.info({ table, page, rows: loaded, of: totals.get(table) ?? null, ms: now() - started }, `graph bootstrap: ${table} ${loaded}/${totals.get(table) ?? '?'} rows`);
      if (batch.length < opts.pageRows) break;
      cursor = cursorOf(table, batch[batch.length - 1]!);
    }
    rows += loaded;
  }
  // The rows arrive in sort-key order (ids are hashes), so vertex numbers are scattered with
  // respect to the graph; renumber once, before the first query (ProvGraph.relayout).
  const relayoutStarted = now();
  graphs.relayout();
  const relayoutMs = now() - relayoutStarted;
  const info: BootstrapInfo = { rows, tookMs: now() - started, finishedAt: now() };
  log.info({ ...info, relayoutMs, skipped, projects: graphs.projects().length }, 'graph bootstrap finished');
  return info;
}
