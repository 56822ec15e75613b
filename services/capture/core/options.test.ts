import { describe, expect, it } from 'vitest';
import { parseRunArgs } from './options.js';

describe('parseRunArgs', () => {
  it('options, then -- and the command untouched', () => {
    const r = parseRunArgs(['--in', 'a/*.csv', '--in=b.txt', '--out', 'm/**', '--agent', 'alice', '--param', 'seed=7', '-q', '--', 'python', 'train.py', '--in', 'x']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.options).toMatchObject({ inputs: ['a/*.csv', 'b.txt'], outputs: ['m/**'], agent: 'alice', params: { seed: '7' }, quiet: true, command: ['python', 'train.py', '--in', 'x'] });
  });
  it('the command may start without --', () => {
    const r = parseRunArgs(['--no-scan', 'make', '-j4']);
    expect(r.ok && r.options.command).toEqual(['make', '-j4']);
    expect(r.ok && r.options.scan).toBe(false);
  });
  it('everything after the command belongs to it', () => {
    const r = parseRunArgs(['echo', '--quiet', '--', 'x']);
    expect(r.ok && r.options).toMatchObject({ quiet: false, command: ['echo', '--quiet', '--', 'x'] });
  });
  it('metric flags and flush timeout', () => {
    const r = parseRunArgs(['--metric-regex', 'loss=(?<loss>\\S+)', '--metric-jsonl', '--metric-stream', 'stderr', '--flush-timeout', '250', '--wait', '--', 'true']);
    expect(r.ok && r.options).toMatchObject({ metricRegex: ['loss=(?<loss>\\S+)'], metricJsonl: true, metricStream: 'stderr', flushTimeoutMs: 250, wait: true });
  });
  const errors: Array<[string, string[], RegExp]> = [
    ['no command', ['--in', 'x'], /no command given/],
    ['missing value', ['--agent'], /--agent needs a value/],
    ['unknown option', ['--frobnicate', '--', 'true'], /unknown option --frobnicate/],
    ['single-dash long name', ['-agent', 'x', 'true'], /unknown option -agent/],
    ['bad param', ['--param', 'novalue', 'true'], /--param needs key=value/],
    ['bad stream', ['--metric-stream', 'both2', 'true'], /--metric-stream must be one of/],
    ['bad timeout', ['--flush-timeout', '-1', 'true'], /--flush-timeout must be/],
    ['flag with a value', ['--quiet=yes', 'true'], /--quiet takes no value/],
  ];
  for (const [name, args, want] of errors) {
    it(`usage error: ${name}`, () => {
      const r = parseRunArgs(args);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(want);
    });
  }
  it('--help needs no command', () => expect(parseRunArgs(['--help'])).toMatchObject({ ok: true, options: { help: true } }));
});
