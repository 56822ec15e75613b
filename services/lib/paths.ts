import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The repository root (the folder with package.json and schemas/), from services/ or dist/. */
export function repoRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'schemas')) && existsSync(join(dir, 'package.json'))) return (root = dir);
    dir = dirname(dir);
  }
  throw new Error('provstream: cannot find the repository root (schemas/ and package.json) above ' + fileURLToPath(import.meta.url));
}

export function repoPath(...parts: string[]): string {
  return join(repoRoot(), ...parts);
}
