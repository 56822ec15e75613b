import { describe, expect, it } from 'vitest';
import { diffTrees } from './tree-diff.js';
import type { FileStat } from './tree-diff.js';

const f = (size: number, mtimeMs: number, ino = 1): FileStat => ({ size, mtimeMs, ino });

describe('diffTrees', () => {
  const cases: Array<[string, Array<[string, FileStat]>, Array<[string, FileStat]>, { created: string[]; modified: string[]; deleted: string[] }]> = [
    ['nothing changed', [['a', f(1, 10)]], [['a', f(1, 10)]], { created: [], modified: [], deleted: [] }],
    ['created', [], [['out/m.bin', f(5, 20)]], { created: ['out/m.bin'], modified: [], deleted: [] }],
    ['deleted', [['a', f(1, 10)]], [], { created: [], modified: [], deleted: ['a'] }],
    ['size changed', [['a', f(1, 10)]], [['a', f(2, 10)]], { created: [], modified: ['a'], deleted: [] }],
    ['mtime changed (same size)', [['a', f(1, 10)]], [['a', f(1, 10.5)]], { created: [], modified: ['a'], deleted: [] }],
    ['replaced by rename (new inode)', [['a', f(1, 10, 7)]], [['a', f(1, 10, 8)]], { created: [], modified: ['a'], deleted: [] }],
    [
      'mixed, sorted',
      [['z', f(1, 1)], ['b', f(1, 1)], ['keep', f(3, 3)]],
      [['y', f(1, 1)], ['b', f(9, 9)], ['a', f(1, 1)], ['keep', f(3, 3)]],
      { created: ['a', 'y'], modified: ['b'], deleted: ['z'] },
    ],
  ];
  for (const [name, before, after, want] of cases) it(name, () => expect(diffTrees(new Map(before), new Map(after))).toEqual(want));
});
