/**
 * Facts -> the snapshot the tables would hold for them (pure): per vertex and per (subject, key)
 * the fact with the latest time (later in the list on a tie), edges and metric points as sets.
 * The same reading the export's ClickHouse queries do (argMax by valid_from); used to export a
 * document without a store (tests, `--dry-run`).
 */
import type { Activity, Agent, EntityVersion, MetricPoint, PropertyValue } from '../../model/types.js';
import type { Fact } from '../facts.js';
import type { GraphSnapshot, SnapshotEdge } from './export.js';

export function applyFacts(facts: readonly Fact[]): GraphSnapshot {
  const vertices = new Map<string, { time: number; v: EntityVersion | Activity | Agent }>();
  const edges = new Map<string, SnapshotEdge>();
  const props = new Map<string, { time: number; subject: string; key: string; value: PropertyValue }>();
  const metrics = new Map<string, Omit<MetricPoint, 'type'>>();
  for (const { time, payload: p } of facts) {
    switch (p.type) {
      case 'entity':
      case 'activity':
      case 'agent':
        if ((vertices.get(p.id)?.time ?? -Infinity) <= time) vertices.set(p.id, { time, v: p });
        break;
      case 'relation':
        edges.set(`${p.relation}\0${p.from}\0${p.to}\0${p.role ?? ''}`, { type: p.relation, from: p.from, to: p.to, role: p.role });
        break;
      case 'property': {
        const k = `${p.subject}\0${p.key}`;
        if ((props.get(k)?.time ?? -Infinity) <= time) props.set(k, { time, subject: p.subject, key: p.key, value: p.value });
        break;
      }
      case 'metric': {
        const { type: _t, ...m } = p;
        metrics.set(`${m.subject}\0${m.key}\0${m.step}\0${m.time}\0${m.value}`, m);
        break;
      }
    }
  }
  return {
    vertices: [...vertices.values()].map((x) => x.v),
    edges: [...edges.values()],
    properties: [...props.values()].map(({ subject, key, value }) => ({ subject, key, value })),
    metrics: [...metrics.values()],
  };
}
