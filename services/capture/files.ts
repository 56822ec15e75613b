/**
 * Files of a wrapped command as entity versions: declared globs, artifact names, hashing with
 * the state file as a size/mtime cache, and the outputs of a before/after scan.
 *
 * Artifact names are paths relative to the project root with `/` separators (files outside the
 * root keep their absolute path). Declared globs from flags are relative to the working
 * directory, those of the project config to the root (tinyglobby; dot files included).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { hashFile } from './hash.js';
import { versionOf } from './core/versions.js';
import type { ArtifactState, Versioned } from './core/versions.js';
import type { FileStat } from './core/tree-diff.js';

export function artifactName(root: string, absPath: string): string {
  const rel = relative(root, absPath);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return absPath;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

export interface GlobRequest {
  patterns: readonly string[];
  cwd: string;
}

/** Absolute paths of the files the globs match, and the globs that matched nothing. */
export async function expandGlobs(requests: readonly GlobRequest[]): Promise<{ files: string[]; unmatched: string[] }> {
  const files = new Set<string>();
  const unmatched: string[] = [];
  const wanted = requests.filter((r) => r.patterns.length > 0);
  if (wanted.length === 0) return { files: [], unmatched };
  const { glob } = await import('tinyglobby');
  for (const r of wanted) {
    for (const pattern of r.patterns) {
      const hits = await glob([pattern], { cwd: r.cwd, absolute: true, onlyFiles: true, dot: true, expandDirectories: false });
      if (hits.length === 0) unmatched.push(pattern);
      for (const h of hits) files.add(resolve(h));
    }
  }
  return { files: [...files].sort(), unmatched };
}

export interface FileVersion extends Versioned {
  path: string;
}

/**
 * The version of each file: the known hash is reused when size and mtime are what the state
 * recorded when it was hashed, otherwise the file is hashed. Vanished files are skipped.
 */
export async function versionFiles(root: string, paths: readonly string[], state: ArtifactState): Promise<FileVersion[]> {
  const out: FileVersion[] = [];
  for (const path of paths) {
    let st: FileStat;
    try {
      const s = await stat(path);
      if (!s.isFile()) continue;
      st = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
    } catch {
      continue;
    }
    const artifact = artifactName(root, path);
    const known = state.artifacts[artifact];
    const hash = known && known.size === st.size && known.mtimeMs === st.mtimeMs ? known.hash : await hashFile(path);
    out.push({ ...versionOf(state, artifact, hash, st.size, st.mtimeMs), path });
  }
  return out;
}
