/** Text output and argument parsing of the graph commands, on answers computed from the §5.1 example. */
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { workedExampleEvents } from '../graph/example-events.js';
import { Freshness } from '../graph/freshness.js';
import { GraphQueries, type ResultCache, type ResultSink } from '../graph/operations.js';
import { ProjectGraphs } from '../graph/project-graph.js';
import { EDGE_TYPES } from '../model/types.js';
import { parseLabelKeys, parsePropPredicate, parseSegmentArg, registerGraphCommands } from './graph-commands.js';
import { renderDiff, renderImpact, renderLineage, renderSegment, renderSummary, renderWhy, shortId, type AnswerJson } from './graph-render.js';

const example = workedExampleEvents('ex');
const { ids } = example;
const graphs = new ProjectGraphs();
for (const ev of example.events) graphs.apply(ev.project, ev.payload, ev.time);
const freshness = new Freshness('events', 10);
freshness.startPartitions([{ partition: 0, offset: 3, highWatermark: 3 }]);
freshness.setStatus('catching-up');
const cache: ResultCache = { get: async () => null, set: async () => undefined };
const sink: ResultSink = { storeSegment: async () => undefined, storeSummary: async () => undefined };
const queries = new GraphQueries({ graphs, freshness, cache, sink, epoch: 'e1', cacheTtlSeconds: 1, cachePrefix: 'p:', log: pino({ level: 'silent' }), now: () => 0 });
const noWait = { condition: {}, waitMs: 0 };
/** Answers as the CLI receives them: JSON round trip. */
const json = <T>(a: T): AnswerJson<never> => JSON.parse(JSON.stringify(a)) as AnswerJson<never>;

describe('graph command output', () => {
  it('why: an indented derivation tree, its sources and the graph it came from', async () => {
    const text = renderWhy(json(await queries.why('ex', { ref: ids['m1']! }, noWait)));
    expect(text.split('\n').map((l) => l.replace(/ {2}\[[^\]]+\]$/, ''))).toEqual([
      'How models/model.bin v1 was produced:',
      'models/model.bin v1',
      '└─ wasGeneratedBy train (COMPLETED) · alice',
      '   ├─ used data/features.parquet v1',
      '   │  └─ wasGeneratedBy clean (COMPLETED) · alice',
      '   │     ├─ used data/raw.csv v1',
      '   │     └─ used scripts/clean.py v1',
      '   └─ used scripts/train.py v1',
      '',
      'sources: data/raw.csv v1, scripts/clean.py v1, scripts/train.py v1',
      'graph e1 v81 (18 vertices, 27 edges) · live · lag 0 · 0 ms',
    ].map((l) => (l.startsWith('graph e1') ? expect.stringMatching(/^graph e1 v\d+ \(18 vertices, 27 edges\) · live · lag 0 · 0 ms$/) : l)));
  });

  it('impact: tree plus affected artifacts and people', async () => {
    const text = renderImpact(json(await queries.impact('ex', { ref: ids['d1']!, types: ['used', 'wasGeneratedBy'] }, noWait)));
    expect(text).toContain('What depends on data/raw.csv v1:');
    expect(text).toMatch(/models\/model.bin\s+v1, v3/);
    expect(text).toContain('4 run(s) affected; people and services involved: alice, bob');
  });

  it('diff: sections with ~ changed, - removed, + added, = same', async () => {
    const text = renderDiff(json(await queries.diff('ex', { a: ids['m1']!, b: ids['m2']! }, noWait)));
    expect(text).toMatch(/ {2}attributes:\n {4}~ contentHash: sha256:\w+ → sha256:\w+\n {4}~ version: 1 → 2\n {4}= artifact, entityType/);
    expect(text).toContain('    inputs:\n      ~ data/features.parquet: v1 → v2');
    expect(text).toContain('    agents:\n      - alice\n      + bob');
    expect(text).toContain('    code: same (scripts/train.py)');
  });

  it('segment: a table by role with distances, and the stored query id', async () => {
    const text = renderSegment(json(await queries.segment('ex', { sources: [ids['d1']!], destinations: [ids['m1']!], boundary: {} }, noWait)));
    const lines = text.split('\n');
    expect(lines[0]).toBe('segment: 7 vertices (1 destination, 3 core, 1 source, 2 similar, 0 expansion), 6 edges');
    expect(lines[1]).toMatch(/^role\s+kind\s+label\s+from_dst\s+to_src\s+match\s+hops\s+id$/);
    expect(lines[3]).toMatch(/^destination\s+entity\s+models\/model.bin v1\s+0\s+4\s+ent:/);
    expect(lines.at(-1)).toMatch(/· query [0-9a-f]{32}$/);
  });

  it('summarize: headline numbers, vertex and edge tables', async () => {
    const a = await queries.summarize('ex', {
      segments: [{ sources: [ids['d1']!], destinations: [ids['m1']!], boundary: {} }, { sources: [ids['d2']!], destinations: [ids['m2']!], boundary: {} }],
      labelKeys: { activity: ['command'], entity: ['artifact'] },
      k: Infinity,
      pathCheckLength: 6,
    }, noWait);
    const text = renderSummary(json(a));
    expect(text.split('\n')[0]).toBe('summary: 10 vertices + 8 edges → 5 + 4 (compaction 0.50), 0 round(s), stable, no false path up to length 6');
    expect(text).toMatch(/activity\(command=train\)\s+2\s+2\s+durationMs 300 \[200..400\]/);
    expect(text).toMatch(/activity\(command=train\)\s+used\s+entity\(artifact=data\/features.parquet\)\s+2\s+2/);
    // Both runs agree on every string property (one value each) or differ on all (ids): nothing mixed.
    expect(text).not.toMatch(/status /);
    // A property whose members split over a few values is shown; uniform or all-distinct ones are not.
    const mixed = json(a) as AnswerJson<{ vertices: Array<{ label: string; values: Record<string, unknown> }> }>;
    const train = mixed.result.vertices.find((v) => v.label === 'activity(command=train)')!;
    train.values = {
      status: { count: 3, distinct: 2, top: [{ value: 'COMPLETED', count: 2 }, { value: 'FAILED', count: 1 }] },
      host: { count: 3, distinct: 3, top: [{ value: 'a', count: 1 }, { value: 'b', count: 1 }, { value: 'c', count: 1 }] },
      user: { count: 3, distinct: 1, top: [{ value: 'alice', count: 3 }] },
    };
    const shown = renderSummary(mixed as AnswerJson<never>);
    expect(shown).toMatch(/activity\(command=train\).*status COMPLETED 2, FAILED 1/);
    expect(shown).not.toMatch(/host a 1|user alice/);
  });

  it('lineage: says when --max-nodes cut it, and where', async () => {
    const cut = renderLineage(json(await queries.lineage('ex', { ref: ids['d1']!, direction: 'downstream', maxNodes: 7 }, noWait)), 'downstream');
    expect(cut.split('\n').slice(0, 2)).toEqual([
      'downstream lineage of data/raw.csv v1 [' + shortId(ids['d1']!) + ']: 5 vertices, 4 edges',
      '(cut at --max-nodes 7: everything within distance 2; the next distance has more vertices than that; raise --max-nodes or lower --depth)',
    ]);
    const whole = renderLineage(json(await queries.lineage('ex', { ref: ids['d1']!, direction: 'downstream' }, noWait)), 'downstream');
    expect(whole).not.toContain('cut at');
  });

  it('shortens ids', () => {
    expect(shortId('ent:9bf9a745d16f384f67f8ed75ed2b763b')).toBe('ent:9bf9a745d16f…');
    expect(shortId('agt:alice')).toBe('agt:alice');
  });
});

describe('graph command arguments', () => {
  it('parses --segment, --keys and --exclude-prop', () => {
    expect(parseSegmentArg('data/raw.csv@1,ent:x=>models/model.bin@1')).toEqual({ sources: ['data/raw.csv@1', 'ent:x'], destinations: ['models/model.bin@1'] });
    expect(parseSegmentArg('=>m')).toEqual({ sources: [], destinations: ['m'] });
    expect(() => parseSegmentArg('a:b')).toThrow(/must look like "SOURCES=>DESTINATIONS"/);
    expect(() => parseSegmentArg('a=>')).toThrow(/names no destination/);
    expect(parseLabelKeys('activity=command,entity=artifact,entity=entityType')).toEqual({ activity: ['command'], entity: ['artifact', 'entityType'] });
    expect(() => parseLabelKeys('run=command')).toThrow(/kind=property/);
    expect(parsePropPredicate('pii=true')).toEqual({ prop: 'pii', op: '=', value: true });
    expect(parsePropPredicate('rows>=1000')).toEqual({ prop: 'rows', op: '>=', value: 1000 });
    expect(parsePropPredicate('stage!=production')).toEqual({ prop: 'stage', op: '!=', value: 'production' });
    expect(() => parsePropPredicate('pii')).toThrow(/key=value/);
  });
});

describe('graph command numbers and flag combinations', () => {
  /** Runs `provstream <args>` against a fake graph service; returns the request it would send, or the error. */
  const run = async (args: string[]): Promise<{ body?: unknown; url?: string; error?: string }> => {
    const sent: { body?: unknown; url?: string } = {};
    vi.stubGlobal('fetch', async (url: string, init: { body: string | null }) => {
      sent.url = url;
      if (init.body !== null) sent.body = JSON.parse(init.body);
      return new Response(JSON.stringify({ error: { code: 'test', message: 'stop here' } }), { status: 418 });
    });
    const program = new Command().exitOverride();
    registerGraphCommands(program, { GRAPH_URL: 'http://graph.test', PROVSTREAM_PROJECT: 'ex' }, () => undefined);
    try {
      await program.parseAsync(['node', 'provstream', ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !/stop here/.test(err.message)) return { error: err instanceof Error ? err.message : String(err) };
    }
    return sent;
  };
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    [['segment', '--to', 'm', '--max-length', 'abc'], /^--max-length must be an integer ≥ 0 .*, got "abc"/],
    [['segment', '--to', 'm', '--max-length', '-1'], /^--max-length must be an integer ≥ 0 .*, got "-1"/],
    [['segment', '--to', 'm', '--expand-hops', '1.5', '--expand-edges', 'used'], /^--expand-hops must be an integer ≥ 0 .*, got "1.5"/],
    [['segment', '--to', 'm', '--expand-edges', 'used'], /^--expand-edges needs --expand-hops <n>/],
    [['summarize', '--segment', 'a=>b', '--max-length', 'x'], /^--max-length must be an integer ≥ 0 .*, got "x"/],
    [['summarize', '--segment', 'a=>b', '--path-check', ''], /^--path-check must be an integer ≥ 0 .*, got ""/],
    [['summarize', '--segment', 'a=>b', '--roles', 'core,bogus'], /^--roles has unknown "bogus"; give a comma-separated list of source, destination, core, similar, expansion \(or "all"\)/],
    [['summarize', '--segment', 'a=>b', '--roles', ','], /^--roles names nothing/],
    [['summarize', '--segment', 'a=>b', '--edge-types', 'used,derivedFrom'], /^--edge-types has unknown "derivedFrom"; give a comma-separated list of used, wasGeneratedBy/],
    [['summarize', '--segment', 'a=>b', '--expand-edges', 'used'], /^--expand-edges needs --expand-hops <n>/],
    [['segment', '--to', 'm', '--edge-types', 'uses'], /^--edge-types has unknown "uses"/],
    [['segment', '--to', 'm', '--expand-hops', '1', '--expand-edges', 'used,x'], /^--expand-edges has unknown "x"/],
    [['lineage', 'm', '--depth', 'two'], /^--depth must be an integer from 0 to 10000 .*, got "two"/],
    [['why', 'm', '--depth', '10001'], /^--depth must be an integer from 0 to 10000 .*, got "10001"/],
    [['impact', 'm', '--max-nodes', '0'], /^--max-nodes must be an integer from 1 to 1000000 .*, got "0"/],
    [['lineage', 'm', '--max-nodes', '1000001'], /^--max-nodes must be an integer from 1 to 1000000 .*, got "1000001"/],
    [['why', 'm', '--wait-for', 'e1', '--wait-ms', '5s'], /^--wait-ms must be an integer ≥ 0 .*, got "5s"/],
    [['summarize', '--segment', 'a=>b', '--wait-ms', '-1'], /^--wait-ms must be an integer ≥ 0 .*, got "-1"/],
  ])('rejects %j', async (args, message) => {
    const r = await run(args);
    expect(r.error).toMatch(message);
    expect(r.url).toBeUndefined();
  });

  it('sends the numbers and --as-of it was given', async () => {
    const s = await run(['segment', '--to', 'm', '--max-length', '3', '--expand-hops', '2', '--expand-edges', 'used', '--as-of', '2026-01-05']);
    expect(s.url).toBe('http://graph.test/api/v1/projects/ex/segment');
    expect(s.body).toEqual({ sources: [], destinations: ['m'], boundary: { maxLength: 3, asOf: '2026-01-05', expansion: { hops: 2, edges: ['used'] } } });
    const m = await run(['summarize', '--segment', 'a=>b', '--max-length', '0']);
    expect(m.body).toMatchObject({ segments: [{ sources: ['a'], destinations: ['b'], boundary: { maxLength: 0 } }], pathCheckLength: 6 });
    expect((await run(['summarize', '--segment', 'a=>b', '--path-check', '4'])).body).toMatchObject({ pathCheckLength: 4 });
  });

  it('tree queries send the parsed --depth, --max-nodes and --wait-ms', async () => {
    expect((await run(['why', 'm', '--depth', '1e2', '--max-nodes', '5', '--wait-for', 'e1', '--wait-ms', '250'])).url).toBe('http://graph.test/api/v1/projects/ex/why/m?depth=100&maxNodes=5&waitFor=e1&waitMs=250');
    expect((await run(['lineage', 'm', '--depth', '0'])).url).toBe('http://graph.test/api/v1/projects/ex/lineage/m?direction=upstream&depth=0');
    expect((await run(['lineage', 'm', '--max-nodes', '50'])).url).toBe('http://graph.test/api/v1/projects/ex/lineage/m?direction=upstream&maxNodes=50');
    expect((await run(['segment', '--to', 'm', '--wait-ms', '1000'])).url).toBe('http://graph.test/api/v1/projects/ex/segment?waitMs=1000');
  });

  it('summarize sends --roles, --edge-types and the segment boundary flags (to every segment); unset, the server defaults apply', async () => {
    const s = await run(['summarize', '--segment', 'a=>b', '--segment', '=>c', '--roles', 'core,expansion', '--edge-types', 'used,wasGeneratedBy', '--exclude-kind', 'agent', '--as-of', '2026-01-05', '--expand-hops', '1', '--expand-edges', 'wasAssociatedWith']);
    const boundary = { exclude: [{ kind: 'agent' }], asOf: '2026-01-05', expansion: { hops: 1, edges: ['wasAssociatedWith'] } };
    expect(s.body).toEqual({
      segments: [{ sources: ['a'], destinations: ['b'], boundary }, { sources: [], destinations: ['c'], boundary }],
      labelKeys: { activity: ['command'], entity: ['artifact'] },
      k: 'inf',
      pathCheckLength: 6,
      roles: ['core', 'expansion'],
      edgeTypes: ['used', 'wasGeneratedBy'],
    });
    expect((await run(['summarize', '--segment', 'a=>b', '--roles', 'all'])).body).toMatchObject({ roles: ['source', 'destination', 'core', 'similar', 'expansion'] });
    expect(Object.keys((await run(['summarize', '--segment', 'a=>b'])).body as object)).toEqual(['segments', 'labelKeys', 'k', 'pathCheckLength']);
    expect((await run(['segment', '--to', 'm', '--edge-types', 'all'])).body).toEqual({ sources: [], destinations: ['m'], boundary: { edgeTypes: [...EDGE_TYPES] } });
  });

  it('--help: diff describes <a> and <b>; diff, segment and summarize show examples', async () => {
    const help = async (command: string) => {
      let text = '';
      const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (text += s) });
      registerGraphCommands(program, {}, () => undefined);
      await program.parseAsync(['node', 'provstream', command, '--help']).catch(() => undefined);
      return text;
    };
    expect(await help('diff')).toMatch(/Arguments:\n {2}a +the first run \(act:…\) or entity version[^]*\n {2}b +the second one/);
    for (const command of ['diff', 'segment', 'summarize']) expect(await help(command)).toMatch(new RegExp(`\nExamples:\n {2}\\$ provstream ${command} `));
    const summarize = await help('summarize');
    for (const flag of ['--roles <list>', '--edge-types <list>', '--exclude-kind <kind>', '--as-of <time>', '--expand-hops <n>']) expect(summarize).toContain(flag);
  });
});
