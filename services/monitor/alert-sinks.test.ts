/**
 * The alert log's records (alerts table row, alerts topic message) and what `provstream alerts`
 * (--json) and the live feeds read back from them: webhooks redacted, also in records written
 * before alerts carried them redacted.
 */
import { describe, expect, it } from 'vitest';
import { alertFromMessage, alertFromRow, alertRow } from './alert-sinks.js';
import { redactWebhookUrl } from './core/index.js';
import type { Alert } from './core/index.js';
import { feedMatches } from './feed.js';

const URL_ = 'https://hooks.example.com/services/T0/B0/SECRET?token=SECRET';
const TARGET = redactWebhookUrl(URL_);
const alert: Alert = {
  alertId: 'alr:1', ruleId: 'r', kind: 'threshold', severity: 'warning', time: 1, project: 'p', subject: 's', dedupKey: 'r:p:s',
  message: 'm', value: 1, threshold: 2, details: {}, eventIds: ['e'], vertexIds: ['s'], notify: [{ type: 'feed' }, { type: 'webhook', target: TARGET }],
};

describe('alert records', () => {
  it('a table row round-trips and holds the redacted webhook', () => {
    const row = alertRow(alert, 5);
    expect(row['notify']).toEqual(['feed', `webhook:${TARGET}`]);
    expect(alertFromRow(JSON.parse(JSON.stringify(row)) as Record<string, unknown>)).toEqual(alert);
  });

  it('a row written before the redaction is read back redacted', () => {
    const row = { ...alertRow(alert, 5), notify: ['feed', `webhook:${URL_}`] };
    const back = alertFromRow(row);
    expect(back).toEqual(alert);
    expect(JSON.stringify(back)).not.toContain('SECRET');
  });

  it.each<[string, unknown[]]>([
    ['current', alert.notify],
    ['written before the redaction', [{ type: 'feed' }, { type: 'webhook', url: URL_ }]],
  ])('a topic message (%s) is read back redacted, and feed filtering still sees its feed target', (_name, notify) => {
    const back = alertFromMessage(JSON.stringify({ ...alert, notify }));
    expect(back).toEqual(alert);
    expect(JSON.stringify(back)).not.toContain('SECRET');
    expect(feedMatches(back!, { all: false })).toBe(true);
  });
});
