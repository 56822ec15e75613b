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
import { registerGenerate } from './generate.js';
import { registerMonitorCommands } from './monitor-commands.js';
import { registerGatewayCommands } from './gateway-commands.js';
import { registerGraphCommands } from './graph-commands.js';
import { repoPath } from '../lib/paths.js';
import { ProvstreamError, errorMessage } from '../lib/errors.js';
import { settingsHelp } from './settings-help.js';

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
  .addHelpText('after', settingsHelp('ingest consumer'))
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
  .command('run')
  .description('run a command exactly as without provstream and record it: activity, files read and written, metrics (provstream run --help)')
  .helpOption(false)
  .allowUnknownOption()
  .argument('[options-and-command...]')
  .action(async () => {
    const { main } = await import('../capture/main.js');
    await main(process.argv.slice(process.argv.indexOf('run') + 1));
  });

const fileview = program.command('fileview').description('named, versioned transformations of captured files into rows (CSV, JSONPath, regex, command)');
const fileviewContext = () => ({ cwd: process.cwd(), env: process.env, argv: process.argv.slice(2), out: (t: string) => void process.stdout.write(t + '\n'), progress });
fileview
  .command('add')
  .description('define a fileview, or a new version of it; evaluated by `provstream run` on each new version of a matching file')
  .argument('<name>', 'view name: letters, digits, _ . -')
  .option('--pattern <glob>', 'artifact glob, e.g. "reports/*.json" (* within a folder, ** across)')
  .option('--csv', 'CSV with a header line')
  .option('--columns <a,b>', 'csv: the columns to keep')
  .option('--delimiter <c>', 'csv: field delimiter (default ,)')
  .option('--jsonpath <column=$.path>', 'JSON: a column from a JSONPath (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--rows <$.path>', 'jsonpath: the nodes that are rows (default $: one row)')
  .option('--regex <re>', 'text: a row per match, named groups are the columns')
  .option('--flags <imsu>', 'regex flags')
  .option('--command <sh>', 'a shell command (file on stdin and in $1) printing JSON lines or CSV')
  .option('--output <jsonl|csv>', 'command: output format (default jsonl)')
  .option('--timeout-ms <n>', 'command: time limit (default 10000)')
  .option('--properties <mode>', 'auto | first | last | none: which row becomes entity properties (default auto: the only row)')
  .option('--property-prefix <p>', 'prefix for the property keys')
  .option('--file <def.yaml>', 'definition file (YAML/JSON); flags override it')
  .option('--project <name>', 'project (default as for provstream run)')
  .option('--agent <name>', 'who defines it (default as for provstream run)')
  .option('--flush-timeout <ms>', 'how long to wait for Kafka', '5000')
  .action(async (name: string, o: Record<string, unknown>) => {
    const { addFileview, renderChange } = await import('../fileview/cli.js');
    process.stdout.write(renderChange(await addFileview(fileviewContext(), name, o as never), 'add') + '\n');
  });
fileview
  .command('list')
  .description("this project's fileviews (.provstream/fileviews.json)")
  .option('--all', 'include dropped views')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean; all?: boolean }) => {
    const { listFileviews } = await import('../fileview/cli.js');
    process.stdout.write(listFileviews(fileviewContext(), o) + '\n');
  });
fileview
  .command('history')
  .description('every recorded version of the fileview definitions (or of one), from ClickHouse')
  .argument('[name]')
  .option('--project <name>', 'project (default as for provstream run)')
  .option('--json', 'print the rows as JSON')
  .action(async (name: string | undefined, o: { project?: string; json?: boolean }) => {
    const { fileviewHistory } = await import('../fileview/cli.js');
    process.stdout.write((await fileviewHistory(fileviewContext(), name ?? null, o)) + '\n');
  });
fileview
  .command('drop')
  .description('drop a fileview (a new version that says so; the history stays)')
  .argument('<name>')
  .option('--project <name>', 'project')
  .option('--agent <name>', 'who drops it')
  .option('--flush-timeout <ms>', 'how long to wait for Kafka', '5000')
  .action(async (name: string, o: { project?: string; agent?: string; flushTimeout: string }) => {
    const { dropFileview, renderChange } = await import('../fileview/cli.js');
    process.stdout.write(renderChange(await dropFileview(fileviewContext(), name, o), 'drop') + '\n');
  });

program
  .command('demo')
  .description('run the whole pipeline on a sample project and print what was stored (services must be up: make demo does both)')
  .action(async () => {
    const { runDemo } = await import('../demo/run.js');
    await runDemo(process.env, (s) => process.stdout.write(s + '\n'), progress);
  });

registerMonitorCommands(program, process.env, progress);
registerGatewayCommands(program, process.env, progress);

registerGenerate(program, process.env, progress);
registerGraphCommands(program, process.env, progress);

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof ProvstreamError ? err.message : errorMessage(err);
  process.stderr.write(`provstream: error: ${message}\n`);
  process.exit(1);
});
