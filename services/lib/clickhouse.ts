/**
 * ClickHouse adapter: the only module that talks to ClickHouse. Works with 18.16 (Debian) and
 * current releases through the HTTP interface of @clickhouse/client.
 */
import { Readable } from 'node:stream';
import { createClient, ClickHouseLogLevel } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { ServiceUnavailableError, ProvstreamError, errorMessage } from './errors.js';
import { ident } from './sql-literal.js';

export interface ClickHouseConfig {
  url: string;
  database: string;
  username?: string;
  password?: string;
  requestTimeoutMs?: number;
  /** Server-side settings sent with every query (e.g. readonly limits). */
  settings?: Record<string, string | number>;
}

export interface Warehouse {
  readonly database: string;
  /** Runs a statement that returns no rows (DDL, OPTIMIZE, ...). */
  command(query: string): Promise<void>;
  /** Runs a query and returns its rows as objects (64-bit integers as numbers). */
  query<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** Inserts rows as JSONEachRow; resolves only after ClickHouse acknowledged the whole insert. */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /**
   * Inserts TabSeparated text (lib/tsv.ts) into the named columns, as one insert; several texts
   * (whole lines each) are sent one after the other, without joining them first. Resolves once
   * acknowledged.
   */
  insertTsv(table: string, columns: readonly string[], text: string | readonly string[]): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

/** Maps client errors to our family: connection problems are retriable, SQL errors are not. */
function wrap(err: unknown, what: string): Error {
  const code = (err as { code?: string }).code;
  const msg = errorMessage(err);
  if ((code && CONNECTION_CODES.has(code)) || /socket hang up|Timeout error|ECONNREFUSED|connect ECONN/i.test(msg)) {
    return new ServiceUnavailableError('ClickHouse', `${what}: ${msg}`, {}, { cause: err });
  }
  return new ProvstreamError(`ClickHouse rejected ${what}: ${msg.split('\n')[0]}`, false, { code: code ?? null }, { cause: err });
}

function makeClient(cfg: ClickHouseConfig, database: string): ClickHouseClient {
  return createClient({
    url: cfg.url,
    database,
    username: cfg.username ?? 'default',
    password: cfg.password ?? '',
    request_timeout: cfg.requestTimeoutMs ?? 60_000,
    max_open_connections: 16,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, ...(cfg.settings ?? {}) } as unknown as Record<string, never>,
    keep_alive: { enabled: true },
    // Errors reach callers as exceptions (wrapped below); the client must not print them itself.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/**
 * Connects to `cfg.database`, creating it when `create` is set (writers do; the read-only SQL
 * path does not).
 */
export async function connectWarehouse(cfg: ClickHouseConfig, opts: { create?: boolean } = {}): Promise<Warehouse> {
  if (opts.create) {
    const admin = makeClient(cfg, 'default');
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${ident(cfg.database).text}` });
    } catch (err) {
      throw wrap(err, `CREATE DATABASE ${cfg.database} at ${cfg.url}`);
    } finally {
      await admin.close();
    }
  }
  const client = makeClient(cfg, cfg.database);
  return {
    database: cfg.database,
    async command(query) {
      try {
        await client.command({ query });
      } catch (err) {
        throw wrap(err, 'a statement');
      }
    },
    async query<T>(query: string) {
      try {
        const rs = await client.query({ query, format: 'JSONEachRow' });
        return (await rs.json()) as T[];
      } catch (err) {
        throw wrap(err, 'a query');
      }
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      try {
        await client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
      } catch (err) {
        throw wrap(err, `an insert into ${table}`);
      }
    },
    async insertTsv(table, columns, text) {
      const chunks = (typeof text === 'string' ? [text] : text).filter((t) => t.length > 0).map((t) => Buffer.from(t));
      if (chunks.length === 0) return;
      try {
        await client.insert({ table, columns: [...columns] as [string, ...string[]], format: 'TabSeparated', values: Readable.from(chunks, { objectMode: false }) });
      } catch (err) {
        throw wrap(err, `an insert into ${table}`);
      }
    },
    async ping() {
      const r = await client.ping();
      return r.success;
    },
    async close() {
      await client.close();
    },
  };
}
