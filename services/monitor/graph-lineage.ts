/**
 * Downstream lineage of taint flags from the graph service (services/graph), the I/O half of the
 * taint rule's external lineage (core/eval-taint.ts): for each flagged root of a batch, one
 * `GET /api/v1/projects/:p/lineage/:root?direction=downstream&depth=<maxDepth>&types=<via>&maxNodes=<maxVisit + 1>`,
 * at most `concurrency` at once, all within one deadline (`timeoutMs` for the whole batch's
 * lookups, so a slow graph delays a batch by at most that much).
 *
 * Size: the walk taints at most maxVisit vertices, so the answer is capped at maxVisit + 1 (the
 * root counts). A closure larger than that comes back `truncated`: every vertex within the
 * distance the graph reached, which is used like a complete answer (the walk would have stopped
 * at maxVisit anyway; the stream's children lists still taint what comes later) and counted.
 *
 * Never throws: a lookup that fails (unreachable, timeout, 5xx, 503 while the graph loads, an
 * answer that is not the graph's JSON) leaves that root to the stream alone, is counted and
 * logged (one warning per batch, with the URL and the reason), and the next `backoffMs` skip the
 * graph altogether (counted as skipped) so an outage costs one timeout per backoff period, not
 * one per batch. A 404 (project or vertex unknown to the graph: new, or not applied yet) is an
 * empty lineage, not a failure.
 *
 * Freshness: the answer says how far the graph got (`freshness.status`: live, catching-up, ...).
 * A graph behind the flag may miss the newest derivations; the stream's own children lists cover
 * those (they are derivations the monitor evaluates after the rule existed). Answers from a graph
 * that is not `live` are counted (`lagging`), not refused.
 */
import type { Logger } from '../lib/log.js';
import { errorMessage } from '../lib/errors.js';
import type { DownstreamLineage, ExternalLineage, TaintLineageRequest } from './core/index.js';

export interface GraphLineageOptions {
  /** Base URL of the graph service, e.g. http://127.0.0.1:18080. */
  url: string;
  /** Deadline for all of one batch's lookups. */
  timeoutMs: number;
  /** Lookups in flight at once. */
  concurrency: number;
  /** After a failed lookup, the graph is not asked for this long. */
  backoffMs: number;
}

export interface LineageFetch {
  lineage: ExternalLineage;
  /** Lookups sent. */
  requests: number;
  /** Lookups that failed (the root was evaluated on the stream alone). */
  failed: number;
  /** Lookups not sent because the graph failed recently (backoff). */
  skipped: number;
  /** Answers from a graph that was not live (catching up): they may miss recent derivations. */
  lagging: number;
  /** Answers the graph cut at maxNodes (maxVisit + 1): complete only up to the distance it reached. */
  truncated: number;
}

/** What the processor needs (a stub in tests). */
export interface LineageSource {
  fetch(requests: readonly TaintLineageRequest[], signal: AbortSignal): Promise<LineageFetch>;
}

export const GRAPH_LOG = { failed: 'monitor.graph.failed' } as const;

type Fetch = typeof fetch;

export class GraphLineageClient implements LineageSource {
  private downUntil = 0;
  private readonly base: string;

  constructor(
    private readonly opts: GraphLineageOptions,
    private readonly log: Logger,
    private readonly fetchImpl: Fetch = fetch,
    private readonly clock: () => number = Date.now,
  ) {
    this.base = opts.url.replace(/\/+$/, '');
  }

  async fetch(requests: readonly TaintLineageRequest[], signal: AbortSignal): Promise<LineageFetch> {
    const out: LineageFetch = { lineage: new Map(), requests: 0, failed: 0, skipped: 0, lagging: 0, truncated: 0 };
    if (requests.length === 0) return out;
    if (this.clock() < this.downUntil) {
      out.skipped = requests.length;
      return out;
    }
    const lineage = out.lineage as Map<string, DownstreamLineage>;
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs)]);
    const failures: Array<{ url: string; reason: string }> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const req = requests[next++]!;
        const url = this.urlOf(req);
        out.requests++;
        try {
          const got = await this.lookup(url, deadline);
          if (got.lagging) out.lagging++;
          if (got.truncated) out.truncated++;
          lineage.set(req.key, got.lineage);
        } catch (err) {
          out.failed++;
          failures.push({ url, reason: deadline.aborted && !signal.aborted ? `no answer within ${this.opts.timeoutMs} ms (MONITOR_GRAPH_TIMEOUT_MS)` : errorMessage(err) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, requests.length) }, worker));
    if (failures.length > 0) {
      this.downUntil = this.clock() + this.opts.backoffMs;
      const first = failures[0]!;
      this.log.warn(
        { event: GRAPH_LOG.failed, url: first.url, reason: first.reason, failed: failures.length, of: requests.length, backoffMs: this.opts.backoffMs },
        `graph service lookup failed (${first.url}: ${first.reason}); ${failures.length} flag(s) of this batch taint only what the stream saw; not asking the graph for ${this.opts.backoffMs} ms`,
      );
    }
    return out;
  }

  private urlOf(req: TaintLineageRequest): string {
    const q = new URLSearchParams({ direction: 'downstream', depth: String(req.maxDepth), types: req.via.join(','), maxNodes: String(req.maxVisit + 1) });
    return `${this.base}/api/v1/projects/${encodeURIComponent(req.project)}/lineage/${encodeURIComponent(req.root)}?${q.toString()}`;
  }

  private async lookup(url: string, signal: AbortSignal): Promise<LineageAnswer> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, { signal });
    } catch (err) {
      throw new Error((err as { cause?: { code?: string } }).cause?.code ?? errorMessage(err));
    }
    const text = await res.text();
    if (res.status === 404) return { lineage: { children: new Map() }, lagging: false, truncated: false };
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    return parseLineageAnswer(text);
  }
}

interface LineageAnswer {
  lineage: DownstreamLineage;
  lagging: boolean;
  truncated: boolean;
}

/**
 * The graph's lineage answer ({freshness, result: {edges: [{type, from, to}], truncated}}, edges
 * in PROV direction: from = derived, to = source) as derived vertices per source. Throws on
 * another shape.
 */
export function parseLineageAnswer(text: string): LineageAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`the answer is not JSON: ${text.slice(0, 200)}`);
  }
  const answer = json as { freshness?: { status?: unknown }; result?: { edges?: unknown; truncated?: unknown } };
  const edges = answer.result?.edges;
  if (!Array.isArray(edges)) throw new Error(`the answer has no result.edges (not a graph service lineage answer?): ${text.slice(0, 200)}`);
  const children = new Map<string, string[]>();
  for (const e of edges as Array<{ from?: unknown; to?: unknown }>) {
    if (typeof e?.from !== 'string' || typeof e.to !== 'string') continue;
    const list = children.get(e.to);
    if (list === undefined) children.set(e.to, [e.from]);
    else list.push(e.from); // a pair linked by two edge types repeats: the walk takes each vertex once
  }
  return { lineage: { children }, lagging: answer.freshness?.status !== undefined && answer.freshness.status !== 'live', truncated: answer.result?.truncated === true };
}
