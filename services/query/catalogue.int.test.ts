/**
 * Runs every migration and every catalogue query against the real ClickHouse (INFRA.md: all SQL
 * must run on 18.16 and on current releases), on a database filled through the ingest mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, services, uniqueName } from '../../test/helpers.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { loadMigrations, migrate } from '../lib/migrations.js';
import { TableSink } from '../ingest/sinks.js';
import { addEventRows, emptyRows, tsvTablesOf } from '../ingest/rows.js';
import { sampleProject } from '../demo/sample.js';
import * as catalogue from './catalogue.js';

describe('migrations and the query catalogue on the real server', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const sample = sampleProject('catalogue');

  beforeAll(async () => {
    db = await freshDatabase('catalogue');
    const rows = emptyRows();
    for (const ev of sample.events) addEventRows(ev, rows);
    await new TableSink(db).write(tsvTablesOf(rows));
  });
  afterAll(async () => db?.drop());

  it('two services migrating an empty database at once both succeed (ADD COLUMN raced)', async () => {
    const database = uniqueName('migrate_race');
    const a = await connectWarehouse({ url: services().clickhouseUrl, database }, { create: true });
    const b = await connectWarehouse({ url: services().clickhouseUrl, database }, { create: true });
    try {
      // Both read an empty schema_migrations, so both run every statement, the ALTERs included.
      const [x, y] = await Promise.all([migrate(a), migrate(b)]);
      expect(x).toEqual(loadMigrations().map((m) => m.version));
      expect(y).toEqual(x);
      const columns = (await a.query<{ name: string }>('DESCRIBE TABLE dead_letters')).map((r) => r.name);
      expect(columns).toContain('source_index'); // 005's ADD COLUMN
    } finally {
      await a.command(`DROP DATABASE IF EXISTS ${database}`);
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('migrations are idempotent: a second run applies nothing', async () => {
    expect(await migrate(db)).toEqual([]);
    const tables = (await db.query<{ name: string }>('SHOW TABLES')).map((r) => r.name).sort();
    expect(tables).toEqual(['alert_webhook_failures', 'alerts', 'dead_letters', 'edges', 'edges_by_dst', 'edges_by_dst_mv', 'events_raw', 'fileview_cells', 'fileview_rows', 'graph_queries', 'metrics', 'properties', 'schema_migrations', 'segment_edges', 'segment_results', 'summary_edges', 'summary_members', 'summary_vertices', 'vertices']);
  });

  it('visibleEventCount', async () => {
    expect(await db.query(catalogue.visibleEventCount('catalogue'))).toEqual([{ n: sample.events.length }]);
  });

  it('factCounts', async () => {
    const rows = await db.query<{ table: string; what: string; n: number }>(catalogue.factCounts('catalogue'));
    const get = (t: string, w: string) => rows.find((r) => r.table === t && r.what === w)?.n;
    expect(get('vertices', 'entity')).toBe(10);
    expect(get('vertices', 'activity')).toBe(7);
    expect(get('vertices', 'agent')).toBe(4);
    expect(get('metrics', 'points')).toBe(23);
  });

  it('upstreamStep and downstreamStep (served by edges_by_dst through the materialized view)', async () => {
    const up = await db.query<{ type: string; src: string; dst: string; label: string }>(catalogue.upstreamStep('catalogue', [sample.finalModel]));
    // Ordered by the Enum8 value of type (used=1, wasGeneratedBy=2, wasDerivedFrom=3, wasRevisionOf=4).
    expect(up.map((r) => r.type)).toEqual(['wasGeneratedBy', 'wasDerivedFrom', 'wasRevisionOf']);
    expect(up.find((r) => r.type === 'wasGeneratedBy')!.label).toBe('train (COMPLETED)');
    const down = await db.query<{ src: string }>(catalogue.downstreamStep('catalogue', [up.find((r) => r.type === 'wasGeneratedBy')!.dst]));
    expect(down.map((r) => r.src)).toContain(sample.finalModel);
  });

  it('metricsByRun', async () => {
    const rows = await db.query<{ lr: string; status: string; metric: string; steps: number }>(catalogue.metricsByRun('catalogue'));
    expect(rows.map((r) => `${r.lr}/${r.status}/${r.metric}/${r.steps}`)).toEqual([
      '0.005/COMPLETED/accuracy/5',
      '0.005/COMPLETED/loss/5',
      '0.01/COMPLETED/accuracy/5',
      '0.01/COMPLETED/loss/5',
      '0.1/FAILED/loss/3',
    ]);
  });

  it('latestProperties keeps every kind of value', async () => {
    const rows = await db.query(catalogue.latestProperties('catalogue', sample.finalModel));
    expect(rows).toEqual([
      { key: 'eval', type: 'json', value: '{"f1":0.88,"auc":0.95}' },
      { key: 'stage', type: 'string', value: 'production' },
    ]);
  });

  it('deadLettersByReason', async () => {
    expect(await db.query(catalogue.deadLettersByReason())).toEqual([]);
  });

  it('eventFate: recorded for the project, the latest dead letter by id, nothing for an unknown id', async () => {
    const recorded = sample.events[0]!.eventId;
    const letter = (time: number, reason: string) => ({ source_topic: 't', source_partition: 0, source_offset: time, source_index: 0, time, reason_code: 'invalid', reason, event_id: 'ev-dead', project: 'catalogue', payload_base64: '' });
    await db.insert('dead_letters', [letter(1000, 'first'), letter(2000, "the latest, it's")]);
    const fate = async (project: string, id: string) => (await db.query<{ fate: string; reason: string; time: number }>(catalogue.eventFate(project, id))).map((r) => `${r.fate} ${r.reason} ${Number(r.time)}`);
    expect(await fate('catalogue', recorded)).toEqual(['recorded  0']);
    expect(await fate('other', recorded)).toEqual([]); // events_raw is read by (project, event_id)
    expect(await fate('catalogue', 'ev-dead')).toEqual(["dead-lettered the latest, it's 2000"]);
    expect(await fate('catalogue', 'ev-none')).toEqual([]);
  });

  it('recentAlerts filters, collapses repeats and orders newest first; eventsForReplay returns the recorded events', async () => {
    const { ClickHouseAlertSink } = await import('../monitor/alert-sinks.js');
    const { dryRun } = await import('../monitor/core/index.js');
    const { FIXTURE_RULES_YAML, parseOrThrow } = await import('../monitor/fixtures.js');
    const fired = dryRun(parseOrThrow(FIXTURE_RULES_YAML), sample.events).alerts;
    const sink = new ClickHouseAlertSink(db);
    await sink.write(fired);
    await sink.write(fired.slice(0, 3)); // a repeat after a crash
    const all = await db.query<{ alert_id: string; time: number }>(catalogue.recentAlerts({ project: 'catalogue', limit: 1000 }));
    expect(all.map((r) => r.alert_id).sort()).toEqual(fired.map((a) => a.alertId).sort());
    expect(all.map((r) => Number(r.time))).toEqual([...all.map((r) => Number(r.time))].sort((a, b) => b - a));
    const critical = await db.query<{ severity: string }>(catalogue.recentAlerts({ project: 'catalogue', severities: ['critical'], limit: 1000 }));
    expect(critical.length).toBe(fired.filter((a) => a.severity === 'critical').length);
    expect(critical.every((r) => r.severity === 'critical')).toBe(true);
    expect(await db.query(catalogue.recentAlerts({ ruleId: 'no-such-rule', limit: 5 }))).toEqual([]);
    const events = await db.query<{ event_id: string; body: string }>(catalogue.eventsForReplay('catalogue', 0, 100_000));
    expect(events.map((e) => e.event_id).sort()).toEqual(sample.events.map((e) => e.eventId).sort());
  });

  it('fileviewDefinitions: every version with its definition; fileview rows land in fileview_rows and fileview_cells', async () => {
    const { fileviewSample } = await import('../fileview/sample.js');
    const fv = fileviewSample('catalogue-fv');
    const rows = emptyRows();
    for (const ev of fv.events) addEventRows(ev, rows);
    await new TableSink(db).write(tsvTablesOf(rows));
    const defs = await db.query<{ artifact: string; version: number; id: string; definition: string }>(catalogue.fileviewDefinitions('catalogue-fv', null));
    expect(defs.map((d) => [d.artifact, d.version, d.id, JSON.parse(d.definition)])).toEqual(fv.versions.map((v) => ['fileview:acc', v.version, v.id, v.content]));
    expect(await db.query(catalogue.fileviewDefinitions('catalogue-fv', 'other'))).toEqual([]);
    const cells = await db.query<{ column: string; value: string }>(`SELECT column, value FROM fileview_cells WHERE project = 'catalogue-fv' ORDER BY view_version, column`);
    expect(cells).toEqual([{ column: 'accuracy', value: '0.93' }, { column: 'accuracy', value: '0.95' }]);
  });

  it('graph bootstrap pages: keyset paging in sort-key order returns every row once (Enum keys included); result readers run', async () => {
    const counts = await db.query<{ table: string; n: number }>(catalogue.graphBootstrapCounts(['catalogue']));
    for (const table of ['vertices', 'edges', 'properties', 'metrics'] as const) {
      const keys = catalogue.GRAPH_BOOTSTRAP_KEYS[table];
      const all: Array<Record<string, unknown>> = [];
      let cursor: catalogue.KeysetCursor | null = null;
      for (;;) {
        const page: Array<Record<string, unknown>> = await db.query(catalogue.graphBootstrapPage(table, ['catalogue'], cursor, 5));
        all.push(...page);
        if (page.length < 5) break;
        cursor = keys.map((k) => page[page.length - 1]![k] as string | number);
      }
      expect(all.length).toBe(Number(counts.find((c) => c.table === table)!.n));
      const tuples = all.map((r) => JSON.stringify(keys.map((k) => r[k])));
      expect(new Set(tuples).size).toBe(tuples.length);
    }
    expect(await db.query(catalogue.graphBootstrapPage('edges', ['nobody'], null, 5))).toEqual([]);
    for (const q of [catalogue.graphQuery, catalogue.segmentResultRows, catalogue.summaryVertexRows, catalogue.summaryEdgeRows]) expect(await db.query(q('catalogue', 'q'))).toEqual([]);
  });

  it('gateway export: edges around a frontier both ways, whole vertex states, latest properties, metric points', async () => {
    const up = await db.query<{ type: string; src: string; dst: string; role: string }>(catalogue.exportEdgesAround('catalogue', [sample.finalModel], 'up'));
    expect(up.map((e) => e.type).sort()).toEqual(['wasAttributedTo', 'wasDerivedFrom', 'wasGeneratedBy', 'wasRevisionOf']);
    const run = up.find((e) => e.type === 'wasGeneratedBy')!.dst;
    expect((await db.query<{ src: string }>(catalogue.exportEdgesAround('catalogue', [run], 'down'))).map((e) => e.src)).toContain(sample.finalModel);
    const states = await db.query<Record<string, unknown>>(catalogue.exportVertexStates('catalogue', [sample.finalModel, run, 'act:nothing']));
    expect(states.map((s) => s['kind']).sort()).toEqual(['activity', 'entity']);
    expect(states.find((s) => s['kind'] === 'activity')).toMatchObject({ status: 'COMPLETED', param_keys: expect.any(Array), env_keys: ['PYTHONHASHSEED'] });
    expect(await db.query(catalogue.exportProperties('catalogue', [sample.finalModel]))).toEqual([
      { subject: sample.finalModel, key: 'eval', type: 'json', string: '{"f1":0.88,"auc":0.95}', number: 0, bool: 0 },
      { subject: sample.finalModel, key: 'stage', type: 'string', string: 'production', number: 0, bool: 0 },
    ]);
    expect((await db.query(catalogue.exportMetrics('catalogue', [run]))).length).toBeGreaterThan(0);
  });

  it('hostile values stay values (the literal encoder on the real parser)', async () => {
    const nasty = "x' OR 1=1 -- \\' \n\t\0 ✓";
    expect(await db.query(catalogue.visibleEventCount(nasty))).toEqual([{ n: 0 }]);
    const [row] = await db.query<{ s: string }>(`SELECT ${(await import('../lib/sql-literal.js')).literal(nasty)} AS s`);
    expect(row!.s).toBe(nasty);
  });
});
