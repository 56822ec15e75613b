/**
 * One capture around one wrapped command: what is known before it starts (prepare), what its
 * output yields while it runs, and what it changed after it ended (finish). Every method reports
 * its problems through `warn` and none may change the command's outcome (run.ts guards them).
 *
 * Before the command: config, project root, extractors, the "before" scan, declared inputs
 * (hashed now: they are read as they are at the start). While it runs: output lines → metric
 * points; 200 ms after the start, and every second after that, new events are handed to the
 * background deliverer (so a long run shows up RUNNING with live metrics). After it ends: the
 * "after" scan, outputs, fileviews, the final activity state, the state file, the hand-off.
 */
import { join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ChildOutcome } from './supervise.js';
import type { RunOptions } from './core/options.js';
import { parseParams } from './core/params.js';
import { activityName, commandLine } from './core/naming.js';
import { DEFAULT_ENV_SELECTION, selectEnvironment } from './core/environment.js';
import { compileExtractors, MetricScanner, streamsRead } from './core/extract.js';
import type { ExtractorSpec, OutputStream } from './core/extract.js';
import { LineSplitter } from './core/lines.js';
import { diffTrees, sameFile } from './core/tree-diff.js';
import type { FileStat } from './core/tree-diff.js';
import { mergeState } from './core/versions.js';
import type { ArtifactState } from './core/versions.js';
import type { ProjectConfig } from './core/project-config.js';
import type { CaptureConfig } from './config.js';
import { findProjectRoot, loadProjectConfig, resolveProject, STATE_DIR } from './project.js';
import { scanTree } from './tree.js';
import type { Scan } from './tree.js';
import { loadState, saveState } from './state.js';
import { expandGlobs, versionFiles, artifactName } from './files.js';
import type { FileVersion } from './files.js';
import { resolveAgent } from './agent.js';
import type { AgentInfo } from './agent.js';
import { RunFacts, newActivityId } from './facts.js';
import type { RunIdentity, TimedPoint } from './facts.js';
import { PendingLog, newRunUuid, runSpillDir, startDeliverer, SPILL_FILE } from './pending.js';

const FIRST_FLUSH_MS = 200;
const FLUSH_EVERY_MS = 1000;

export type Warn = (msg: string) => void;

/** What is known before the command starts. */
interface Prepared {
  opts: RunOptions;
  cfg: CaptureConfig;
  project: ProjectConfig;
  env: NodeJS.ProcessEnv;
  root: string;
  identity: Omit<RunIdentity, 'agent'>;
  agentName: string | null;
  projectName: string;
  /** Ignore globs of the scans (config, flags, and the spill dir when it is inside the root). */
  ignore: string[];
  before: Scan | null;
  declaredBefore: ReadonlyMap<string, FileStat>;
  inputs: FileVersion[];
  state: ArtifactState;
  extractors: ExtractorSpec[];
}

export class CaptureSession {
  readonly piped: ReadonlySet<OutputStream>;
  private readonly scanner: MetricScanner;
  private readonly splitters = new Map<OutputStream, LineSplitter>();
  /** Points read but not yet recorded (recorded ones are dropped: a long run may print millions). */
  private points: TimedPoint[] = [];
  private readonly log: PendingLog;
  private facts: RunFacts | null = null;
  private timer: NodeJS.Timeout | undefined;
  private state: ArtifactState;

  private constructor(
    private readonly p: Prepared,
    private readonly warn: Warn,
  ) {
    this.state = mergeState(p.state, p.inputs);
    const compiled = compileExtractors(p.extractors);
    if (!compiled.ok) for (const problem of compiled.problems) warn(`metric extractor ${problem} (extractors are off for this run)`);
    const list = compiled.ok ? compiled.extractors : [];
    this.scanner = new MetricScanner(list);
    this.piped = streamsRead(list);
    for (const stream of this.piped) this.splitters.set(stream, new LineSplitter());
    this.log = new PendingLog(p.projectName);
  }

  static async prepare(opts: RunOptions, cfg: CaptureConfig, env: NodeJS.ProcessEnv, cwd: string, warn: Warn): Promise<CaptureSession> {
    const root = findProjectRoot(cwd);
    const loaded = await loadProjectConfig(root, opts.config, cwd);
    for (const problem of loaded.problems) warn(`config: ${problem} (using defaults)`);
    const pc = loaded.config;
    const ignore = [...pc.ignore, ...opts.ignore];
    const spillRel = artifactName(root, resolve(cfg.spillDir));
    if (!spillRel.startsWith('/')) ignore.push(`${spillRel}/**`);
    let before: Scan | null = null;
    if (opts.scan && pc.scan) {
      before = await scanTree(root, { ignore, maxFiles: pc.maxScanFiles });
      if (!before.complete) {
        warn(`more than ${pc.maxScanFiles} files under ${root}: outputs are not detected by scanning this time (set maxScanFiles or ignore in .provstream/config.yaml, or declare --out)`);
        before = null;
      }
    }
    const state = loadState(root);
    const declared = await expandGlobs([{ patterns: pc.inputs, cwd: root }, { patterns: opts.inputs, cwd }]);
    for (const u of declared.unmatched) warn(`input ${JSON.stringify(u)} matches no file`);
    const inputs = await versionFiles(root, declared.files, state);
    const extractors: ExtractorSpec[] = [...pc.metrics];
    const stream = opts.metricStream ?? 'both';
    for (const pattern of opts.metricRegex) extractors.push({ kind: 'regex', pattern, stream });
    if (opts.metricJsonl) extractors.push({ kind: 'jsonl', stream });
    const waiting = join(runSpillDir(cfg.spillDir), SPILL_FILE);
    if (existsSync(waiting)) warn(`${statSync(waiting).size} bytes of events of earlier runs still wait for Kafka (${cfg.kafkaBrokers.join(',')}) in ${waiting}`);
    const declaredBefore = await statAll((await expandGlobs(outputGlobs(pc, opts, root, cwd))).files);
    const identity = {
      activityId: newActivityId(newRunUuid()),
      name: opts.name ?? activityName(opts.command),
      command: commandLine(opts.command),
      params: { ...parseParams(opts.command.slice(1)), ...opts.params },
      env: selectEnvironment(env, [...DEFAULT_ENV_SELECTION, ...pc.env, ...opts.env], pc.secretWords),
      workdir: cwd,
      startTime: Date.now(),
    };
    return new CaptureSession(
      {
        opts, cfg, project: pc, env, root, identity, ignore, before, declaredBefore, inputs, state, extractors,
        projectName: resolveProject([opts.project, cfg.project, pc.project], root, warn),
        agentName: opts.agent ?? cfg.agent ?? pc.agent,
      },
      warn,
    );
  }

  get activityId(): string {
    return this.p.identity.activityId;
  }

  /** Every chunk of a piped stream (already written through). */
  output(stream: OutputStream, chunk: Buffer): void {
    const lines = this.splitters.get(stream)?.push(chunk) ?? [];
    this.scan(stream, lines);
  }

  private scan(stream: OutputStream, lines: readonly string[]): void {
    if (lines.length === 0) return;
    const time = Date.now();
    for (const line of lines) for (const p of this.scanner.line(stream, line)) this.points.push({ ...p, time });
  }

  private agentLookup: Promise<AgentInfo> | undefined;

  /** Who runs the command; a git lookup (a process) starts only once the command runs. */
  private agent(): Promise<AgentInfo> {
    return (this.agentLookup ??= resolveAgent(this.p.agentName, this.p.identity.workdir, this.p.env));
  }

  /** The command is running: schedule the hand-offs of the start facts and of live metrics. */
  started(): void {
    void this.agent();
    const tick = () => {
      void this.handOff().catch((err: unknown) => this.warn(`handing events to the deliverer: ${(err as Error).message}`));
      this.timer = setTimeout(tick, FLUSH_EVERY_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, FIRST_FLUSH_MS);
    this.timer.unref();
  }

  private async startFacts(): Promise<RunFacts> {
    if (this.facts) return this.facts;
    const facts = new RunFacts(this.log, { ...this.p.identity, agent: await this.agent() });
    if (this.facts) return this.facts; // started meanwhile by another caller
    facts.start(this.p.inputs);
    this.facts = facts;
    return facts;
  }

  private recordPoints(facts: RunFacts): void {
    const points = this.points;
    this.points = [];
    for (const p of points) facts.metric(p);
  }

  private async handOff(): Promise<void> {
    const facts = await this.startFacts();
    this.recordPoints(facts);
    if (this.log.size === 0) return;
    this.log.flush(this.p.cfg.spillDir);
    startDeliverer(this.p.cfg.spillDir, this.p.env);
  }

  /** After the command ended (all its output read): record the rest and hand it off. */
  async finish(outcome: ChildOutcome): Promise<void> {
    clearTimeout(this.timer);
    for (const [stream, splitter] of this.splitters) this.scan(stream, splitter.end());
    const facts = await this.startFacts();
    this.recordPoints(facts);
    const endTime = Math.max(outcome.endTime, this.p.identity.startTime + 1); // the final state must be the latest
    const { fresh: outputs, all } = await this.outputs(facts);
    for (const o of outputs) facts.output(o, endTime);
    await this.fileviews(facts, [...this.p.inputs.filter((v) => v.isNew), ...outputs], endTime);
    facts.finish(outcome, endTime);
    saveState(this.p.root, [...this.p.inputs, ...all]);
    const file = this.log.flush(this.p.cfg.spillDir);
    if (!this.p.opts.wait) return startDeliverer(this.p.cfg.spillDir, this.p.env);
    const timeoutMs = this.p.opts.flushTimeoutMs ?? this.p.project.flushTimeoutMs;
    const { deliverPending } = await import('./deliver.js');
    await deliverPending(this.p.cfg, { timeoutMs, lingerMs: 0, waitForLockMs: timeoutMs, warn: this.warn, ownFiles: file ? [file] : [] });
  }

  /**
   * Changed files: created or modified according to the scan, and declared outputs that are new
   * or whose size/mtime changed since the start. `fresh` are new versions; `all` also holds files
   * rewritten with their known content (not new versions; their size/mtime go to the state).
   */
  private async outputs(facts: RunFacts): Promise<{ fresh: FileVersion[]; all: FileVersion[] }> {
    const candidates = new Set<string>();
    if (this.p.before) {
      const after = await scanTree(this.p.root, { ignore: this.p.ignore, maxFiles: this.p.project.maxScanFiles * 2 });
      if (!after.complete) this.warn('the tree grew too large to compare after the run: only declared outputs are captured');
      else {
        const diff = diffTrees(this.p.before.files, after.files);
        for (const rel of [...diff.created, ...diff.modified]) candidates.add(resolve(this.p.root, rel));
        facts.deleted(diff.deleted);
      }
    }
    const declared = await statAll((await expandGlobs(outputGlobs(this.p.project, this.p.opts, this.p.root, this.p.identity.workdir))).files);
    for (const [path, st] of declared) {
      const old = this.p.declaredBefore.get(path);
      if (!old || !sameFile(old, st)) candidates.add(path);
    }
    const all = await versionFiles(this.p.root, [...candidates].sort(), this.state);
    this.state = mergeState(this.state, all);
    return { fresh: all.filter((v) => v.isNew), all };
  }

  private async fileviews(facts: RunFacts, targets: readonly FileVersion[], time: number): Promise<void> {
    if (targets.length === 0 || !existsSync(join(this.p.root, STATE_DIR, 'fileviews.json'))) return;
    // Loaded only when the project has fileviews (start-up time is the command's delay).
    const [{ loadRegistry, activeViews }, { evaluateViews, recordViewResult }] = await Promise.all([import('../fileview/registry.js'), import('../fileview/evaluate.js')]);
    const views = activeViews(loadRegistry(this.p.root));
    if (views.length === 0) return;
    const results = await evaluateViews(views, targets.map((t) => ({ artifact: t.artifact, path: t.path, entityId: t.id })), this.p.root, this.p.env);
    for (const r of results) {
      if (r.error) this.warn(`fileview ${r.view.name} on ${r.target.artifact}: ${r.error}`);
      recordViewResult(facts, r, time);
    }
  }
}

function outputGlobs(pc: ProjectConfig, opts: RunOptions, root: string, cwd: string) {
  return [{ patterns: pc.outputs, cwd: root }, { patterns: opts.outputs, cwd }];
}

async function statAll(paths: readonly string[]): Promise<Map<string, FileStat>> {
  const out = new Map<string, FileStat>();
  for (const p of paths) {
    try {
      const s = await stat(p);
      if (s.isFile()) out.set(p, { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
    } catch {
      /* vanished */
    }
  }
  return out;
}
