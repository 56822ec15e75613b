/**
 * One project's live graph: the core {@link ProvGraph} plus what the service needs around it to
 * apply events at least once and in any order (SPEC §3 delivery) and to resolve references a
 * person types (`data/raw.csv@2`). Pure: no I/O.
 *
 * Event → graph mapping (the one place it is decided; bootstrap rows go through it too):
 * - entity   → addVertex(entity) with props artifact, version, contentHash, entityType, sizeBytes
 * - activity → addVertex(activity) with props name, command, status, startTime, endTime,
 *              exitCode, workdir, durationMs, `params.<k>`, `env.<k>`
 * - agent    → addVertex(agent) with props name, agentType, email
 * - relation → addEdge(type, from, to) (the relation's role is not kept in the graph)
 * - property → setProp(subject, key, value) (JSON values as their text); edge subjects are
 *              skipped: the graph has no edge properties
 * - metric   → setProp(subject, `metric.<key>`, value at the highest step seen)
 *
 * Order independence: activity and agent states, property values and metric points are applied
 * only when they are not older than what the graph already holds (event time, and step for
 * metrics; ties: the later-applied wins). So a replay of old events after a bootstrap (or two
 * partitions interleaving) never regresses a vertex to an older state. Entities are immutable.
 */
import { kindOfId } from '../model/ids.js';
import type { Payload, PropertyValue } from '../model/types.js';
import { ProvGraph, type PropValue } from './core/graph.js';

/** What applying one payload did: 'changed' / 'unchanged' (idempotent repeat or older state) / 'skipped'. */
export type ApplyOutcome = 'changed' | 'unchanged' | 'skipped';

/** Property keys the mapping above writes for each payload kind (the rest are user properties). */
export const STATE_KEYS = {
  entity: ['artifact', 'version', 'contentHash', 'entityType', 'sizeBytes'],
  activity: ['name', 'command', 'status', 'startTime', 'endTime', 'exitCode', 'workdir', 'durationMs'],
  agent: ['name', 'agentType', 'email'],
} as const;

export const PARAM_PREFIX = 'params.';
export const ENV_PREFIX = 'env.';
export const METRIC_PREFIX = 'metric.';

export class ProjectGraph {
  readonly graph = new ProvGraph();
  /** artifact → indices of its entity versions (for `artifact@version` references). */
  private readonly artifacts = new Map<string, number[]>();
  /** Per vertex: event time of the activity/agent state applied last (-Infinity: none yet). */
  private stateTimes = new Float64Array(0);
  /** `<vertex>\0<key>` → event time of the property value applied last (property events only). */
  private readonly propTimes = new Map<string, number>();
  /** `<vertex>\0<metric key>` → highest step applied. */
  private readonly metricSteps = new Map<string, number>();

  constructor(readonly project: string) {}

  /**
   * Applies one payload stated at `time` (epoch ms). Never throws for data it cannot hold: ids
   * whose kind cannot be inferred and edge-subject properties are 'skipped'.
   */
  apply(payload: Payload, time: number): ApplyOutcome {
    const before = this.graph.version;
    try {
      switch (payload.type) {
        case 'entity': {
          const v = this.graph.addVertex(payload.id, 'entity', time, compact({
            artifact: payload.artifact,
            version: payload.version,
            contentHash: payload.contentHash,
            entityType: payload.entityType,
            sizeBytes: payload.sizeBytes,
          }));
          this.indexArtifact(payload.artifact, v);
          break;
        }
        case 'activity': {
          const props: Record<string, PropValue | null> = {
            name: payload.name,
            command: payload.command,
            status: payload.status,
            startTime: payload.startTime,
            endTime: payload.endTime,
            exitCode: payload.exitCode,
            workdir: payload.workdir,
            durationMs: payload.startTime !== null && payload.endTime !== null ? payload.endTime - payload.startTime : null,
          };
          for (const [k, val] of Object.entries(payload.params)) props[PARAM_PREFIX + k] = val;
          for (const [k, val] of Object.entries(payload.env)) props[ENV_PREFIX + k] = val;
          this.applyState(payload.id, 'activity', time, compact(props));
          break;
        }
        case 'agent':
          this.applyState(payload.id, 'agent', time, compact({ name: payload.name, agentType: payload.agentType, email: payload.email }));
          break;
        case 'relation':
          this.graph.addEdge(payload.relation, payload.from, payload.to, time);
          break;
        case 'property': {
          if (kindOfId(payload.subject) === null) return 'skipped';
          const seen = this.propTimes.get(slot(this.graph.indexOf(payload.subject), payload.key));
          if (seen !== undefined && time < seen) return 'unchanged';
          this.graph.setProp(payload.subject, payload.key, propertyValue(payload.value), time);
          this.propTimes.set(slot(this.graph.indexOf(payload.subject), payload.key), time);
          break;
        }
        case 'metric': {
          if (kindOfId(payload.subject) === null) return 'skipped';
          const step = this.metricSteps.get(slot(this.graph.indexOf(payload.subject), payload.key));
          if (step !== undefined && payload.step < step) return 'unchanged';
          this.graph.setProp(payload.subject, METRIC_PREFIX + payload.key, payload.value, payload.time);
          this.metricSteps.set(slot(this.graph.indexOf(payload.subject), payload.key), payload.step);
          break;
        }
      }
    } catch (err) {
      if (err instanceof RangeError) return 'skipped';
      throw err;
    }
    return this.graph.version !== before ? 'changed' : 'unchanged';
  }

  /**
   * The vertex a reference names, or -1: an exact vertex id; `artifact@N` (version N of the
   * artifact); `artifact@latest` or a bare artifact (its highest version, the latest by time
   * when versions are unknown).
   */
  resolve(ref: string): number {
    const exact = this.graph.indexOf(ref);
    if (exact >= 0) return exact;
    const at = ref.lastIndexOf('@');
    const artifact = at > 0 ? ref.slice(0, at) : ref;
    const which = at > 0 ? ref.slice(at + 1) : 'latest';
    const versions = this.artifacts.get(artifact);
    if (!versions) return -1;
    if (which === 'latest') {
      let best = -1;
      for (const v of versions) if (best < 0 || newer(this.graph, v, best)) best = v;
      return best;
    }
    if (!/^\d+$/.test(which)) return -1;
    return versions.find((v) => this.graph.prop(v, 'version') === Number(which)) ?? -1;
  }

  /** Every artifact with its version count (for "did you mean" messages and listings). */
  artifactNames(): string[] {
    return [...this.artifacts.keys()];
  }

  private applyState(id: string, kind: 'activity' | 'agent', time: number, props: Record<string, PropValue>): void {
    const existing = this.graph.indexOf(id);
    const last = existing >= 0 && existing < this.stateTimes.length ? this.stateTimes[existing]! : -Infinity;
    if (time < last) {
      this.graph.addVertex(id, kind, time); // may still move its time earlier
      return;
    }
    const v = this.graph.addVertex(id, kind, time, props);
    if (v >= this.stateTimes.length) {
      const grown = new Float64Array(Math.max(16, (v + 1) * 2)).fill(-Infinity);
      grown.set(this.stateTimes);
      this.stateTimes = grown;
    }
    this.stateTimes[v] = time;
  }

  private indexArtifact(artifact: string, v: number): void {
    const list = this.artifacts.get(artifact);
    if (!list) this.artifacts.set(artifact, [v]);
    else if (!list.includes(v)) list.push(v);
  }
}

/** The graph's form of a property value: JSON values are kept as their text. */
export function propertyValue(v: PropertyValue): PropValue {
  return v.value;
}

/** Side-map key of (vertex, key); an unknown vertex (-1) never has an entry. */
function slot(v: number, key: string): string {
  return `${v}\0${key}`;
}

function compact(props: Record<string, PropValue | null>): Record<string, PropValue> {
  const out: Record<string, PropValue> = {};
  for (const [k, v] of Object.entries(props)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

function newer(graph: ProvGraph, a: number, b: number): boolean {
  const va = graph.prop(a, 'version');
  const vb = graph.prop(b, 'version');
  if (typeof va === 'number' && typeof vb === 'number' && va !== vb) return va > vb;
  return graph.timeOf(a) > graph.timeOf(b);
}

/** The live graphs of every project this instance serves, created on first event. */
export class ProjectGraphs {
  private readonly byProject = new Map<string, ProjectGraph>();

  /** `served`: the projects this instance holds (null: all). */
  constructor(private readonly served: ReadonlySet<string> | null = null) {}

  serves(project: string): boolean {
    return this.served === null || this.served.has(project);
  }

  /** Applies a payload to its project's graph; 'skipped' for projects this instance does not serve. */
  apply(project: string, payload: Payload, time: number): ApplyOutcome {
    if (!this.serves(project)) return 'skipped';
    let g = this.byProject.get(project);
    if (!g) {
      g = new ProjectGraph(project);
      this.byProject.set(project, g);
    }
    return g.apply(payload, time);
  }

  get(project: string): ProjectGraph | undefined {
    return this.byProject.get(project);
  }

  projects(): string[] {
    return [...this.byProject.keys()].sort();
  }

  /** The served project list as configured (null: every project). */
  get servedProjects(): readonly string[] | null {
    return this.served === null ? null : [...this.served].sort();
  }
}
