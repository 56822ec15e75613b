import { describe, expect, it } from 'vitest';
import { ProvstreamError, ServiceUnavailableError } from './errors.js';
import { wrapRedisError } from './redis.js';

describe('wrapRedisError', () => {
  it.each([
    "Stream isn't writeable and enableOfflineQueue options is false",
    'Connection is closed.',
    'Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.',
  ])('says in plain words that the connection is down, and where to look: %s', (ioredis) => {
    const e = wrapRedisError(new Error(ioredis), 'WATCH failed');
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect((e as ProvstreamError).retriable).toBe(true);
    expect(e.message).toBe(`Redis is unavailable: WATCH failed: no connection to Redis (is it running at REDIS_URL?); reconnecting. (ioredis: ${ioredis})`);
  });

  it('keeps a refused connection as ioredis reports it (it names the address)', () => {
    const e = wrapRedisError(new Error('connect ECONNREFUSED 127.0.0.1:16379'), 'reading the alert outbox');
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.message).toBe('Redis is unavailable: reading the alert outbox: connect ECONNREFUSED 127.0.0.1:16379');
  });

  it('a reply from the server is not retriable', () => {
    const e = wrapRedisError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), 'MGET');
    expect(e).not.toBeInstanceOf(ServiceUnavailableError);
    expect((e as ProvstreamError).retriable).toBe(false);
    expect(e.message).toBe('Redis rejected MGET: WRONGTYPE Operation against a key holding the wrong kind of value');
  });
});
