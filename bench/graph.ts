/**
 * `make bench-graph`: the in-memory provenance graph on generated projects of 10^4, 10^5 and 10^6
 * vertices (about 3 edges each), against the same lineage queries in PostgreSQL (recursive CTE)
 * and ClickHouse (iterative joins), measured in the same run on the same edges.
 *
 *   node --expose-gc --max-old-space-size=6144 dist/bench/graph.js [--sizes 1e4,1e5,1e6] [--queries 300] ...
 *
 * Per size: build the graph through the service's event mapping (build time, memory per edge),
 * then `--runs` rounds of lineage (depth 5/10/20), segmentation (connected pairs, Vsrc empty) and
 * summarizing 1,000 segments; then each baseline is loaded with the same edges and answers the
 * same lineage queries (fewer of them: `--baseline-queries`), each checked against the in-memory
 * answer. Medians over runs, PASS/MISS against the targets at 10^6 (information, never
 * the exit code). Databases are dropped at the end, also on error and Ctrl-C (`--keep` keeps
 * them). Progress on stderr, the table on stdout, the record in bench/results/graph-<ts>.json.
 */
import { loadavg } from 'node:os';
import { Command } from 'commander';
import { EnvReader, DEFAULT_URLS } from '../services/lib/config.js';
import type { Env } from '../services/lib/config.js';
import { repoPath } from '../services/lib/paths.js';
import { errorMessage } from '../services/lib/errors.js';
import { Cleanup } from './lib/cleanup.js';
import { buildGraph, requireGc } from './lib/graph-build.js';
import { chooseWorkload, measureInMemory, summaryInput, LABEL_KEYS, SEGMENT_MAX_LENGTH, SUMMARIZED_SEGMENTS, type InMemoryRun } from './lib/graph-queries.js';
import { loadClickHouse, loadPostgres, measureBaseline, type BaselineResult } from './lib/graph-baselines.js';
import { linesFor, renderGraphRecord, type GraphRecord, type SizeResult } from './lib/graph-record.js';
import { machineInfo, timestamp, writeResults, formatNumber } from './lib/report.js';
import { positiveInt } from './lib/options.js';

interface Options {
  sizes: number[];
  queries: number;
  baselineQueries: number | null;
  runs: number;
  seed: string;
  skipPostgres: boolean;
  skipClickhouse: boolean;
  keep: boolean;
  json: boolean;
  clickhouseUrl: string;
  postgresUrl: string;
}

const progress = (msg: string) => process.stderr.write(`bench-graph: ${msg}\n`);

/**
 * Baseline lineage queries per depth and run when --baseline-queries is not given: fewer on the
 * larger graphs, where one iterative ClickHouse walk takes seconds, so that all sizes finish in
 * about 15 minutes on 2 cores. The in-memory side is always timed on the same starts.
 */
function baselineQueriesFor(o: Options, size: number, system: 'postgres' | 'clickhouse'): number {
  if (o.baselineQueries !== null) return o.baselineQueries;
  if (size >= 1e6) return system === 'postgres' ? 30 : 10;
  if (size >= 1e5) return system === 'postgres' ? 40 : 20;
  return 40;
}

function parseOptions(argv: string[], env: Env): Options {
  const cmd = new Command('bench-graph')
    .description('In-memory lineage, segmentation and summarization on generated graphs vs PostgreSQL recursive CTEs and ClickHouse iterative joins.\nServices from CLICKHOUSE_URL / POSTGRES_URL (defaults: the ports of `make up` and `infra/services.sh postgres-up`).')
    .option('--sizes <list>', 'vertex counts, comma-separated (1e5 notation works)', '1e4,1e5,1e6')
    .option('--queries <n>', 'in-memory queries per figure and run', positiveInt('--queries'), 300)
    .option('--baseline-queries <n>', 'lineage queries per depth and run on each baseline (default: PostgreSQL 40, 40, 30 and ClickHouse 40, 20, 10 at 10^4, 10^5, 10^6)', positiveInt('--baseline-queries'))
    .option('--runs <n>', 'repetitions of every measurement (medians are reported)', positiveInt('--runs'), 3)
    .option('--seed <text>', 'generator and query seed', 'bench')
    .option('--skip-postgres', 'no PostgreSQL baseline')
    .option('--skip-clickhouse', 'no ClickHouse baseline')
    .option('--keep', 'keep the benchmark databases')
    .option('--json', 'print the full JSON record on stdout instead of the table')
    .showHelpAfterError('(run with --help for usage)');
  cmd.parse(argv);
  const o = cmd.opts<{ sizes: string; queries: number; baselineQueries?: number; runs: number; seed: string; skipPostgres?: boolean; skipClickhouse?: boolean; keep?: boolean; json?: boolean }>();
  const sizes = o.sizes.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1_000 || n > 1e7)) cmd.error(`--sizes must list integers from 1e3 to 1e7, got ${JSON.stringify(o.sizes)}`);
  const r = new EnvReader(env);
  const clickhouseUrl = r.url('CLICKHOUSE_URL', DEFAULT_URLS.clickhouseUrl, ['http:', 'https:']);
  const postgresUrl = r.url('POSTGRES_URL', 'postgres://postgres@127.0.0.1:15432/postgres', ['postgres:', 'postgresql:']);
  r.done();
  return {
    sizes, queries: o.queries, baselineQueries: o.baselineQueries ?? null, runs: o.runs, seed: o.seed,
    skipPostgres: !!o.skipPostgres, skipClickhouse: !!o.skipClickhouse, keep: !!o.keep, json: !!o.json, clickhouseUrl, postgresUrl,
  };
}

async function measureSize(o: Options, size: number, stamp: string, versions: GraphRecord['versions'], gc: () => void, signal: AbortSignal): Promise<SizeResult> {
  const project = `bench-graph-${size}`;
  const loadAtStart = loadavg()[0]!;
  progress(`${formatNumber(size)} vertices: generating and building the graph`);
  const built = await buildGraph(project, size, o.seed, gc, progress);
  const g = built.graph.graph;
  progress(`  ${formatNumber(g.vertexCount)} vertices, ${formatNumber(g.edgeCount)} edges; build ${(built.buildMs / 1000).toFixed(1)} s; ${built.estimate.bytesPerEdge.toFixed(1)} bytes/edge estimated, ${(built.heapBytes / g.edgeCount).toFixed(1)} measured`);
  const workload = chooseWorkload(g, Math.max(o.queries, baselineQueriesFor(o, size, 'postgres'), baselineQueriesFor(o, size, 'clickhouse')), o.seed);
  const inMemory: InMemoryRun[] = [];
  const segments = summaryInput(g, workload);
  for (let r = 0; r < o.runs; r++) {
    signal.throwIfAborted();
    const run = measureInMemory(g, workload, o.queries, segments);
    inMemory.push(run);
    progress(`  in-memory run ${r + 1}/${o.runs}: lineage d20 p50 ${run.lineage[20].p50.toFixed(3)} ms p99 ${run.lineage[20].p99.toFixed(2)} ms; segment p50 ${run.segmentPair.p50.toFixed(2)} ms p99 ${run.segmentPair.p99.toFixed(1)} ms; summarize ${Math.round(run.summarizeMs)} ms`);
  }

  const gen = { project, vertices: size, seed: o.seed };
  const baselines: BaselineResult[] = [];
  const skipped: string[] = [];
  const dbName = `bench_graph_${stamp}_${size}`;
  if (o.skipPostgres) skipped.push('PostgreSQL baseline (--skip-postgres)');
  else {
    const cleanup = new Cleanup(progress);
    try {
      progress(`  PostgreSQL: loading ${formatNumber(g.edgeCount)} edges with COPY, then indexes`);
      const loaded = await loadPostgres(o.postgresUrl, dbName, gen, o.keep, cleanup, signal);
      versions.postgres = loaded.version;
      baselines.push(await measureBaseline('postgres', loaded, g, workload.starts.slice(0, baselineQueriesFor(o, size, 'postgres')), o.runs, progress, signal));
    } finally {
      await cleanup.run();
    }
  }
  if (o.skipClickhouse) skipped.push('ClickHouse baseline (--skip-clickhouse)');
  else {
    const cleanup = new Cleanup(progress);
    try {
      progress(`  ClickHouse: loading ${formatNumber(g.edgeCount)} edges through the ingest row mapping`);
      const loaded = await loadClickHouse(o.clickhouseUrl, dbName, gen, o.keep, cleanup, signal);
      versions.clickhouse = loaded.version;
      baselines.push(await measureBaseline('clickhouse', loaded, g, workload.starts.slice(0, baselineQueriesFor(o, size, 'clickhouse')), o.runs, progress, signal));
    } finally {
      await cleanup.run();
    }
  }
  return {
    target: size,
    stats: { vertices: built.stats.vertices, edges: built.stats.edges, events: built.stats.events, verticesByKind: built.stats.verticesByKind, edgesByType: built.stats.edgesByType },
    generateMs: built.generateMs,
    build: { applyMs: built.applyMs, compactMs: built.compactMs, relayoutMs: built.relayoutMs, buildMs: built.buildMs },
    memory: { estimate: built.estimate, heapBytes: built.heapBytes, heapBytesPerEdge: built.heapBytes / Math.max(1, g.edgeCount) },
    queries: o.queries,
    inMemory,
    baselines,
    skipped,
    loadAverage: { start: loadAtStart, end: loadavg()[0]! },
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv, process.env);
  const gc = requireGc();
  const stamp = timestamp().toLowerCase();
  const versions: GraphRecord['versions'] = { node: process.version, postgres: o.skipPostgres ? 'skipped' : 'unknown', clickhouse: o.skipClickhouse ? 'skipped' : 'unknown' };
  // First Ctrl-C: the current step stops at its next check and the per-size cleanups (finally
  // blocks) drop the databases. Second Ctrl-C: exit at once.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) process.exit(130);
    progress(`${signal}: stopping, then cleaning up (again to force)`);
    interrupted.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const sizes: SizeResult[] = [];
  const started = performance.now();
  for (const size of o.sizes) {
    sizes.push(await measureSize(o, size, stamp, versions, gc, interrupted.signal));
    gc();
  }
  const rec: GraphRecord = {
    benchmark: 'graph',
    stamp,
    machine: machineInfo(),
    versions,
    settings: {
      sizes: o.sizes, queries: o.queries, baselineQueries: Object.fromEntries(o.sizes.flatMap((s) => [[`postgres ${s}`, baselineQueriesFor(o, s, 'postgres')], [`clickhouse ${s}`, baselineQueriesFor(o, s, 'clickhouse')]])),
      runs: o.runs, seed: o.seed, segmentMaxLength: SEGMENT_MAX_LENGTH, summarizedSegments: SUMMARIZED_SEGMENTS, labelKeys: LABEL_KEYS,
    },
    sizes,
    lines: sizes.flatMap(linesFor),
  };
  const path = writeResults(repoPath('bench', 'results'), 'graph', stamp, rec);
  process.stdout.write((o.json ? JSON.stringify(rec, null, 2) : renderGraphRecord(rec, path)) + '\n');
  progress(`done in ${Math.round((performance.now() - started) / 1000)} s`);
}

main().catch((err: unknown) => {
  progress(`error: ${errorMessage(err)}`);
  process.exit(/interrupted by SIG/.test(errorMessage(err)) ? 130 : 1);
});
