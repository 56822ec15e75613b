/**
 * LineageReader over an in-memory snapshot (pure): the same walk as the ClickHouse reader
 * (./reader.ts), for unit tests of the HTTP app and for exporting facts that were never stored.
 */
import { InputError } from '../../lib/errors.js';
import { edgeId } from '../../model/ids.js';
import type { GraphSnapshot, SnapshotEdge } from './export.js';
import type { LineageReader, WalkOptions } from './reader.js';

export class MemoryLineageReader implements LineageReader {
  /** `snapshotOf(project)`: the project's whole graph (e.g. applyFacts of what was published). */
  constructor(private readonly snapshotOf: (project: string) => GraphSnapshot) {}

  async snapshot(project: string, vertexId: string, opts: WalkOptions): Promise<GraphSnapshot | null> {
    const all = this.snapshotOf(project);
    if (!all.vertices.some((v) => v.id === vertexId)) return null;
    const visited = new Set([vertexId]);
    const edges = new Map<string, SnapshotEdge>();
    let frontier = new Set([vertexId]);
    for (let d = 0; d < opts.depth && frontier.size > 0; d++) {
      const next = new Set<string>();
      for (const e of all.edges) {
        const up = opts.direction !== 'downstream' && frontier.has(e.from);
        const down = opts.direction !== 'upstream' && frontier.has(e.to);
        if (!up && !down) continue;
        edges.set(`${e.type}\0${e.from}\0${e.to}\0${e.role ?? ''}`, e);
        for (const other of [up ? e.to : null, down ? e.from : null]) {
          if (other === null || visited.has(other)) continue;
          visited.add(other);
          next.add(other);
        }
      }
      if (visited.size > opts.maxVertices) throw new InputError(`the lineage of ${vertexId} has more than ${opts.maxVertices} vertices within depth ${d + 1}; ask for a smaller depth`);
      frontier = next;
    }
    const subjects = new Set([...visited, ...[...edges.values()].map((e) => edgeId(e.type, e.from, e.to))]);
    return {
      vertices: all.vertices.filter((v) => visited.has(v.id)),
      edges: [...edges.values()],
      properties: all.properties.filter((p) => subjects.has(p.subject)),
      metrics: all.metrics.filter((m) => visited.has(m.subject)),
    };
  }
}
