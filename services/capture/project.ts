/**
 * The project a wrapped command runs in: its root folder and its configuration.
 *
 * Root: the nearest folder upwards from the working directory that holds `.provstream/`, else
 * the nearest holding `.git`, else the working directory. Artifact names are paths relative to
 * the root; the state file and the config live in `<root>/.provstream/`.
 *
 * Config: `<root>/.provstream/config.yaml` (or .yml / .json). Loading the YAML parser costs tens
 * of milliseconds, too much for the wrapper's budget, so the parsed config is cached as JSON in
 * `<root>/.provstream/cache/config.json`, keyed by the source file's path, size and mtime.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { parseProjectConfig, DEFAULT_PROJECT_CONFIG } from './core/project-config.js';
import type { ProjectConfig } from './core/project-config.js';

export const STATE_DIR = '.provstream';
const CONFIG_NAMES = ['config.yaml', 'config.yml', 'config.json'];

export function findProjectRoot(cwd: string): string {
  for (const marker of [STATE_DIR, '.git']) {
    let dir = resolve(cwd);
    for (;;) {
      if (existsSync(join(dir, marker))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return resolve(cwd);
}

export type LoadedProjectConfig = { config: ProjectConfig; source: string | null; problems: string[] };

interface CacheEntry {
  source: string;
  size: number;
  mtimeMs: number;
  config: ProjectConfig;
}

/**
 * Loads the project config (explicit path, else the first of config.yaml/.yml/.json in
 * `<root>/.provstream/`). Never throws: problems come back with the defaults.
 */
export async function loadProjectConfig(root: string, explicit: string | null, cwd: string): Promise<LoadedProjectConfig> {
  const source = explicit ? (isAbsolute(explicit) ? explicit : resolve(cwd, explicit)) : CONFIG_NAMES.map((n) => join(root, STATE_DIR, n)).find((p) => existsSync(p)) ?? null;
  const defaults = { ...DEFAULT_PROJECT_CONFIG, metrics: [] };
  if (!source) return { config: defaults, source: null, problems: [] };
  const cacheFile = join(root, STATE_DIR, 'cache', 'config.json');
  try {
    const st = statSync(source);
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheEntry;
      if (cached.source === source && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return { config: cached.config, source, problems: [] };
    } catch {
      /* no usable cache */
    }
    const text = readFileSync(source, 'utf8');
    const raw: unknown = source.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
    const parsed = parseProjectConfig(raw);
    if (!parsed.ok) return { config: defaults, source, problems: parsed.problems.map((p) => `${source}${p}`) };
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      const entry: CacheEntry = { source, size: st.size, mtimeMs: st.mtimeMs, config: parsed.config };
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(entry));
      renameSync(tmp, cacheFile);
    } catch {
      /* the cache is an optimisation */
    }
    return { config: parsed.config, source, problems: [] };
  } catch (err) {
    return { config: defaults, source, problems: [`${source}: ${(err as Error).message}`] };
  }
}

const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The project of a run: `--project`, else $PROVSTREAM_PROJECT, else the config's `project`,
 * else the root folder's name (made a valid project name). An invalid name falls back to
 * "default" with a warning.
 */
export function resolveProject(candidates: ReadonlyArray<string | null>, root: string, warn: (msg: string) => void): string {
  const project = candidates.find((c): c is string => !!c) ?? basename(root).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  if (PROJECT.test(project)) return project;
  warn(`project ${JSON.stringify(project)} is not a valid name (letters, digits, . _ -; at most 64); using "default"`);
  return 'default';
}
