import { describe, expect, it } from 'vitest';
import { parseParams } from './params.js';

describe('parseParams', () => {
  const cases: Array<[string, string[], Record<string, string>]> = [
    ['--key value', ['--lr', '0.1'], { lr: '0.1' }],
    ['--key=value', ['--lr=0.1'], { lr: '0.1' }],
    ['--key= (empty value)', ['--tag='], { tag: '' }],
    ['flag at the end', ['--verbose'], { verbose: 'true' }],
    ['flag before an option', ['--verbose', '--lr', '0.1'], { verbose: 'true', lr: '0.1' }],
    ['negative number is a value', ['--shift', '-3'], { shift: '-3' }],
    ['negative float is a value', ['--shift', '-0.5e-3'], { shift: '-0.5e-3' }],
    ['single-dash long option (Go style)', ['-epochs', '5', '-lr=0.2'], { epochs: '5', lr: '0.2' }],
    ['short option takes a number', ['-n', '5'], { n: '5' }],
    ['short option does not take a word', ['-v', 'data.csv'], { v: 'true' }],
    ['short option with =', ['-o=out.txt'], { o: 'out.txt' }],
    ['key=value (Hydra)', ['lr=0.1', 'model.depth=3'], { lr: '0.1', 'model.depth': '3' }],
    ['Hydra + and ++', ['+x=1', '++y=2'], { x: '1', y: '2' }],
    ['value containing =', ['--query', 'a=b'], { query: 'a=b' }],
    ['value with spaces', ['--name', 'my run'], { name: 'my run' }],
    ['positional arguments ignored', ['train.py', 'data/x.csv', '--lr', '1'], { lr: '1' }],
    ['last occurrence wins', ['--lr', '1', '--lr=2'], { lr: '2' }],
    ['-- ends parsing', ['--a', '1', '--', '--b', '2', 'c=3'], { a: '1' }],
    ['option value is not --', ['--a', '--'], { a: 'true' }],
    ['dashes inside names', ['--learning-rate', '3e-4', '--batch_size=32'], { 'learning-rate': '3e-4', batch_size: '32' }],
    ['a bare number is positional', ['5', '-7'], {}],
    ['nothing', [], {}],
  ];
  for (const [name, args, want] of cases) it(name, () => expect(parseParams(args)).toEqual(want));
});
