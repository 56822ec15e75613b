/**
 * Reads a vertex's lineage from ClickHouse into a GraphSnapshot for ./export.ts (adapter; every
 * query is in services/query/catalogue.ts). The walk follows every edge type in PROV direction
 * (upstream: derived -> source, so agents, inputs and code come with an entity's history),
 * against it (downstream), or both, up to `depth` edges from the start.
 */
import type { Warehouse } from '../../lib/clickhouse.js';
import { InputError } from '../../lib/errors.js';
import { edgeId } from '../../model/ids.js';
import type { ActivityStatus, AgentType, EdgeType, PropertyValue } from '../../model/types.js';
import * as catalogue from '../../query/catalogue.js';
import type { GraphSnapshot, SnapshotEdge } from './export.js';

export type Direction = 'upstream' | 'downstream' | 'both';

export interface WalkOptions {
  depth: number;
  direction: Direction;
  /** The walk stops with an error past this many vertices (a request too large to answer). */
  maxVertices: number;
}

export interface LineageReader {
  /** The lineage of `vertexId`, or null when the project has no such vertex. */
  snapshot(project: string, vertexId: string, opts: WalkOptions): Promise<GraphSnapshot | null>;
}

const CHUNK = 500; // ids per IN list: keeps statements far below max_query_size (256 KiB on 18.16)

interface VertexRow {
  id: string;
  kind: string;
  artifact: string;
  version: number | null;
  content_hash: string;
  entity_type: string;
  size_bytes: number | null;
  name: string;
  command: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  exit_code: number | null;
  workdir: string;
  param_keys: string[];
  param_values: string[];
  env_keys: string[];
  env_values: string[];
  agent_type: string;
  email: string;
}

const zip = (keys: string[], values: string[]) => Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
const num = (v: number | string | null) => (v === null ? null : Number(v));

function toVertex(r: VertexRow): GraphSnapshot['vertices'][number] {
  if (r.kind === 'entity') return { type: 'entity', id: r.id, artifact: r.artifact, contentHash: r.content_hash, version: num(r.version), entityType: r.entity_type, sizeBytes: num(r.size_bytes) };
  if (r.kind === 'activity') {
    return {
      type: 'activity', id: r.id, name: r.name, command: r.command, status: r.status as ActivityStatus, startTime: num(r.start_time), endTime: num(r.end_time),
      exitCode: num(r.exit_code), workdir: r.workdir === '' ? null : r.workdir, params: zip(r.param_keys, r.param_values), env: zip(r.env_keys, r.env_values),
    };
  }
  return { type: 'agent', id: r.id, name: r.name, agentType: r.agent_type as AgentType, email: r.email === '' ? null : r.email };
}

function toValue(r: { type: string; string: string; number: number; bool: number }): PropertyValue {
  if (r.type === 'number') return { kind: 'number', value: Number(r.number) };
  if (r.type === 'bool') return { kind: 'bool', value: Number(r.bool) === 1 };
  return { kind: r.type === 'json' ? 'json' : 'string', value: r.string };
}

export class ClickHouseLineageReader implements LineageReader {
  constructor(private readonly wh: Warehouse) {}

  private async chunked<T>(ids: readonly string[], query: (chunk: string[]) => string): Promise<T[]> {
    const out: T[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await this.wh.query<T>(query(ids.slice(i, i + CHUNK)))));
    return out;
  }

  async snapshot(project: string, vertexId: string, opts: WalkOptions): Promise<GraphSnapshot | null> {
    const start = await this.wh.query<VertexRow>(catalogue.exportVertexStates(project, [vertexId]));
    if (start.length === 0) return null;
    const visited = new Set([vertexId]);
    const edges = new Map<string, SnapshotEdge>();
    const directions: Array<'up' | 'down'> = opts.direction === 'both' ? ['up', 'down'] : [opts.direction === 'upstream' ? 'up' : 'down'];
    let frontier = [vertexId];
    for (let d = 0; d < opts.depth && frontier.length > 0; d++) {
      const next: string[] = [];
      for (const dir of directions) {
        const rows = await this.chunked<{ type: EdgeType; src: string; dst: string; role: string }>(frontier, (c) => catalogue.exportEdgesAround(project, c, dir));
        for (const r of rows) {
          edges.set(`${r.type}\0${r.src}\0${r.dst}\0${r.role}`, { type: r.type, from: r.src, to: r.dst, role: r.role === '' ? null : r.role });
          const other = dir === 'up' ? r.dst : r.src;
          if (!visited.has(other)) {
            visited.add(other);
            next.push(other);
          }
        }
      }
      if (visited.size > opts.maxVertices) throw new InputError(`the lineage of ${vertexId} has more than ${opts.maxVertices} vertices within depth ${d + 1}; ask for a smaller depth`, { vertexId });
      frontier = next;
    }
    const ids = [...visited];
    const vertices = (await this.chunked<VertexRow>(ids, (c) => catalogue.exportVertexStates(project, c))).map(toVertex);
    const subjects = [...ids, ...[...edges.values()].map((e) => edgeId(e.type, e.from, e.to))];
    const props = await this.chunked<{ subject: string; key: string; type: string; string: string; number: number; bool: number }>(subjects, (c) => catalogue.exportProperties(project, c));
    const metrics = await this.chunked<{ subject: string; key: string; step: number; value: number; time: number }>(ids, (c) => catalogue.exportMetrics(project, c));
    return {
      vertices,
      edges: [...edges.values()],
      properties: props.map((p) => ({ subject: p.subject, key: p.key, value: toValue(p) })),
      metrics: metrics.map((m) => ({ subject: m.subject, key: m.key, step: Number(m.step), value: Number(m.value), time: Number(m.time) })),
    };
  }
}
