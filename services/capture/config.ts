/**
 * Configuration of `provstream run` and its event deliverer from the environment: the only
 * capture code that reads process.env. Unlike the services, a problem here never stops the
 * wrapped command: `loadCaptureConfig` returns usable defaults together with the problems, and
 * the wrapper prints them as warnings.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EnvReader, DEFAULT_URLS } from '../lib/config.js';
import type { Env } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';

export interface CaptureConfig {
  kafkaBrokers: string[];
  eventsTopic: string;
  /** From $PROVSTREAM_PROJECT; null: the project config or the root folder's name decides. */
  project: string | null;
  /** From $PROVSTREAM_AGENT; null: the project config or git's user.name decides. */
  agent: string | null;
  /** Root of undelivered events; the wrapper uses `<spillDir>/run/` (see deliver.ts). */
  spillDir: string;
  /** How long the background deliverer waits for Kafka before spilling (ms). */
  deliverTimeoutMs: number;
}

export function loadCaptureConfig(env: Env): { config: CaptureConfig; problems: string[] } {
  const read = (e: Env): CaptureConfig => {
    const r = new EnvReader(e);
    const cfg: CaptureConfig = {
      kafkaBrokers: r.brokers('KAFKA_BROKERS', DEFAULT_URLS.kafkaBrokers),
      eventsTopic: r.string('PROVSTREAM_TOPIC', DEFAULT_URLS.eventsTopic),
      project: e['PROVSTREAM_PROJECT'] || null,
      agent: e['PROVSTREAM_AGENT'] || null,
      spillDir: r.string('PROVSTREAM_SPILL_DIR', join(e['HOME'] || homedir(), '.provstream', 'spill')),
      deliverTimeoutMs: r.int('PROVSTREAM_DELIVER_TIMEOUT_MS', 5000, 0, 600_000),
    };
    r.done();
    return cfg;
  };
  try {
    return { config: read(env), problems: [] };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { config: read({ HOME: env['HOME'] }), problems: err.problems };
  }
}

/** The process environment (for main.ts and the deliverer's entry). */
export function processEnv(): Env {
  return process.env;
}
