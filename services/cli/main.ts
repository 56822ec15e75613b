/**
 * The `provstream` command line (composition root of the CLI). Each subcommand loads config,
 * does one job, prints human output on stdout (or stable JSON with --json), progress on stderr,
 * and exits 0 on success, 1 on a failure a user must act on, 2 on a usage error.
 */
import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { loadCliConfig } from './config.js';
import { emitFile, renderEmitReport } from './emit.js';
import { runReadOnlySql, renderTable } from './sql.js';
import { repoPath } from '../lib/paths.js';
import { ProvstreamError, errorMessage } from '../lib/errors.js';

const progress = (msg: string) => process.stderr.write(`provstream: ${msg}\n`);

function services(action: string, extra: string[] = []): never {
  const r = spawnSync('bash', [repoPath('infra', 'services.sh'), action, ...extra], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const program = new Command('provstream')
  .description('Event-streaming provenance for collaborative data science.\nServices: Kafka, ClickHouse, Redis (see `provstream up`). Connection settings come from KAFKA_BROKERS, CLICKHOUSE_URL, REDIS_URL.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('up')
  .description('start Kafka, ClickHouse and Redis for this checkout (native, or docker compose when a Docker engine answers); safe to run twice')
  .option('--ephemeral', 'start Redis without persistence (tests)')
  .action((o: { ephemeral?: boolean }) => services('up', o.ephemeral ? ['--ephemeral'] : []));
program.command('down').description('stop the services `provstream up` started').action(() => services('down'));
program.command('status').description('show which services are running').action(() => services('status'));

program
  .command('ingest')
  .description('run the ingest consumer (Kafka -> ClickHouse) until Ctrl-C; scale out by starting more')
  .action(async () => {
    const { main } = await import('../ingest/main.js');
    await main();
  });

program
  .command('emit')
  .description('publish native events from a JSON-lines file (or - for stdin); prints accepted/rejected with reasons')
  .argument('<file>', 'file of JSON lines, one event each (schemas/EVOLUTION.md), or -')
  .option('--project <name>', 'default project for the SDK (events carry their own project)')
  .option('--json', 'print a JSON report instead of text')
  .option('--flush-timeout <ms>', 'how long to wait for Kafka before keeping events in the spill dir', '30000')
  .action(async (file: string, o: { project?: string; json?: boolean; flushTimeout: string }) => {
    const cfg = loadCliConfig({ ...process.env, ...(o.project ? { PROVSTREAM_PROJECT: o.project } : {}) });
    const report = await emitFile(cfg, file, { progress, flushTimeoutMs: Number(o.flushTimeout) });
    process.stdout.write((o.json ? JSON.stringify(report) : renderEmitReport(report, cfg.spillDir)) + '\n');
    process.exitCode = report.rejected > 0 || report.undelivered > 0 ? 1 : 0;
  });

program
  .command('sql')
  .description('run a read-only SQL query over the provenance tables (vertices, edges, edges_by_dst, properties, metrics, events_raw, dead_letters)')
  .argument('<query>', 'one SELECT / WITH / SHOW / DESCRIBE statement')
  .option('--json', 'print the rows as a JSON array')
  .addOption(new Option('--max-rows <n>', 'fail instead of returning more rows than this').default('10000'))
  .addOption(new Option('--timeout <seconds>', 'server-side time limit').default('30'))
  .action(async (query: string, o: { json?: boolean; maxRows: string; timeout: string }) => {
    const cfg = loadCliConfig(process.env);
    const started = Date.now();
    const rows = await runReadOnlySql(cfg, query, { maxRows: Number(o.maxRows), timeoutSeconds: Number(o.timeout) });
    process.stdout.write((o.json ? JSON.stringify(rows) : renderTable(rows)) + '\n');
    if (!o.json) progress(`${rows.length} row(s) in ${Date.now() - started} ms`);
  });

program
  .command('demo')
  .description('run the whole pipeline on a sample project and print what was stored (services must be up: make demo does both)')
  .action(async () => {
    const { runDemo } = await import('../demo/run.js');
    await runDemo(process.env, (s) => process.stdout.write(s + '\n'), progress);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof ProvstreamError ? err.message : errorMessage(err);
  process.stderr.write(`provstream: error: ${message}\n`);
  process.exit(1);
});
