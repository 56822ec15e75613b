/**
 * Where fileview definitions live (decision):
 *   - the record: every version of a definition is an entity of artifact `fileview:<name>` with
 *     the definition as its `fileview.definition` property, sent through Kafka like any fact, so
 *     ClickHouse holds the full history (catalogue: `fileviewDefinitions`);
 *   - the working copy: `<root>/.provstream/fileviews.json`, the latest version of each view of
 *     the project, which `provstream run` reads in a millisecond. `provstream fileview add|drop`
 *     write both. Commit the file with the project so collaborators evaluate the same views.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { validateDefinition } from './core/definition.js';
import type { FileviewContent, FileviewDefinition } from './core/definition.js';

export interface RegisteredView {
  name: string;
  version: number;
  /** Entity id of this version of `fileview:<name>`. */
  id: string;
  hash: string;
  content: FileviewContent;
  definedAt: number;
  definedBy: string;
}

export interface Registry {
  views: Record<string, RegisteredView>;
}

export function registryPath(root: string): string {
  return join(root, '.provstream', 'fileviews.json');
}

/** The registry; an absent file is an empty registry. Entries that do not validate are skipped. */
export function loadRegistry(root: string): Registry {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(registryPath(root), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { views: {} };
    throw new Error(`${registryPath(root)}: ${(err as Error).message}`);
  }
  const views: Record<string, RegisteredView> = {};
  const entries = (raw as { views?: Record<string, RegisteredView> } | null)?.views ?? {};
  for (const [name, v] of Object.entries(entries)) {
    if (!v || typeof v !== 'object' || !Number.isInteger(v.version) || typeof v.id !== 'string') continue;
    const c = v.content as { dropped?: boolean } | undefined;
    if (c?.dropped === true || validateDefinition(v.content).ok) views[name] = v;
  }
  return { views };
}

export function saveRegistry(root: string, reg: Registry): void {
  const file = registryPath(root);
  mkdirSync(dirname(file), { recursive: true });
  const sorted = Object.fromEntries(Object.entries(reg.views).sort(([a], [b]) => (a < b ? -1 : 1)));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, views: sorted }, null, 2) + '\n');
  renameSync(tmp, file);
}

/** The live (not dropped) views. */
export function activeViews(reg: Registry): Array<RegisteredView & { content: FileviewDefinition }> {
  return Object.values(reg.views).filter((v): v is RegisteredView & { content: FileviewDefinition } => !('dropped' in v.content));
}
