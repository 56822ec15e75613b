import { describe, expect, it } from 'vitest';
import { loadIngestConfig } from '../ingest/config.js';
import { ConfigError } from './errors.js';

describe('service config', () => {
  it('has working defaults', () => {
    const c = loadIngestConfig({});
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:19092']);
    expect(c.clickhouseDatabase).toBe('provstream');
  });
  it('reports every problem at once', () => {
    try {
      loadIngestConfig({ KAFKA_BROKERS: 'localhost', CLICKHOUSE_URL: 'ftp://x', INGEST_MAX_EVENT_BYTES: '-1', LOG_LEVEL: 'loud', CLICKHOUSE_DATABASE: 'a-b' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const p = (err as ConfigError).problems;
      expect(p).toHaveLength(5);
      expect(p.join('\n')).toMatch(/KAFKA_BROKERS: "localhost" is not host:port/);
      expect(p.join('\n')).toMatch(/INGEST_MAX_EVENT_BYTES="-1" must be an integer/);
      expect(p.join('\n')).toMatch(/LOG_LEVEL="loud" must be one of/);
    }
  });
});
