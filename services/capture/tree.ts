/**
 * Working-tree scans (stat only, no reading) for the before/after comparison of core/tree-diff.ts.
 *
 * Skipped: `.git`, `node_modules` and `.provstream` folders anywhere, symbolic links (not
 * followed), everything that is not a regular file, and paths matching the ignore globs
 * (picomatch, relative to the root; a glob without `/` matches a name at any depth, as in
 * .gitignore). A scan stops at `maxFiles` and reports itself incomplete: the wrapper then
 * skips detection instead of guessing.
 */
import { readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { join } from 'node:path';
import type { FileStat } from './core/tree-diff.js';

export const ALWAYS_SKIPPED = new Set(['.git', 'node_modules', '.provstream']);

export interface Scan {
  files: Map<string, FileStat>;
  complete: boolean;
}

export type PathFilter = (relativePath: string) => boolean;

/** A filter that is true for ignored paths; undefined when there is nothing to ignore. */
export async function ignoreFilter(globs: readonly string[]): Promise<PathFilter | undefined> {
  if (globs.length === 0) return undefined;
  const { default: picomatch } = await import('picomatch');
  return picomatch([...globs], { dot: true, basename: false, matchBase: false }) as PathFilter;
}

function ignored(filter: PathFilter | undefined, rel: string, name: string, globsHaveSlash: boolean): boolean {
  if (!filter) return false;
  return filter(rel) || (!globsHaveSlash && filter(name));
}

export async function scanTree(root: string, opts: { ignore?: readonly string[]; maxFiles: number }): Promise<Scan> {
  const globs = opts.ignore ?? [];
  const filter = await ignoreFilter(globs);
  const slash = globs.every((g) => g.includes('/'));
  const files = new Map<string, FileStat>();
  let complete = true;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // unreadable or vanished folder: nothing to compare there
    }
    const subdirs: Array<Promise<void>> = [];
    const stats: Array<Promise<void>> = [];
    for (const e of entries) {
      if (!complete) return;
      const rel = prefix + e.name;
      if (e.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(e.name) && !ignored(filter, rel, e.name, slash)) subdirs.push(walk(join(dir, e.name), rel + '/'));
      } else if (e.isFile() && !ignored(filter, rel, e.name, slash)) {
        if (files.size + stats.length >= opts.maxFiles) {
          complete = false;
          return;
        }
        stats.push(
          stat(join(dir, e.name)).then(
            (s) => void files.set(rel, { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino }),
            () => undefined,
          ),
        );
      }
    }
    await Promise.all(stats);
    await Promise.all(subdirs);
  };
  await walk(root, '');
  return { files, complete };
}
