/**
 * `make demo` / `provstream demo`: the whole pipeline on a sample project. Starts the services
 * (unless their URLs are given), runs the ingest consumer in-process, publishes the sample
 * project through the emitter SDK, waits until every event is queryable in ClickHouse, and
 * prints what was stored: table counts, the lineage of the production model, training metrics,
 * and the alerts a monitor running alongside raised (monitor-demo.ts).
 */
import { Emitter } from '../emitter/sdk.js';
import { startIngest } from '../ingest/main.js';
import { loadIngestConfig } from '../ingest/config.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import type { Warehouse } from '../lib/clickhouse.js';
import { createRootLogger } from '../lib/log.js';
import { factCounts, upstreamStep, metricsByRun, visibleEventCount } from '../query/catalogue.js';
import { sleep } from '../lib/retry.js';
import { renderTable } from '../cli/sql.js';
import { sampleProject } from './sample.js';
import { reportGraph } from './graph-demo.js';
import { startDemoMonitor } from './monitor-demo.js';
import type { Env } from '../lib/config.js';

export async function runDemo(env: Env, out: (s: string) => void, progress: (s: string) => void): Promise<void> {
  const cfg = loadIngestConfig(env);
  const log = createRootLogger(env['LOG_LEVEL'] ?? 'warn', 'provstream-demo');
  progress(`starting ingest (group ${cfg.groupId}, ClickHouse ${cfg.clickhouseUrl}/${cfg.clickhouseDatabase}, Kafka ${cfg.kafkaBrokers.join(',')})`);
  const ingest = await startIngest(cfg, log);
  const monitor = await startDemoMonitor(env, log, progress);
  const wh = await connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase });
  try {
    const project = 'demo';
    const sample = sampleProject(project);
    progress(`publishing ${sample.events.length} events of the sample project "${project}" through the SDK`);
    const em = new Emitter({ brokers: cfg.kafkaBrokers, project, topic: cfg.eventsTopic, onError: (e) => progress(e.message) });
    sample.events.forEach((ev, i) => em.send(ev, sample.keys[i]));
    const stats = await em.close(60_000);
    if (stats.delivered !== sample.events.length) throw new Error(`only ${stats.delivered} of ${sample.events.length} events reached Kafka; is Kafka up? (make up)`);
    await waitVisible(wh, project, sample.events.length, progress);
    await report(wh, project, sample.finalModel, out);
    await reportGraph(env, project, sample.finalModel, out, progress, log);
    await monitor.report(project, sample.events, out);
  } finally {
    await wh.close();
    await monitor.stop();
    await ingest.stop();
  }
}

async function waitVisible(wh: Warehouse, project: string, expected: number, progress: (s: string) => void): Promise<void> {
  const started = Date.now();
  for (;;) {
    const [row] = await wh.query<{ n: number }>(visibleEventCount(project));
    const n = Number(row?.n ?? 0);
    if (n >= expected) return progress(`all ${expected} events queryable after ${Date.now() - started} ms`);
    if (Date.now() - started > 120_000) throw new Error(`only ${n} of ${expected} events reached ClickHouse within 120 s; see the ingest log`);
    await sleep(250);
  }
}

async function report(wh: Warehouse, project: string, model: string, out: (s: string) => void): Promise<void> {
  const counts = await wh.query(factCounts(project));
  out('\n== What was stored (ClickHouse, project "demo") ==\n' + renderTable(counts.sort((a, b) => String(a['table']).localeCompare(String(b['table'])))));

  out(`\n== Lineage of the production model ${model} (upstream, from the edges table) ==`);
  let frontier = [model];
  const seen = new Set(frontier);
  for (let depth = 1; frontier.length && depth <= 8; depth++) {
    const rows = await wh.query<{ type: string; src: string; dst: string; label: string }>(upstreamStep(project, frontier));
    const next: string[] = [];
    for (const r of rows) {
      if (seen.has(r.dst)) continue;
      seen.add(r.dst);
      next.push(r.dst);
      out(`${'  '.repeat(depth)}${r.type} -> ${r.label}  [${r.dst}]`);
    }
    frontier = next;
  }

  const metrics = await wh.query(metricsByRun(project));
  out('\n== Training metrics by run ==\n' + renderTable(metrics));
  out('\nTry: provstream sql "SELECT artifact, version, id FROM vertices FINAL WHERE kind = \'entity\' ORDER BY artifact, version"');
}
