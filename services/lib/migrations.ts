/**
 * Numbered ClickHouse migrations (schemas/clickhouse/NNN_name.sql), applied in order at service
 * start. Applied versions are recorded in `schema_migrations`; statements are idempotent, so two
 * services starting at once are harmless: CREATE … IF NOT EXISTS, and an ALTER TABLE … ADD COLUMN
 * that finds its column already added by the other starter counts as applied (18.16 has no
 * ADD COLUMN IF NOT EXISTS; it checks every column of one ALTER before changing any).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Warehouse } from './clickhouse.js';
import { sql } from './sql-literal.js';
import { repoPath } from './paths.js';
import { errorMessage } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Splits a migration file into statements: `;` at the end of a line ends one; `--` comments dropped. */
export function splitStatements(text: string): string[] {
  const lines = text.split('\n').filter((l) => !l.trim().startsWith('--'));
  return lines
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function loadMigrations(dir = repoPath('schemas', 'clickhouse')): Migration[] {
  return readdirSync(dir)
    .map((f) => /^(\d+)_(.+)\.sql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2]!, statements: splitStatements(readFileSync(join(dir, m[0]), 'utf8')) }))
    .sort((a, b) => a.version - b.version);
}

/** An ADD COLUMN refused because the column exists: a concurrent migrate() applied the statement. */
export function addedAlready(statement: string, err: unknown): boolean {
  return /^ALTER\s+TABLE\s[\s\S]*\bADD\s+COLUMN\b/i.test(statement) && /already exists/i.test(errorMessage(err));
}

/** Applies the migrations not yet recorded; returns the versions applied now. */
export async function migrate(wh: Warehouse, migrations = loadMigrations()): Promise<number[]> {
  await wh.command(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version',
  );
  const done = new Set((await wh.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    for (const s of m.statements) {
      try {
        await wh.command(s);
      } catch (err) {
        if (!addedAlready(s, err)) throw err;
      }
    }
    await wh.command(sql`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`);
    applied.push(m.version);
  }
  return applied;
}
