import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../lib/paths.js';
import { envSections, renderSettings } from './settings-help.js';

const example = readFileSync(repoPath('.env.example'), 'utf8');

describe('service --help settings (from .env.example)', () => {
  it.each([
    ['monitor', 'MONITOR_GROUP_ID=provstream-monitor', 'INGEST_GROUP_ID'],
    ['ingest consumer', 'INGEST_GROUP_ID=provstream-ingest', 'MONITOR_GROUP_ID'],
    ['graph service', 'GRAPH_HTTP_PORT=18080', 'GATEWAY_'],
    ['HTTP gateway', 'GATEWAY_', 'GRAPH_HTTP_PORT'],
  ])('%s: its own section and the shared ones, no other service', (service, own, other) => {
    const help = renderSettings(example, service);
    expect(help).toContain(own);
    expect(help).toContain('KAFKA_BROKERS=127.0.0.1:19092');
    expect(help).toContain('PROVSTREAM_TOPIC=provstream.events');
    expect(help).toContain('LOG_LEVEL=info');
    expect(help).not.toContain(other);
  });

  it('every setting the services read is documented in .env.example', () => {
    const documented = new Set(envSections(example).flatMap((s) => s.lines.map((l) => /^([A-Z][A-Z0-9_]*)=/.exec(l)?.[1]).filter((v): v is string => v !== undefined)));
    const read = ['lib', 'ingest', 'graph', 'monitor', 'gateway'].flatMap((svc) => {
      const src = readFileSync(repoPath('services', svc, 'config.ts'), 'utf8');
      return [...src.matchAll(/'((?:MONITOR|GRAPH|INGEST|GATEWAY|KAFKA|CLICKHOUSE|REDIS|PROVSTREAM)_[A-Z0-9_]+)'/g)].map((m) => `${svc}: ${m[1]}`);
    });
    expect(read.length).toBeGreaterThan(50);
    expect(read.filter((r) => !documented.has(r.split(': ')[1]!))).toEqual([]);
  });
});
