/**
 * The monitor's small HTTP server (node:http):
 *
 *   GET /healthz          200 {"status":"ok", "redis":"connected", ...} while the consumer runs
 *                         and both Redis connections are up, 503 otherwise ("redis":"reconnecting")
 *   GET /alerts/stream    server-sent events: one `event: alert` per new alert (data = the
 *                         alert as JSON; id = the feed's position in the alerts topic after it,
 *                         `partition:offset[,...]`), a comment line every 15 s to keep proxies
 *                         from closing the stream (with an `id:` when the position moved, so a
 *                         client whose filter matched nothing still resumes from there).
 *                         Query: all=1 (also alerts whose rule does not list `feed`), project=,
 *                         rule=, severity= (minimum), since= (a position).
 *                         Resuming: a `Last-Event-ID` header (what EventSource sends when it
 *                         reconnects; it wins over since=) or since= starts right after that
 *                         position, so alerts raised while the client was away are sent first,
 *                         none twice; such a stream reads the topic with its own consumer for
 *                         its lifetime. Alerts gone past the topic's retention are said so in a
 *                         comment line, and the stream starts at the earliest one kept.
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
import { parsePosition } from './feed-position.js';
import type { FeedStart } from './feed-position.js';

export interface HealthReport {
  ok: boolean;
  details: Record<string, unknown>;
}

export interface MonitorHttp {
  readonly port: number;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;

/**
 * `feed` is the shared live feed (started); `openFeed` makes a feed of its own for a stream that
 * resumes from a position (started and stopped here).
 */
export async function startHttp(
  host: string,
  port: number,
  feed: AlertFeed,
  openFeed: (from: FeedStart) => AlertFeed,
  health: () => Promise<HealthReport>,
  log: Logger,
  heartbeatMs = HEARTBEAT_MS,
): Promise<MonitorHttp> {
  const streams = new Set<ServerResponse>();
  const resumed = new Set<AlertFeed>();
  const stopping = new Set<Promise<void>>();
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
      const header = req.headers['last-event-id'];
      const since = (Array.isArray(header) ? header[0] : header) || url.searchParams.get('since');
      if (!since) return stream(req, res, filter, feed, []);
      const after = parsePosition(since);
      if (typeof after === 'string') return send(res, 400, { error: `${req.headers['last-event-id'] ? 'Last-Event-ID' : 'since'}: ${after}` });
      const own = openFeed({ after });
      let notes: string[];
      try {
        notes = await own.start();
      } catch (err) {
        await own.stop();
        return send(res, 503, { error: `the alerts topic cannot be read to resume the feed: ${err instanceof Error ? err.message : String(err)}` });
      }
      if (req.socket.destroyed) return own.stop();
      resumed.add(own);
      res.on('close', () => {
        resumed.delete(own);
        const done: Promise<void> = own.stop().finally(() => stopping.delete(done));
        stopping.add(done);
      });
      return stream(req, res, filter, own, [`resuming after ${since}`, ...notes]);
    }
    return send(res, 404, { error: `no route ${url.pathname}; try /alerts/stream or /healthz` });
  }

  function stream(req: IncomingMessage, res: ServerResponse, filter: FeedFilter, source: AlertFeed, notes: string[]): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 2000\n: connected to the provstream alert feed\n${notes.map((n) => `: ${n.replace(/\n/g, ' ')}\n`).join('')}\n`);
    streams.add(res);
    let sent = source.position();
    const unsubscribe = source.subscribe((a, position) => {
      if (!feedMatches(a, filter)) return;
      sent = position;
      res.write(`id: ${position}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
    });
    const beat = setInterval(() => {
      const now = source.position();
      res.write(now === sent ? ': ping\n\n' : `: ping\nid: ${now}\n\n`);
      sent = now;
    }, heartbeatMs);
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
      await Promise.all([...stopping, ...[...resumed].map((f) => f.stop())]);
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
