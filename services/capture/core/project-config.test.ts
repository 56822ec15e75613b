import { describe, expect, it } from 'vitest';
import { parseProjectConfig, DEFAULT_PROJECT_CONFIG } from './project-config.js';

describe('parseProjectConfig', () => {
  it('empty file: defaults', () => expect(parseProjectConfig(null)).toEqual({ ok: true, config: { ...DEFAULT_PROJECT_CONFIG, metrics: [] } }));
  it('a full config', () => {
    const r = parseProjectConfig({
      project: 'churn', agent: 'alice', env: ['AWS_REGION'], secretWords: ['SIGNING'], inputs: ['data/*.csv'], outputs: ['models/**'], ignore: ['tmp/**'],
      scan: false, maxScanFiles: 10, flushTimeoutMs: 100,
      metrics: [{ regex: 'loss=(?<loss>\\S+)', stream: 'stdout', prefix: 'train/' }, { jsonl: true }, { jsonl: { step: 'epoch', keys: ['loss'] }, flags: undefined }],
    });
    expect(r).toEqual({
      ok: true,
      config: {
        project: 'churn', agent: 'alice', env: ['AWS_REGION'], secretWords: ['SIGNING'], inputs: ['data/*.csv'], outputs: ['models/**'], ignore: ['tmp/**'],
        scan: false, maxScanFiles: 10, flushTimeoutMs: 100,
        metrics: [
          { kind: 'regex', pattern: 'loss=(?<loss>\\S+)', stream: 'stdout', prefix: 'train/' },
          { kind: 'jsonl' },
          { kind: 'jsonl', step: 'epoch', keys: ['loss'] },
        ],
      },
    });
  });
  it('every problem at once, with its path', () => {
    const r = parseProjectConfig({ project: 3, env: 'X', scan: 'yes', maxScanFiles: 0, metrics: [{ regex: 'x', stream: 'out' }, { nope: 1 }, 'str'], colour: 'red' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      '/colour: unknown setting (known: project, agent, env, secretWords, inputs, outputs, ignore, scan, maxScanFiles, flushTimeoutMs, metrics)',
      '/project: must be a non-empty string',
      '/env: must be a list of non-empty strings',
      '/scan: must be true or false',
      '/maxScanFiles: must be an integer from 1 to 10000000',
      '/metrics/0/stream: must be one of stdout, stderr, both',
      '/metrics/1/nope: unknown setting',
      '/metrics/1: needs "regex: <pattern>" or "jsonl: true | {step, keys}"',
      '/metrics/2: must be a mapping with "regex" or "jsonl"',
    ]);
  });
});
