/**
 * `provstream alerts`: recent alerts from the ClickHouse `alerts` table (every alert), or with
 * `--follow` a live feed tailing the Kafka alerts topic (alerts of rules that list the `feed`
 * target; `--all` for every alert), as text (alert-render.ts) or `--json` lines.
 */
import { alertFromRow } from '../monitor/alert-sinks.js';
import type { MonitorConfig } from '../monitor/config.js';
import { SEVERITIES } from '../monitor/core/index.js';
import type { Severity } from '../monitor/core/index.js';
import { AlertFeed, feedMatches } from '../monitor/feed.js';
import type { FeedFilter } from '../monitor/feed.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { InputError } from '../lib/errors.js';
import { createKafka } from '../lib/kafka.js';
import { createRootLogger } from '../lib/log.js';
import { recentAlerts } from '../query/catalogue.js';
import { renderAlert } from './alert-render.js';

type Out = (s: string) => void;

export interface AlertsOptions {
  follow?: boolean;
  json?: boolean;
  all?: boolean;
  project?: string;
  rule?: string;
  severity?: string;
  limit: string;
  fromBeginning?: boolean;
}

function minSeverity(s: string | undefined): Severity | undefined {
  if (s === undefined) return undefined;
  if (!(SEVERITIES as readonly string[]).includes(s)) throw new InputError(`--severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(s)}`);
  return s as Severity;
}

export async function alertsCommand(cfg: MonitorConfig, o: AlertsOptions, out: Out, progress: Out): Promise<void> {
  const severity = minSeverity(o.severity);
  if (!o.follow) {
    const limit = Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new InputError('--limit must be a positive integer');
    const wh = await connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase, settings: { readonly: 2 } });
    try {
      const rows = await wh.query(
        recentAlerts({ limit, ...(o.project ? { project: o.project } : {}), ...(o.rule ? { ruleId: o.rule } : {}), ...(severity ? { severities: SEVERITIES.slice(SEVERITIES.indexOf(severity)) } : {}) }),
      );
      const alerts = rows.map(alertFromRow).reverse();
      for (const a of alerts) out(o.json ? JSON.stringify(a) : renderAlert(a));
      if (!o.json) progress(`${alerts.length} alert(s), oldest first (table alerts in ${cfg.clickhouseDatabase})`);
    } finally {
      await wh.close();
    }
    return;
  }

  const filter: FeedFilter = { all: !!o.all, ...(o.project ? { project: o.project } : {}), ...(o.rule ? { ruleId: o.rule } : {}), ...(severity ? { minSeverity: severity } : {}) };
  const log = createRootLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, 'provstream-alerts');
  const feed = new AlertFeed(createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-alerts' }, log), cfg.alertsTopic, log, o.fromBeginning ? 'beginning' : 'end');
  feed.subscribe((a) => {
    if (feedMatches(a, filter)) out(o.json ? JSON.stringify(a) : renderAlert(a));
  });
  await feed.start();
  progress(`following ${cfg.alertsTopic}${filter.all ? '' : ' (rules with the feed target; --all for every alert)'}; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await feed.stop();
}
