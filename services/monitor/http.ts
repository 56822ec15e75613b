/**
 * The monitor's small HTTP server (node:http):
 *
 *   GET /healthz          200 {"status":"ok", ...} while the consumer runs, 503 otherwise
 *   GET /alerts/stream    server-sent events: one `event: alert` per new alert (id = alertId,
 *                         data = the alert as JSON), a comment line every 15 s to keep proxies
 *                         from closing the stream. Query: all=1 (also alerts whose rule does
 *                         not list `feed`), project=, rule=, severity= (minimum).
 *
 * Errors map to JSON `{"error": ...}` responses in one place (`send`).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/log.js';
import { SEVERITIES } from './core/index.js';
import type { Severity } from './core/index.js';
import { feedMatches } from './feed.js';
import type { AlertFeed, FeedFilter } from './feed.js';

export interface HealthReport {
  ok: boolean;
  details: Record<string, unknown>;
}

export interface MonitorHttp {
  readonly port: number;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;

export async function startHttp(host: string, port: number, feed: AlertFeed, health: () => Promise<HealthReport>, log: Logger): Promise<MonitorHttp> {
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://monitor');
    if (req.method !== 'GET') return send(res, 405, { error: `${req.method} is not supported; use GET` });
    if (url.pathname === '/healthz') {
      const h = await health();
      return send(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unavailable', ...h.details });
    }
    if (url.pathname === '/alerts/stream') {
      const filter = parseFilter(url.searchParams);
      if (typeof filter === 'string') return send(res, 400, { error: filter });
      return stream(req, res, filter);
    }
    return send(res, 404, { error: `no route ${url.pathname}; try /alerts/stream or /healthz` });
  }

  function stream(req: IncomingMessage, res: ServerResponse, filter: FeedFilter): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n: connected to the provstream alert feed\n\n');
    streams.add(res);
    const unsubscribe = feed.subscribe((a) => {
      if (feedMatches(a, filter)) res.write(`id: ${a.alertId}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
    });
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(beat);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', end);
    res.on('error', end);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  log.info({ host, port: actual }, `alert feed on http://${host}:${actual}/alerts/stream, health on /healthz`);
  return {
    port: actual,
    async close() {
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseFilter(q: URLSearchParams): FeedFilter | string {
  const severity = q.get('severity');
  if (severity !== null && !(SEVERITIES as readonly string[]).includes(severity)) return `severity must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(severity)}`;
  return {
    all: q.get('all') === '1' || q.get('all') === 'true',
    ...(q.get('project') ? { project: q.get('project')! } : {}),
    ...(q.get('rule') ? { ruleId: q.get('rule')! } : {}),
    ...(severity ? { minSeverity: severity as Severity } : {}),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}
