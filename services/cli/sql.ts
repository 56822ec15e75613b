/**
 * `provstream sql`: ad hoc, read-only SQL over the tables (SPEC §4). The query runs with
 * readonly=2 (no writes, no DDL), a time limit and a result-size limit enforced by ClickHouse.
 */
import { connectWarehouse } from '../lib/clickhouse.js';
import { InputError } from '../lib/errors.js';
import type { CliConfig } from './config.js';

const READ_STATEMENT = /^\s*(\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i;

export interface SqlOptions {
  maxRows: number;
  timeoutSeconds: number;
}

export async function runReadOnlySql(cfg: CliConfig, query: string, opts: SqlOptions): Promise<Record<string, unknown>[]> {
  const q = query.trim().replace(/;\s*$/, '');
  if (!READ_STATEMENT.test(q)) throw new InputError('only read queries are allowed here (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN)');
  if (/;\s*\S/.test(q)) throw new InputError('one statement at a time, please (found a ";" inside the query)');
  const wh = await connectWarehouse({
    url: cfg.clickhouseUrl,
    database: cfg.clickhouseDatabase,
    username: cfg.clickhouseReadUser,
    password: cfg.clickhouseReadPassword,
    requestTimeoutMs: (opts.timeoutSeconds + 5) * 1000,
    settings: {
      readonly: 2,
      max_execution_time: opts.timeoutSeconds,
      max_result_rows: opts.maxRows,
      result_overflow_mode: 'throw',
    },
  });
  try {
    return await wh.query(q);
  } finally {
    await wh.close();
  }
}

/** Renders rows as an aligned text table (what a person reads); --json prints rows instead. */
export function renderTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (vals: string[]) => vals.map((v, i) => fit(v, widths[i]!)).join('  ').trimEnd();
  return [line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}
