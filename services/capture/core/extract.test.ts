import { describe, expect, it } from 'vitest';
import { compileExtractors, MetricScanner, streamsRead } from './extract.js';
import type { ExtractorSpec, ExtractedPoint, OutputStream } from './extract.js';

function scan(specs: ExtractorSpec[], lines: Array<[OutputStream, string]>): ExtractedPoint[] {
  const c = compileExtractors(specs);
  if (!c.ok) throw new Error(c.problems.join('; '));
  const s = new MetricScanner(c.extractors);
  return lines.flatMap(([stream, line]) => s.line(stream, line));
}

describe('metric extractors', () => {
  const cases: Array<[string, ExtractorSpec[], Array<[OutputStream, string]>, ExtractedPoint[]]> = [
    [
      'regex: named groups with an explicit step',
      [{ kind: 'regex', pattern: 'epoch (?<step>\\d+) loss=(?<loss>[\\d.]+) acc=(?<accuracy>[\\d.]+)' }],
      [['stdout', 'epoch 3 loss=0.25 acc=0.9'], ['stdout', 'noise']],
      [{ key: 'loss', step: 3, value: 0.25 }, { key: 'accuracy', step: 3, value: 0.9 }],
    ],
    [
      'regex: automatic steps per key',
      [{ kind: 'regex', pattern: 'loss=(?<loss>\\S+)' }],
      [['stdout', 'loss=1'], ['stderr', 'loss=0.5'], ['stdout', 'loss=0.25']],
      [{ key: 'loss', step: 0, value: 1 }, { key: 'loss', step: 1, value: 0.5 }, { key: 'loss', step: 2, value: 0.25 }],
    ],
    [
      'regex: key and value groups, prefix',
      [{ kind: 'regex', pattern: '(?<key>\\w+): (?<value>-?[\\d.e-]+)', prefix: 'val/' }],
      [['stdout', 'loss: 0.5'], ['stdout', 'f1: 1e-3']],
      [{ key: 'val/loss', step: 0, value: 0.5 }, { key: 'val/f1', step: 0, value: 0.001 }],
    ],
    [
      'regex: Python (?P<name>) syntax and non-numbers skipped',
      [{ kind: 'regex', pattern: 'lr=(?P<lr>\\S+) note=(?P<note>\\S+)' }],
      [['stdout', 'lr=3e-4 note=warmup'], ['stdout', 'lr=nan note=x']],
      [{ key: 'lr', step: 0, value: 0.0003 }],
    ],
    [
      'regex with g: every match on a line',
      [{ kind: 'regex', pattern: '(?<key>[a-z]+)=(?<value>[\\d.]+)', flags: 'g' }],
      [['stdout', 'a=1 b=2 a=3']],
      [{ key: 'a', step: 0, value: 1 }, { key: 'b', step: 0, value: 2 }, { key: 'a', step: 1, value: 3 }],
    ],
    [
      'stream selection',
      [{ kind: 'regex', pattern: 'x=(?<x>\\d+)', stream: 'stderr' }],
      [['stdout', 'x=1'], ['stderr', 'x=2']],
      [{ key: 'x', step: 0, value: 2 }],
    ],
    [
      'jsonl: numeric fields, step field, nested objects flattened',
      [{ kind: 'jsonl' }],
      [['stdout', '{"step": 4, "loss": 0.5, "name": "run", "ok": true, "val": {"acc": 0.8}}'], ['stdout', 'not json {']],
      [{ key: 'loss', step: 4, value: 0.5 }, { key: 'val.acc', step: 4, value: 0.8 }],
    ],
    [
      'jsonl: epoch as step fallback, listed keys only',
      [{ kind: 'jsonl', keys: ['loss'] }],
      [['stdout', '{"epoch": 2, "loss": 0.1, "acc": 0.9}']],
      [{ key: 'loss', step: 2, value: 0.1 }],
    ],
    [
      'jsonl: explicit step name; a bad step falls back to automatic',
      [{ kind: 'jsonl', step: 'it' }],
      [['stdout', '{"it": 10, "m": 1}'], ['stdout', '{"it": -1, "m": 2}']],
      [{ key: 'm', step: 10, value: 1 }, { key: 'm', step: 11, value: 2 }],
    ],
    [
      'keys with spaces are not metrics',
      [{ kind: 'jsonl' }],
      [['stdout', '{"a b": 1, "c": 2}']],
      [{ key: 'c', step: 0, value: 2 }],
    ],
  ];
  for (const [name, specs, lines, want] of cases) it(name, () => expect(scan(specs, lines)).toEqual(want));

  it('reports every bad spec at once', () => {
    const r = compileExtractors([
      { kind: 'regex', pattern: 'no groups' },
      { kind: 'regex', pattern: '(?<key>a)' },
      { kind: 'regex', pattern: '(?<x>[a-' },
      { kind: 'regex', pattern: '(?<x>a)', flags: 'y' },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(4);
    expect(r.problems[0]).toMatch(/metrics\[0\]: .* no named group/);
    expect(r.problems[1]).toMatch(/"key" and "value" go together/);
    expect(r.problems[2]).toMatch(/invalid regex/);
    expect(r.problems[3]).toMatch(/flags may only use/);
  });

  it('pipes only the streams extractors read', () => {
    const c = compileExtractors([{ kind: 'regex', pattern: '(?<a>1)', stream: 'stdout' }]);
    expect(c.ok && [...streamsRead(c.extractors)]).toEqual(['stdout']);
    const none = compileExtractors([]);
    expect(none.ok && streamsRead(none.extractors).size).toBe(0);
  });
});
