/**
 * `provstream alerts`: recent alerts from the ClickHouse `alerts` table (every alert), or with
 * `--follow` a live feed tailing the Kafka alerts topic (alerts of rules that list the `feed`
 * target; `--all` for every alert), one line per alert or `--json` lines. A follow can start at
 * the beginning of the topic or resume after the position another one stopped at (`--since`,
 * printed when it stops; the same positions as the ids of the monitor's SSE feed).
 */
import { alertFromRow } from '../monitor/alert-sinks.js';
import type { MonitorConfig } from '../monitor/config.js';
import { SEVERITIES } from '../monitor/core/index.js';
import type { Severity } from '../monitor/core/index.js';
import { AlertFeed, feedMatches } from '../monitor/feed.js';
import type { FeedFilter } from '../monitor/feed.js';
import { parsePosition } from '../monitor/feed-position.js';
import type { FeedStart } from '../monitor/feed-position.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import { InputError } from '../lib/errors.js';
import { createKafka, kafkaFailure } from '../lib/kafka.js';
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
  since?: string;
}

function minSeverity(s: string | undefined): Severity | undefined {
  if (s === undefined) return undefined;
  if (!(SEVERITIES as readonly string[]).includes(s)) throw new InputError(`--severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(s)}`);
  return s as Severity;
}

/** Where a follow starts, after refusing the flags that only make sense with --follow (or not together). */
export function followStart(o: AlertsOptions): FeedStart | undefined {
  if (!o.follow) {
    const onlyFollow = [o.all && '--all', o.fromBeginning && '--from-beginning', o.since !== undefined && '--since'].filter((f): f is string => typeof f === 'string');
    if (onlyFollow.length > 0) {
      throw new InputError(
        `${onlyFollow.join(' and ')} need${onlyFollow.length === 1 ? 's' : ''} --follow: without it, alerts lists the --limit most recent alerts of every rule from the alerts table`,
      );
    }
    return undefined;
  }
  if (o.fromBeginning && o.since !== undefined) throw new InputError('--from-beginning and --since both say where to start; give one');
  if (o.since !== undefined) {
    const after = parsePosition(o.since);
    if (typeof after === 'string') throw new InputError(`--since: ${after}`);
    return { after };
  }
  return o.fromBeginning ? 'beginning' : 'end';
}

export async function alertsCommand(cfg: MonitorConfig, o: AlertsOptions, out: Out, progress: Out): Promise<void> {
  const severity = minSeverity(o.severity);
  const start = followStart(o);
  if (start === undefined) {
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
  // kafkajs logs every failed connection attempt; the command reports the outcome once instead
  // (LOG_LEVEL=debug shows them).
  const kafkaLog = cfg.logLevel === 'debug' || cfg.logLevel === 'trace' ? log : log.child({}, { level: 'silent' });
  const feed = new AlertFeed(createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-alerts' }, kafkaLog), cfg.alertsTopic, log, start);
  feed.subscribe((a) => {
    if (feedMatches(a, filter)) out(o.json ? JSON.stringify(a) : renderAlert(a));
  });
  let notes: string[];
  try {
    notes = await feed.start();
  } catch (err) {
    await feed.stop();
    throw kafkaFailure(err, cfg.kafkaBrokers, { name: cfg.alertsTopic, missing: 'it is created when a monitor starts (provstream monitor); MONITOR_ALERTS_TOPIC names it' });
  }
  for (const n of notes) progress(n);
  progress(`following ${cfg.alertsTopic}${filter.all ? '' : ' (rules with the feed target; --all for every alert)'}; Ctrl-C stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const position = feed.position();
  await feed.stop();
  progress(`stopped at ${position}; --since ${position} resumes there`);
}
