import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts in total, the first included. Infinity retries until `signal` aborts. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log "ClickHouse unavailable, retrying in 800 ms". */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

const DEFAULTS: RetryOptions = { attempts: 5, initialDelayMs: 100, maxDelayMs: 10_000 };

/** Full-jitter exponential backoff delay for attempt n (1-based). */
export function backoffDelay(attempt: number, initialDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The one retry helper: runs `fn` until it succeeds, a non-retriable error is thrown (rethrown at
 * once), the attempts are used up (the last error is rethrown), or `signal` aborts.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const o = { ...DEFAULTS, ...options };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetriable(err) || attempt >= o.attempts || o.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, o.initialDelayMs, o.maxDelayMs);
      o.onRetry?.(err, attempt, delay);
      await sleep(delay, o.signal);
    }
  }
}
