/**
 * Version numbers of artifacts as the wrapper knows them (the project's state file,
 * `.provstream/state.json`). Pure.
 *
 * Every artifact maps to its latest known version: entity id, 1-based version number, content
 * hash, and the size/mtime it had when hashed (so an unchanged input is not hashed again). A
 * content hash that differs from the known one is a new version, `previous` being the version it
 * revises (`wasRevisionOf`); the same hash is the known version again.
 */
import { entityId } from '../../model/ids.js';

export interface KnownVersion {
  id: string;
  version: number;
  hash: string;
  size: number;
  mtimeMs: number;
}

export interface ArtifactState {
  artifacts: Record<string, KnownVersion>;
}

export interface Versioned {
  artifact: string;
  id: string;
  version: number;
  hash: string;
  size: number;
  mtimeMs: number;
  /** The version this one revises; null for a first version or for the known version itself. */
  previous: KnownVersion | null;
  /** false: this content is the artifact's known version. */
  isNew: boolean;
}

export function emptyState(): ArtifactState {
  return { artifacts: {} };
}

export function versionOf(state: ArtifactState, artifact: string, hash: string, size: number, mtimeMs: number): Versioned {
  const known = state.artifacts[artifact];
  if (known && known.hash === hash) return { artifact, id: known.id, version: known.version, hash, size, mtimeMs, previous: null, isNew: false };
  return { artifact, id: entityId(artifact, hash), version: known ? known.version + 1 : 1, hash, size, mtimeMs, previous: known ?? null, isNew: true };
}

/**
 * `base` with `updates` applied. An update whose version is not above the version already in
 * `base` (another run got there first) keeps the base entry, so concurrent runs never move an
 * artifact backwards.
 */
export function mergeState(base: ArtifactState, updates: readonly Versioned[]): ArtifactState {
  const artifacts = { ...base.artifacts };
  for (const u of updates) {
    const cur = artifacts[u.artifact];
    if (cur && cur.version > u.version) continue;
    if (cur && cur.version === u.version && cur.hash !== u.hash) continue;
    artifacts[u.artifact] = { id: u.id, version: u.version, hash: u.hash, size: u.size, mtimeMs: u.mtimeMs };
  }
  return { artifacts };
}

/** Reads a parsed state file leniently: malformed entries are dropped (the state is a cache). */
export function parseState(json: unknown): ArtifactState {
  const out = emptyState();
  const artifacts = (json as { artifacts?: unknown } | null)?.artifacts;
  if (!artifacts || typeof artifacts !== 'object') return out;
  for (const [artifact, v] of Object.entries(artifacts as Record<string, unknown>)) {
    const e = v as Partial<KnownVersion> | null;
    if (e && typeof e.id === 'string' && typeof e.hash === 'string' && Number.isInteger(e.version) && (e.version as number) >= 1) {
      out.artifacts[artifact] = { id: e.id, version: e.version as number, hash: e.hash, size: Number(e.size ?? -1), mtimeMs: Number(e.mtimeMs ?? -1) };
    }
  }
  return out;
}
