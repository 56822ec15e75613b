/**
 * The project's state file, `<root>/.provstream/state.json`: the latest known version of every
 * artifact the wrapper has seen (core/versions.ts). It is how a run knows which version a new
 * one revises. A cache, not the record: losing it restarts version numbers at 1 (ids stay right,
 * they derive from content), and the facts themselves are in ClickHouse.
 *
 * Saving re-reads the file and merges (core/versions.ts `mergeState`) right before an atomic
 * rename, so two runs finishing together both keep their artifacts. It is not a lock: two runs
 * that write new versions of the SAME artifact at the same moment may both call theirs version n.
 * Commit the file with the project (or not): each clone then continues the numbering it has.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { emptyState, mergeState, parseState } from './core/versions.js';
import type { ArtifactState, Versioned } from './core/versions.js';
import { STATE_DIR } from './project.js';

export function statePath(root: string): string {
  return join(root, STATE_DIR, 'state.json');
}

export function loadState(root: string): ArtifactState {
  try {
    return parseState(JSON.parse(readFileSync(statePath(root), 'utf8')));
  } catch {
    return emptyState();
  }
}

export function saveState(root: string, updates: readonly Versioned[]): void {
  if (updates.length === 0) return;
  const file = statePath(root);
  mkdirSync(dirname(file), { recursive: true });
  const merged = mergeState(loadState(root), updates);
  const sorted = Object.fromEntries(Object.entries(merged.artifacts).sort(([a], [b]) => (a < b ? -1 : 1)));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, artifacts: sorted }, null, 1) + '\n');
  renameSync(tmp, file);
}
