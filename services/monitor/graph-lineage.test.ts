import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadMonitorConfig } from './config.js';
import type { TaintLineageRequest } from './core/index.js';
import { GraphLineageClient, parseLineageAnswer, type GraphLineageOptions } from './graph-lineage.js';

const REQ: TaintLineageRequest = { key: 'k1', project: 'team a', root: 'ent:raw/1', via: ['wasDerivedFrom', 'used'], maxDepth: 5, maxVisit: 200 };
const ANSWER = {
  project: 'team a',
  freshness: { status: 'live' },
  result: {
    root: { id: 'ent:raw/1' },
    vertices: [],
    edges: [
      { type: 'used', from: 'act:clean', to: 'ent:raw/1', time: 1 },
      { type: 'wasGeneratedBy', from: 'ent:f', to: 'act:clean', time: 2 },
      { type: 'wasDerivedFrom', from: 'ent:g', to: 'ent:raw/1', time: 3 },
    ],
  },
};

/** A logger that keeps its warnings. */
function capture() {
  const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const log = pino({ level: 'silent' });
  log.warn = ((obj: Record<string, unknown>, msg: string) => warnings.push({ obj, msg })) as unknown as typeof log.warn;
  return { log, warnings };
}

type Reply = { status: number; body: string } | 'refused' | 'hang';

function client(replies: (url: string) => Reply, opts: Partial<GraphLineageOptions> = {}, clock = () => 0) {
  const urls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchImpl = (async (url: string, init?: RequestInit) => {
    urls.push(url);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      const reply = replies(url);
      if (reply === 'refused') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      if (reply === 'hang') {
        await new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      const r = reply as { status: number; body: string };
      return new Response(r.body, { status: r.status });
    } finally {
      inFlight--;
    }
  }) as typeof fetch;
  const { log, warnings } = capture();
  const c = new GraphLineageClient({ url: 'http://graph:18080/', timeoutMs: 200, concurrency: 2, backoffMs: 1000, ...opts }, log, fetchImpl, clock);
  return { c, urls, warnings, maxInFlight: () => maxInFlight };
}

const signal = new AbortController().signal;

describe('graph lineage lookups', () => {
  it('asks for the downstream lineage over via up to maxDepth, at most maxVisit + 1 vertices, and turns edges into derived vertices per source', async () => {
    const { c, urls, warnings } = client(() => ({ status: 200, body: JSON.stringify(ANSWER) }));
    const got = await c.fetch([REQ], signal);
    expect(urls).toEqual(['http://graph:18080/api/v1/projects/team%20a/lineage/ent%3Araw%2F1?direction=downstream&depth=5&types=wasDerivedFrom%2Cused&maxNodes=201']);
    expect(got).toMatchObject({ requests: 1, failed: 0, skipped: 0, lagging: 0, truncated: 0 });
    expect(got.lineage.get('k1')?.children).toEqual(
      new Map([
        ['ent:raw/1', ['act:clean', 'ent:g']],
        ['act:clean', ['ent:f']],
      ]),
    );
    expect(warnings).toEqual([]);
  });

  it.each([
    ['unreachable', 'refused', /ECONNREFUSED/],
    ['a 503 while the graph loads', { status: 503, body: '{"error":{"code":"unavailable"}}' }, /HTTP 503/],
    ['an answer that is not the graph\'s', { status: 200, body: '{"hello":1}' }, /no result.edges/],
    ['not JSON', { status: 200, body: '<html>' }, /not JSON/],
    ['slower than the deadline', 'hang', /no answer within 200 ms \(MONITOR_GRAPH_TIMEOUT_MS\)/],
  ] as Array<[string, Reply, RegExp]>)('%s: no lineage, counted, one warning with the URL and the reason', async (_name, reply, reason) => {
    const { c, warnings } = client(() => reply);
    const t0 = performance.now();
    const got = await c.fetch([REQ, { ...REQ, key: 'k2', root: 'ent:other' }], signal);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(got).toMatchObject({ requests: 2, failed: 2, skipped: 0 });
    expect(got.lineage.size).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.obj).toMatchObject({ url: expect.stringContaining('http://graph:18080/api/v1/projects/team%20a/lineage/') as unknown, failed: 2 });
    expect(warnings[0]!.msg).toMatch(reason);
    expect(warnings[0]!.msg).toContain('http://graph:18080/');
  });

  it('backs off after a failure: the next lookups are skipped until backoffMs passed', async () => {
    let now = 0;
    let up = false;
    const { c, urls } = client(() => (up ? { status: 200, body: JSON.stringify(ANSWER) } : 'refused'), {}, () => now);
    expect((await c.fetch([REQ], signal)).failed).toBe(1);
    up = true;
    now = 999;
    expect(await c.fetch([REQ], signal)).toMatchObject({ requests: 0, skipped: 1 });
    now = 1000;
    expect((await c.fetch([REQ], signal)).lineage.size).toBe(1);
    expect(urls).toHaveLength(2);
  });

  it('a 404 (vertex or project unknown to the graph) is an empty lineage, not a failure', async () => {
    const { c, warnings } = client(() => ({ status: 404, body: '{"error":{"code":"not-found"}}' }));
    const got = await c.fetch([REQ], signal);
    expect(got).toMatchObject({ requests: 1, failed: 0 });
    expect(got.lineage.get('k1')?.children.size).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('keeps at most `concurrency` lookups in flight and counts answers of a graph still catching up', async () => {
    const { c, maxInFlight } = client(() => ({ status: 200, body: JSON.stringify({ ...ANSWER, freshness: { status: 'catching-up' } }) }), { concurrency: 2 });
    const reqs = Array.from({ length: 7 }, (_, i) => ({ ...REQ, key: `k${i}`, root: `ent:${i}` }));
    const got = await c.fetch(reqs, signal);
    expect(got).toMatchObject({ requests: 7, failed: 0, lagging: 7 });
    expect(maxInFlight()).toBe(2);
  });

  it('a truncated answer (the graph cut it at maxNodes) is used as it is, and counted', async () => {
    const cut = { ...ANSWER, result: { ...ANSWER.result, edges: ANSWER.result.edges.slice(0, 1), truncated: true, depthReached: 1 } };
    const { c, warnings } = client(() => ({ status: 200, body: JSON.stringify(cut) }));
    const got = await c.fetch([REQ, { ...REQ, key: 'k2', root: 'ent:other' }], signal);
    expect(got).toMatchObject({ requests: 2, failed: 0, truncated: 2 });
    expect(got.lineage.get('k1')?.children).toEqual(new Map([['ent:raw/1', ['act:clean']]]));
    expect(warnings).toEqual([]);
  });

  it('parseLineageAnswer skips malformed edges', () => {
    expect(parseLineageAnswer(JSON.stringify({ result: { edges: [{ from: 1, to: 'x' }, { from: 'a', to: 'b' }] } })).lineage.children).toEqual(new Map([['b', ['a']]]));
  });
});

describe('monitor config: MONITOR_GRAPH_URL', () => {
  it.each([
    [{}, ''],
    [{ MONITOR_GRAPH_URL: '' }, ''],
    [{ MONITOR_GRAPH_URL: 'http://127.0.0.1:18080' }, 'http://127.0.0.1:18080'],
  ])('%j -> %j', (env, url) => {
    expect(loadMonitorConfig(env).graphUrl).toBe(url);
  });

  it('refuses a URL that is not http(s), naming the variable', () => {
    expect(() => loadMonitorConfig({ MONITOR_GRAPH_URL: 'graph:18080' })).toThrow(/MONITOR_GRAPH_URL/);
    expect(() => loadMonitorConfig({ MONITOR_GRAPH_URL: 'redis://x:1', MONITOR_GRAPH_TIMEOUT_MS: '0' })).toThrow(/MONITOR_GRAPH_URL[\s\S]*MONITOR_GRAPH_TIMEOUT_MS/);
  });
});
