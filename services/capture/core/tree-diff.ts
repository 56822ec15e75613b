/**
 * Before/after comparison of a working tree (SPEC §2: outputs observed by a scan). Pure.
 *
 * A snapshot maps a path (relative to the project root, `/`-separated) to what `stat` says. A
 * file counts as changed when its size, modification time or inode differ (a rename over it
 * changes the inode); only changed files are hashed afterwards, and a changed file whose hash
 * equals the known version is not a new version (see versions.ts).
 *
 * Limitation (as git's "racy" files): file systems stamp times with a coarse clock, so a file
 * rewritten with the same size within one clock tick of the "before" scan may look unchanged.
 */

export interface FileStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

export type TreeSnapshot = ReadonlyMap<string, FileStat>;

export interface TreeDiff {
  created: string[];
  modified: string[];
  deleted: string[];
}

export function sameFile(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Created, modified and deleted paths, each sorted. */
export function diffTrees(before: TreeSnapshot, after: TreeSnapshot): TreeDiff {
  const created: string[] = [];
  const modified: string[] = [];
  const deleted: string[] = [];
  for (const [path, stat] of after) {
    const old = before.get(path);
    if (!old) created.push(path);
    else if (!sameFile(old, stat)) modified.push(path);
  }
  for (const path of before.keys()) if (!after.has(path)) deleted.push(path);
  return { created: created.sort(), modified: modified.sort(), deleted: deleted.sort() };
}
