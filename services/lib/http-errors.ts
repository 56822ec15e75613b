/**
 * The one mapping from our error family to HTTP responses (CONVENTIONS 5), for every HTTP API:
 *
 *   InputError / ConfigError        400  bad-request     (fix the request)
 *   NotFoundError                   404  not-found       (context names what is missing, e.g. id)
 *   RejectedError                   422  rejected        (it exists but was refused, e.g. dead-lettered)
 *   ServiceUnavailableError         503  unavailable     (retry later; Retry-After set)
 *   TimeoutError                    504  timeout         (a bounded wait ran out; retry)
 *   other retriable ProvstreamError 503  unavailable
 *   anything else                   500  internal        (a bug: logged with its stack)
 *
 * Body: {"error": {"code", "message", ...context}} — stable, so clients branch on `code`.
 */
import { ConfigError, InputError, NotFoundError, ProvstreamError, RejectedError, ServiceUnavailableError, TimeoutError, errorMessage } from './errors.js';

export interface HttpError {
  status: number;
  body: { error: { code: string; message: string } & Record<string, unknown> };
  /** Seconds for a Retry-After header (503 only). */
  retryAfterSeconds?: number;
}

export function httpErrorOf(err: unknown): HttpError {
  const withContext = (status: number, code: string, e: ProvstreamError): HttpError => {
    const context = Object.fromEntries(Object.entries(e.context).filter(([, v]) => v !== undefined && v !== null));
    return { status, body: { error: { ...context, code, message: e.message } } };
  };
  if (err instanceof NotFoundError) return withContext(404, 'not-found', err);
  if (err instanceof RejectedError) return withContext(422, 'rejected', err);
  if (err instanceof InputError || err instanceof ConfigError) return withContext(400, 'bad-request', err);
  if (err instanceof TimeoutError) return withContext(504, 'timeout', err);
  if (err instanceof ServiceUnavailableError || (err instanceof ProvstreamError && err.retriable)) {
    return { ...withContext(503, 'unavailable', err as ProvstreamError), retryAfterSeconds: 2 };
  }
  if (err instanceof ProvstreamError) return withContext(500, 'internal', err);
  return { status: 500, body: { error: { code: 'internal', message: `internal error: ${errorMessage(err)}` } } };
}
