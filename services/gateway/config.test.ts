import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/errors.js';
import { TokenTable } from './auth.js';
import { loadGatewayConfig, loadGatewayPipelineConfig } from './config.js';

describe('TokenTable', () => {
  const t = TokenTable.parse('alpha:alpha-token-0123456789, beta:beta-token-0123456789ab,alpha:second-alpha-token-000');
  const table = t.ok ? t.table : null;

  it.each([
    ['Bearer alpha-token-0123456789', 'alpha'],
    ['bearer   second-alpha-token-000 ', 'alpha'],
    ['Bearer beta-token-0123456789ab', 'beta'],
    ['Bearer alpha-token-012345678', null],
    ['Basic YWxwaGE6eA==', null],
    ['alpha-token-0123456789', null],
    [undefined, null],
  ])('%s -> %s', (header, project) => expect(table!.projectOf(header)).toBe(project));

  it.each([
    ['', /no tokens/],
    ['alpha', /expected <project>:<token>/],
    ['alpha:short', /at least 16 characters/],
    ['bad project:token-0123456789abc', /expected <project>:<token>/],
    ['a:same-token-0123456789,b:same-token-0123456789', /same token is given to projects a and b/],
  ])('refuses %j', (spec, message) => {
    const r = TokenTable.parse(spec);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.join('\n')).toMatch(message);
  });
});

describe('loadGatewayConfig', () => {
  it('defaults, with tokens', () => {
    const cfg = loadGatewayConfig({ PROVSTREAM_GATEWAY_TOKENS: 'demo:demo-token-0123456789' });
    expect(cfg).toMatchObject({ host: '127.0.0.1', port: 8480, runState: 'redis', kafkaCompression: 'gzip', maxBodyBytes: 8 * 1024 * 1024, openLineageTopic: '' });
  });

  it('reports every problem at once', () => {
    try {
      loadGatewayConfig({ GATEWAY_PORT: 'x', GATEWAY_RUN_STATE: 'disk', GATEWAY_OPENLINEAGE_TOPIC: 'ol' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      for (const m of [/GATEWAY_PORT/, /GATEWAY_RUN_STATE/, /GATEWAY_OPENLINEAGE_PROJECT is required/, /PROVSTREAM_GATEWAY_TOKENS: no tokens/]) expect(text).toMatch(m);
    }
  });

  it('the pipeline settings alone need no tokens (provstream import)', () => {
    expect(loadGatewayPipelineConfig({ GATEWAY_RUN_STATE: 'memory' }).runState).toBe('memory');
  });
});
