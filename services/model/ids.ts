import { createHash } from 'node:crypto';
import type { EdgeType, VertexKind } from './types.js';

/**
 * Deterministic identity (SPEC §1): replays and duplicates produce the same ids.
 *   entity   ent:<32 hex>   sha256(artifact NUL contentHash), first 128 bits
 *   activity act:<uuid>     client-generated
 *   agent    agt:<name>     the agent's stable name (lower-case, no spaces)
 *   edge     edge:<type>:<from>><to>   (used as the subject of edge properties)
 */
export function entityId(artifact: string, contentHash: string): string {
  return 'ent:' + createHash('sha256').update(artifact).update('\0').update(contentHash).digest('hex').slice(0, 32);
}

export function activityId(uuid: string): string {
  return 'act:' + uuid;
}

export function agentId(name: string): string {
  return 'agt:' + name.trim().toLowerCase().replace(/\s+/g, '-');
}

export function edgeId(type: EdgeType, from: string, to: string): string {
  return `edge:${type}:${from}>${to}`;
}

const KIND_BY_PREFIX: Record<string, VertexKind> = { ent: 'entity', act: 'activity', agt: 'agent' };

/** The vertex kind an id names, or null when it is not a well-formed vertex id. */
export function kindOfId(id: string): VertexKind | null {
  const colon = id.indexOf(':');
  if (colon <= 0 || colon === id.length - 1) return null;
  return KIND_BY_PREFIX[id.slice(0, colon)] ?? null;
}

export const ID_PATTERNS: Record<VertexKind, RegExp> = {
  entity: /^ent:[0-9a-f]{32}$/,
  activity: /^act:[0-9A-Za-z._-]{1,64}$/,
  agent: /^agt:[^\s]{1,128}$/,
};
