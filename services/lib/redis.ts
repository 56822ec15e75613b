/**
 * Redis adapter: the only module that constructs ioredis clients, and the mapping of ioredis
 * failures to our error family (connection trouble is retriable; WRONGTYPE and other replies
 * are not).
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ProvstreamError, ServiceUnavailableError, errorMessage } from './errors.js';

export type { Redis };

export interface RedisClientOptions {
  /** Name shown by CLIENT LIST (helps when debugging who holds WATCHes). */
  connectionName?: string;
  /**
   * For connections that run WATCH/MULTI: commands fail instead of waiting in ioredis's offline
   * queue and being replayed on a new connection, which would silently drop the WATCH.
   */
  transactional?: boolean;
}

export function createRedis(url: string, opts: RedisClientOptions = {}): Redis {
  const options: RedisOptions = {
    connectionName: opts.connectionName ?? 'provstream',
    connectTimeout: 5_000,
    maxRetriesPerRequest: opts.transactional ? 0 : 3,
    enableOfflineQueue: !opts.transactional,
    autoResendUnfulfilledCommands: !opts.transactional,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 6), 5_000),
  };
  return new Redis(url, options);
}

/** Connects (lazyConnect clients) and checks the server answers. */
export async function connectRedis(client: Redis, url: string): Promise<void> {
  try {
    if (client.status === 'wait') await client.connect();
    await client.ping();
  } catch (err) {
    throw new ServiceUnavailableError('Redis', `${redactUrl(url)}: ${errorMessage(err)}`, {}, { cause: err });
  }
}

const CONNECTION = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|Stream isn't writeable|enableOfflineQueue|max retries per request|connect ETIMEDOUT|Socket closed/i;

/** Maps an ioredis error: connection problems are retriable, server replies are not. */
export function wrapRedisError(err: unknown, what: string): Error {
  if (err instanceof ProvstreamError) return err;
  const msg = errorMessage(err);
  if (CONNECTION.test(msg)) return new ServiceUnavailableError('Redis', `${what}: ${msg}`, {}, { cause: err });
  return new ProvstreamError(`Redis rejected ${what}: ${msg}`, false, {}, { cause: err });
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** Deletes every key matching `pattern` (a Redis glob), with SCAN (never KEYS); returns how many. */
export async function deleteKeysMatching(client: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  try {
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) n += await client.del(...keys);
    } while (cursor !== '0');
  } catch (err) {
    throw wrapRedisError(err, `deleting keys ${pattern}`);
  }
  return n;
}

/** `text` with Redis glob characters escaped, for a literal part of a SCAN MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
