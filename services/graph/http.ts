/**
 * The graph service's HTTP API (Fastify). Routes parse their input (requests.ts), call
 * GraphQueries and return its Answer as JSON; errors go through the one mapping in
 * services/lib/http-errors.ts. Vertex ids and artifact references in paths must be URL-encoded
 * (`data%2Fraw.csv%402`).
 *
 *   GET  /healthz                                   200 when serving (live or catching up), 503 while loading
 *   GET  /api/v1                                    the route list
 *   GET  /api/v1/projects                           projects with their graph version and size
 *   GET  /api/v1/projects/:project/lineage/:id      ?direction=upstream|downstream|both&depth=&types=&asOf=&maxNodes=
 *   GET  /api/v1/projects/:project/why/:id          ?depth=&types=&asOf=&maxNodes=
 *   GET  /api/v1/projects/:project/impact/:id       ?depth=&types=&asOf=&maxNodes=
 *   GET  /api/v1/projects/:project/diff?a=&b=
 *   POST /api/v1/projects/:project/segment          {sources, destinations, boundary}
 *   POST /api/v1/projects/:project/summarize        {segments, labelKeys, k, roles, edgeTypes, pathCheckLength}
 * Every query route also takes waitFor=<eventId>, minOffsets=0:12,1:40 and waitMs (query string,
 * or the same fields in a POST body).
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from '../lib/log.js';
import { InputError } from '../lib/errors.js';
import { httpErrorOf } from '../lib/http-errors.js';
import type { GraphQueries } from './operations.js';
import { parseDiffQuery, parseLineageQuery, parseSegmentBody, parseSummarizeBody, parseTreeQuery, parseWait } from './requests.js';

export interface HealthReport {
  serving: boolean;
  body: Record<string, unknown>;
}

export interface GraphHttpDeps {
  queries: GraphQueries;
  health: () => HealthReport;
  projects: () => unknown[];
  defaultWaitMs: number;
  maxWaitMs: number;
  log: Logger;
}

type Query = Record<string, unknown>;
type ProjectParams = { project: string };
type VertexParams = { project: string; id: string };

const ROUTES = [
  'GET /healthz',
  'GET /api/v1/projects',
  'GET /api/v1/projects/:project/lineage/:id?direction=upstream|downstream|both&depth=&types=&asOf=&maxNodes=',
  'GET /api/v1/projects/:project/why/:id?depth=&types=&asOf=&maxNodes=',
  'GET /api/v1/projects/:project/impact/:id?depth=&types=&asOf=&maxNodes=',
  'GET /api/v1/projects/:project/diff?a=&b=',
  'POST /api/v1/projects/:project/segment',
  'POST /api/v1/projects/:project/summarize',
];

export function buildGraphApp(deps: GraphHttpDeps): FastifyInstance {
  const log = deps.log.child({ module: 'graph-http' });
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 16 * 1024 * 1024 });
  const wait = (q: Query) => parseWait(q, deps.defaultWaitMs, deps.maxWaitMs);
  const bodyOf = (body: unknown): Query => (typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Query) : {});

  app.setErrorHandler((err, req, reply) => {
    // Fastify's own 4xx (malformed JSON, wrong content type, body too large) keep their status.
    const fastifyStatus = (err as { statusCode?: number }).statusCode;
    if (!(err instanceof Error && 'retriable' in err) && fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500) {
      return reply.code(fastifyStatus).send({ error: { code: 'bad-request', message: (err as Error).message } });
    }
    const mapped = httpErrorOf(err);
    if (mapped.status >= 500 && mapped.status !== 503 && mapped.status !== 504) log.error({ err, url: req.url }, 'request failed');
    if (mapped.retryAfterSeconds !== undefined) void reply.header('retry-after', String(mapped.retryAfterSeconds));
    return reply.code(mapped.status).send(mapped.body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}; routes: ${ROUTES.join(' · ')}` } });
  });
  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  app.get('/healthz', async (_req, reply) => {
    const h = deps.health();
    return reply.code(h.serving ? 200 : 503).send(h.body);
  });
  app.get('/api/v1', async () => ({ routes: ROUTES }));
  app.get('/api/v1/projects', async () => ({ projects: deps.projects() }));

  app.get<{ Params: VertexParams; Querystring: Query }>('/api/v1/projects/:project/lineage/:id', async (req) =>
    deps.queries.lineage(req.params.project, parseLineageQuery(req.params.id, req.query), wait(req.query)),
  );
  app.get<{ Params: VertexParams; Querystring: Query }>('/api/v1/projects/:project/why/:id', async (req) =>
    deps.queries.why(req.params.project, parseTreeQuery(req.params.id, req.query), wait(req.query)),
  );
  app.get<{ Params: VertexParams; Querystring: Query }>('/api/v1/projects/:project/impact/:id', async (req) =>
    deps.queries.impact(req.params.project, parseTreeQuery(req.params.id, req.query), wait(req.query)),
  );
  app.get<{ Params: ProjectParams; Querystring: Query }>('/api/v1/projects/:project/diff', async (req) =>
    deps.queries.diff(req.params.project, parseDiffQuery(req.query), wait(req.query)),
  );
  app.post<{ Params: ProjectParams; Querystring: Query; Body: unknown }>('/api/v1/projects/:project/segment', async (req) => {
    const body = bodyOf(req.body);
    const { waitFor, minOffsets, waitMs, ...spec } = body;
    return deps.queries.segment(req.params.project, parseSegmentBody(spec), wait({ ...req.query, ...defined({ waitFor, minOffsets, waitMs }) }));
  });
  app.post<{ Params: ProjectParams; Querystring: Query; Body: unknown }>('/api/v1/projects/:project/summarize', async (req) => {
    if (req.body === undefined || req.body === null) throw new InputError('send the summarize request as a JSON body (content-type: application/json)');
    const body = bodyOf(req.body);
    const { waitFor, minOffsets, waitMs, ...spec } = body;
    return deps.queries.summarize(req.params.project, parseSummarizeBody(spec), wait({ ...req.query, ...defined({ waitFor, minOffsets, waitMs }) }));
  });
  return app;
}

function defined(o: Query): Query {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
