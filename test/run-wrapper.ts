/**
 * Helpers for tests of `provstream run`: run a command bare or under the compiled wrapper and
 * collect its exact bytes and status. Two launchers (`make build` must have run): `native`,
 * bin/provstream (what users run: the Go launcher, which hands runs it does not do itself to the
 * Node wrapper), and `node`, bin/provstream.js (the Node wrapper for every run).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const PROVSTREAM = join(ROOT, 'bin', 'provstream.js');
export const LAUNCHER = join(ROOT, 'bin', 'provstream');
export type Launcher = 'native' | 'node';
export const LAUNCHERS: readonly Launcher[] = ['native', 'node'];

/** The argv prefix of `provstream run` with this launcher. */
export function wrapperArgv(launcher: Launcher = 'native'): string[] {
  return launcher === 'native' ? [LAUNCHER, 'run'] : [process.execPath, PROVSTREAM, 'run'];
}

export interface Finished {
  stdout: Buffer;
  stderr: Buffer;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOpts {
  cwd: string;
  env?: Record<string, string>;
  input?: Buffer | string;
  /** Sends `signal` to the process once its stdout contains `text`. */
  signalWhen?: { text: string; signal: NodeJS.Signals };
  /** For runWrapped (default native). */
  launcher?: Launcher;
}

export function runProcess(argv: readonly string[], o: RunOpts): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let signalled = false;
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      const w = o.signalWhen;
      if (w && !signalled && Buffer.concat(out).includes(w.text)) {
        signalled = true;
        child.kill(w.signal);
      }
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
    child.on('close', (code, signal) => resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, signal }));
  });
}

/** `provstream run <args…>` with the same cwd/env/input. */
export function runWrapped(args: readonly string[], o: RunOpts): Promise<Finished> {
  return runProcess([...wrapperArgv(o.launcher), ...args], o);
}

const created: string[] = [];

/** A throwaway project folder (with `.provstream/`, so it is the project root) and a spill dir outside it. */
export function tempProject(files: Record<string, string> = {}): { dir: string; spill: string } {
  const base = mkdtempSync(join(tmpdir(), 'provstream-run-'));
  created.push(base);
  const dir = join(base, 'project');
  mkdirSync(join(dir, '.provstream'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, spill: join(base, 'spill') };
}

/** Drops the wrapper's own `provstream:` warning lines from stderr (for comparisons with the bare run). */
export function withoutWarnings(stderr: Buffer): Buffer {
  const text = stderr.toString('latin1');
  return Buffer.from(text.split(/(?<=\n)/).filter((l) => !l.startsWith('provstream: ')).join(''), 'latin1');
}

/** Removes every folder `tempProject` made (call in afterAll). */
export function removeTempProjects(): void {
  for (const base of created.splice(0)) rmSync(base, { recursive: true, force: true });
}
