/**
 * The monitor's part of `make demo`: a monitor runs in-process while the sample project is
 * published, with two rules added through the registry (a threshold on model accuracy and a
 * pii lineage taint), and the alerts they raised are printed from the ClickHouse `alerts` table
 * with the provenance (events, vertices) that triggered them. The demo uses its own consumer
 * group and Redis prefix (overridable with MONITOR_GROUP_ID / MONITOR_REDIS_PREFIX), so it does
 * not touch a deployment's rules. Running the demo again raises nothing new (same events, same
 * committed offsets) and prints the same alerts.
 */
import { parse as parseYaml } from 'yaml';
import type { Env } from '../lib/config.js';
import { connectWarehouse } from '../lib/clickhouse.js';
import type { Logger } from '../lib/log.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import { sleep } from '../lib/retry.js';
import type { ProvEvent } from '../model/types.js';
import { alertFromRow } from '../monitor/alert-sinks.js';
import { loadMonitorConfig } from '../monitor/config.js';
import { dryRun, formatIssue, parseRules } from '../monitor/core/index.js';
import type { Alert } from '../monitor/core/index.js';
import { startMonitor } from '../monitor/main.js';
import { RuleRegistry, rawRuleItems } from '../monitor/rule-registry.js';
import { recentAlerts } from '../query/catalogue.js';

export const DEMO_RULES = `rules:
  - id: demo-low-accuracy
    kind: threshold
    severity: warning
    projects: [demo]
    notify: [feed]
    match: {artifact: "models/*"}
    threshold: {metric: accuracy, op: "<", value: 0.85}
  - id: demo-pii-lineage
    kind: taint
    severity: critical
    dedupWindow: 0
    projects: [demo]
    notify: [feed]
    taint: {when: "pii = true"}
`;

/**
 * What the demo prints: the alerts the dry run expects, when they all arrived. Alerts of earlier
 * demo runs stay in the table (and may have other ids: a taint alert's id follows the order in
 * which the partitions' events were evaluated), so they are counted, not listed. When not all the
 * expected ones arrived (this run's order differed from the dry run's), every alert is listed.
 */
export function alertsToShow(alerts: readonly Alert[], expected: ReadonlySet<string>): { shown: Alert[]; earlier: number; arrived: number } {
  const mine = alerts.filter((a) => expected.has(a.alertId));
  const arrived = mine.length;
  return arrived === expected.size ? { shown: mine, earlier: alerts.length - arrived, arrived } : { shown: [...alerts], earlier: 0, arrived };
}

export interface DemoMonitor {
  /** Waits until the alerts the demo rules must raise on `events` are stored, and prints them. */
  report(project: string, events: readonly ProvEvent[], out: (s: string) => void): Promise<void>;
  stop(): Promise<void>;
}

export async function startDemoMonitor(env: Env, log: Logger, progress: (s: string) => void): Promise<DemoMonitor> {
  const cfg = loadMonitorConfig({ MONITOR_GROUP_ID: 'provstream-demo-monitor', MONITOR_REDIS_PREFIX: 'provstream-demo:', MONITOR_HTTP_PORT: '-1', ...env });
  const parsed = parseRules(DEMO_RULES);
  if (!parsed.ok) throw new Error(parsed.errors.map(formatIssue).join('\n'));
  const rules = parsed.value;
  const raw = rawRuleItems(parseYaml(DEMO_RULES));
  const redis = createRedis(cfg.redisUrl, { connectionName: 'provstream-demo' });
  try {
    await connectRedis(redis, cfg.redisUrl);
    await new RuleRegistry(redis, cfg.redisPrefix).put(rules.map((r, i) => ({ id: r.id, raw: raw[i] })));
  } finally {
    redis.disconnect();
  }
  progress(`starting the monitor (group ${cfg.groupId}, Redis prefix ${cfg.redisPrefix}) with rules ${rules.map((r) => r.id).join(', ')}`);
  const running = await startMonitor(cfg, log.child({ module: 'monitor' }));
  return {
    async report(project, events, out) {
      const expected = new Set(dryRun(rules, events).alerts.map((a) => a.alertId));
      const wh = await connectWarehouse({ url: cfg.clickhouseUrl, database: cfg.clickhouseDatabase });
      try {
        const started = Date.now();
        let stored = await wh.query(recentAlerts({ project, limit: 1000 }));
        while (stored.filter((r) => expected.has(String(r['alert_id']))).length < expected.size && Date.now() - started < 60_000) {
          await sleep(250);
          stored = await wh.query(recentAlerts({ project, limit: 1000 }));
        }
        const { shown, earlier, arrived } = alertsToShow(stored.map(alertFromRow).filter((a) => a.ruleId.startsWith('demo-')).reverse(), expected);
        out(`\n== Alerts raised by the monitor (${shown.length}; rules ${rules.map((r) => r.id).join(', ')}) ==`);
        for (const a of shown) {
          out(`${new Date(a.time).toISOString()}  ${a.severity.padEnd(8)} ${a.ruleId}  ${a.message}`);
          out(`    provenance: events ${a.eventIds.join(' ')}; vertices ${a.vertexIds.join(' -> ')}`);
        }
        if (arrived < expected.size) out(`(only ${arrived} of the ${expected.size} expected alerts arrived within 60 s; see the monitor log)`);
        if (earlier > 0) out(`(${earlier} more alerts of project ${project} in the table are from earlier demo runs: provstream alerts --project ${project})`);
        out('Try: provstream alerts --follow   (and in another shell: provstream rules test rules.yaml --from-clickhouse --project demo)');
      } finally {
        await wh.close();
      }
    },
    stop: () => running.stop(),
  };
}
