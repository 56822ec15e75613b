/**
 * Raw run records of the native launcher → the run's events (raw.ts), on the file system only:
 * the events and their order, version numbers and revisions from the state file, a start record
 * handed off before the end, and records that cannot be read.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertRawRecords, rawDir } from './raw.js';
import type { RawRecord } from './raw.js';
import { pendingFiles } from './deliver.js';
import type { PendingLine } from './pending.js';
import { activityId, agentId, entityId } from '../model/ids.js';

let base: string;
let root: string;
let spill: string;
const warnings: string[] = [];
const warn = (m: string) => void warnings.push(m);

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'raw-test-'));
  root = join(base, 'proj');
  spill = join(base, 'spill');
  mkdirSync(join(root, '.provstream'), { recursive: true });
  warnings.length = 0;
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

let seq = 0;
function put(r: Partial<RawRecord>): void {
  mkdirSync(rawDir(spill), { recursive: true });
  const full: RawRecord = {
    v: 1, kind: 'end', launcher: 'native', runUuid: '0b6a3c52-7f3e-4c1a-9d55-3a1f2e4b5c6d', argv: ['python', 'train.py', '--lr', '0.1'], cwd: root, root,
    name: null, params: { extra: 'yes' }, projects: [null, 'proj-a', null], agents: [null, 'tester', null], env: { USER: 'alice', LANG: 'C' },
    agentEnv: {}, startTime: 1_000, inputs: [{ path: join(root, 'data.csv'), artifact: 'data.csv', hash: 'sha256:aa', size: 3, mtimeMs: 1.5 }],
    outcome: { exitCode: 0, signal: null, spawnError: null, endTime: 2_000 },
    outputs: [{ path: join(root, 'model.bin'), artifact: 'model.bin', hash: 'sha256:bb', size: 9, mtimeMs: 2.5 }],
    ...r,
  };
  writeFileSync(join(rawDir(spill), `${String(++seq).padStart(15, '0')}-00000001-000000.json`), JSON.stringify(full));
}

function events(): PendingLine[] {
  return pendingFiles(spill).flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PendingLine));
}
const summary = (lines: PendingLine[]) =>
  lines.map(({ event: { payload: p } }) => {
    if (p.type === 'activity') return `activity ${p.status} ${p.exitCode}`;
    if (p.type === 'relation') return `${p.relation} ${p.from} ${p.to}`;
    if (p.type === 'entity') return `entity ${p.artifact} v${p.version}`;
    if (p.type === 'property') return `property ${p.key} ${JSON.stringify(p.value)}`;
    return p.type;
  });

const act = activityId('0b6a3c52-7f3e-4c1a-9d55-3a1f2e4b5c6d');
const tester = agentId('tester');
const data = entityId('data.csv', 'sha256:aa');
const model1 = entityId('model.bin', 'sha256:bb');

describe('convertRawRecords', () => {
  it('an end record: the events of the whole run, in the Node wrapper order, keyed by the activity; the state file updated', async () => {
    put({ deleted: ['old.txt'] });
    expect(await convertRawRecords(spill, warn)).toBe(1);
    const lines = events();
    expect(summary(lines)).toEqual([
      'agent', 'activity RUNNING null', `wasAssociatedWith ${act} ${tester}`, 'entity data.csv v1', `used ${act} ${data}`,
      'property deleted {"kind":"json","value":"[\\"old.txt\\"]"}', 'entity model.bin v1', `wasGeneratedBy ${model1} ${act}`, `wasAttributedTo ${model1} ${tester}`,
      'activity COMPLETED 0',
    ]);
    expect(new Set(lines.map((l) => l.key))).toEqual(new Set([`proj-a|${act}`]));
    expect(lines.every((l) => l.event.project === 'proj-a')).toBe(true);
    const final = lines.at(-1)!.event.payload;
    expect(final).toMatchObject({ name: 'train', command: 'python train.py --lr 0.1', params: { lr: '0.1', extra: 'yes' }, env: { LANG: 'C', USER: 'alice' }, startTime: 1_000, endTime: 2_000, workdir: root });
    expect(Object.keys((final as { env: object }).env)).toEqual(['LANG', 'USER']);
    const state = JSON.parse(readFileSync(join(root, '.provstream', 'state.json'), 'utf8')) as { artifacts: Record<string, { version: number }> };
    expect(Object.keys(state.artifacts).sort()).toEqual(['data.csv', 'model.bin']);
    expect(readdirSync(rawDir(spill))).toEqual([]);
  });

  it('a new content of a known artifact is the next version and revises it; the known content is not generated again', async () => {
    put({});
    await convertRawRecords(spill, warn);
    const first = pendingFiles(spill);
    for (const f of first) rmSync(f);
    put({ runUuid: '1b6a3c52-7f3e-4c1a-9d55-3a1f2e4b5c6d', outputs: [
      { path: join(root, 'model.bin'), artifact: 'model.bin', hash: 'sha256:cc', size: 9, mtimeMs: 3.5 },
      { path: join(root, 'data.csv'), artifact: 'data.csv', hash: 'sha256:aa', size: 3, mtimeMs: 4.5 },
    ] });
    await convertRawRecords(spill, warn);
    const act2 = activityId('1b6a3c52-7f3e-4c1a-9d55-3a1f2e4b5c6d');
    const model2 = entityId('model.bin', 'sha256:cc');
    expect(summary(events()).filter((s) => /entity|Revision|Generated/.test(s))).toEqual([
      'entity data.csv v1', 'entity model.bin v2', `wasRevisionOf ${model2} ${model1}`, `wasGeneratedBy ${model2} ${act2}`,
    ]);
  });

  it('a start record handed off during the run, then the end: the start facts once', async () => {
    put({ kind: 'start', outcome: undefined, outputs: undefined });
    put({ startRecorded: true, outcome: { exitCode: null, signal: 'SIGTERM', spawnError: null, endTime: 1_000 } });
    expect(await convertRawRecords(spill, warn)).toBe(2);
    const s = summary(events());
    expect(s.filter((x) => x.startsWith('activity'))).toEqual(['activity RUNNING null', 'activity ABORTED 143']);
    expect(s.filter((x) => x === 'agent')).toHaveLength(1);
    expect(s).toContain('property signal {"kind":"string","value":"SIGTERM"}');
    const final = events().at(-1)!.event.payload as { endTime: number };
    expect(final.endTime).toBe(1_001); // the final state is later than the start
  });

  it('a command that could not start: FAILED 127 with the spawn error', async () => {
    put({ outputs: [], inputs: [], outcome: { exitCode: 127, signal: null, spawnError: 'nope: command not found', endTime: 1_500 } });
    await convertRawRecords(spill, warn);
    expect(summary(events()).slice(-2)).toEqual(['property spawnError {"kind":"string","value":"nope: command not found"}', 'activity FAILED 127']);
  });

  it('records that cannot be read are set aside with a warning; the others are converted', async () => {
    mkdirSync(rawDir(spill), { recursive: true });
    writeFileSync(join(rawDir(spill), '000000000000000-00000001-000000.json'), '{"v": 1, "kind": "end", "argv": [');
    put({ v: 99 });
    put({});
    expect(await convertRawRecords(spill, warn)).toBe(1);
    expect(readdirSync(join(rawDir(spill), 'rejected'))).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/record version 99, this deliverer reads 1/);
    expect(warnings).toHaveLength(2);
    expect(existsSync(join(root, '.provstream', 'state.json'))).toBe(true);
  });
});

describe('pending files of records converted within one millisecond', () => {
  it('each record keeps its own file (names are unique per process, not per log)', async () => {
    for (let i = 0; i < 20; i++) put({ runUuid: `0b6a3c52-7f3e-4c1a-9d55-${String(i).padStart(12, '0')}`, inputs: [], outputs: [] });
    expect(await convertRawRecords(spill, warn)).toBe(20);
    const finals = events().filter((l) => l.event.payload.type === 'activity' && l.event.payload.status === 'COMPLETED');
    expect(new Set(finals.map((l) => l.key)).size).toBe(20);
    expect(pendingFiles(spill)).toHaveLength(20);
  });
});
