/**
 * Runs the wrapped command so that it behaves exactly as it would without the wrapper.
 *
 * - stdin is inherited (the wrapper never reads it). stdout / stderr are inherited too, unless a
 *   metric extractor reads them: then they are pipes whose chunks are written through to the
 *   wrapper's own stdout / stderr at once, byte for byte, before anything looks at them (the
 *   child then sees a pipe instead of a terminal; see README "Exactness").
 * - Written through with plain writes to fd 1 / 2 (passthrough.ts: never process.stdout, whose
 *   creation would make a shared pipe non-blocking under the command). Backpressure is kept:
 *   while a write is pending the child's pipe is paused. When our stdout's reader goes away
 *   (EPIPE, e.g. `| head`), we fail only when writing through what the child just wrote, so the
 *   child gets the SIGPIPE that write would have raised, and our end is closed (a child that
 *   ignores SIGPIPE sees its next write fail). Node's "pipes" are Unix socket pairs: a piped
 *   child sees a socket, not a FIFO or terminal (README "Exactness").
 * - Signals sent to the wrapper (SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM)
 *   are forwarded to the child. When the wrapper runs on a terminal (stdin is a TTY), SIGINT,
 *   SIGQUIT and SIGHUP are NOT forwarded: the terminal already sent them to the whole foreground
 *   process group, child included, and a second copy would make e.g. Python abort its own
 *   Ctrl-C handling. The wrapper keeps running until the child is gone.
 * - The outcome (exit code or signal) is mirrored by `mirrorExit` once the caller is done.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { isatty } from 'node:tty';
import type { OutputStream } from './core/extract.js';
import { FdWriter } from './passthrough.js';

export interface ChildOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started (exitCode is then 127 or 126, as a shell says). */
  spawnError: string | null;
  startTime: number;
  endTime: number;
}

export interface SuperviseOptions {
  /** Streams to pipe through (for the extractors); the others are inherited. */
  piped: ReadonlySet<OutputStream>;
  /** Called with every chunk of a piped stream, after it was written through. Must not throw. */
  onOutput?: (stream: OutputStream, chunk: Buffer) => void;
  /** Called once the child is running (e.g. to start loading what the end of the run needs). */
  onSpawn?: (child: ChildProcess) => void;
}

export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
const TERMINAL_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGHUP']);
/** How long output may still arrive on the pipes after the command exited. */
const EXIT_GRACE_MS = 500;

export function supervise(argv: readonly string[], opts: SuperviseOptions): Promise<ChildOutcome> {
  const startTime = Date.now();
  const interactive = isatty(0);
  return new Promise((resolve) => {
    let child: ChildProcess;
    const handlers = new Map<NodeJS.Signals, () => void>();
    const cleanup = () => {
      for (const [sig, h] of handlers) process.removeListener(sig, h);
    };
    const done = (o: Omit<ChildOutcome, 'startTime' | 'endTime'>) => {
      cleanup();
      resolve({ ...o, startTime, endTime: Math.max(startTime, Date.now()) });
    };
    try {
      child = spawn(argv[0]!, argv.slice(1), {
        stdio: ['inherit', opts.piped.has('stdout') ? 'pipe' : 'inherit', opts.piped.has('stderr') ? 'pipe' : 'inherit'],
      });
    } catch (err) {
      return done(spawnFailure(argv[0]!, err as NodeJS.ErrnoException));
    }
    for (const sig of FORWARDED_SIGNALS) {
      const h = () => {
        if (interactive && TERMINAL_SIGNALS.has(sig)) return;
        try {
          child.kill(sig);
        } catch {
          /* already gone */
        }
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    let failed: Omit<ChildOutcome, 'startTime' | 'endTime'> | null = null;
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only a failure to start ends the run here; later errors (a failed kill) change nothing.
      if (child.pid === undefined) failed = spawnFailure(argv[0]!, err);
    });
    const activity = { last: Date.now() };
    const writers = [pipeThrough(child, 'stdout', 1, opts, activity), pipeThrough(child, 'stderr', 2, opts, activity)];
    if (child.pid !== undefined) opts.onSpawn?.(child);
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      // Everything read from the command is written through before the wrapper may exit.
      void Promise.all(writers.map((w) => w?.idle())).then(() => done(failed ?? { exitCode: code, signal, spawnError: null }));
    };
    child.once('close', finish);
    // A background process of the command may keep the piped streams open after the command
    // exited; a shell would not wait for it, so neither do we once the streams have been quiet
    // for EXIT_GRACE_MS (counted from the last chunk written through, so a slow reader of our
    // stdout never makes us leave output behind).
    child.once('exit', (code, signal) => {
      const check = () => {
        const quiet = Date.now() - activity.last;
        if (quiet >= EXIT_GRACE_MS) finish(code, signal);
        else setTimeout(check, EXIT_GRACE_MS - quiet).unref();
      };
      setTimeout(check, EXIT_GRACE_MS).unref();
    });
  });
}

function spawnFailure(program: string, err: NodeJS.ErrnoException): Omit<ChildOutcome, 'startTime' | 'endTime'> {
  const notFound = err.code === 'ENOENT';
  return { exitCode: notFound ? 127 : 126, signal: null, spawnError: `${program}: ${notFound ? 'command not found' : err.message}` };
}

function pipeThrough(child: ChildProcess, name: OutputStream, fd: number, opts: SuperviseOptions, activity: { last: number }): FdWriter | null {
  const from = child[name];
  if (!from) return null;
  const writer = new FdWriter(fd, (gone) => {
    activity.last = Date.now();
    if (!gone) return;
    // Our write failed because the command wrote after its reader left: without us, that write
    // would have raised SIGPIPE in the command. Raise it, then close our end so that a command
    // ignoring SIGPIPE gets an error on its next write (ECONNRESET/EPIPE).
    try {
      child.kill('SIGPIPE');
    } catch {
      /* already gone */
    }
    from.destroy();
  });
  from.on('data', (chunk: Buffer) => {
    activity.last = Date.now();
    if (!writer.push(chunk)) {
      from.pause();
      void writer.idle().then(() => from.resume());
    }
    opts.onOutput?.(name, chunk);
  });
  from.on('error', () => undefined);
  return writer;
}

/** The number of a signal (SIGTERM → 15), for exit codes 128 + n. */
export function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/**
 * Ends the wrapper the way the child ended: the same exit code, or the same signal re-raised on
 * itself (listeners removed first, so the default action — terminate — happens and the shell
 * sees "killed by SIGTERM"). Node ignores SIGPIPE and uses SIGUSR1 for its debugger; for those
 * (and if the signal does not end us) it exits with 128 + n, what a shell reports for them.
 */
export function mirrorExit(outcome: ChildOutcome): never {
  if (outcome.signal) {
    const sig = outcome.signal;
    if (sig !== 'SIGPIPE' && sig !== 'SIGUSR1') {
      process.removeAllListeners(sig);
      try {
        process.kill(process.pid, sig);
      } catch {
        /* fall through to the exit code */
      }
      // A pending signal is delivered at once; if we are still here, it did not end us.
      const until = Date.now() + 200;
      while (Date.now() < until) {
        /* give the kernel a moment */
      }
    }
    process.exit(128 + signalNumber(sig));
  }
  process.exit(outcome.exitCode ?? 1);
}
