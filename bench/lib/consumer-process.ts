/**
 * Runs the product's ingest consumer as a separate process, exactly as it is deployed:
 * `bin/provstream.js ingest`, configured only through its env (services/ingest/config.ts).
 *
 * Why a child process rather than `startIngest` in-process: on this 2-core machine the SDK
 * (validate + Avro-encode + gzip) and the consumer (decode + validate + JSON rows + HTTP inserts)
 * are both CPU-bound JavaScript. In one process they would share one event loop and each would
 * slow the other down in a way no deployment does; as two processes the OS schedules them on
 * both cores, like a producer host and an ingest host would be (the services share the cores too).
 *
 * Its pino log (JSON lines on stderr) is copied to a log file; readiness is the
 * `service.started` log event and the final counters come from `service.stopped`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { repoPath } from '../../services/lib/paths.js';
import { LogEvents } from '../../services/lib/log.js';

export interface ConsumerProcess {
  readonly pid: number;
  /** Counters from the consumer's last progress or stop log line ({batches, events, deadLetters, retries, insertGroups}). */
  readonly lastStats: Record<string, number>;
  /** False once the process has exited (a crash mid-benchmark is an error, not a slow run). */
  alive(): boolean;
  /** SIGTERM, then waits for a clean exit (SIGKILL after `timeoutMs`). Safe to call twice. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface ConsumerProcessOptions {
  /** Env for the child on top of the parent's (KAFKA_BROKERS, CLICKHOUSE_DATABASE, ...). */
  env: Record<string, string>;
  logFile: string;
  readyTimeoutMs?: number;
  onWarning?: (line: string) => void;
  /** The CLI command to run (default `ingest`; the monitor benchmark runs `monitor`, the gateway benchmark `gateway`). */
  command?: 'ingest' | 'monitor' | 'gateway';
  /** Numeric log fields collected into lastStats (default: the ingest consumer's counters). */
  statKeys?: readonly string[];
}

const STAT_KEYS = ['batches', 'events', 'deadLetters', 'retries', 'insertGroups'];

export function startConsumerProcess(opts: ConsumerProcessOptions): Promise<ConsumerProcess> {
  // The `provstream` command as users run it (its shebang carries the service's Node flags).
  const entry = repoPath('bin', 'provstream.js');
  const command = opts.command ?? 'ingest';
  const statKeys = opts.statKeys ?? STAT_KEYS;
  const child: ChildProcess = spawn(entry, [command], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile);
  log.on('error', () => undefined); // the log copy is a convenience; never crash the benchmark for it
  const lastStats: Record<string, number> = {};
  const tail: string[] = [];
  let exited: Promise<void> | undefined;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // If this process dies without stopping the consumer (uncaught error), do not leave it orphaned.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exit.then(() => process.removeListener('exit', killOnExit));

  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${command} process did not start within ${opts.readyTimeoutMs ?? 60_000} ms; see ${opts.logFile}`));
    }, opts.readyTimeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start the ${command} process (${entry}): ${err.message}; run make build`));
    });
    void exit.then((code) => {
      log.end();
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`the ${command} process exited with code ${code} before it was ready:\n${tail.join('\n')}`));
    });
    createInterface({ input: child.stderr! }).on('line', (text) => {
      log.write(text + '\n');
      tail.push(text);
      if (tail.length > 20) tail.shift();
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return;
      }
      for (const k of statKeys) if (typeof entry[k] === 'number') lastStats[k] = entry[k];
      if (typeof entry['level'] === 'number' && entry['level'] >= 40) opts.onWarning?.(String(entry['msg'] ?? text));
      if (entry['event'] === LogEvents.serviceStarted && !ready) {
        ready = true;
        clearTimeout(timer);
        resolve({
          pid: child.pid!,
          lastStats,
          alive: () => child.exitCode === null && child.signalCode === null,
          stop(timeoutMs = 20_000) {
            exited ??= (async () => {
              if (child.exitCode !== null || child.signalCode !== null) return;
              child.kill('SIGTERM');
              const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
              await exit;
              clearTimeout(kill);
            })();
            return exited;
          },
        });
      }
    });
  });
}
