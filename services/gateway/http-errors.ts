/**
 * The one place that turns the gateway's errors into HTTP responses. Every error response is
 * JSON, in the shape the project's other HTTP APIs use ({"error": {"code", "message", ...}}):
 *
 *   { "error": { "code": "invalid-request", "message": "<what to do>", "problems": [{ "path": "/0/run/runId", "message": "..." }] } }
 *
 *   400 invalid-request    the body is not valid JSON or not valid events (every problem listed, with its JSON Pointer)
 *   401 unauthorized       no or unknown bearer token
 *   403 forbidden          the token's project is not the project the request writes to or reads
 *   404 not-found          no such vertex / route
 *   413 payload-too-large  the body (GATEWAY_MAX_BODY_BYTES) or the number of events (GATEWAY_MAX_EVENTS_PER_REQUEST)
 *   415 unsupported-media-type
 *   503 unavailable        Kafka, Redis or ClickHouse is unreachable; Retry-After says when to retry (nothing is lost
 *                          by retrying the same request: event ids are deterministic)
 *   500 internal           a bug; logged with the request id
 */
import { InputError, ProvstreamError, isRetriable, errorMessage } from '../lib/errors.js';
import type { Problem } from './shape.js';

export type HttpStatus = 400 | 401 | 403 | 404 | 413 | 415;

/** A client error with its status and, for invalid content, every problem found. */
export class RequestError extends InputError {
  constructor(
    readonly status: HttpStatus,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

export const invalid = (problems: Problem[], what = 'the request body') => new RequestError(400, `${what} is not valid: ${problems.length} problem(s), each with its JSON Pointer path`, problems);

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; problems?: Problem[] } };
}

const CODES: Record<number, string> = {
  400: 'invalid-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  500: 'internal',
  503: 'unavailable',
};

/** Fastify's own errors carry a code and a statusCode. */
const FASTIFY: Record<string, number> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
};

export function toHttpReply(err: unknown, retryAfterSeconds: number): HttpReply {
  const reply = (status: number, message: string, problems?: Problem[], headers: Record<string, string> = {}): HttpReply => ({
    status,
    headers,
    body: { error: { code: CODES[status] ?? 'error', message, ...(problems && problems.length ? { problems } : {}) } },
  });
  if (err instanceof RequestError) {
    return reply(err.status, err.message, err.problems, err.status === 401 ? { 'www-authenticate': 'Bearer realm="provstream"' } : {});
  }
  if (err instanceof InputError) return reply(400, err.message);
  if (err instanceof ProvstreamError) {
    if (isRetriable(err)) return reply(503, `${err.message}; retry after ${retryAfterSeconds} s`, undefined, { 'retry-after': String(retryAfterSeconds) });
    return reply(500, 'internal error (logged)');
  }
  const e = err as { code?: string; statusCode?: number; name?: string };
  const status = (e.code && FASTIFY[e.code]) || (e.name === 'SyntaxError' && e.statusCode === 400 ? 400 : undefined);
  if (status === 400) return reply(400, 'the request body is not valid JSON', [{ path: '', message: errorMessage(err) }]);
  if (status) return reply(status, errorMessage(err));
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return reply(e.statusCode, errorMessage(err));
  return reply(500, 'internal error (logged)');
}
