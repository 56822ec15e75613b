/**
 * The graph service's operations (routes call these; they call the pure core): resolve the
 * project and the vertex references, wait (bounded) for a requested event or offsets, answer
 * from the live graph, and report the graph version and freshness the answer came from.
 * Segment and summarize results are also stored in ClickHouse (ResultSink) and cached in Redis
 * (ResultCache) under (operation, request hash, graph epoch, graph version).
 *
 * Graph identity: `epoch` names this instance's graph lifetime (instance id + start time) and
 * `version` counts logical changes within it (ProvGraph.version). Two instances, or one instance
 * before and after a restart, have different epochs, so a cached answer is never served for a
 * graph it was not computed on.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../lib/log.js';
import { NotFoundError, ServiceUnavailableError, errorMessage } from '../lib/errors.js';
import { canonicalJson } from '../ingest/rows.js';
import { withTimeout } from '../lib/timeout.js';
import type { VertexKind } from '../model/types.js';
import { lineage, type LineageEdge } from './core/lineage.js';
import { segment, type SegmentBoundary, type SegmentResult } from './core/segment.js';
import { summarize, type Summary, type SummaryEdge, type SummaryVertex, type PathCheck } from './core/summarize.js';
import type { VertexPredicate } from './core/boundary.js';
import { diffVertices, type VertexDiff } from './diff.js';
import { DEFAULT_EVENT_WAIT, waitForUnknownEvent, type EventLookup, type EventWaitOptions } from './event-wait.js';
import type { Freshness, FreshnessReport } from './freshness.js';
import { impact, vertexLabel, why, type DerivationTree, type ImpactResult, type TreeOptions } from './introspect.js';
import type { ProjectGraph, ProjectGraphs } from './project-graph.js';
import { DEFAULT_LINEAGE_MAX_NODES, type LineageRequest, type SegmentSpec, type SummarizeRequest, type TreeRequest, type WaitRequest } from './requests.js';

export interface GraphIdentity {
  epoch: string;
  version: number;
  vertices: number;
  edges: number;
}

/** Every answer: what was asked about, which graph answered, how fresh it was. */
export interface Answer<T> {
  project: string;
  graph: GraphIdentity;
  freshness: FreshnessReport;
  /** How long the request waited for its waitFor / minOffsets condition. */
  waitedMs: number;
  tookMs: number;
  /** True when the result came from the Redis cache. */
  cached: boolean;
  result: T;
  /** Segment / summarize: the id under which the result is stored in ClickHouse. */
  queryId?: string;
  /** Segment / summarize: whether the ClickHouse write succeeded (see storeError otherwise). */
  stored?: boolean;
  storeError?: string;
}

export interface LabelledVertex {
  id: string;
  kind: VertexKind;
  label: string;
}

export interface LineageAnswer {
  root: LabelledVertex;
  vertices: Array<LabelledVertex & { distance: number; direction: 'start' | 'upstream' | 'downstream' }>;
  edges: LineageEdge[];
  /** vertices.length. */
  vertexCount: number;
  /** The limit applied (the request's, or DEFAULT_LINEAGE_MAX_NODES). */
  maxNodes: number;
  /** True when the closure had more than maxNodes vertices: the answer is everything within depthReached. */
  truncated: boolean;
  /** Truncated: the distance up to which the answer is complete; otherwise the greatest distance in it. */
  depthReached: number;
}

export type SegmentAnswer = Omit<SegmentResult, 'vertices' | 'graphVersion'> & {
  vertices: Array<Omit<SegmentResult['vertices'][number], 'index'> & { label: string }>;
};

export interface SummaryAnswer {
  vertices: SummaryVertex[];
  edges: SummaryEdge[];
  input: Summary['input'];
  summary: Summary['summary'];
  compaction: number;
  rounds: number;
  stable: boolean;
  pathCheck: PathCheck & { maxLength: number };
  segments: Array<{ index: number; vertices: number; edges: number }>;
}

/** Redis (or any) cache of serialized answers; failures must be reported by throwing, never hidden. */
export interface ResultCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

export interface StoredQuery {
  queryId: string;
  project: string;
  request: string;
  graph: GraphIdentity;
  createdAt: number;
  tookMs: number;
}

/** Durable result tables (ClickHouse); resolves after the rows are acknowledged. */
export interface ResultSink {
  storeSegment(q: StoredQuery, result: SegmentAnswer): Promise<void>;
  /**
   * `segments`: the segment() answers computed for the request, with their index in it (explicit
   * vertex-list segments have none); `members`: which summary vertex each input node went to.
   */
  storeSummary(q: StoredQuery, summary: SummaryAnswer, segments: ReadonlyArray<{ index: number; answer: SegmentAnswer }>, members: Summary['members']): Promise<void>;
}

export interface GraphQueriesDeps {
  graphs: ProjectGraphs;
  freshness: Freshness;
  cache: ResultCache;
  sink: ResultSink;
  /** What ClickHouse knows about a waited-for event id the graph does not remember (event-wait.ts);
   * without it such a wait simply runs out (504). */
  events?: EventLookup;
  eventWait?: EventWaitOptions;
  epoch: string;
  /** GRAPH_INSTANCE_ID, named in the 404 for a project this instance does not serve (default: the epoch). */
  instanceId?: string;
  cacheTtlSeconds: number;
  cachePrefix: string;
  /** A cache read or write slower than this counts as a miss / is abandoned (default 1,000). */
  cacheTimeoutMs?: number;
  /** How long an answer waits for ClickHouse to acknowledge its result rows (default 10,000);
   * after that it is returned with stored: false while the write goes on in the background. */
  storeTimeoutMs?: number;
  log: Logger;
  now?: () => number;
}

interface CachedAnswer<T> {
  result: T;
  graph: GraphIdentity;
  queryId: string;
}

export class GraphQueries {
  private readonly now: () => number;

  constructor(private readonly deps: GraphQueriesDeps) {
    this.now = deps.now ?? Date.now;
  }

  async lineage(project: string, req: LineageRequest, wait: WaitRequest): Promise<Answer<LineageAnswer>> {
    return this.answer(project, wait, (pg) => {
      const v = this.vertex(pg, req.ref, req.asOf);
      const g = pg.graph;
      const maxNodes = req.maxNodes ?? DEFAULT_LINEAGE_MAX_NODES;
      const r = lineage(g, g.idOf(v), { direction: req.direction, maxDepth: req.depth, edgeTypes: req.types, asOf: req.asOf, maxNodes });
      return {
        root: labelled(pg, v),
        vertices: r.vertices.map((x) => ({ id: x.id, kind: x.kind, label: vertexLabel(g, x.index), distance: x.distance, direction: x.direction })),
        edges: r.edges,
        vertexCount: r.vertices.length,
        maxNodes,
        truncated: r.truncated,
        depthReached: r.depthReached,
      };
    });
  }

  async why(project: string, req: TreeRequest, wait: WaitRequest): Promise<Answer<DerivationTree>> {
    return this.answer(project, wait, (pg) => why(pg.graph, this.vertex(pg, req.ref, req.asOf), treeOptions(req)));
  }

  async impact(project: string, req: TreeRequest, wait: WaitRequest): Promise<Answer<ImpactResult>> {
    return this.answer(project, wait, (pg) => impact(pg.graph, this.vertex(pg, req.ref, req.asOf), treeOptions(req)));
  }

  async diff(project: string, req: { a: string; b: string }, wait: WaitRequest): Promise<Answer<VertexDiff>> {
    return this.answer(project, wait, (pg) => diffVertices(pg.graph, this.vertex(pg, req.a), this.vertex(pg, req.b)));
  }

  async segment(project: string, spec: SegmentSpec, wait: WaitRequest): Promise<Answer<SegmentAnswer>> {
    const started = this.now();
    const waitedMs = await this.waitFor(project, wait);
    const pg = this.project(project);
    const resolved = this.resolveSpec(pg, spec);
    return this.cachedOrComputed('segment', project, resolved, started, waitedMs, pg, () => {
      const r = runSegment(pg, resolved);
      return { result: r, rows: r.vertices.length, store: (q: StoredQuery) => this.deps.sink.storeSegment(q, r) };
    });
  }

  async summarize(project: string, req: SummarizeRequest, wait: WaitRequest): Promise<Answer<SummaryAnswer>> {
    const started = this.now();
    const waitedMs = await this.waitFor(project, wait);
    const pg = this.project(project);
    const segments = req.segments.map((s) => ('vertices' in s ? { vertices: s.vertices.map((r) => pg.graph.idOf(this.vertex(pg, r))) } : this.resolveSpec(pg, s)));
    const resolved = { ...req, k: req.k === Infinity ? 'inf' : req.k, segments };
    return this.cachedOrComputed('summarize', project, resolved, started, waitedMs, pg, () => {
      const computed = segments.map((s) => ('vertices' in s ? null : runSegment(pg, s)));
      const inputs = segments.map((s, i) => ('vertices' in s ? s.vertices : { vertices: computed[i]!.vertices }));
      const sum = summarize(pg.graph, inputs, req.labelKeys, req.k, { roles: req.roles, edgeTypes: req.edgeTypes });
      const check = sum.checkNoFalsePaths(req.pathCheckLength);
      const result: SummaryAnswer = {
        vertices: sum.vertices,
        edges: sum.edges,
        input: sum.input,
        summary: sum.summary,
        compaction: sum.compaction,
        rounds: sum.rounds,
        stable: sum.stable,
        pathCheck: { ...check, maxLength: req.pathCheckLength },
        segments: sum.segments.map((stats, index) => ({ index, ...stats })),
      };
      const stored = computed.flatMap((answer, index) => (answer === null ? [] : [{ index, answer }]));
      return { result, rows: sum.vertices.length, store: (q: StoredQuery) => this.deps.sink.storeSummary(q, result, stored, sum.members) };
    });
  }

  /** The identity of a project's graph now (for health and listings). */
  identity(pg: ProjectGraph): GraphIdentity {
    return { epoch: this.deps.epoch, version: pg.graph.version, vertices: pg.graph.vertexCount, edges: pg.graph.edgeCount };
  }

  private async answer<T>(project: string, wait: WaitRequest, compute: (pg: ProjectGraph) => T): Promise<Answer<T>> {
    const started = this.now();
    const waitedMs = await this.waitFor(project, wait);
    const pg = this.project(project);
    const result = compute(pg);
    return { project, graph: this.identity(pg), freshness: this.deps.freshness.report(), waitedMs, tookMs: this.now() - started, cached: false, result };
  }

  private async cachedOrComputed<T>(
    op: 'segment' | 'summarize',
    project: string,
    request: unknown,
    started: number,
    waitedMs: number,
    pg: ProjectGraph,
    compute: () => { result: T; rows: number; store: (q: StoredQuery) => Promise<void> },
  ): Promise<Answer<T>> {
    const requestText = canonicalJson(request);
    const hash = createHash('sha256').update(`${op}\0${project}\0${requestText}`).digest('hex').slice(0, 32);
    const keyAt = (version: number) => `${this.deps.cachePrefix}${op}:${hash}:${this.deps.epoch}:${version}`;
    const hit = await this.cacheGet<T>(keyAt(pg.graph.version));
    if (hit && hit.graph.version === pg.graph.version) {
      return { project, graph: hit.graph, freshness: this.deps.freshness.report(), waitedMs, tookMs: this.now() - started, cached: true, result: hit.result, queryId: hit.queryId, stored: true };
    }
    // Computed synchronously: the graph cannot change between here and identity().
    const computed = compute();
    const graph = this.identity(pg);
    const queryId = createHash('sha256').update(`${hash}\0${graph.epoch}\0${graph.version}`).digest('hex').slice(0, 32);
    const tookMs = this.now() - started;
    let stored = true;
    let storeError: string | undefined;
    const storeStarted = this.now();
    const write = computed.store({ queryId, project, request: requestText, graph, createdAt: this.now(), tookMs });
    try {
      await withTimeout(write, this.deps.storeTimeoutMs ?? 10_000, 'ClickHouse did not acknowledge the result rows in time; the write goes on in the background');
      this.deps.log.debug({ op, project, queryId, rows: computed.rows, ms: this.now() - storeStarted }, 'graph result stored');
    } catch (err) {
      stored = false;
      storeError = `the result could not be stored in ClickHouse: ${errorMessage(err)}`;
      this.deps.log.warn({ op, project, queryId, err: errorMessage(err) }, 'storing a graph result failed; answering anyway');
      write.then(
        () => this.deps.log.info({ op, project, queryId, ms: this.now() - storeStarted }, 'late graph result write finished'),
        () => undefined,
      );
    }
    if (stored) await this.cacheSet(keyAt(graph.version), { result: computed.result, graph, queryId });
    const answer: Answer<T> = { project, graph, freshness: this.deps.freshness.report(), waitedMs, tookMs, cached: false, result: computed.result, queryId, stored };
    if (storeError !== undefined) answer.storeError = storeError;
    return answer;
  }

  private async cacheGet<T>(key: string): Promise<CachedAnswer<T> | null> {
    try {
      const text = await withTimeout(this.deps.cache.get(key), this.deps.cacheTimeoutMs ?? 1000, 'the cache did not answer in time');
      return text === null ? null : (JSON.parse(text) as CachedAnswer<T>);
    } catch (err) {
      this.deps.log.warn({ key, err: errorMessage(err) }, 'result cache read failed; computing');
      return null;
    }
  }

  private async cacheSet(key: string, value: CachedAnswer<unknown>): Promise<void> {
    try {
      await withTimeout(this.deps.cache.set(key, JSON.stringify(value), this.deps.cacheTtlSeconds), this.deps.cacheTimeoutMs ?? 1000, 'the cache did not answer in time');
    } catch (err) {
      this.deps.log.warn({ key, err: errorMessage(err) }, 'result cache write failed');
    }
  }

  private async waitFor(project: string, wait: WaitRequest): Promise<number> {
    const { freshness, events } = this.deps;
    const status = freshness.currentStatus;
    if (status === 'starting' || status === 'bootstrapping') {
      throw new ServiceUnavailableError('graph', 'the graph is still loading from ClickHouse; retry in a few seconds (GET /healthz shows the progress)');
    }
    const { eventId } = wait.condition;
    // Ids the graph remembers (the usual case) never cost a ClickHouse lookup.
    if (eventId === undefined || events === undefined || freshness.hasApplied(eventId)) return freshness.waitFor(wait.condition, wait.waitMs);
    return waitForUnknownEvent(freshness, events, project, { ...wait.condition, eventId }, wait.waitMs, this.deps.eventWait ?? DEFAULT_EVENT_WAIT, this.deps.log, this.now);
  }

  private project(project: string): ProjectGraph {
    const pg = this.deps.graphs.get(project);
    if (pg) return pg;
    const served = this.deps.graphs.servedProjects;
    if (served !== null && !served.includes(project)) {
      const instance = this.deps.instanceId ?? this.deps.epoch;
      throw new NotFoundError(
        `project "${project}" is not served by graph instance "${instance}": it serves only ${served.map((p) => `"${p}"`).join(', ')} (GRAPH_PROJECTS=${served.join(',')}); send the request to the instance whose GRAPH_PROJECTS lists "${project}", or to one without GRAPH_PROJECTS`,
        { project, instance, servedProjects: served.join(',') },
      );
    }
    const known = this.deps.graphs.projects();
    const list = known.length === 0 ? 'none yet' : known.slice(0, 20).join(', ') + (known.length > 20 ? ', …' : '');
    throw new NotFoundError(`project "${project}" has no provenance in the graph (known projects: ${list})`, { project });
  }

  /** The vertex `ref` names as of `asOf` (ProjectGraph.lookup); a 404 that says why otherwise. */
  private vertex(pg: ProjectGraph, ref: string, asOf = Infinity): number {
    const found = pg.lookup(ref, asOf);
    if (found.vertex >= 0) return found.vertex;
    const message = found.notYet ? `${found.problem} (project "${pg.project}")` : `unknown vertex "${ref}" in project "${pg.project}": ${found.problem}`;
    throw new NotFoundError(message, asOf === Infinity ? { id: ref, project: pg.project } : { id: ref, project: pg.project, asOf });
  }

  /** Sources and destinations must exist at spec.asOf (404 otherwise); `id` exclusions may name anything. */
  private resolveSpec(pg: ProjectGraph, spec: SegmentSpec): SegmentSpec {
    const asOf = spec.asOf ?? Infinity;
    const ids = (refs: readonly string[]) => [...new Set(refs.map((r) => pg.graph.idOf(this.vertex(pg, r, asOf))))];
    const resolvePredicate = (p: VertexPredicate): VertexPredicate => {
      if ('id' in p) {
        const v = pg.resolve(p.id, asOf);
        return { id: v >= 0 ? pg.graph.idOf(v) : p.id };
      }
      if ('all' in p) return { all: p.all.map(resolvePredicate) };
      return p;
    };
    const boundary: SegmentBoundary = { ...spec.boundary };
    if (boundary.exclude) boundary.exclude = boundary.exclude.map(resolvePredicate);
    const resolved: SegmentSpec = { sources: ids(spec.sources), destinations: ids(spec.destinations), boundary };
    if (spec.asOf !== undefined) resolved.asOf = spec.asOf;
    return resolved;
  }
}

function runSegment(pg: ProjectGraph, spec: SegmentSpec): SegmentAnswer {
  const r = segment(pg.graph, spec.sources, spec.destinations, spec.boundary);
  return {
    vertices: r.vertices.map(({ index, ...v }) => ({ ...v, label: vertexLabel(pg.graph, index) })),
    edges: r.edges,
  };
}

function labelled(pg: ProjectGraph, v: number): LabelledVertex {
  return { id: pg.graph.idOf(v), kind: pg.graph.kindOf(v), label: vertexLabel(pg.graph, v) };
}

function treeOptions(req: TreeRequest): TreeOptions {
  return { maxDepth: req.depth, edgeTypes: req.types, asOf: req.asOf, maxNodes: req.maxNodes };
}
