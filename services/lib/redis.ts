/**
 * Redis adapter: the only module that constructs ioredis clients, and the mapping of ioredis
 * failures to our error family (connection trouble is retriable; WRONGTYPE and other replies
 * are not).
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { ProvstreamError, ServiceUnavailableError, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { retry } from './retry.js';

export type { Redis };

export interface RedisClientOptions {
  /** Name shown by CLIENT LIST (helps when debugging who holds WATCHes). */
  connectionName?: string;
  /**
   * For connections that run WATCH/MULTI: commands fail instead of waiting in ioredis's offline
   * queue and being replayed on a new connection, which would silently drop the WATCH.
   */
  transactional?: boolean;
  /**
   * Where the connection's own trouble goes: one warning when it is lost (not one per reconnect
   * attempt) and one line when it is back. Without it nothing is printed: the commands that fail
   * meanwhile report it (wrapRedisError). Either way ioredis does not print its "Unhandled error
   * event" stack traces to stderr for every reconnect attempt.
   */
  log?: Logger;
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
  const client = new Redis(url, options);
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    opts.log?.warn({ event: 'redis.connection.lost', redis: redactUrl(url), connection: options.connectionName, err: errorMessage(err) }, `no connection to Redis at ${redactUrl(url)} (${errorMessage(err)}); reconnecting in the background`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    opts.log?.info({ event: 'redis.connection.back', redis: redactUrl(url), connection: options.connectionName }, `connected to Redis at ${redactUrl(url)} again`);
  });
  return client;
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

/**
 * connectRedis for a service starting up: Redis may come up after it, so it retries with a
 * warning per attempt ("Redis not reachable, retrying in N ms") before giving up.
 */
export async function connectRedisRetrying(client: Redis, url: string, log: Logger, attempts = 20): Promise<void> {
  await retry(() => connectRedis(client, url), { attempts, onRetry: (err, _a, delayMs) => log.warn({ err: errorMessage(err) }, `Redis not reachable, retrying in ${delayMs} ms`) });
}

/** Connection trouble other than NOT_CONNECTED (those messages are matched first). */
const CONNECTION = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/i;

/** ioredis's words for "not connected right now", which say nothing to a user. */
const NOT_CONNECTED = /Stream isn't writeable|Connection is closed|enableOfflineQueue|max retries per request|Socket closed/i;

/**
 * Maps an ioredis error: connection problems are retriable, server replies are not. A lost
 * connection reads `Redis is unavailable: WATCH failed: no connection to Redis (is it running
 * at REDIS_URL?); reconnecting. (ioredis: ...)`; a refused one keeps the address ioredis names.
 */
export function wrapRedisError(err: unknown, what: string): Error {
  if (err instanceof ProvstreamError) return err;
  const msg = errorMessage(err);
  if (NOT_CONNECTED.test(msg)) return new ServiceUnavailableError('Redis', `${what}: no connection to Redis (is it running at REDIS_URL?); reconnecting. (ioredis: ${msg})`, {}, { cause: err });
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
