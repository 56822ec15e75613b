/**
 * Webhook delivery against a real local HTTP server (node:http): the request a receiver gets,
 * retries with backoff on 5xx / timeouts, no retry on 4xx, and a webhook that never recovers
 * ending in a recorded failure after the configured attempts instead of blocking.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { WebhookDispatcher } from './webhook.js';
import type { WebhookFailure, WebhookOptions } from './webhook.js';
import { redactWebhookUrl } from './core/index.js';
import type { Alert } from './core/index.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

const alert = (id: string): Alert => ({
  alertId: `alr:${id}`, ruleId: 'r', kind: 'threshold', severity: 'warning', time: 1, project: 'p', subject: 's', dedupKey: 'r:p:s',
  message: 'm', value: 1, threshold: 2, details: {}, eventIds: ['e'], vertexIds: ['s'], notify: [{ type: 'webhook', target: 'http://127.0.0.1/…#00000000' }],
});

describe('WebhookDispatcher against a local HTTP server', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];
  /** Per path: the statuses to answer, in order (the last one repeats); 0 = never answer. */
  const script = new Map<string, number[]>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) });
        const plan = script.get(req.url ?? '') ?? [200];
        const status = plan.length > 1 ? plan.shift()! : plan[0]!;
        if (status === 0) return; // hang: the client's timeout must fire
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const dispatcher = (failures: WebhookFailure[], o: Partial<WebhookOptions> = {}) =>
    new WebhookDispatcher(
      { timeoutMs: 300, attempts: 4, initialDelayMs: 20, maxDelayMs: 100, concurrency: 4, maxQueued: 100, ...o },
      async (f) => void failures.push(f),
      pino({ level: 'silent' }),
    );
  const hits = (path: string) => received.filter((r) => r.path === path);

  it('POSTs the alert as JSON with an Idempotency-Key', async () => {
    const failures: WebhookFailure[] = [];
    const d = dispatcher(failures);
    await (await d.submit(alert('ok'), `${base}/ok`)).done;
    const [r] = hits('/ok');
    expect(r!.headers['content-type']).toBe('application/json');
    expect(r!.headers['idempotency-key']).toBe('alr:ok');
    expect(r!.body).toEqual(alert('ok'));
    expect(failures).toEqual([]);
  });

  it('retries 503s and timeouts, then delivers once', async () => {
    script.set('/flaky', [503, 0, 200]);
    const failures: WebhookFailure[] = [];
    await (await dispatcher(failures).submit(alert('flaky'), `${base}/flaky`)).done;
    expect(hits('/flaky').length).toBe(3);
    expect(new Set(hits('/flaky').map((r) => r.headers['idempotency-key']))).toEqual(new Set(['alr:flaky']));
    expect(failures).toEqual([]);
  });

  it('gives up after the configured attempts and records the failure, without blocking other deliveries', async () => {
    script.set('/down', [500]);
    const failures: WebhookFailure[] = [];
    const d = dispatcher(failures, { attempts: 3 });
    const down = await d.submit(alert('down'), `${base}/down`);
    const ok = await d.submit(alert('ok2'), `${base}/ok2`);
    await ok.done;
    expect(hits('/ok2').length).toBe(1);
    await down.done;
    expect(hits('/down').length).toBe(3);
    expect(failures).toEqual([{ alert: alert('down'), target: redactWebhookUrl(`${base}/down`), attempts: 3, status: 500, error: expect.stringContaining('500') }]);
    expect(JSON.stringify(failures)).not.toContain('/down');
  });

  it('does not retry a 4xx answer (the receiver rejected it)', async () => {
    script.set('/reject', [400]);
    const failures: WebhookFailure[] = [];
    await (await dispatcher(failures).submit(alert('reject'), `${base}/reject`)).done;
    expect(hits('/reject').length).toBe(1);
    expect(failures.map((f) => [f.status, f.attempts])).toEqual([[400, 1]]);
  });

  it('records an unreachable receiver after the attempts', async () => {
    const failures: WebhookFailure[] = [];
    await (await dispatcher(failures, { attempts: 2 }).submit(alert('nobody'), 'http://127.0.0.1:1/hook')).done;
    expect(failures.map((f) => [f.status, f.attempts])).toEqual([[0, 2]]);
  });

  it('names the webhook by its public form in failure records, also when the error quotes the URL', async () => {
    const failures: WebhookFailure[] = [];
    const url = 'http://127.0.0.1:99999/services/SECRET?token=SECRET'; // a port fetch cannot parse
    await (await dispatcher(failures, { attempts: 1 }).submit(alert('bad-url'), url)).done;
    expect(failures.map((f) => [f.target, f.error])).toEqual([[redactWebhookUrl(url), expect.stringContaining('Failed to parse URL')]]);
    expect(JSON.stringify(failures)).not.toContain('SECRET');
  });
});
