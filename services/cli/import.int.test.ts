/**
 * `provstream import openlineage|prov-json <file>` as a real process (the compiled CLI) against
 * real Kafka / Redis, read back from ClickHouse through the ingest process: the same tables as
 * posting the same events to the gateway; invalid lines reported and skipped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../test/helpers.js';
import { startGatewayHarness } from '../../test/gateway.js';
import type { GatewayHarness } from '../../test/gateway.js';
import { repoPath } from '../lib/paths.js';
import { sql } from '../lib/sql-literal.js';
import { airflowStream, dbtStream } from '../gateway/openlineage/fixtures.js';

let h: GatewayHarness;
let dir: string;
beforeAll(async () => {
  h = await startGatewayHarness('gimp', ['by-cli', 'by-http', 'prov-cli']);
  dir = mkdtempSync(join(tmpdir(), 'provstream-import-'));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'provstream.js'), ...args], { env: { ...process.env, ...h.env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('provstream import', () => {
  it('openlineage, JSON lines: valid events published in batches, invalid lines reported with their problems; same tables as over HTTP', async () => {
    const events = [...airflowStream().events, ...dbtStream().events];
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, [...events.slice(0, 4).map((e) => JSON.stringify(e)), '{"eventTime": ', JSON.stringify({ ...(events[0] as object), producer: 'no uri' }), '', ...events.slice(4).map((e) => JSON.stringify(e))].join('\n') + '\n');
    const r = await cli(['import', 'openlineage', file, '--project', 'by-cli', '--batch', '5', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { read: number; accepted: number; rejected: number; published: number; rejections: Array<{ item: string; problems: Array<{ path: string }> }> };
    expect(report).toMatchObject({ format: 'openlineage', read: events.length + 2, accepted: events.length, rejected: 2 });
    expect(report.rejections.map((x) => [x.item, x.problems.map((p) => p.path)])).toEqual([['line 5', ['']], ['line 6', ['/producer']]]);
    expect(r.stderr).toMatch(/read: \d+ accepted/);

    expect((await h.request('POST', '/api/v1/lineage', 'by-http', events)).status).toBe(202);
    await h.ingested();
    expect(await h.tables('by-cli')).toEqual(await h.tables('by-http'));
  });

  it('prov-json: one document, published whole, with a summary', async () => {
    const r = await cli(['import', 'prov-json', repoPath('services', 'gateway', 'prov', 'fixtures', 'every-relation.json'), '--project', 'prov-cli', '--time', '2024-06-01T00:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^prov-json: read 1, accepted 1, rejected 0; published \d+ provenance events to Kafka/);
    await h.ingested();
    const [row] = await h.db.query<{ n: number }>(sql`SELECT uniqExact(id) AS n FROM vertices FINAL WHERE project = 'prov-cli'`);
    expect(row!.n).toBe(16);
  });
});
