/**
 * The alert log sinks: every alert goes to the Kafka alerts topic (key = alertId, value = the
 * alert as JSON; what live feeds tail) and to the ClickHouse `alerts` table (what
 * `provstream alerts` lists). Both are idempotent by alertId: a repeated alert is the same
 * record (consumers dedupe by key; the table is a ReplacingMergeTree on alert_id).
 *
 * `notify` on a rule chooses who is *notified* (webhooks, live feeds); the log records every
 * alert whatever its targets (the `kafka` and `clickhouse` targets are accepted and implied).
 * Alerts name webhooks by their public form only (core/alerts.ts, AlertTarget); reading back an
 * older record that still holds a URL redacts it.
 */
import type { Producer } from 'kafkajs';
import type { Warehouse } from '../lib/clickhouse.js';
import { alertTargetsFrom, alertTargetText, type Alert } from './core/index.js';

/**
 * A destination for alerts. write() resolves only after the destination acknowledged every
 * alert; it may be called again with the same alerts (after a crash or a retry) and must then
 * not create a second logical record. It throws retriable errors when the service is away.
 */
export interface AlertSink {
  readonly name: string;
  /** How long a first queued alert may wait for others to share its write (default 0). */
  readonly lingerMs?: number;
  write(alerts: readonly Alert[]): Promise<void>;
}

export const ALERT_HEADERS = { ruleId: 'provstream-rule', severity: 'provstream-severity', project: 'provstream-project' } as const;

export class KafkaAlertSink implements AlertSink {
  readonly name = 'kafka';
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async write(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: alerts.map((a) => ({
        key: a.alertId,
        value: JSON.stringify(a),
        headers: { [ALERT_HEADERS.ruleId]: a.ruleId, [ALERT_HEADERS.severity]: a.severity, [ALERT_HEADERS.project]: a.project },
      })),
    });
  }
}

export class ClickHouseAlertSink implements AlertSink {
  readonly name = 'clickhouse';
  /**
   * @param lingerMs every insert is a part ClickHouse writes and merges: under load, alerts wait
   *   up to this long to share one (MONITOR_CLICKHOUSE_LINGER_MS; the alerts topic never waits).
   */
  constructor(
    private readonly wh: Warehouse,
    private readonly clock: () => number = Date.now,
    readonly lingerMs = 0,
  ) {}

  async write(alerts: readonly Alert[]): Promise<void> {
    const now = this.clock();
    await this.wh.insert('alerts', alerts.map((a) => alertRow(a, now)));
  }
}

export function alertRow(a: Alert, recordedAt: number): Record<string, unknown> {
  return {
    project: a.project,
    alert_id: a.alertId,
    rule_id: a.ruleId,
    kind: a.kind,
    severity: a.severity,
    time: a.time,
    subject: a.subject,
    dedup_key: a.dedupKey,
    message: a.message,
    value_json: JSON.stringify(a.value),
    threshold_json: JSON.stringify(a.threshold),
    details_json: JSON.stringify(a.details),
    event_ids: a.eventIds,
    vertex_ids: a.vertexIds,
    notify: a.notify.map(alertTargetText),
    recorded_at: recordedAt,
  };
}

/** An alert read back from the table (the inverse of alertRow; notify targets rebuilt). */
export function alertFromRow(r: Record<string, unknown>): Alert {
  const json = (v: unknown): never => JSON.parse(String(v ?? 'null')) as never;
  return {
    alertId: String(r['alert_id']),
    ruleId: String(r['rule_id']),
    kind: String(r['kind']) as Alert['kind'],
    severity: String(r['severity']) as Alert['severity'],
    time: Number(r['time']),
    project: String(r['project']),
    subject: String(r['subject']),
    dedupKey: String(r['dedup_key']),
    message: String(r['message']),
    value: json(r['value_json']),
    threshold: json(r['threshold_json']),
    details: json(r['details_json']),
    eventIds: (r['event_ids'] as string[]) ?? [],
    vertexIds: (r['vertex_ids'] as string[]) ?? [],
    notify: alertTargetsFrom((r['notify'] as string[]) ?? []),
  };
}

/** Parses an alerts-topic message value; undefined when it is not an alert. */
export function alertFromMessage(value: Buffer | string | null): Alert | undefined {
  if (value === null) return undefined;
  try {
    const a = JSON.parse(value.toString()) as Partial<Alert>;
    if (typeof a.alertId !== 'string' || typeof a.ruleId !== 'string' || typeof a.message !== 'string' || !Array.isArray(a.notify)) return undefined;
    return { ...a, notify: alertTargetsFrom(a.notify) } as Alert;
  } catch {
    return undefined;
  }
}
