import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanTree } from './tree.js';
import { artifactName, versionFiles } from './files.js';
import { emptyState, mergeState } from './core/versions.js';

const root = mkdtempSync(join(tmpdir(), 'provstream-tree-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
for (const f of ['a.txt', 'data/b.csv', 'data/deep/c.csv', 'logs/x.log', 'tmp/y.tmp', '.git/HEAD', 'node_modules/m/i.js', '.provstream/state.json', 'src/node_modules/z.js', '.hidden']) {
  mkdirSync(join(root, f, '..'), { recursive: true });
  writeFileSync(join(root, f), f);
}
symlinkSync(join(root, 'a.txt'), join(root, 'link.txt'));

describe('scanTree', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['skips .git, node_modules (anywhere), .provstream and symlinks', [], ['.hidden', 'a.txt', 'data/b.csv', 'data/deep/c.csv', 'logs/x.log', 'tmp/y.tmp']],
    ['a glob without / matches names at any depth', ['*.csv'], ['.hidden', 'a.txt', 'logs/x.log', 'tmp/y.tmp']],
    ['a glob with / matches paths from the root', ['tmp/**', 'data/deep/*'], ['.hidden', 'a.txt', 'data/b.csv', 'logs/x.log']],
    ['a folder name', ['logs'], ['.hidden', 'a.txt', 'data/b.csv', 'data/deep/c.csv', 'tmp/y.tmp']],
  ];
  for (const [name, ignore, want] of cases) {
    it(name, async () => {
      const scan = await scanTree(root, { ignore, maxFiles: 1000 });
      expect(scan.complete).toBe(true);
      expect([...scan.files.keys()].sort()).toEqual(want);
    });
  }
  it('stops at maxFiles and says so', async () => {
    const scan = await scanTree(root, { maxFiles: 2 });
    expect(scan.complete).toBe(false);
  });
});

describe('files as versions', () => {
  it('artifact names are relative to the root; outside it absolute', () => {
    expect(artifactName('/p', '/p/data/x.csv')).toBe('data/x.csv');
    expect(artifactName('/p', '/q/x.csv')).toBe('/q/x.csv');
    expect(artifactName('/p', '/p2/x.csv')).toBe('/p2/x.csv');
  });
  it('hashes new content, reuses the known hash when size and mtime are unchanged', async () => {
    const [v1] = await versionFiles(root, [join(root, 'a.txt')], emptyState());
    expect(v1).toMatchObject({ artifact: 'a.txt', version: 1, isNew: true, previous: null });
    expect(v1!.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // A state whose hash is a lie but whose size/mtime match: the file is not read again.
    const lying = mergeState(emptyState(), [{ ...v1!, hash: 'sha256:' + '0'.repeat(64) }]);
    const [again] = await versionFiles(root, [join(root, 'a.txt')], lying);
    expect(again).toMatchObject({ hash: 'sha256:' + '0'.repeat(64), isNew: false, version: 1 });
    writeFileSync(join(root, 'a.txt'), 'changed content');
    const [v2] = await versionFiles(root, [join(root, 'a.txt')], mergeState(emptyState(), [v1!]));
    expect(v2).toMatchObject({ version: 2, isNew: true, previous: { id: v1!.id } });
    expect(await versionFiles(root, [join(root, 'missing.txt')], emptyState())).toEqual([]);
  });
});
