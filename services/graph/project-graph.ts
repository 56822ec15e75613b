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
import { NumberMap } from './core/numset.js';
import { InternTable } from './core/intern.js';
import { grow } from './core/typed.js';

/** A reference resolved ({@link ProjectGraph.lookup}): the vertex, or -1 and why. */
export interface Lookup {
  vertex: number;
  /** Why nothing matched (a sentence for the user). */
  problem?: string;
  /** The reference names something that was first recorded after the asked time. */
  notYet?: boolean;
}

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
  /**
   * artifact → its entity versions (for `artifact@version` references), off the JS heap: names
   * interned, per artifact the first version, per vertex the next version of the same artifact
   * (NOT_LISTED / END). A Map of arrays cost ~110 bytes per artifact (bench-graph, 10^6 vertices).
   */
  private readonly artifacts = new InternTable();
  private firstVersion = new Int32Array(0);
  private lastVersion = new Int32Array(0);
  private nextVersion = new Int32Array(0);
  /** Per vertex: event time of the activity/agent state applied last (-Infinity: none yet). */
  private stateTimes = new Float64Array(0);
  /** (vertex, key) → event time of the property value applied last (property events only). */
  private readonly propTimes = new SlotValues();
  /** (vertex, metric key) → highest step applied. */
  private readonly metricSteps = new SlotValues();

  /** Vertices covered by the last relayout (those after it are in arrival order). */
  private laidOut = 0;

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
          const seen = this.propTimes.get(this.graph.indexOf(payload.subject), payload.key);
          if (seen !== undefined && time < seen) return 'unchanged';
          this.graph.setProp(payload.subject, payload.key, propertyValue(payload.value), time);
          this.propTimes.set(this.graph.indexOf(payload.subject), payload.key, time);
          break;
        }
        case 'metric': {
          if (kindOfId(payload.subject) === null) return 'skipped';
          const step = this.metricSteps.get(this.graph.indexOf(payload.subject), payload.key);
          if (step !== undefined && payload.step < step) return 'unchanged';
          this.graph.setProp(payload.subject, METRIC_PREFIX + payload.key, payload.value, payload.time);
          this.metricSteps.set(this.graph.indexOf(payload.subject), payload.key, payload.step);
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
   * when versions are unknown). With `asOf`, as {@link lookup}.
   */
  resolve(ref: string, asOf = Infinity): number {
    return this.find(ref, asOf, false).vertex;
  }

  /**
   * {@link resolve} as of a time, saying why when nothing matches. As of `asOf`, a bare artifact
   * (or `@latest`) names its newest version that existed then (vertex time ≤ asOf); an id or
   * `artifact@N` that did not exist yet is not resolved (`notYet`), so a query "as of T" never
   * starts from a vertex recorded after T. `problem` is a sentence for the user.
   */
  lookup(ref: string, asOf = Infinity): Lookup {
    return this.find(ref, asOf, true);
  }

  /** lookup(); without `explain` an unknown name is not compared with every artifact name (resolve's callers only test the vertex). */
  private find(ref: string, asOf: number, explain: boolean): Lookup {
    const exact = this.graph.indexOf(ref);
    if (exact >= 0) return this.existedAt(ref, exact, asOf);
    const at = ref.lastIndexOf('@');
    const artifact = at > 0 ? ref.slice(0, at) : ref;
    const which = at > 0 ? ref.slice(at + 1) : 'latest';
    const versions = this.versionsOf(artifact);
    if (versions.length === 0) return { vertex: -1, problem: explain ? this.unknownArtifact(artifact) : `unknown artifact ${artifact}` };
    if (which === 'latest') {
      let best = -1;
      for (const v of versions) if (this.graph.timeOf(v) <= asOf && (best < 0 || newer(this.graph, v, best))) best = v;
      if (best >= 0) return { vertex: best };
      const first = versions.reduce((a, b) => (this.graph.timeOf(b) < this.graph.timeOf(a) ? b : a));
      return { vertex: -1, notYet: true, problem: `${artifact} had no version at ${isoTime(asOf)}; its first version (${this.versionName(first)}) is from ${isoTime(this.graph.timeOf(first))}` };
    }
    const v = /^\d+$/.test(which) ? versions.find((x) => this.graph.prop(x, 'version') === Number(which)) : undefined;
    if (v !== undefined) return this.existedAt(ref, v, asOf);
    const known = versions.map((x) => this.graph.prop(x, 'version')).filter((n): n is number => typeof n === 'number').sort((a, b) => a - b);
    const list = known.length > 0 ? `its versions: ${known.join(', ')}` : 'its versions carry no version numbers; name one by its id (ent:…)';
    const what = /^\d+$/.test(which) ? `has no version ${which}` : `has no version "${which}" (a version is a number, or "latest")`;
    return { vertex: -1, problem: `${artifact} ${what} (${list})` };
  }

  private existedAt(ref: string, v: number, asOf: number): Lookup {
    const t = this.graph.timeOf(v);
    if (t <= asOf) return { vertex: v };
    return { vertex: -1, notYet: true, problem: `${ref} did not exist yet at ${isoTime(asOf)}; it was first recorded at ${isoTime(t)}` };
  }

  /** "@3" for a numbered version, else the vertex id. */
  private versionName(v: number): string {
    const n = this.graph.prop(v, 'version');
    return typeof n === 'number' ? `@${n}` : this.graph.idOf(v);
  }

  /** Unknown name: the generic hint, plus artifacts that contain it or share its file name. */
  private unknownArtifact(name: string): string {
    const hint = 'give a vertex id (ent:…, act:…, agt:…) or an artifact reference such as data/raw.csv@2 (a version) or data/raw.csv (its latest version)';
    if (kindOfId(name) !== null) return hint;
    const base = (x: string): string => x.slice(x.lastIndexOf('/') + 1);
    const close = this.artifactNames().filter((a) => a.includes(name) || base(a) === base(name));
    if (close.length === 0) return hint;
    return `${hint}; did you mean ${close.slice(0, 5).join(', ')}${close.length > 5 ? ', …' : ''}?`;
  }

  /**
   * Renumbers the graph's vertices for locality ({@link ProvGraph.relayout}) and moves this
   * object's per-vertex state with them. Content and answers are unchanged (only the order of
   * vertices within a lineage level, which follows the index). Call after a bulk load, between
   * queries: vertex indices held from before are invalid afterwards.
   */
  relayout(): void {
    const newOf = this.graph.relayout();
    const n = newOf.length;
    this.laidOut = n;
    const at = (v: number): number => (v >= 0 ? newOf[v]! : v);
    const next = new Int32Array(n).fill(NOT_LISTED);
    for (let v = 0; v < Math.min(this.nextVersion.length, n); v++) next[newOf[v]!] = at(this.nextVersion[v]!);
    this.nextVersion = next;
    for (let a = 0; a < this.firstVersion.length; a++) {
      this.firstVersion[a] = at(this.firstVersion[a]!);
      this.lastVersion[a] = at(this.lastVersion[a]!);
    }
    const stateTimes = new Float64Array(n).fill(-Infinity);
    for (let v = 0; v < Math.min(this.stateTimes.length, n); v++) stateTimes[newOf[v]!] = this.stateTimes[v]!;
    this.stateTimes = stateTimes;
    this.propTimes.renumber(newOf);
    this.metricSteps.renumber(newOf);
  }

  /** Vertices added since the last relayout (all of them before the first). */
  get verticesSinceRelayout(): number {
    return this.graph.vertexCount - this.laidOut;
  }

  /** Every artifact (for "did you mean" messages and listings), in first-seen order. */
  artifactNames(): string[] {
    const names: string[] = [];
    for (let i = 0; i < this.artifacts.size; i++) names.push(this.artifacts.get(i));
    return names;
  }

  /** The entity versions of an artifact, in the order they were first seen. */
  private versionsOf(artifact: string): number[] {
    const a = this.artifacts.lookup(artifact);
    const out: number[] = [];
    if (a < 0) return out;
    for (let v = this.firstVersion[a]!; v >= 0; v = this.nextVersion[v]!) out.push(v);
    return out;
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

  /** Appends v to its artifact's versions (once; an entity's artifact is fixed by its id). */
  private indexArtifact(artifact: string, v: number): void {
    this.nextVersion = grow(this.nextVersion, v + 1, NOT_LISTED);
    if (this.nextVersion[v] !== NOT_LISTED) return;
    const a = this.artifacts.intern(artifact);
    this.firstVersion = grow(this.firstVersion, a + 1, NOT_LISTED);
    this.lastVersion = grow(this.lastVersion, a + 1, NOT_LISTED);
    this.nextVersion[v] = END;
    if (this.firstVersion[a] === NOT_LISTED) this.firstVersion[a] = v;
    else this.nextVersion[this.lastVersion[a]!] = v;
    this.lastVersion[a] = v;
  }
}

/** The graph's form of a property value: JSON values are kept as their text. */
export function propertyValue(v: PropertyValue): PropValue {
  return v.value;
}

const NOT_LISTED = -1;
const END = -2;
const KEY_IDS = 2 ** 21;

/**
 * (vertex, key) → number for the side maps: a typed-array hash on vertex·2^21 + key id, ~32 bytes
 * per entry instead of ~100 for a Map keyed by `${v}\0${key}` strings (bench-graph at 10^6
 * vertices holds ~720k entries: 160 -> ~145 heap bytes per edge). Keys past 2^21 distinct names
 * (never seen in practice) fall back to a string-keyed Map. An unknown vertex (-1) has no entry.
 */
class SlotValues {
  private readonly keyIds = new Map<string, number>();
  private values = new NumberMap();
  private overflow = new Map<string, number>();

  /** Moves every entry of vertex v to vertex newOf[v] (see ProjectGraph.relayout). */
  renumber(newOf: Uint32Array): void {
    const values = new NumberMap(this.values.size);
    this.values.forEach((key, value) => {
      const id = key % KEY_IDS;
      values.set(newOf[(key - id) / KEY_IDS]! * KEY_IDS + id, value);
    });
    this.values = values;
    const overflow = new Map<string, number>();
    for (const [key, value] of this.overflow) {
      const sep = key.indexOf('\0');
      overflow.set(`${newOf[Number(key.slice(0, sep))]!}${key.slice(sep)}`, value);
    }
    this.overflow = overflow;
  }

  get(v: number, key: string): number | undefined {
    if (v < 0) return undefined;
    const id = this.keyIds.get(key);
    if (id !== undefined) return this.values.get(v * KEY_IDS + id);
    return this.overflow.get(`${v}\0${key}`);
  }

  set(v: number, key: string, value: number): void {
    if (v < 0) return;
    let id = this.keyIds.get(key);
    if (id === undefined && this.keyIds.size < KEY_IDS) this.keyIds.set(key, (id = this.keyIds.size));
    if (id !== undefined) this.values.set(v * KEY_IDS + id, value);
    else this.overflow.set(`${v}\0${key}`, value);
  }
}

function compact(props: Record<string, PropValue | null>): Record<string, PropValue> {
  const out: Record<string, PropValue> = {};
  for (const [k, v] of Object.entries(props)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

/** An epoch-ms time as ISO text (the number itself when out of Date's range). */
function isoTime(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

function newer(graph: ProvGraph, a: number, b: number): boolean {
  const va = graph.prop(a, 'version');
  const vb = graph.prop(b, 'version');
  if (typeof va === 'number' && typeof vb === 'number' && va !== vb) return va > vb;
  return graph.timeOf(a) > graph.timeOf(b);
}

/**
 * When a live graph is laid out again: once the vertices added since its last relayout are at
 * least `growth` × those laid out then, and at least `minVertices` (growth 0: never).
 */
export interface RelayoutPolicy {
  growth: number;
  minVertices: number;
}

/** One relayout done by {@link ProjectGraphs.relayoutGrown}, for the log. */
export interface RelayoutDone {
  project: string;
  vertices: number;
  added: number;
  ms: number;
}

/** Amortized like compaction: each relayout costs O(n + m) and waits for n/4 new vertices. */
export const DEFAULT_RELAYOUT_POLICY: RelayoutPolicy = { growth: 0.25, minVertices: 10_000 };

/** The live graphs of every project this instance serves, created on first event. */
export class ProjectGraphs {
  private readonly byProject = new Map<string, ProjectGraph>();

  /** `served`: the projects this instance holds (null: all). */
  constructor(
    private readonly served: ReadonlySet<string> | null = null,
    private readonly relayoutPolicy: RelayoutPolicy = DEFAULT_RELAYOUT_POLICY,
  ) {}

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

  /** {@link ProjectGraph.relayout} for every project (after a bootstrap). */
  relayout(): void {
    for (const g of this.byProject.values()) g.relayout();
  }

  /**
   * Lays out again every graph that grew past the policy since its last relayout (vertices
   * that arrive from the stream are appended in arrival order, which a lineage walk reads ~3×
   * slower on a large graph). Call between batches, never while indices are held. Returns what
   * it did, for the log.
   */
  relayoutGrown(): RelayoutDone[] {
    const done: RelayoutDone[] = [];
    const { growth, minVertices } = this.relayoutPolicy;
    if (growth <= 0) return done;
    for (const g of this.byProject.values()) {
      const added = g.verticesSinceRelayout;
      if (added < minVertices || added < growth * (g.graph.vertexCount - added)) continue;
      const started = performance.now();
      g.relayout();
      done.push({ project: g.project, vertices: g.graph.vertexCount, added, ms: Math.round(performance.now() - started) });
    }
    return done;
  }

  projects(): string[] {
    return [...this.byProject.keys()].sort();
  }

  /** The served project list as configured (null: every project). */
  get servedProjects(): readonly string[] | null {
    return this.served === null ? null : [...this.served].sort();
  }
}
