import { describe, expect, it } from 'vitest';
import { activityName, commandLine, shellQuote } from './naming.js';

describe('activityName', () => {
  const cases: Array<[string[], string]> = [
    [['python', 'train.py', '--lr', '0.1'], 'train'],
    [['python3.11', '-u', 'src/train.py'], 'train'],
    [['/usr/bin/python3', '-m', 'pkg.train'], 'pkg.train'],
    [['python', '-c', 'print(1)'], 'python'],
    [['node', 'scripts/etl.mjs'], 'etl'],
    [['Rscript', 'fit.R'], 'fit'],
    [['bash', 'run.sh'], 'run'],
    [['./bin/etl.sh', '--x'], 'etl.sh'],
    [['make', 'all'], 'make'],
  ];
  for (const [argv, want] of cases) it(argv.join(' '), () => expect(activityName(argv)).toBe(want));
});

describe('commandLine', () => {
  it('quotes only what needs quoting, and a shell reads it back', () => {
    expect(commandLine(['python', 'train.py', '--lr=0.1', 'a b', "it's", ''])).toBe(`python train.py --lr=0.1 'a b' 'it'\\''s' ''`);
    expect(shellQuote('$HOME')).toBe(`'$HOME'`);
  });
});
