/**
 * `make bench-run`: the command wrapper's overhead, `provstream run -- <cmd>` against `<cmd>`.
 *
 *   node dist/bench/run.js [--runs 30] [--files 200] [--json]
 *
 * The wrapper is bin/provstream, the native launcher (services/capture/native), as users run
 * it; the Node wrapper (bin/provstream.js, which the launcher hands extractor runs to) is measured
 * as a reference in the same run. Each scenario runs the bare command and the wrapped one
 * alternately, `--runs` times each, in a throwaway project of `--files` small files (the
 * before/after scan has something to stat), with Kafka up and events going to a throwaway topic.
 * Wall time from spawn to exit, medians. The overhead is median(wrapped) − median(bare); the
 * target (issue 3) is ≤ 50 ms apart from hashing (the inputs here are a few bytes: hashing them
 * costs microseconds). Reference lines: `node -e 0` (Node's own start-up, the floor for any
 * wrapper written in Node), the Node wrapper, `--no-scan`, a run with an extractor (handed to
 * Node), and `--wait` (delivering to Kafka before exiting instead of in the background).
 * With GNU time installed, CPU time (user + system of the process and the children it waited for;
 * not the background deliverer) is shown too: on a busy machine wall time mostly measures waiting
 * for a core, CPU time much less so.
 * Figures are information: the process exits non-zero only when something failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { machineInfo, median, writeResults, timestamp } from './lib/report.js';
import { repoPath } from '../services/lib/paths.js';
import { EnvReader, DEFAULT_URLS } from '../services/lib/config.js';
import { createKafka } from '../services/lib/kafka.js';
import { createRootLogger } from '../services/lib/log.js';

const TARGET_OVERHEAD_MS = 50;
const progress = (msg: string) => process.stderr.write(`bench-run: ${msg}\n`);

/** GNU time, when installed: CPU seconds (user + system) of the process and the children it waited for. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

interface Timing {
  wallMs: number;
  /** NaN without GNU time. 10 ms resolution: only medians over many runs mean something. */
  cpuMs: number;
}

function timeOnce(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv, cpuFile: string): Promise<Timing> {
  const full = GNU_TIME ? [GNU_TIME, '-f', '%U %S', '-o', cpuFile, ...argv] : [...argv];
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(full[0]!, full.slice(1), { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited with ${code}`));
      const cpu = GNU_TIME ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number) : [NaN];
      resolve({ wallMs, cpuMs: cpu.reduce((a, b) => a + b, 0) * 1000 });
    });
  });
}

interface Scenario {
  name: string;
  bare: string[];
  wrapped: string[];
}

interface Measured {
  scenario: string;
  bareMs: number[];
  wrappedMs: number[];
  bareMedianMs: number;
  wrappedMedianMs: number;
  overheadMs: number;
  ratio: number;
  /** CPU time (user + system), medians; NaN without GNU time. */
  bareCpuMs: number;
  wrappedCpuMs: number;
}

async function measure(s: Scenario, runs: number, cwd: string, env: NodeJS.ProcessEnv, cpuFile: string): Promise<Measured> {
  const bare: Timing[] = [];
  const wrapped: Timing[] = [];
  await timeOnce(s.bare, cwd, env, cpuFile); // warm the page cache
  await timeOnce(s.wrapped, cwd, env, cpuFile);
  for (let i = 0; i < runs; i++) {
    bare.push(await timeOnce(s.bare, cwd, env, cpuFile));
    wrapped.push(await timeOnce(s.wrapped, cwd, env, cpuFile));
  }
  const bareMs = bare.map((t) => t.wallMs);
  const wrappedMs = wrapped.map((t) => t.wallMs);
  const b = median(bareMs);
  const w = median(wrappedMs);
  progress(`${s.name}: bare ${b.toFixed(1)} ms, wrapped ${w.toFixed(1)} ms`);
  return {
    scenario: s.name, bareMs, wrappedMs, bareMedianMs: b, wrappedMedianMs: w, overheadMs: w - b, ratio: w / b,
    bareCpuMs: median(bare.map((t) => t.cpuMs)), wrappedCpuMs: median(wrapped.map((t) => t.cpuMs)),
  };
}

async function main(): Promise<void> {
  const o = new Command('bench-run')
    .option('--runs <n>', 'runs of every command (alternating bare / wrapped)', '30')
    .option('--files <n>', 'small files in the project (what the scan stats)', '200')
    .option('--json', 'print the record as JSON')
    .parse()
    .opts<{ runs: string; files: string; json?: boolean }>();
  const runs = Number(o.runs);
  const r = new EnvReader(process.env);
  const brokers = r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers);
  r.done();
  const base = mkdtempSync(join(tmpdir(), 'bench-run-'));
  const dir = join(base, 'project');
  mkdirSync(join(dir, '.provstream'), { recursive: true });
  for (let i = 0; i < Number(o.files); i++) {
    mkdirSync(join(dir, 'src', String(i % 10)), { recursive: true });
    writeFileSync(join(dir, 'src', String(i % 10), `f${i}.txt`), `file ${i}\n`);
  }
  writeFileSync(join(dir, 'in1.txt'), 'a\n');
  writeFileSync(join(dir, 'in2.txt'), 'b\n');
  const topic = `bench_run_${timestamp().toLowerCase()}`;
  const env = { ...process.env, KAFKA_BROKERS: brokers.join(','), PROVSTREAM_TOPIC: topic, PROVSTREAM_SPILL_DIR: join(base, 'spill'), PROVSTREAM_PROJECT: 'bench-run' }; // agent: git's user.name, as by default
  const cli = [repoPath('bin', 'provstream'), 'run']; // the native launcher: what users run
  const nodeCli = [process.execPath, repoPath('bin', 'provstream.js'), 'run']; // the Node wrapper for every run
  const script = ['sh', '-c', 'cat in1.txt in2.txt > out.txt'];
  const scenarios: Scenario[] = [
    { name: 'true', bare: ['true'], wrapped: [...cli, '--', 'true'] },
    { name: 'small script (reads 2 files, writes 1; --in)', bare: script, wrapped: [...cli, '--in', 'in*.txt', '--', ...script] },
    { name: 'reference: node -e 0 (Node start-up) vs true', bare: ['true'], wrapped: [process.execPath, '-e', '0'] },
    { name: 'reference: Node wrapper, -- true', bare: ['true'], wrapped: [...nodeCli, '--', 'true'] },
    { name: 'reference: Node wrapper, small script', bare: script, wrapped: [...nodeCli, '--in', 'in*.txt', '--', ...script] },
    { name: 'reference: --no-scan -- true', bare: ['true'], wrapped: [...cli, '--no-scan', '--', 'true'] },
    { name: 'reference: --metric-jsonl -- true (handed to Node)', bare: ['true'], wrapped: [...cli, '--metric-jsonl', '--', 'true'] },
    { name: 'reference: --wait -- true (inline delivery to Kafka)', bare: ['true'], wrapped: [...cli, '--wait', '--', 'true'] },
  ];
  // The target lines must measure the native path, not a hand-over to Node.
  const probe = spawnSync(cli[0]!, [...cli.slice(1), '--', 'true'], { cwd: dir, env: { ...env, PROVSTREAM_DEBUG: '1' }, encoding: 'utf8' });
  if (!probe.stderr.includes('[launcher] native')) throw new Error(`bin/provstream did not take the run itself (make build?): ${probe.stderr.trim() || probe.error?.message}`);
  const results: Measured[] = [];
  const loadBefore = loadavg()[0]!;
  try {
    for (const s of scenarios) results.push(await measure(s, runs, dir, env, join(base, 'cpu.txt')));
  } finally {
    rmSync(base, { recursive: true, force: true });
    const admin = createKafka({ brokers, clientId: 'bench-run' }, createRootLogger('silent')).admin();
    await admin.connect().then(() => admin.deleteTopics({ topics: [topic] })).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  // Other work on the machine inflates every process start: the 1-minute load average says how much.
  const load = { before: loadBefore, after: loadavg()[0]! };
  const record = { benchmark: 'run', time: new Date().toISOString(), machine: machineInfo(), load, runs, files: Number(o.files), targetOverheadMs: TARGET_OVERHEAD_MS, results };
  const path = writeResults(repoPath('bench', 'results'), 'run', timestamp(), record);
  if (o.json) return void process.stdout.write(JSON.stringify(record, null, 2) + '\n');
  const m = record.machine;
  const lines = [
    `provstream run overhead — ${m.cores} cores, ${m.cpuModel}, Node ${m.node}, ${runs} runs each (medians), project of ${record.files} files`,
    `load average (1 min) ${load.before.toFixed(1)} before, ${load.after.toFixed(1)} after`,
    '',
    `${'scenario'.padEnd(52)} ${'bare ms'.padStart(8)} ${'wrapped ms'.padStart(11)} ${'overhead ms'.padStart(12)} ${'ratio'.padStart(7)} ${'cpu bare/wrapped ms'.padStart(20)}  target (wall overhead)`,
    ...results.map((x, i) => {
      const verdict = i < 2 ? `≤ ${TARGET_OVERHEAD_MS} ms ${x.overheadMs <= TARGET_OVERHEAD_MS ? 'PASS' : 'MISS'}` : '';
      const cpu = `${x.bareCpuMs.toFixed(0)} / ${x.wrappedCpuMs.toFixed(0)}`;
      return `${x.scenario.padEnd(52)} ${x.bareMedianMs.toFixed(1).padStart(8)} ${x.wrappedMedianMs.toFixed(1).padStart(11)} ${x.overheadMs.toFixed(1).padStart(12)} ${(x.ratio.toFixed(1) + '×').padStart(7)} ${cpu.padStart(20)}  ${verdict}`;
    }),
    '',
    `record: ${path}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-run: failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
