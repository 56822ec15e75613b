import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject } from '../graph/generate.js';
import { validateEvent } from '../model/validate.js';
import { InputError } from '../lib/errors.js';
import { loadCliConfig } from './config.js';
import { renderGenerateReport, runGenerate } from './generate.js';

const dir = mkdtempSync(join(tmpdir(), 'provstream-generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cfg = loadCliConfig({ PROVSTREAM_SPILL_DIR: dir });
const quiet = () => undefined;

describe('provstream generate --out', () => {
  it('writes the generator\'s events as JSON lines, each valid, and summarizes them', async () => {
    const out = join(dir, 'p.jsonl');
    const report = await runGenerate(cfg, { project: 'gen-cli', vertices: 500, seed: 'cli', rate: null, out, flushTimeoutMs: 1_000 }, quiet);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const expected = [...generateProject({ project: 'gen-cli', vertices: 500, seed: 'cli' }).events].map((e) => e.event);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected);
    for (const l of lines) expect(validateEvent(JSON.parse(l)).ok).toBe(true);
    expect(report.stats.events).toBe(lines.length);
    expect(report.stats.vertices).toBeGreaterThanOrEqual(500);
    expect(report.delivered).toBeNull();
    const text = renderGenerateReport(report);
    expect(text).toContain(`${report.stats.vertices.toLocaleString('en-US')} vertices`);
    expect(text).toContain(`-> ${out}`);
  });

  it('paces output with --rate (lower bound only: a sanity check, not a timing test)', async () => {
    const out = join(dir, 'paced.jsonl');
    const report = await runGenerate(cfg, { project: 'gen-cli', vertices: 200, seed: 'cli', rate: 5_000, out, flushTimeoutMs: 1_000 }, quiet);
    expect(report.seconds).toBeGreaterThanOrEqual((0.8 * report.stats.events) / 5_000);
  });

  it('refuses a project name events cannot carry, before writing anything', async () => {
    await expect(runGenerate(cfg, { project: 'bad name!', vertices: 200, seed: 'x', rate: null, out: join(dir, 'bad.jsonl'), flushTimeoutMs: 1_000 }, quiet)).rejects.toThrow(InputError);
  });
});
