/**
 * The graph commands (issue 4), registered on the `provstream` program by cli/main.ts:
 *   provstream graph                                   run a graph service instance (HTTP API)
 *   provstream lineage|why|impact <vertex>             lineage and introspection of one vertex
 *   provstream diff <a> <b>                            structured diff of two runs or two versions
 *   provstream segment --from … --to …                 SPEC §5 segmentation
 *   provstream summarize --segment 'SRC=>DST' …        SPEC §6 summarization
 * All but `graph` call a running graph service over HTTP (GRAPH_URL, default
 * http://127.0.0.1:18080) and print text, or the service's JSON answer with --json. A vertex is
 * a vertex id (ent:…, act:…, agt:…) or an artifact reference: `data/raw.csv@2` or `data/raw.csv`
 * (its latest version).
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Env } from '../lib/config.js';
import { InputError, ProvstreamError, ServiceUnavailableError, errorMessage } from '../lib/errors.js';
import { EDGE_TYPES } from '../model/types.js';
import { DEFAULT_LINEAGE_MAX_NODES, DEFAULT_ROLES, MAX_DEPTH, MAX_NODES, SEGMENT_ROLES } from '../graph/limits.js';
import { loadCliConfig } from './config.js';
import { choiceList, integer } from './options.js';
import { renderDiff, renderImpact, renderLineage, renderSegment, renderSummary, renderWhy, type AnswerJson } from './graph-render.js';
import { settingsHelp } from './settings-help.js';

const out = (s: string) => process.stdout.write(s + '\n');

/** Calls the graph service; maps its JSON errors and connection failures to actionable errors. */
export async function callGraph<T>(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<AnswerJson<T>> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/$/, '')}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? errorMessage(err);
    throw new ServiceUnavailableError('the graph service', `${baseUrl}: ${cause}; start one with \`provstream graph\` or point GRAPH_URL at a running instance`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProvstreamError(`the graph service at ${baseUrl} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`, false);
  }
  if (!res.ok) {
    const e = (json as { error?: { message?: string; code?: string } }).error;
    throw new ProvstreamError(`${e?.message ?? text.slice(0, 300)} (HTTP ${res.status}${e?.code ? ' ' + e.code : ''})`, res.status >= 500);
  }
  return json as AnswerJson<T>;
}

interface Common {
  project?: string;
  json?: boolean;
  waitFor?: string;
  waitMs?: number;
}

interface TreeFlags extends Common {
  depth?: number;
  types?: string;
  asOf?: string;
  maxNodes?: number;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const commonOptions = (c: Command): Command =>
  c
    .option('--project <name>', 'project (default: PROVSTREAM_PROJECT)')
    .option('--json', "print the service's JSON answer")
    .option('--wait-for <eventId>', 'answer only once this event has been applied to the graph')
    .option('--wait-ms <ms>', 'how long --wait-for may wait (the service caps it: GRAPH_MAX_WAIT_MS)', integer('--wait-ms', 0));

const treeOptions = (c: Command): Command =>
  commonOptions(c)
    .option('--depth <n>', 'maximum depth in edges', integer('--depth', 0, MAX_DEPTH))
    .option('--types <list>', `edge types to follow, comma-separated, or "all" (${EDGE_TYPES.join(', ')})`)
    .option('--as-of <time>', 'ignore what was recorded after this time (epoch ms or ISO date)');

/** "SRC1,SRC2=>DST1,DST2" (sources may be empty: every ancestor of the destinations). */
export function parseSegmentArg(arg: string): { sources: string[]; destinations: string[] } {
  const at = arg.indexOf('=>');
  if (at < 0) throw new InputError(`--segment ${JSON.stringify(arg)} must look like "SOURCES=>DESTINATIONS", e.g. "data/raw.csv@1=>models/model.bin@1"`);
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const destinations = list(arg.slice(at + 2));
  if (destinations.length === 0) throw new InputError(`--segment ${JSON.stringify(arg)} names no destination after "=>"`);
  return { sources: list(arg.slice(0, at)), destinations };
}

/** `activity=command,entity=artifact` → {activity: ['command'], entity: ['artifact']} (a kind may repeat). */
export function parseLabelKeys(arg: string): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const part of arg.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(entity|activity|agent)=(.+)$/.exec(part);
    if (!m) throw new InputError(`--keys: ${JSON.stringify(part)} must be kind=property with kind entity, activity or agent`);
    (keys[m[1]!] ??= []).push(m[2]!);
  }
  return keys;
}

/** `pii=true`, `rows>1000`: a property comparison for --exclude-prop. */
export function parsePropPredicate(arg: string): { prop: string; op: string; value: string | number | boolean } {
  const m = /^([^=!<>]+)(=|!=|<=|>=|<|>)(.*)$/.exec(arg);
  if (!m) throw new InputError(`--exclude-prop ${JSON.stringify(arg)} must look like key=value, key!=value, key<n, …`);
  const raw = m[3]!;
  const value = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return { prop: m[1]!.trim(), op: m[2]!, value };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerGraphCommands(program: Command, env: Env, progress: (msg: string) => void): void {
  const cfg = () => loadCliConfig(env);
  const project = (o: Common) => encodeURIComponent(o.project ?? cfg().project);
  const wait = (o: Common) => ({ waitFor: o.waitFor, waitMs: o.waitMs });
  const show = <T>(o: Common, a: AnswerJson<T>, text: (a: AnswerJson<T>) => string) => out(o.json ? JSON.stringify(a) : text(a));

  program
    .command('graph')
    .description('run a graph service: loads the graphs from ClickHouse, stays current from Kafka, serves lineage / why / impact / diff / segment / summarize over HTTP (GRAPH_HTTP_PORT, default 18080); Ctrl-C stops it')
    .addHelpText('after', settingsHelp('graph service'))
    .action(async () => {
      const { main } = await import('../graph/main.js');
      await main(env);
    });

  treeOptions(program.command('lineage').description('upstream / downstream lineage of a vertex').argument('<vertex>', 'vertex id or artifact@version'))
    .addOption(new Option('--direction <d>', 'upstream (what it came from), downstream (what came from it) or both').choices(['upstream', 'downstream', 'both']).default('upstream'))
    .option('--max-nodes <n>', `at most this many vertices, whole distances only (the service's default: ${DEFAULT_LINEAGE_MAX_NODES})`, integer('--max-nodes', 1, MAX_NODES))
    .action(async (vertex: string, o: TreeFlags & { direction: string }) => {
      const a = await callGraph<never>(cfg().graphUrl, 'GET', `/api/v1/projects/${project(o)}/lineage/${encodeURIComponent(vertex)}${query({ direction: o.direction, depth: o.depth, types: o.types, asOf: o.asOf, maxNodes: o.maxNodes, ...wait(o) })}`);
      show(o, a, (x) => renderLineage(x, o.direction));
    });

  treeOptions(program.command('why').description('how a vertex was produced, back to its sources (a derivation tree)').argument('<vertex>', 'vertex id or artifact@version'))
    .option('--max-nodes <n>', 'stop the tree after this many vertices', integer('--max-nodes', 1, MAX_NODES))
    .action(async (vertex: string, o: TreeFlags) => {
      const a = await callGraph<never>(cfg().graphUrl, 'GET', `/api/v1/projects/${project(o)}/why/${encodeURIComponent(vertex)}${query({ depth: o.depth, types: o.types, asOf: o.asOf, maxNodes: o.maxNodes, ...wait(o) })}`);
      show(o, a, renderWhy);
    });

  treeOptions(program.command('impact').description('everything derived from a vertex: affected versions, runs and people').argument('<vertex>', 'vertex id or artifact@version'))
    .option('--max-nodes <n>', 'stop the tree after this many vertices', integer('--max-nodes', 1, MAX_NODES))
    .action(async (vertex: string, o: TreeFlags) => {
      const a = await callGraph<never>(cfg().graphUrl, 'GET', `/api/v1/projects/${project(o)}/impact/${encodeURIComponent(vertex)}${query({ depth: o.depth, types: o.types, asOf: o.asOf, maxNodes: o.maxNodes, ...wait(o) })}`);
      show(o, a, renderImpact);
    });

  commonOptions(
    program
      .command('diff')
      .description('what differs between two runs (inputs, code, params, env, agents, metrics, outputs) or two versions')
      .argument('<a>', 'the first run (act:…) or entity version (ent:… or artifact@version)')
      .argument('<b>', 'the second one, of the same kind: what it has that <a> has not is "added"'),
  )
    .addHelpText('after', examples(['provstream diff act:train-1 act:train-2', 'provstream diff models/model.bin@1 models/model.bin@2 --json']))
    .action(async (a: string, b: string, o: Common) => {
      const answer = await callGraph<never>(cfg().graphUrl, 'GET', `/api/v1/projects/${project(o)}/diff${query({ a, b, ...wait(o) })}`);
      show(o, answer, renderDiff);
    });

  boundaryOptions(commonOptions(program.command('segment').description('the part of the graph explaining how destinations were derived from sources (SPEC §5); stored in ClickHouse (segment_results), cached in Redis')))
    .option('--from <vertex>', 'source vertex (repeatable; none: every ancestor of the destinations)', collect)
    .option('--to <vertex>', 'destination vertex (repeatable)', collect)
    .option('--edge-types <list>', `edge types that make paths, comma-separated or "all" (default: the lineage edges; ${EDGE_TYPES.join(', ')})`, choiceList('--edge-types', EDGE_TYPES, { all: true }))
    .option('--body <file>', 'send this JSON request instead ({sources, destinations, boundary}; services/graph/README.md)')
    .addHelpText(
      'after',
      examples([
        'provstream segment --from data/raw.csv@1 --to models/model.bin@1',
        'provstream segment --to models/model.bin --max-length 6 --exclude-kind agent --as-of 2026-01-05T12:00:00Z',
        'provstream segment --from data/raw.csv@1 --to models/model.bin@1 --expand-hops 1 --expand-edges wasAssociatedWith --json',
      ]),
    )
    .action(async (o: Common & SegmentFlags) => {
      const body = o.body ? readJson(o.body) : segmentBody(o);
      const a = await callGraph<never>(cfg().graphUrl, 'POST', `/api/v1/projects/${project(o)}/segment${query(wait(o))}`, body);
      show(o, a, renderSegment);
    });

  boundaryOptions(commonOptions(program.command('summarize').description('merge segments into one "what usually happens" graph (SPEC §6); stored in ClickHouse (summary_vertices, summary_edges), cached in Redis')), ' of each segment')
    .option('--segment <SRC=>DST>', 'a segment to summarize, e.g. "data/raw.csv@1=>models/model.bin@1" (repeatable; comma-separate several vertices); the boundary flags apply to each', collect)
    .option('--keys <list>', 'label properties per kind', 'activity=command,entity=artifact')
    .option('-k, --rounds <k>', 'bisimulation rounds ("inf": the full bisimulation)', 'inf')
    .option('--roles <list>', `which vertices of each segment are summarized, by segment role, comma-separated or "all" (${SEGMENT_ROLES.join(', ')}; default: ${DEFAULT_ROLES.join(',')})`, choiceList('--roles', SEGMENT_ROLES, { all: true }))
    .option('--edge-types <list>', `edge types taken between a segment's vertices, comma-separated (default: all; ${EDGE_TYPES.join(', ')})`, choiceList('--edge-types', EDGE_TYPES, { all: true }))
    .option('--path-check <L>', 'check that no false path up to this length exists', integer('--path-check', 0), 6)
    .option('--body <file>', 'send this JSON request instead ({segments, labelKeys, k, …}; services/graph/README.md)')
    .addHelpText(
      'after',
      examples([
        'provstream summarize --segment "data/raw.csv@1=>models/model.bin@1" --segment "data/raw.csv@2=>models/model.bin@2"',
        'provstream summarize --segment "=>models/model.bin@1" --segment "=>models/model.bin@2" --max-length 4 -k 2',
        'provstream summarize --segment "data/raw.csv@1=>models/model.bin@1" --expand-hops 1 --expand-edges wasAssociatedWith --roles core,source,destination,expansion',
      ]),
    )
    .action(async (o: Common & SegmentFlags & { segment?: string[]; keys: string; rounds: string; roles?: string[]; pathCheck: number }) => {
      let body: unknown;
      if (o.body) body = readJson(o.body);
      else {
        if (!o.segment?.length) throw new InputError('name at least one --segment "SOURCES=>DESTINATIONS" (or give --body file.json)');
        const boundary = boundaryOf(o);
        const request: Record<string, unknown> = { segments: o.segment.map((s) => ({ ...parseSegmentArg(s), boundary })), labelKeys: parseLabelKeys(o.keys), k: o.rounds, pathCheckLength: o.pathCheck };
        if (o.roles !== undefined) request['roles'] = o.roles;
        if (o.edgeTypes !== undefined) request['edgeTypes'] = o.edgeTypes;
        body = request;
      }
      const a = await callGraph<never>(cfg().graphUrl, 'POST', `/api/v1/projects/${project(o)}/summarize${query(wait(o))}`, body);
      show(o, a, renderSummary);
      if (!o.json && a.stored === false) progress('the result was not stored in ClickHouse (see the footer)');
    });
}

/** An "Examples:" section for --help. */
function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

/** The segment boundary flags, parsed (segment and summarize; see boundaryOptions). */
interface SegmentFlags {
  from?: string[];
  to?: string[];
  maxLength?: number;
  edgeTypes?: string[];
  excludeKind?: string[];
  excludeArtifact?: string[];
  excludeAgent?: string[];
  excludeId?: string[];
  excludeProp?: string[];
  windowFrom?: string;
  windowTo?: string;
  asOf?: string;
  expandHops?: number;
  expandEdges?: string[];
  body?: string;
}

/** The boundary flags segment and summarize share (`of` says what they bound in the help). */
function boundaryOptions(c: Command, of = ''): Command {
  return c
    .option('--max-length <n>', `maximum path length in edges${of}`, integer('--max-length', 0))
    .option('--exclude-kind <kind>', 'never traverse vertices of this kind (repeatable)', collect)
    .option('--exclude-artifact <glob>', 'never traverse entities whose artifact matches (repeatable; * stays in a folder, ** crosses)', collect)
    .option('--exclude-agent <name>', 'never traverse an agent or what it did (repeatable)', collect)
    .option('--exclude-id <vertex>', 'never traverse this vertex (repeatable)', collect)
    .option('--exclude-prop <cmp>', 'never traverse vertices whose property compares true, e.g. pii=true (repeatable)', collect)
    .option('--window-from <time>', 'ignore edges recorded before this time')
    .option('--window-to <time>', 'ignore edges recorded after this time')
    .option('--as-of <time>', 'the graph as it was at this time: names resolve to the versions of then, later edges are ignored (epoch ms or ISO date)')
    .option('--expand-hops <n>', 'add context: follow --expand-edges outward this many hops', integer('--expand-hops', 0))
    .option('--expand-edges <list>', 'edge types for the expansion, comma-separated, e.g. used,wasAssociatedWith (with --expand-hops)', choiceList('--expand-edges', EDGE_TYPES, { all: true }));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`--body ${file}: ${errorMessage(err)}`);
  }
}

/** The segment request of the flags (numbers and lists already parsed by their options). */
function segmentBody(o: SegmentFlags): unknown {
  if (!o.to?.length) throw new InputError('name at least one destination with --to <vertex> (and sources with --from)');
  const boundary = boundaryOf(o);
  if (o.edgeTypes !== undefined) boundary['edgeTypes'] = o.edgeTypes;
  return { sources: o.from ?? [], destinations: o.to, boundary };
}

/** The boundary of the shared flags (not --edge-types: segment and summarize mean different things by it). */
function boundaryOf(o: SegmentFlags): Record<string, unknown> {
  if (o.expandEdges !== undefined && o.expandHops === undefined) throw new InputError('--expand-edges needs --expand-hops <n> (how many hops to follow them)');
  const exclude = [
    ...(o.excludeKind ?? []).map((kind) => ({ kind })),
    ...(o.excludeArtifact ?? []).map((artifact) => ({ artifact })),
    ...(o.excludeAgent ?? []).map((agent) => ({ agent })),
    ...(o.excludeId ?? []).map((id) => ({ id })),
    ...(o.excludeProp ?? []).map(parsePropPredicate),
  ];
  const boundary: Record<string, unknown> = {};
  if (exclude.length) boundary['exclude'] = exclude;
  if (o.maxLength !== undefined) boundary['maxLength'] = o.maxLength;
  if (o.windowFrom !== undefined || o.windowTo !== undefined) boundary['timeWindow'] = { from: o.windowFrom, to: o.windowTo };
  if (o.asOf !== undefined) boundary['asOf'] = o.asOf;
  if (o.expandHops !== undefined) boundary['expansion'] = { hops: o.expandHops, edges: o.expandEdges ?? [] };
  return boundary;
}
