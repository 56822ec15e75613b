/**
 * The monitor's commands (issue 5), registered on the `provstream` program by cli/main.ts:
 *   provstream monitor                        run a monitor instance (consumer group member)
 *   provstream rules add|list|remove|test     the rule registry and dry runs
 *   provstream alerts [--follow]              recent alerts, or the live feed
 * Settings come from the monitor's config (services/monitor/config.ts, `.env.example`).
 */
import type { Command } from 'commander';
import type { Env } from '../lib/config.js';
import { loadMonitorConfig } from '../monitor/config.js';
import { alertsCommand } from './alerts.js';
import { rulesAdd, rulesList, rulesRemove, rulesTest } from './rules.js';
import { settingsHelp } from './settings-help.js';

const out = (s: string) => process.stdout.write(s + '\n');

export function registerMonitorCommands(program: Command, env: Env, progress: (msg: string) => void): void {
  const cfg = () => loadMonitorConfig(env);

  program
    .command('monitor')
    .description('run a monitor: evaluates the rules on the event stream (state in Redis), raises alerts; Ctrl-C stops it cleanly; start more to scale out')
    .addHelpText('after', settingsHelp('monitor'))
    .action(async () => {
      const { main } = await import('../monitor/main.js');
      await main(env);
    });

  const rules = program.command('rules').description('monitoring rules: add, list, remove, or test against recorded events (running monitors pick up changes without restart)');
  rules
    .command('add')
    .description(
      'add or replace the rules of a YAML/JSON rule file (validated first). A replaced rule keeps its state (taint marks, history, counts) ' +
        'unless its kind, match, projects or kind parameters changed; severity, notify, description, enabled, dedupWindow and stateTtl do not clear it',
    )
    .argument('<file>', 'rule file (services/monitor/core/README.md)')
    .option('--reset-state', "clear the state of the file's rules that were stored already, even when kept otherwise")
    .option('--json', 'print a JSON report')
    .action(async (file: string, o: { json?: boolean; resetState?: boolean }) => rulesAdd(cfg(), file, { json: !!o.json, resetState: !!o.resetState }, out));
  rules
    .command('list')
    .description('list the rules stored in the registry (Redis, rules add); rules of a MONITOR_RULES_FILE are not listed, and monitors run the file\'s definition of an id defined in both')
    .option('--json', 'print the validated rules as JSON')
    .action(async (o: { json?: boolean }) => rulesList(cfg(), !!o.json, out));
  rules
    .command('remove')
    .description('remove rules by id from the registry (and delete their state)')
    .argument('<ids...>', 'rule ids')
    .option('--json', 'print a JSON report')
    .action(async (ids: string[], o: { json?: boolean }) => {
      if (!(await rulesRemove(cfg(), ids, !!o.json, out))) process.exitCode = 1;
    });
  rules
    .command('test')
    .description('replay recorded events through the rules of a file and show what would fire; notifies no one and changes nothing')
    .argument('<file>', 'rule file to test')
    .option('--events <file>', 'JSON-lines file of events (as for provstream emit), or - for stdin')
    .option('--from-clickhouse', 'replay the events recorded in ClickHouse (events_raw) for --project')
    .option('--project <name>', 'project to replay with --from-clickhouse')
    .option('--since <time>', 'with --from-clickhouse: only events at or after this time (ISO or epoch ms)')
    .option('--limit <n>', 'with --from-clickhouse: at most this many events', '1000000')
    .option('--until <time>', 'after the last event, fire absence deadlines up to this time ("now", ISO or epoch ms)')
    .option('--json', 'print the dry-run result as JSON')
    .action(async (file: string, o: { events?: string; fromClickhouse?: boolean; project?: string; since?: string; limit: string; until?: string; json?: boolean }) => {
      const result = await rulesTest(cfg(), file, { ...o, limit: Number(o.limit), json: !!o.json }, out, progress);
      if (result.errors.length > 0) process.exitCode = 1;
    });

  program
    .command('alerts')
    .description('recent alerts (ClickHouse), or --follow the live feed (Kafka alerts topic)')
    .option('-f, --follow', 'print new alerts as they are raised, until Ctrl-C')
    .option('--json', 'one JSON alert per line')
    .option('--all', 'with --follow: every alert, not only rules with the feed target')
    .option('--from-beginning', 'with --follow: start at the beginning of the alerts topic (as far back as its retention keeps)')
    .option('--since <position>', 'with --follow: resume right after this position (partition:offset[,...], printed when a follow stops; the SSE feed\'s event ids)')
    .option('--project <name>', 'only this project')
    .option('--rule <id>', 'only this rule')
    .option('--severity <level>', 'at least this severity (info, warning, critical)')
    .option('--limit <n>', 'without --follow: how many recent alerts', '50')
    .action(async (o: Parameters<typeof alertsCommand>[1]) => alertsCommand(cfg(), o, out, progress));
}
