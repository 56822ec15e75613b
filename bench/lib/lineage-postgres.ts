/**
 * bench-graph baseline (a): lineage as SQL-backed lineage stores answer it, a PostgreSQL
 * recursive CTE over an edges table indexed on (src) and (dst).
 *
 * The table holds the same edges as the in-memory graph (type, src, dst, valid_from), loaded with
 * COPY FROM STDIN (psql's \copy, so it works against any server POSTGRES_URL names), indexed and
 * ANALYZEd before any query. The query walks upstream with UNION (deduplicating (vertex, depth)
 * pairs, the usual way to keep a recursive CTE from enumerating every path) and returns each
 * vertex once with its shortest distance: the same answer as the in-memory lineage().
 * One database per benchmark run, dropped at the end.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { LINEAGE_EDGE_TYPES } from '../../services/model/types.js';

const UPSTREAM_CTE = `
  WITH RECURSIVE lineage(id, depth) AS (
    SELECT $1::text, 0
    UNION
    SELECT e.dst, l.depth + 1
    FROM lineage l JOIN edges e ON e.src = l.id
    WHERE l.depth < $2 AND e.type = ANY($3::text[])
  )
  SELECT id, min(depth) AS depth FROM lineage GROUP BY id`;

/** A value in a CSV field (RFC 4180 quoting when needed). */
function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function edgeCsvLine(type: string, src: string, dst: string, validFrom: number): string {
  return `${csvField(type)},${csvField(src)},${csvField(dst)},${validFrom}\n`;
}

/** A COPY in progress: write CSV lines (await the promise write returns), then end(). */
export interface CopyStream {
  write(line: string): void | Promise<void>;
  end(): Promise<void>;
  /** Stops psql without committing (on an error or Ctrl-C while loading). */
  abort(): void;
}

export class PostgresLineage {
  private constructor(
    private readonly admin: pg.Client,
    private readonly client: pg.Client,
    readonly databaseUrl: string,
    readonly database: string,
  ) {}

  /** Creates `database` (a fixed-form name from the benchmark: bench_graph_<stamp>_<n>) and the edges table. */
  static async open(url: string, database: string): Promise<PostgresLineage> {
    if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`invalid database name ${database}`);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const u = new URL(url);
    u.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: u.toString() });
    await client.connect();
    await client.query('CREATE TABLE edges (type text NOT NULL, src text NOT NULL, dst text NOT NULL, valid_from bigint NOT NULL)');
    return new PostgresLineage(admin, client, u.toString(), database);
  }

  async version(): Promise<string> {
    const r = await this.client.query<{ server_version: string }>('SHOW server_version');
    return r.rows[0]?.server_version ?? 'unknown';
  }

  /** COPY edges FROM STDIN through psql; the promise of end() rejects with psql's message on failure. */
  copy(): CopyStream {
    const child = spawn('psql', [this.databaseUrl, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', '\\copy edges (type, src, dst, valid_from) FROM STDIN WITH (FORMAT csv)'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve, reject) => {
      child.on('error', (err) => reject(new Error(`psql could not run (${err.message}); install postgresql-client`)));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy exited with ${code}: ${stderr.trim()}`))));
    });
    exited.catch(() => undefined); // observed by end(); avoid an unhandled rejection meanwhile
    return {
      write(line) {
        if (!child.stdin.write(line)) return new Promise<void>((resolve) => child.stdin.once('drain', () => resolve()));
      },
      end() {
        child.stdin.end();
        return exited;
      },
      abort() {
        child.kill('SIGKILL');
      },
    };
  }

  /** Indexes on (src) and (dst), then statistics for the planner. */
  async index(): Promise<void> {
    await this.client.query('CREATE INDEX edges_src ON edges (src)');
    await this.client.query('CREATE INDEX edges_dst ON edges (dst)');
    await this.client.query('ANALYZE edges');
  }

  async edgeCount(): Promise<number> {
    const r = await this.client.query<{ n: string }>('SELECT count(*) AS n FROM edges');
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Upstream lineage of `id` up to `depth` along the lineage edge types: every vertex id, start included. */
  async upstream(id: string, depth: number): Promise<string[]> {
    const r = await this.client.query<{ id: string }>(UPSTREAM_CTE, [id, depth, LINEAGE_EDGE_TYPES]);
    return r.rows.map((row) => row.id);
  }

  async close(drop: boolean): Promise<void> {
    await this.client.end();
    if (drop) await this.admin.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    await this.admin.end();
  }
}
