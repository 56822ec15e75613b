/**
 * `provstream run`: the wrapper's flow. The wrapped command's outcome is sacred: preparing the
 * capture and recording it are guarded, so any failure of ours (bad config, unreadable files,
 * a bug) becomes a `provstream:` warning on stderr and the command runs, and ends, as it would
 * without us. Only a usage error of our own options stops before the command starts (exit 2).
 */
import { parseRunArgs, RUN_USAGE } from './core/options.js';
import { loadCaptureConfig } from './config.js';
import { CaptureSession } from './session.js';
import type { Warn } from './session.js';
import { supervise, mirrorExit } from './supervise.js';
import { writeAllSync } from './passthrough.js';
import type { ChildOutcome } from './supervise.js';

async function guarded<T>(warn: Warn, what: string, f: () => Promise<T>): Promise<T | null> {
  try {
    return await f();
  } catch (err) {
    warn(`${what} failed, the command is not affected: ${(err as Error).message}`);
    return null;
  }
}

export async function runCommand(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<never> {
  const parsed = parseRunArgs(args);
  if (!parsed.ok) {
    writeAllSync(2, `provstream: ${parsed.error}\n(provstream run --help for usage)\n`);
    process.exit(2);
  }
  const opts = parsed.options;
  if (opts.help) {
    writeAllSync(1, RUN_USAGE + '\n');
    process.exit(0);
  }
  // Every line of a warning carries the prefix, so tools (and tests) can separate ours from the command's.
  // Never through process.stderr: see passthrough.ts (it would make a shared pipe non-blocking).
  const warn: Warn = opts.quiet ? () => undefined : (msg) => writeAllSync(2, msg.split('\n').map((l) => `provstream: ${l}\n`).join(''));
  // Our own crash must not take the command down with us: report and keep supervising.
  process.on('uncaughtException', (err) => warn(`internal error (the command is not affected): ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => warn(`internal error (the command is not affected): ${String(err)}`));

  const session = await guarded(warn, 'preparing the capture', async () => {
    const { config, problems } = loadCaptureConfig(env);
    for (const p of problems) warn(`environment: ${p} (using the default)`);
    return CaptureSession.prepare(opts, config, env, cwd, warn);
  });
  const outcome: ChildOutcome = await supervise(opts.command, {
    piped: session?.piped ?? new Set(),
    onOutput: (stream, chunk) => {
      try {
        session?.output(stream, chunk);
      } catch (err) {
        warn(`reading metrics: ${(err as Error).message}`);
      }
    },
    onSpawn: () => session?.started(),
  });
  if (outcome.spawnError) writeAllSync(2, `provstream: ${outcome.spawnError}\n`);
  if (session) await guarded(warn, 'recording the run', () => session.finish(outcome));
  mirrorExit(outcome);
}
