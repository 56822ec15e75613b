/**
 * Working-tree scans (stat only, no reading) for the before/after comparison of core/tree-diff.ts.
 *
 * Skipped: `.git`, `node_modules` and `.provstream` folders anywhere, symbolic links (not
 * followed), everything that is not a regular file, and paths matching the ignore globs
 * (picomatch, relative to the root; a glob without `/` matches a name at any depth, as in
 * .gitignore). A scan stops at `maxFiles` and reports itself incomplete: the wrapper then
 * skips detection instead of guessing.
 */
import { readdirSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
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

/**
 * Synchronous on purpose: the scan runs before the command starts and after it ended, when there
 * is nothing else to do, and a stat call costs a few microseconds synchronously against tens
 * through the promise API (measured in `make bench-run`: the async walk of 2 × 200 files cost
 * ~20 ms of CPU).
 */
export async function scanTree(root: string, opts: { ignore?: readonly string[]; maxFiles: number }): Promise<Scan> {
  const globs = opts.ignore ?? [];
  const filter = await ignoreFilter(globs);
  const slash = globs.every((g) => g.includes('/'));
  const files = new Map<string, FileStat>();
  const stack: Array<[string, string]> = [[root.replace(/\/+$/, '') || '/', '']];
  while (stack.length > 0) {
    const [dir, prefix] = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable or vanished folder: nothing to compare there
    }
    for (const e of entries) {
      const rel = prefix + e.name;
      if (e.isDirectory()) {
        if (!ALWAYS_SKIPPED.has(e.name) && !ignored(filter, rel, e.name, slash)) stack.push([`${dir}/${e.name}`, rel + '/']);
      } else if (e.isFile() && !ignored(filter, rel, e.name, slash)) {
        if (files.size >= opts.maxFiles) return { files, complete: false };
        try {
          const s = statSync(`${dir}/${e.name}`); // not path.join: this loop runs per file
          files.set(rel, { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
        } catch {
          /* vanished between readdir and stat */
        }
      }
    }
  }
  return { files, complete: true };
}
