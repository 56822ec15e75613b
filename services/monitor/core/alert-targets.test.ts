/**
 * Webhook URLs are secrets: alerts name them by a public form (scheme, host, fingerprint), never
 * their path or query; records written before the redaction are redacted when read back.
 */
import { describe, expect, it } from 'vitest';
import { alertTargetFrom, alertTargetText, dryRun, publicTargets, redactWebhookUrl } from './index.js';
import { sha256Hex } from './hash.js';
import { Stream, rule } from './test-fixtures.js';

const SLACK = 'https://hooks.slack.com/services/T0SECRET/B0SECRET/xSECRET';
const fp = (url: string) => sha256Hex(url).slice(0, 8);

describe('redactWebhookUrl', () => {
  it.each([
    ['a Slack-style URL', SLACK, `https://hooks.slack.com/…#${fp(SLACK)}`],
    ['query string', 'http://example.com/hook?token=SECRET', `http://example.com/…#${fp('http://example.com/hook?token=SECRET')}`],
    ['user and password', 'https://user:SECRET@example.com:8443/x', `https://example.com:8443/…#${fp('https://user:SECRET@example.com:8443/x')}`],
    ['not a URL', 'hooks SECRET', `/…#${fp('hooks SECRET')}`],
  ])('%s', (_name, url, expected) => {
    expect(redactWebhookUrl(url)).toBe(expected);
    expect(redactWebhookUrl(expected)).toBe(expected); // idempotent: reading a record back changes nothing
  });

  it('tells two webhooks on one host apart', () => {
    expect(redactWebhookUrl(`${SLACK}1`)).not.toBe(redactWebhookUrl(`${SLACK}2`));
  });
});

describe('alertTargetFrom (records of any age)', () => {
  it.each<[string, unknown, unknown]>([
    ['table column of an old record', `webhook:${SLACK}`, { type: 'webhook', target: redactWebhookUrl(SLACK) }],
    ['table column, redacted', `webhook:${redactWebhookUrl(SLACK)}`, { type: 'webhook', target: redactWebhookUrl(SLACK) }],
    ['topic message of an old monitor', { type: 'webhook', url: SLACK }, { type: 'webhook', target: redactWebhookUrl(SLACK) }],
    ['topic message, redacted', { type: 'webhook', target: redactWebhookUrl(SLACK) }, { type: 'webhook', target: redactWebhookUrl(SLACK) }],
    ['feed as text', 'feed', { type: 'feed' }],
    ['feed as object', { type: 'feed' }, { type: 'feed' }],
    ['unknown', { type: 'pager' }, undefined],
    ['junk', 3, undefined],
  ])('%s', (_name, input, expected) => {
    expect(alertTargetFrom(input)).toEqual(expected);
  });

  it('the text form round-trips', () => {
    for (const t of publicTargets([{ type: 'feed' }, { type: 'webhook', url: SLACK }])) expect(alertTargetFrom(alertTargetText(t))).toEqual(t);
  });
});

describe('alerts raised by a rule with a webhook', () => {
  it('carry the webhook redacted, and nothing of its path', () => {
    const big = rule(`rules: [{id: big, kind: threshold, severity: info, dedupWindow: 0, notify: [feed, {type: webhook, url: "${SLACK}?k=SECRET"}], threshold: {property: rows, op: ">", value: 1}}]`);
    const s = new Stream();
    const e = s.entity('data/x', 'a');
    const { alerts } = dryRun([big], [e, s.property(s.entityId('data/x', 'a'), 'rows', 5)]);
    expect(alerts.length).toBe(1);
    expect(alerts[0]!.notify).toEqual([{ type: 'feed' }, { type: 'webhook', target: `https://hooks.slack.com/…#${fp(`${SLACK}?k=SECRET`)}` }]);
    expect(JSON.stringify(alerts)).not.toContain('SECRET');
  });
});
