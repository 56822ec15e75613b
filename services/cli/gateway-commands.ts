/**
 * The gateway's commands (issue 3), registered on the `provstream` program by cli/main.ts:
 *   provstream gateway                                   run the HTTP gateway (and the OpenLineage topic consumer)
 *   provstream import openlineage|prov-json <file|->     publish files of OpenLineage events / PROV-JSON documents
 * Settings come from the gateway's config (services/gateway/config.ts, `.env.example`).
 */
import { Command, Option } from 'commander';
import type { Env } from '../lib/config.js';
import { loadGatewayPipelineConfig } from '../gateway/config.js';
import { parseDateTime } from '../gateway/shape.js';
import { importFile, renderImportReport } from './import.js';
import type { ImportFormat } from './import.js';
import { settingsHelp } from './settings-help.js';

export function registerGatewayCommands(program: Command, env: Env, progress: (msg: string) => void): void {
  program
    .command('gateway')
    .description('run the HTTP gateway: native events, OpenLineage and W3C PROV-JSON in, PROV-JSON lineage out (services/gateway/README.md); Ctrl-C stops it cleanly')
    .addHelpText('after', settingsHelp('HTTP gateway'))
    .action(async () => {
      const { main } = await import('../gateway/main.js');
      await main(env);
    });

  program
    .command('import')
    .description('publish a file of OpenLineage events or W3C PROV-JSON documents (JSON lines, a JSON array, or one document; - for stdin) through the gateway mapping')
    .addArgument(new Command().createArgument('<format>', 'openlineage or prov-json').choices(['openlineage', 'prov-json']))
    .argument('<file>', 'the file, or - for stdin')
    .option('--project <name>', 'the project to write to (default PROVSTREAM_PROJECT)', env['PROVSTREAM_PROJECT'] ?? 'default')
    .option('--json', 'print the summary as JSON')
    .addOption(new Option('--batch <n>', 'OpenLineage events per publish').default('500'))
    .addOption(new Option('--run-state <where>', 'where OpenLineage run states live (default GATEWAY_RUN_STATE: redis, shared with the gateway)').choices(['redis', 'memory']))
    .option('--time <time>', 'PROV-JSON: the time of facts without their own (RFC 3339 or epoch ms; default now)')
    .action(async (format: ImportFormat, file: string, o: { project: string; json?: boolean; batch: string; runState?: 'redis' | 'memory'; time?: string }) => {
      const cfg = loadGatewayPipelineConfig(env);
      const batchSize = Number(o.batch);
      if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`--batch must be a positive integer, got ${o.batch}`);
      const time = o.time === undefined ? undefined : /^\d+$/.test(o.time) ? Number(o.time) : parseDateTime(o.time);
      if (time === null) throw new Error(`--time ${o.time} is not an RFC 3339 date-time or epoch milliseconds`);
      const report = await importFile(cfg, format, file, { project: o.project, batchSize, runState: o.runState ?? cfg.runState, ...(time !== undefined ? { time } : {}), progress });
      process.stdout.write((o.json ? JSON.stringify(report) : renderImportReport(report)) + '\n');
      process.exitCode = report.rejected > 0 ? 1 : 0;
    });
}
