/**
 * The `command` transform: `/bin/sh -c <command> fileview <path>` with the file on stdin, its
 * path in $1 and $PROVSTREAM_FILE, in the project root. Its stdout (at most 64 MiB) is parsed by
 * core/transform.ts `parseCommandOutput`. A non-zero exit, a signal or the time limit is an error.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { parseCommandOutput, TransformError } from './core/transform.js';
import type { Row, Transform } from './core/definition.js';

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function runCommandView(t: Extract<Transform, { kind: 'command' }>, path: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const stdin = openSync(path, 'r');
    const child = spawn('/bin/sh', ['-c', t.command, 'fileview', path], { cwd, stdio: [stdin, 'pipe', 'pipe'], env: { ...env, PROVSTREAM_FILE: path }, timeout: t.timeoutMs ?? 10_000 });
    closeSync(stdin);
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else out.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', (e) => reject(new TransformError(`command view could not start: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (size > MAX_OUTPUT_BYTES) return reject(new TransformError(`command output is over ${MAX_OUTPUT_BYTES} bytes`));
      if (code !== 0) return reject(new TransformError(`command ${JSON.stringify(t.command)} ended with ${signal ?? `exit code ${code}`}${err.trim() ? `: ${err.trim().split('\n').slice(-1)[0]}` : ''}`));
      try {
        resolve(parseCommandOutput(Buffer.concat(out).toString('utf8'), t.output ?? 'jsonl'));
      } catch (e) {
        reject(e);
      }
    });
  });
}
