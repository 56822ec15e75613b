/**
 * Graceful shutdown for a service process: the first SIGINT or SIGTERM runs `stop` once and
 * exits 0 when it resolves (1 when it rejects, after logging why); later signals are ignored
 * while stopping. Composition roots (services/<name>/main.ts) call it after starting.
 */
import type { Logger } from './log.js';
import { errorMessage } from './errors.js';

export function stopOnSignals(stop: () => Promise<void>, log: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'signal received');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}
