import { describe, expect, it } from 'vitest';
import { retry, backoffDelay } from './retry.js';
import { InputError, ServiceUnavailableError } from './errors.js';

describe('retry', () => {
  it('retries retriable errors until success', async () => {
    let n = 0;
    const r = await retry(async () => {
      if (++n < 3) throw new ServiceUnavailableError('Kafka', 'down');
      return 'ok';
    }, { initialDelayMs: 1, maxDelayMs: 2 });
    expect(r).toBe('ok');
    expect(n).toBe(3);
  });
  it('rethrows non-retriable errors at once', async () => {
    let n = 0;
    await expect(retry(async () => { n++; throw new InputError('bad'); }, { initialDelayMs: 1 })).rejects.toThrow('bad');
    expect(n).toBe(1);
  });
  it('gives up after the attempts', async () => {
    let n = 0;
    await expect(retry(async () => { n++; throw new ServiceUnavailableError('x', 'y'); }, { attempts: 4, initialDelayMs: 1, maxDelayMs: 1 })).rejects.toThrow(/unavailable/);
    expect(n).toBe(4);
  });
  it('stops when aborted', async () => {
    const ac = new AbortController();
    const p = retry(async () => { throw new ServiceUnavailableError('x', 'y'); }, { attempts: Infinity, initialDelayMs: 50, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 20);
    await expect(p).rejects.toThrow('stop');
  });
  it('backoff is jittered within [ceiling/2, ceiling] and capped', () => {
    expect(backoffDelay(1, 100, 1000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000);
  });
});
