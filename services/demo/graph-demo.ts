/**
 * The graph part of `make demo`: starts the graph service in-process (it bootstraps from the
 * ClickHouse tables the demo's ingest just filled), then prints what `provstream why`,
 * `provstream segment` and `provstream summarize` print for the sample project.
 */
import type { Env } from '../lib/config.js';
import type { Logger } from '../lib/log.js';
import { loadGraphConfig } from '../graph/config.js';
import { startGraph } from '../graph/main.js';
import { renderSegment, renderSummary, renderWhy, type AnswerJson } from '../cli/graph-render.js';

/** The service's answers as the CLI receives them (JSON). */
const asJson = (a: unknown): AnswerJson<never> => JSON.parse(JSON.stringify(a)) as AnswerJson<never>;

export async function reportGraph(env: Env, project: string, finalModel: string, out: (s: string) => void, progress: (s: string) => void, log: Logger): Promise<void> {
  // An ephemeral port unless one is configured: a `provstream graph` may already hold 18080.
  const cfg = loadGraphConfig({ GRAPH_INSTANCE_ID: 'demo', GRAPH_HTTP_PORT: '0', ...env });
  const graph = await startGraph(cfg, log);
  try {
    progress(`graph service loading from ClickHouse (API on ${graph.url})`);
    await graph.ready;
    const now = { condition: {}, waitMs: 0 };
    const why = await graph.queries.why(project, { ref: finalModel }, now);
    out('\n== Why is the production model what it is? (provstream why, from the graph service) ==\n' + renderWhy(asJson(why)));
    const segment = await graph.queries.segment(project, { sources: ['data/raw.csv@2'], destinations: [finalModel], boundary: { expansion: { hops: 1, edges: ['wasAssociatedWith'] } } }, now);
    out('\n== How the production model was derived from raw.csv v2, with who did it (provstream segment) ==\n' + renderSegment(asJson(segment)));
    const summary = await graph.queries.summarize(project, {
      segments: [
        { sources: ['data/raw.csv@1'], destinations: ['models/model.bin@1'], boundary: {} },
        { sources: ['data/raw.csv@2'], destinations: ['models/model.bin@2'], boundary: {} },
      ],
      labelKeys: { activity: ['name'], entity: ['artifact'] },
      k: Infinity,
      pathCheckLength: 6,
    }, now);
    out('\n== What usually happens: both training pipelines summarized (provstream summarize) ==\n' + renderSummary(asJson(summary)));
    out(`\nResults are in ClickHouse too: provstream sql "SELECT role, label FROM segment_results FINAL WHERE query_id = '${segment.queryId ?? ''}'"`);
    out('Try: provstream graph   (then, in another shell) provstream why models/model.bin --project demo');
  } finally {
    await graph.stop();
  }
}
