/**
 * The HTTP app (Fastify, logging through our pino logger). Routes are thin: authenticate, parse,
 * call the GatewayService, reply. Errors of every route go through ./http-errors.ts.
 *
 *   POST /api/v1/events                 native events (JSON form), one or an array       -> 202 {accepted, published}
 *   POST /api/v1/lineage                OpenLineage events, one or an array (batched)    -> 202 {accepted, published}
 *   POST /api/v1/prov[?time=]           a W3C PROV-JSON document                         -> 202 {accepted, published, ids, counts}
 *   GET  /api/v1/lineage/:vertexId/prov?depth=&direction=upstream|downstream|both        -> 200 PROV-JSON
 *   GET  /healthz (process up), /readyz (Redis / ClickHouse answer)
 *
 * Every /api route needs `Authorization: Bearer <token>`; the token's project is the project
 * written and read (an optional `?project=` must match it). Bodies may be gzip-compressed
 * (Content-Encoding: gzip, as OpenLineage clients send with compression on); the size limit
 * applies to the decompressed body.
 */
import { createGunzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../lib/log.js';
import { errorMessage } from '../lib/errors.js';
import type { TokenTable } from './auth.js';
import { RequestError, invalid, toHttpReply } from './http-errors.js';
import type { GatewayService } from './service.js';
import { parseDateTime } from './shape.js';

export interface AppDeps {
  service: GatewayService;
  tokens: TokenTable;
  bodyLimitBytes: number;
  retryAfterSeconds: number;
  log: Logger;
  /** For /readyz: every backing service this gateway needs answers. */
  ready: () => Promise<Record<string, boolean>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    project: string;
  }
}

function parseTime(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : parseDateTime(v);
  if (t === null || !Number.isSafeInteger(t)) throw invalid([{ path: '/time', message: `${JSON.stringify(v)} is not epoch milliseconds or an RFC 3339 date-time` }], 'the query');
  return t;
}

function intParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw invalid([{ path: `/${name}`, message: `${JSON.stringify(v)} is not a non-negative integer` }], 'the query');
  return Number(v);
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.log.child({ module: 'http' }) as FastifyBaseLogger, bodyLimit: deps.bodyLimitBytes, logController: new LogController({ disableRequestLogging: true }) });
  // JSON only: no text/plain bodies (415 instead of a confusing validation error).
  app.removeContentTypeParser('text/plain');
  const json = app.getDefaultJsonParser('error', 'ignore');
  app.addContentTypeParser(['application/prov+json', 'application/ld+json'], { parseAs: 'string' }, json);

  app.addHook('preParsing', async (request, _reply, payload) => {
    if (String(request.headers['content-encoding'] ?? '').toLowerCase() !== 'gzip') return payload;
    const gunzip = createGunzip() as Transform & { receivedEncodedLength?: number };
    gunzip.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => (gunzip.receivedEncodedLength! += chunk.length));
    payload.on('error', (err) => gunzip.destroy(err));
    return payload.pipe(gunzip);
  });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (!request.url.startsWith('/api/')) return;
    const project = deps.tokens.projectOf(request.headers.authorization);
    if (project === null) throw new RequestError(401, request.headers.authorization ? 'unknown bearer token' : 'missing Authorization: Bearer <token> (tokens are given per project: PROVSTREAM_GATEWAY_TOKENS)');
    const asked = (request.query as Record<string, string | undefined>)['project'];
    if (asked !== undefined && asked !== project) throw new RequestError(403, `the token is for project ${project}, not ${asked}`);
    request.project = project;
  });

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.setErrorHandler(async (err, request, reply) => {
    const r = toHttpReply(err, deps.retryAfterSeconds);
    if (r.status >= 500) request.log.error({ err: errorMessage(err), url: request.url, status: r.status }, 'request failed');
    return reply.code(r.status).headers(r.headers).send(r.body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    const r = toHttpReply(new RequestError(404, `no route ${request.method} ${request.url.split('?')[0]}`), deps.retryAfterSeconds);
    return reply.code(r.status).send(r.body);
  });

  app.post('/api/v1/events', async (request, reply) => reply.code(202).send(await deps.service.acceptNative(request.project, request.body)));
  app.post('/api/v1/lineage', async (request, reply) => reply.code(202).send(await deps.service.acceptOpenLineage(request.project, request.body)));
  app.post<{ Querystring: { time?: string } }>('/api/v1/prov', async (request, reply) =>
    reply.code(202).send(await deps.service.acceptProv(request.project, request.body, parseTime(request.query.time))),
  );
  app.get<{ Params: { vertexId: string }; Querystring: { depth?: string; direction?: string } }>('/api/v1/lineage/:vertexId/prov', async (request, reply) => {
    const doc = await deps.service.exportProv(request.project, request.params.vertexId, { depth: intParam(request.query.depth, 'depth'), direction: request.query.direction });
    return reply.code(200).type('application/json').send(doc);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
  return app;
}
