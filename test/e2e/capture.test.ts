/**
 * `provstream run` and fileviews, end to end: real commands under the compiled wrapper, the
 * background deliverer, Kafka, the real ingest process, ClickHouse. Finds the exact activities,
 * entities, revisions, metrics, exit codes, redacted environment and fileview rows; compares the
 * commands' bytes and exit codes with bare runs in an identical copy of the project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTopics, deleteTopics, exited, freshDatabase, services, startIngestProcess, uniqueName, waitFor } from '../helpers.js';
import { PROVSTREAM, removeTempProjects, runProcess, runWrapped, tempProject, withoutWarnings } from '../run-wrapper.js';
import type { Finished, Launcher } from '../run-wrapper.js';
import { entityId, agentId } from '../../services/model/ids.js';
import { REDACTED } from '../../services/capture/core/environment.js';

const JOIN = `
const fs = require('node:fs');
const a = fs.readFileSync('data/a.csv', 'utf8').trim().split('\\n').slice(1);
const b = fs.readFileSync('data/b.csv', 'utf8').trim().split('\\n').slice(1);
fs.mkdirSync('out', { recursive: true });
fs.writeFileSync('out/joined.csv', ['x', ...a, ...b].join('\\n') + '\\n');
console.log('epoch 1 loss=0.5');
console.log('epoch 2 loss=0.25');
console.error(JSON.stringify({ step: 2, acc: 0.9 }));
console.log('rows=' + (a.length + b.length));
`;
const EVAL = `require('node:fs').writeFileSync('reports/eval.json', JSON.stringify({ accuracy: Number(process.argv[2]), loss: 0.2, model: 'm' }));`;
const FILES = { 'data/a.csv': 'x\n1\n2\n', 'data/b.csv': 'x\n3\n', 'join.js': JOIN, 'eval.js': EVAL, 'reports/.keep': '' };

const sha = (text: string) => 'sha256:' + createHash('sha256').update(text).digest('hex');
const ent = (artifact: string, text: string) => entityId(artifact, sha(text));

type Db = Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let ingest: ReturnType<typeof startIngestProcess>;
const topic = uniqueName('capture');
const project = uniqueName('proj');
let wrapped: { dir: string; spill: string };
let bare: { dir: string; spill: string };
let env: Record<string, string>;

beforeAll(async () => {
  db = await freshDatabase('capture');
  await createTopics([{ topic, numPartitions: 2 }]);
  ingest = startIngestProcess({ PROVSTREAM_TOPIC: topic, PROVSTREAM_DLQ_TOPIC: `${topic}.dlq`, CLICKHOUSE_DATABASE: db.database, INGEST_GROUP_ID: uniqueName('capture-group'), LOG_LEVEL: 'warn' });
  wrapped = tempProject(FILES);
  bare = tempProject({});
  cpSync(wrapped.dir, bare.dir, { recursive: true });
  env = {
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    PROVSTREAM_TOPIC: topic,
    PROVSTREAM_PROJECT: project,
    PROVSTREAM_SPILL_DIR: wrapped.spill,
    PROVSTREAM_AGENT: 'Alice Analyst',
    AWS_REGION: 'eu-west-1',
    AWS_SECRET_ACCESS_KEY: 'supersecret-do-not-store',
  };
});

afterAll(async () => {
  ingest?.kill('SIGTERM');
  if (ingest) await exited(ingest);
  await deleteTopics([topic, `${topic}.dlq`]);
  await db?.drop();
  removeTempProjects();
});

/** Runs the command bare (in the copy) and wrapped; asserts identical bytes and status. */
async function both(flags: string[], argv: string[]): Promise<Finished> {
  const b = await runProcess(argv, { cwd: bare.dir, env });
  const w = await runWrapped([...flags, '--', ...argv], { cwd: wrapped.dir, env });
  expect(w.stdout.toString('hex')).toBe(b.stdout.toString('hex'));
  expect(withoutWarnings(w.stderr).toString('hex')).toBe(b.stderr.toString('hex'));
  expect({ code: w.code, signal: w.signal }).toEqual({ code: b.code, signal: b.signal });
  return w;
}

function edit(path: string, text: string): void {
  for (const dir of [wrapped.dir, bare.dir]) writeFileSync(join(dir, path), text);
}

interface Activity {
  id: string;
  name: string;
  command: string;
  status: string;
  exit_code: number | null;
  workdir: string;
  params: Record<string, string>;
  env: Record<string, string>;
}

async function activities(): Promise<Activity[]> {
  const rows = await db.query<{ id: string; name: string; command: string; status: string; exit_code: number | null; workdir: string; pk: string[]; pv: string[]; ek: string[]; ev: string[]; start: number }>(`
    SELECT id, argMax(name, valid_from) AS name, argMax(command, valid_from) AS command, argMax(status, valid_from) AS status,
           argMax(exit_code, valid_from) AS exit_code, argMax(workdir, valid_from) AS workdir, argMax(params.key, valid_from) AS pk,
           argMax(params.value, valid_from) AS pv, argMax(env.key, valid_from) AS ek, argMax(env.value, valid_from) AS ev, min(start_time) AS start
    FROM vertices FINAL WHERE kind = 'activity' AND project = '${project}' GROUP BY id ORDER BY start, id`);
  const zip = (k: string[], v: string[]) => Object.fromEntries(k.map((key, i) => [key, v[i]!]));
  return rows.map((r) => ({ id: r.id, name: r.name, command: r.command, status: r.status, exit_code: r.exit_code, workdir: r.workdir, params: zip(r.pk, r.pv), env: zip(r.ek, r.ev) }));
}

/**
 * Ids of runs whose final state is in events_raw. Ingest writes events_raw last in every batch,
 * and a run's events share a key (one partition, in order): once the final state is there, every
 * row of every event of that run is in every table.
 */
async function finishedRuns(): Promise<Set<string>> {
  const rows = await db.query<{ subject: string }>(
    `SELECT DISTINCT subject FROM events_raw WHERE project = '${project}' AND payload_type = 'activity' AND (position(body, '"status":"COMPLETED"') > 0 OR position(body, '"status":"FAILED"') > 0 OR position(body, '"status":"ABORTED"') > 0)`,
  );
  return new Set(rows.map((r) => r.subject));
}

async function edgesOf(ids: string[]): Promise<string[]> {
  const list = ids.map((i) => `'${i}'`).join(',');
  const rows = await db.query<{ type: string; src: string; dst: string; role: string }>(`SELECT DISTINCT toString(type) AS type, src, dst, role FROM edges FINAL WHERE project = '${project}' AND (src IN (${list}) OR dst IN (${list}))`);
  return rows.map((r) => `${r.src} ${r.type}${r.role ? `(${r.role})` : ''} ${r.dst}`).sort();
}

describe('provstream run → Kafka → ingest → ClickHouse', () => {
  const regex = ['--metric-regex', 'epoch (?<step>\\d+) loss=(?<loss>[\\d.]+)', '--metric-jsonl', '--env', 'AWS_*', '--in', 'data/*.csv'];
  const cmd = [process.execPath, 'join.js', '--mode', 'concat', '--limit=10', 'seed=42'];

  it('a script that reads two files and writes one, run twice with a changed input: activities, versions, revisions, metrics', async () => {
    expect((await both(regex, cmd)).code).toBe(0);
    const b1 = FILES['data/b.csv'];
    const b2 = 'x\n3\n4\n';
    edit('data/b.csv', b2);
    expect((await both(regex, cmd)).code).toBe(0);

    const acts = await waitFor('both runs finished in ClickHouse', async () => {
      const [a, done] = await Promise.all([activities(), finishedRuns()]);
      return a.length === 2 && a.every((x) => done.has(x.id)) ? a : null;
    }, 90_000);
    for (const a of acts) {
      expect(a).toMatchObject({
        name: 'join', status: 'COMPLETED', exit_code: 0, workdir: wrapped.dir,
        command: `${process.execPath} join.js --mode concat --limit=10 seed=42`,
        params: { mode: 'concat', limit: '10', seed: '42' },
      });
      expect(a.env['AWS_REGION']).toBe('eu-west-1');
      expect(a.env['AWS_SECRET_ACCESS_KEY']).toBe(REDACTED);
    }
    const [r1, r2] = acts.map((a) => a.id) as [string, string];
    const a1 = ent('data/a.csv', FILES['data/a.csv']);
    const b1id = ent('data/b.csv', b1);
    const b2id = ent('data/b.csv', b2);
    const j1 = ent('out/joined.csv', 'x\n1\n2\n3\n');
    const j2 = ent('out/joined.csv', 'x\n1\n2\n3\n4\n');
    const alice = agentId('Alice Analyst');

    const entities = await db.query<{ artifact: string; version: number; id: string; content_hash: string }>(
      `SELECT DISTINCT artifact, version, id, content_hash FROM vertices FINAL WHERE kind = 'entity' AND project = '${project}' ORDER BY artifact, version`,
    );
    expect(entities).toEqual([
      { artifact: 'data/a.csv', version: 1, id: a1, content_hash: sha(FILES['data/a.csv']) },
      { artifact: 'data/b.csv', version: 1, id: b1id, content_hash: sha(b1) },
      { artifact: 'data/b.csv', version: 2, id: b2id, content_hash: sha(b2) },
      { artifact: 'out/joined.csv', version: 1, id: j1, content_hash: sha('x\n1\n2\n3\n') },
      { artifact: 'out/joined.csv', version: 2, id: j2, content_hash: sha('x\n1\n2\n3\n4\n') },
    ]);
    expect(await edgesOf([r1, r2])).toEqual(
      [
        `${r1} used(input) ${a1}`, `${r1} used(input) ${b1id}`, `${j1} wasGeneratedBy ${r1}`, `${r1} wasAssociatedWith ${alice}`,
        `${r2} used(input) ${a1}`, `${r2} used(input) ${b2id}`, `${j2} wasGeneratedBy ${r2}`, `${r2} wasAssociatedWith ${alice}`,
      ].sort(),
    );
    const revisions = await db.query<{ src: string; dst: string }>(`SELECT DISTINCT src, dst FROM edges FINAL WHERE type = 'wasRevisionOf' AND project = '${project}' ORDER BY src`);
    expect(revisions).toEqual([{ src: b2id, dst: b1id }, { src: j2, dst: j1 }].sort((x, y) => (x.src < y.src ? -1 : 1)));
    const metrics = await db.query<{ key: string; step: number; value: number }>(`SELECT key, step, value FROM metrics FINAL WHERE subject = '${r1}' ORDER BY key, step`);
    expect(metrics).toEqual([{ key: 'acc', step: 2, value: 0.9 }, { key: 'loss', step: 1, value: 0.5 }, { key: 'loss', step: 2, value: 0.25 }]);
    const leaked = await db.query<{ n: number }>(`SELECT count() AS n FROM events_raw WHERE position(body, 'supersecret') > 0`);
    expect(leaked).toEqual([{ n: 0 }]);
  });

  it('a failing command and a command killed by a signal: FAILED 3 and ABORTED 143 (SIGTERM), with their outputs', async () => {
    edit('scratch.txt', 'tmp\n');
    const failed = await both([], ['sh', '-c', 'mkdir -p out; echo partial > out/partial.txt; rm scratch.txt; echo oops >&2; exit 3']);
    expect(failed.code).toBe(3);
    const killed = await both([], ['sh', '-c', 'mkdir -p out; echo half > out/killed.txt; kill -TERM $$; echo never']);
    expect(killed.signal).toBe('SIGTERM');

    const acts = await waitFor('the failing and the killed run in ClickHouse', async () => {
      const [all, done] = await Promise.all([activities(), finishedRuns()]);
      const a = all.filter((x) => x.name === 'sh');
      return a.length === 2 && a.every((x) => done.has(x.id)) ? a : null;
    }, 90_000);
    expect(acts.map((a) => [a.status, a.exit_code])).toEqual([['FAILED', 3], ['ABORTED', 143]]);
    const [f, k] = acts.map((a) => a.id) as [string, string];
    expect(await edgesOf([f, k])).toEqual(
      [
        `${ent('out/partial.txt', 'partial\n')} wasGeneratedBy ${f}`, `${f} wasAssociatedWith ${agentId('Alice Analyst')}`,
        `${ent('out/killed.txt', 'half\n')} wasGeneratedBy ${k}`, `${k} wasAssociatedWith ${agentId('Alice Analyst')}`,
      ].sort(),
    );
    const signal = await db.query<{ value_string: string }>(`SELECT value_string FROM properties FINAL WHERE subject = '${k}' AND key = 'signal'`);
    expect(signal).toEqual([{ value_string: 'SIGTERM' }]);
    const deleted = await db.query<{ value_string: string }>(`SELECT value_string FROM properties FINAL WHERE subject = '${f}' AND key = 'deleted'`);
    expect(deleted).toEqual([{ value_string: '["scratch.txt"]' }]);
  });

  it('a long run is visible while it runs: RUNNING with live metrics, then COMPLETED', async () => {
    const stop = join(wrapped.spill, '..', 'stop-live');
    const script = `const fs = require('node:fs'); let i = 0; const t = setInterval(() => { console.log('loss=' + (1 / ++i)); if (fs.existsSync(${JSON.stringify(stop)})) clearInterval(t); }, 100);`;
    const run = runWrapped(['--name', 'live', '--metric-regex', 'loss=(?<loss>[\\d.]+)', '--', process.execPath, '-e', script], { cwd: wrapped.dir, env });
    const live = await waitFor('the running activity with some metric points', async () => {
      const a = (await activities()).find((x) => x.name === 'live');
      if (!a || a.status !== 'RUNNING') return null;
      const [m] = await db.query<{ n: number }>(`SELECT count() AS n FROM metrics FINAL WHERE subject = '${a.id}'`);
      return m!.n > 0 ? a : null;
    }, 60_000);
    writeFileSync(stop, '');
    const done = await run;
    expect(done.code).toBe(0);
    const printed = done.stdout.toString().trim().split('\n').length;
    const final = await waitFor('the run COMPLETED with every point', async () => {
      if (!(await finishedRuns()).has(live.id)) return null;
      const a = (await activities()).find((x) => x.id === live.id);
      const [m] = await db.query<{ n: number }>(`SELECT count() AS n FROM metrics FINAL WHERE subject = '${live.id}'`);
      return a?.status === 'COMPLETED' && m!.n === printed ? a : null;
    }, 60_000);
    expect(final.exit_code).toBe(0);
  });

  it('fileviews: a definition with its own versions; rows in fileview_rows and values as entity properties', async () => {
    const add = (extra: string[]) => runProcess([process.execPath, PROVSTREAM, 'fileview', 'add', 'evalmetrics', '--pattern', 'reports/*.json', '--jsonpath', 'accuracy=$.accuracy', ...extra], { cwd: wrapped.dir, env });
    const v1 = await add([]);
    expect(v1.stdout.toString()).toMatch(/^fileview evalmetrics is now version 1 \(ent:[0-9a-f]{32}\)\n$/);
    mkdirSync(join(bare.dir, 'reports'), { recursive: true });
    expect((await both([], [process.execPath, 'eval.js', '0.93'])).code).toBe(0);
    const v2 = await add(['--jsonpath', 'loss=$.loss']);
    expect(v2.stdout.toString()).toMatch(/is now version 2/);
    expect((await add(['--jsonpath', 'loss=$.loss'])).stdout.toString()).toMatch(/is unchanged \(version 2\)/);
    expect((await both([], [process.execPath, 'eval.js', '0.95'])).code).toBe(0);

    const e1 = ent('reports/eval.json', JSON.stringify({ accuracy: 0.93, loss: 0.2, model: 'm' }));
    const e2 = ent('reports/eval.json', JSON.stringify({ accuracy: 0.95, loss: 0.2, model: 'm' }));
    const rows = await waitFor('fileview rows of both versions', async () => {
      const r = await db.query<{ view_version: number; entity_id: string; artifact: string; row_number: number; k: string[]; v: string[] }>(
        `SELECT view_version, entity_id, artifact, row_number, columns.key AS k, columns.value AS v FROM fileview_rows FINAL WHERE project = '${project}' AND view = 'evalmetrics' ORDER BY view_version`,
      );
      return r.length === 2 ? r : null;
    }, 90_000);
    expect(rows).toEqual([
      { view_version: 1, entity_id: e1, artifact: 'reports/eval.json', row_number: 0, k: ['accuracy'], v: ['0.93'] },
      { view_version: 2, entity_id: e2, artifact: 'reports/eval.json', row_number: 0, k: ['accuracy', 'loss'], v: ['0.95', '0.2'] },
    ]);
    // The rows and the properties of one run may land in different inserts: wait for all three.
    const props = await waitFor('the fileview values as properties of both versions', async () => {
      const r = await db.query<{ subject: string; key: string; value_type: string; value_number: number }>(
        `SELECT subject, key, toString(value_type) AS value_type, value_number FROM properties FINAL WHERE subject IN ('${e1}', '${e2}') ORDER BY subject = '${e2}', key`,
      );
      return r.length >= 3 ? r : null;
    }, 30_000);
    expect(props).toEqual([
      { subject: e1, key: 'accuracy', value_type: 'number', value_number: 0.93 },
      { subject: e2, key: 'accuracy', value_type: 'number', value_number: 0.95 },
      { subject: e2, key: 'loss', value_type: 'number', value_number: 0.2 },
    ]);
    const views = await db.query<{ id: string; version: number; entity_type: string }>(
      `SELECT DISTINCT id, version, entity_type FROM vertices FINAL WHERE project = '${project}' AND artifact = 'fileview:evalmetrics' ORDER BY version`,
    );
    expect(views.map((v) => [v.version, v.entity_type])).toEqual([[1, 'fileview'], [2, 'fileview']]);
    expect(await db.query(`SELECT DISTINCT src, dst FROM edges FINAL WHERE type = 'wasRevisionOf' AND src = '${views[1]!.id}'`)).toEqual([{ src: views[1]!.id, dst: views[0]!.id }]);
    const cells = await db.query<{ value: string }>(`SELECT value FROM fileview_cells WHERE project = '${project}' AND view = 'evalmetrics' AND column = 'accuracy' ORDER BY view_version`);
    expect(cells.map((c) => c.value)).toEqual(['0.93', '0.95']);
  });
});

describe('the native launcher (bin/provstream) records exactly what the Node wrapper records', () => {
  /** Everything ClickHouse holds of a project's runs, with run ids replaced by their order. */
  async function facts(proj: string, dir: string) {
    const acts = await db.query<{ id: string; name: string; command: string; status: string; exit_code: number | null; workdir: string; ek: string[]; ev: string[]; pk: string[]; pv: string[] }>(`
      SELECT id, argMax(name, valid_from) AS name, argMax(command, valid_from) AS command, argMax(status, valid_from) AS status, argMax(exit_code, valid_from) AS exit_code,
             argMax(workdir, valid_from) AS workdir, argMax(env.key, valid_from) AS ek, argMax(env.value, valid_from) AS ev, argMax(params.key, valid_from) AS pk,
             argMax(params.value, valid_from) AS pv, min(start_time) AS start
      FROM vertices FINAL WHERE kind = 'activity' AND project = '${proj}' GROUP BY id ORDER BY start, id`);
    const run = new Map(acts.map((a, i) => [a.id, `run${i}`]));
    const name = (id: string) => run.get(id) ?? id;
    const VARYING = new Set(['PROVSTREAM_PROJECT', 'PROVSTREAM_SPILL_DIR', 'PROVSTREAM_NATIVE', 'PROVSTREAM_DEBUG']);
    const activities = acts.map((a) => ({
      name: a.name, command: a.command, status: a.status, exit_code: a.exit_code, workdir: a.workdir.replace(dir, '<dir>'),
      env: Object.fromEntries(a.ek.map((k, i) => [k, a.ev[i]]).filter(([k]) => !VARYING.has(k!))),
      params: Object.fromEntries(a.pk.map((k, i) => [k, a.pv[i]])),
    }));
    const entities = await db.query(`SELECT DISTINCT artifact, version, content_hash, size_bytes FROM vertices FINAL WHERE kind = 'entity' AND project = '${proj}' ORDER BY artifact, version`);
    const edges = (await db.query<{ type: string; src: string; dst: string; role: string }>(`SELECT DISTINCT toString(type) AS type, src, dst, role FROM edges FINAL WHERE project = '${proj}'`))
      .map((e) => `${name(e.src)} ${e.type}${e.role ? `(${e.role})` : ''} ${name(e.dst)}`)
      .sort();
    const properties = (await db.query<{ subject: string; key: string; value_string: string }>(`SELECT subject, key, value_string FROM properties FINAL WHERE project = '${proj}'`))
      .map((p) => `${name(p.subject)} ${p.key}=${p.value_string}`)
      .sort();
    return { activities, entities, edges, properties };
  }

  it('the same activities, entities, versions, revisions, edges and properties for the same runs', async () => {
    const warnings: string[] = [];
    const sequence = async (launcher: Launcher) => {
      const proj = uniqueName(launcher);
      const p = tempProject(FILES);
      const e = { ...env, PROVSTREAM_PROJECT: proj, PROVSTREAM_SPILL_DIR: p.spill, PROVSTREAM_DEBUG: '1' };
      const run = async (flags: string[], argv: string[]) => {
        const r = await runWrapped([...flags, '--', ...argv], { cwd: p.dir, env: e, launcher });
        if (launcher === 'native') expect(r.stderr.toString()).toContain('[launcher] native');
        // Our own lines other than the launcher's (the missing command's message is the shell's).
        warnings.push(...r.stderr.toString().split('\n').filter((l) => l.startsWith('provstream: ') && !l.includes('[launcher]') && !l.includes('command not found')).map((l) => `${launcher}: ${l}`));
        return r;
      };
      expect((await run(['--in', 'data/*.csv', '--env', 'AWS_*', '--param', 'extra=1', '--name', 'join-a'], [process.execPath, 'join.js', '--mode', 'concat', 'seed=42'])).code).toBe(0);
      writeFileSync(join(p.dir, 'data', 'b.csv'), 'x\n3\n4\n');
      expect((await run(['--in', 'data/*.csv'], [process.execPath, 'join.js'])).code).toBe(0);
      writeFileSync(join(p.dir, 'scratch.txt'), 'tmp\n');
      expect((await run([], ['sh', '-c', 'mkdir -p out; echo partial > out/partial.txt; rm scratch.txt; exit 3'])).code).toBe(3);
      expect((await run(['--out', 'out/*.txt'], ['sh', '-c', 'echo half > out/killed.txt; kill -TERM $$'])).signal).toBe('SIGTERM');
      // Longer than the first hand-off (200 ms): the start goes to the deliverer while it runs.
      expect((await run(['--agent', 'Bob Builder'], ['sh', '-c', 'sleep 0.6; echo long > out/long.txt; echo again >> out/joined.csv'])).code).toBe(0);
      expect((await run([], ['no-such-command-xyz'])).code).toBe(127);
      return { proj, dir: p.dir, spill: p.spill };
    };
    const native = await sequence('native');
    const node = await sequence('node');
    expect(warnings).toEqual([]);
    const finished = async (proj: string) => {
      const rows = await db.query<{ n: number }>(
        `SELECT count(DISTINCT subject) AS n FROM events_raw WHERE project = '${proj}' AND payload_type = 'activity' AND (position(body, '"status":"COMPLETED"') > 0 OR position(body, '"status":"FAILED"') > 0 OR position(body, '"status":"ABORTED"') > 0)`,
      );
      return Number(rows[0]!.n);
    };
    const counts = { native: 0, node: 0 };
    try {
      await waitFor('both sequences in ClickHouse', async () => {
        [counts.native, counts.node] = await Promise.all([finished(native.proj), finished(node.proj)]);
        return counts.native === 6 && counts.node === 6;
      }, 90_000);
    } catch (err) {
      // What the deliverers saw says where the runs stopped.
      const spillState = (spill: string) => {
        const run = join(spill, 'run');
        const list = (d: string) => (existsSync(d) ? readdirSync(d).join(' ') : '-');
        const log = existsSync(join(run, 'deliver.log')) ? readFileSync(join(run, 'deliver.log'), 'utf8').slice(-2000) : '(no deliver.log)';
        return `run/: ${list(run)}; raw/: ${list(join(run, 'raw'))}; pending/: ${list(join(run, 'pending'))}; deliver.log: ${log}`;
      };
      const statuses = async (proj: string) =>
        JSON.stringify(await db.query(`SELECT subject, groupArray(visitParamExtractString(body, 'status')) AS s FROM events_raw WHERE project = '${proj}' AND payload_type = 'activity' GROUP BY subject`));
      throw new Error(
        `${(err as Error).message}; finished runs ${JSON.stringify(counts)} of 6 each\nnative spill ${spillState(native.spill)}\nnode spill ${spillState(node.spill)}\nnative activity events ${await statuses(native.proj)}\nnode activity events ${await statuses(node.proj)}`,
      );
    }
    const [a, b] = await Promise.all([facts(native.proj, native.dir), facts(node.proj, node.dir)]);
    expect(a.activities.map((x) => [x.name, x.status, x.exit_code])).toEqual([
      ['join-a', 'COMPLETED', 0], ['join', 'COMPLETED', 0], ['sh', 'FAILED', 3], ['sh', 'ABORTED', 143], ['sh', 'COMPLETED', 0], ['no-such-command-xyz', 'FAILED', 127],
    ]);
    expect(a.activities[0]!.env['AWS_SECRET_ACCESS_KEY']).toBe(REDACTED);
    expect(a.edges).toContain(`${ent('out/joined.csv', 'x\n1\n2\n3\n4\nagain\n')} wasRevisionOf ${ent('out/joined.csv', 'x\n1\n2\n3\n4\n')}`);
    expect(a.edges).toContain(`${ent('out/long.txt', 'long\n')} wasAttributedTo ${agentId('Bob Builder')}`);
    expect(a.properties).toEqual(expect.arrayContaining(['run2 deleted=["scratch.txt"]', 'run3 signal=SIGTERM', 'run5 spawnError=no-such-command-xyz: command not found']));
    expect(a).toEqual(b);
  });
});
