/**
 * Raw run records of the native launcher (services/capture/native, `bin/provstream run`): what
 * it observed of a run, turned here into the run's provenance events with the same code as the
 * Node wrapper (session.ts): activity name, command line and parameters from the argv, the agent,
 * the project, version numbers and `wasRevisionOf` from the state file, which is updated too.
 *
 * The launcher writes records into `<spillDir>/run/raw/` (atomically; names sort in write order)
 * and starts the deliverer, which calls `convertRawRecords` before each round of pending files,
 * holding the deliverer lock: records are converted one at a time, in order, so version numbers
 * follow the order in which runs ended. A record is deleted once its events are a pending file;
 * a crash between the two sends the run's events twice (at-least-once, as pending files). A
 * record that cannot be read is moved to `raw/rejected/` with a warning, never retried forever.
 *
 * Kinds: "start" (written 200 ms into a run that is still going: agent, activity RUNNING,
 * inputs) and "end" (everything; `startRecorded` says whether the start was handed off already).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseParams } from './core/params.js';
import { activityName, commandLine } from './core/naming.js';
import { mergeState, versionOf } from './core/versions.js';
import type { ArtifactState } from './core/versions.js';
import { loadState, saveState } from './state.js';
import { resolveProject } from './project.js';
import { resolveAgent } from './agent.js';
import { RunFacts, newActivityId } from './facts.js';
import type { RunOutcome } from './facts.js';
import type { FileVersion } from './files.js';
import { PendingLog, runSpillDir } from './pending.js';

export const RAW_RECORD_VERSION = 1;

export interface RawFile {
  path: string;
  artifact: string;
  hash: string;
  size: number;
  mtimeMs: number;
}

export interface RawRecord {
  v: number;
  kind: 'start' | 'end';
  launcher: string;
  runUuid: string;
  argv: string[];
  cwd: string;
  root: string;
  name: string | null;
  params: Record<string, string>;
  /** --project, $PROVSTREAM_PROJECT, the config's project: the first set wins. */
  projects: Array<string | null>;
  /** --agent, $PROVSTREAM_AGENT, the config's agent: the first set wins. */
  agents: Array<string | null>;
  /** The recorded selection of the environment, secrets already redacted by the launcher. */
  env: Record<string, string>;
  /** HOME, XDG_CONFIG_HOME and GIT_* steering variables: where git's user is looked up. */
  agentEnv: Record<string, string>;
  startTime: number;
  inputs: RawFile[];
  startRecorded?: boolean;
  outcome?: RunOutcome & { endTime: number };
  outputs?: RawFile[];
  deleted?: string[];
}

export function rawDir(spillDir: string): string {
  return join(runSpillDir(spillDir), 'raw');
}

export function rawFiles(spillDir: string): string[] {
  try {
    return readdirSync(rawDir(spillDir))
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .sort()
      .map((f) => join(rawDir(spillDir), f));
  } catch {
    return [];
  }
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

function checkRecord(r: RawRecord): string | null {
  if (r.v !== RAW_RECORD_VERSION) return `record version ${JSON.stringify(r.v)}, this deliverer reads ${RAW_RECORD_VERSION} (rebuild: make build)`;
  if (r.kind !== 'start' && r.kind !== 'end') return `unknown kind ${JSON.stringify(r.kind)}`;
  if (!Array.isArray(r.argv) || r.argv.length === 0 || typeof r.cwd !== 'string' || typeof r.root !== 'string' || typeof r.runUuid !== 'string') return 'argv, cwd, root or runUuid missing';
  if (r.kind === 'end' && !r.outcome) return 'an end record without an outcome';
  return null;
}

/** The run's events, in the order the Node wrapper records them. Updates the state file. */
export async function convertRecord(r: RawRecord, spillDir: string, warn: (msg: string) => void): Promise<string | null> {
  const project = resolveProject(r.projects ?? [], r.root, warn);
  const log = new PendingLog(project);
  const env: Record<string, string> = {};
  for (const k of Object.keys(r.env ?? {}).sort()) env[k] = r.env[k]!;
  const agent = await resolveAgent(r.agents?.find((a): a is string => !!a) ?? null, r.cwd, r.agentEnv ?? {});
  const facts = new RunFacts(log, {
    activityId: newActivityId(r.runUuid),
    name: r.name ?? activityName(r.argv),
    command: commandLine(r.argv),
    params: { ...parseParams(r.argv.slice(1)), ...r.params },
    env,
    workdir: r.cwd,
    startTime: r.startTime,
    agent,
  });
  const state: ArtifactState = loadState(r.root);
  const versioned = (files: readonly RawFile[] | undefined, s: ArtifactState): FileVersion[] =>
    [...(files ?? [])].sort(byPath).map((f) => ({ ...versionOf(s, f.artifact, f.hash, f.size, f.mtimeMs), path: f.path }));
  const inputs = versioned(r.inputs, state);
  if (r.kind === 'start' || !r.startRecorded) facts.start(inputs);
  if (r.kind === 'start') {
    saveState(r.root, inputs);
    return log.flush(spillDir);
  }
  const o = r.outcome!;
  const endTime = Math.max(o.endTime, r.startTime + 1); // the final state must be the latest
  facts.deleted([...(r.deleted ?? [])].sort(), endTime);
  const all = versioned(r.outputs, mergeState(state, inputs));
  for (const v of all) if (v.isNew) facts.output(v, endTime);
  facts.finish(o, endTime);
  saveState(r.root, [...inputs, ...all]);
  return log.flush(spillDir);
}

/** Converts every waiting record, oldest first; returns how many were converted. */
export async function convertRawRecords(spillDir: string, warn: (msg: string) => void): Promise<number> {
  let n = 0;
  for (const file of rawFiles(spillDir)) {
    let record: RawRecord;
    let problem: string | null;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as RawRecord;
      problem = checkRecord(record);
    } catch (err) {
      problem = (err as Error).message;
    }
    if (!problem) {
      try {
        await convertRecord(record!, spillDir, warn);
        rmSync(file, { force: true });
        n++;
        continue;
      } catch (err) {
        problem = `converting it failed: ${(err as Error).message}`;
      }
    }
    // Kept, not retried: a record that fails every time would otherwise hold up every later run.
    const rejected = join(rawDir(spillDir), 'rejected');
    mkdirSync(rejected, { recursive: true });
    renameSync(file, join(rejected, file.slice(file.lastIndexOf('/') + 1)));
    warn(`run record ${file}: ${problem}; moved to ${rejected}`);
  }
  return n;
}
