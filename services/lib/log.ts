import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/**
 * The one root logger of a process; modules take `root.child({ module })`. JSON lines on stderr
 * (stdout stays free for command output). Level from the service config (LOG_LEVEL).
 */
export function createRootLogger(level: string, name = 'provstream'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
}

/** Event names as constants, so logs can be searched by them. */
export const LogEvents = {
  serviceStarted: 'service.started',
  serviceStopping: 'service.stopping',
  serviceStopped: 'service.stopped',
  batchCommitted: 'ingest.batch.committed',
  batchRetry: 'ingest.batch.retry',
  deadLetter: 'ingest.dead_letter',
  migrationApplied: 'clickhouse.migration.applied',
  emitterBuffering: 'emitter.buffering',
  emitterSpilled: 'emitter.spilled',
  emitterDelivered: 'emitter.delivered',
} as const;
