/**
 * bench-graph baseline (b): lineage by iterative joins in ClickHouse, one query per depth level
 * over the product's own `edges` table (sorted by project, src, …), the frontier bound with the
 * `sql`/`inList` helpers (the SQL can be large: max_query_size is raised for this client).
 *
 * The edges are written exactly as ingest writes them: relation events mapped by
 * services/ingest/rows.ts into a fresh database migrated with the product's migrations, then the
 * benchmark waits for background merges to finish so queries see settled parts. The walk keeps a
 * visited set on the client and stops at the depth limit or when the frontier is empty: the same
 * answer as the in-memory lineage().
 */
import { connectWarehouse, type Warehouse } from '../../services/lib/clickhouse.js';
import { migrate } from '../../services/lib/migrations.js';
import { ident, inList, sql } from '../../services/lib/sql-literal.js';
import { addEventRows, emptyRows } from '../../services/ingest/rows.js';
import { LINEAGE_EDGE_TYPES, type ProvEvent } from '../../services/model/types.js';
import { retry } from '../../services/lib/retry.js';

const INSERT_BATCH = 100_000;

export class ClickHouseLineage {
  private rows = emptyRows();
  private inFlight: Promise<void> = Promise.resolve();

  private constructor(
    private readonly wh: Warehouse,
    private readonly admin: Warehouse,
    readonly database: string,
    private readonly project: string,
  ) {}

  /** Creates and migrates `database` (dropped by close(true)). */
  static async open(url: string, database: string, project: string): Promise<ClickHouseLineage> {
    const admin = await connectWarehouse({ url, database: 'default' });
    const wh = await connectWarehouse({ url, database, requestTimeoutMs: 300_000, settings: { max_query_size: 256 * 1024 * 1024 } }, { create: true });
    await migrate(wh);
    return new ClickHouseLineage(wh, admin, database, project);
  }

  async version(): Promise<string> {
    const [row] = await this.wh.query<{ v: string }>('SELECT version() AS v');
    return row?.v ?? 'unknown';
  }

  /**
   * Buffers a relation event's edge row (other payloads are ignored). Every 100,000 rows an
   * insert starts; one insert runs while the next batch is being generated (the returned promise
   * waits only when a second one would start).
   */
  async add(event: ProvEvent): Promise<void> {
    if (event.payload.type !== 'relation') return;
    addEventRows(event, this.rows);
    if (this.rows.edges.length >= INSERT_BATCH) await this.startInsert();
  }

  /** Inserts what is buffered and waits for every insert to be acknowledged. */
  async flush(): Promise<void> {
    await this.startInsert();
    await this.inFlight;
  }

  private async startInsert(): Promise<void> {
    await this.inFlight;
    if (this.rows.edges.length === 0) return;
    const batch = this.rows.edges;
    this.rows = emptyRows();
    // A kept-alive socket the server already closed fails with EPIPE/ECONNRESET (retriable): retry
    // like the ingest consumer does; a repeated row collapses in the ReplacingMergeTree.
    this.inFlight = retry(() => this.wh.insert('edges', batch), { attempts: 5 });
    this.inFlight.catch(() => undefined); // observed by the next startInsert or flush
  }

  /**
   * Merges the loaded parts (OPTIMIZE … FINAL: one part per partition, as a long-running table
   * ends up; fewer parts make the per-level lookups cheaper, so this favours the baseline), then
   * waits (up to maxMs) until no merge runs in the database.
   */
  async settle(maxMs = 300_000): Promise<void> {
    await this.wh.command('OPTIMIZE TABLE edges FINAL');
    await this.wh.command('OPTIMIZE TABLE edges_by_dst FINAL');
    const deadline = performance.now() + maxMs;
    while (performance.now() < deadline) {
      const [row] = await this.wh.query<{ n: number }>(sql`SELECT count() AS n FROM system.merges WHERE database = ${this.database}`);
      if (Number(row?.n ?? 0) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async edgeCount(): Promise<number> {
    const [row] = await this.wh.query<{ n: number }>(sql`SELECT uniqExact(type, src, dst) AS n FROM edges WHERE project = ${this.project}`);
    return Number(row?.n ?? 0);
  }

  /** Upstream lineage of `id` up to `depth`: every vertex id, start included. One query per level. */
  async upstream(id: string, depth: number): Promise<string[]> {
    const seen = new Set<string>([id]);
    let frontier = [id];
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const query = sql`SELECT DISTINCT dst FROM edges WHERE project = ${this.project} AND src IN ${inList(frontier)} AND type IN ${inList(LINEAGE_EDGE_TYPES)}`;
      const rows = await retry(() => this.wh.query<{ dst: string }>(query), { attempts: 3 });
      const next: string[] = [];
      for (const r of rows) {
        if (seen.has(r.dst)) continue;
        seen.add(r.dst);
        next.push(r.dst);
      }
      frontier = next;
    }
    return [...seen];
  }

  async close(drop: boolean): Promise<void> {
    await this.wh.close();
    if (drop) await this.admin.command(`DROP DATABASE IF EXISTS ${ident(this.database).text}`);
    await this.admin.close();
  }
}
