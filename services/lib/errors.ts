/**
 * The error family. Every error a service raises on purpose is a ProvstreamError: a message a
 * user can act on, a `retriable` flag (true: the same call may succeed later, e.g. a service went
 * away; false: the input or config is wrong and retrying cannot help), and context for logs
 * (topic, partition, offset, event id, ...).
 */
export type ErrorContext = Record<string, string | number | boolean | null | undefined>;

export class ProvstreamError extends Error {
  override readonly name: string = 'ProvstreamError';
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Invalid configuration: reported at start-up, all problems at once. */
export class ConfigError extends ProvstreamError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`, false);
  }
}

/** A backing service (Kafka, ClickHouse, Redis) did not answer or refused: retriable. */
export class ServiceUnavailableError extends ProvstreamError {
  override readonly name = 'ServiceUnavailableError';
  constructor(service: string, detail: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(`${service} is unavailable: ${detail}`, true, { service, ...context }, options);
  }
}

/** Bad user input (a query, a file, an argument): not retriable. */
export class InputError extends ProvstreamError {
  override readonly name = 'InputError';
  constructor(message: string, context: ErrorContext = {}) {
    super(message, false, context);
  }
}

/** A named thing (project, vertex, query) does not exist: not retriable; HTTP 404. */
export class NotFoundError extends ProvstreamError {
  override readonly name = 'NotFoundError';
  constructor(message: string, context: ErrorContext = {}) {
    super(message, false, context);
  }
}

/**
 * What a request refers to exists but was refused earlier (e.g. an event ingest dead-lettered):
 * not retriable, and asking again cannot help; HTTP 422.
 */
export class RejectedError extends ProvstreamError {
  override readonly name = 'RejectedError';
  constructor(message: string, context: ErrorContext = {}) {
    super(message, false, context);
  }
}

/** A bounded wait ran out (e.g. for an event to be applied): retriable; HTTP 504. */
export class TimeoutError extends ProvstreamError {
  override readonly name = 'TimeoutError';
  constructor(message: string, context: ErrorContext = {}) {
    super(message, true, context);
  }
}

/** Retriable unless we know better: network errors and unknown failures are worth another try. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ProvstreamError) return err.retriable;
  const code = (err as { code?: string } | null)?.code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code)) return true;
  return (err as { retriable?: boolean } | null)?.retriable ?? true;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
