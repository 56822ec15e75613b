/**
 * Entry of the background deliverer process that `provstream run` starts (pending.ts
 * `startDeliverer`): delivers the pending files, appends its warnings to
 * `<spillDir>/run/deliver.log` (it has no terminal), and exits 0 (1 only on a crash).
 */
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCaptureConfig, processEnv } from './config.js';
import { deliverPending } from './deliver.js';
import { runSpillDir } from './pending.js';

const MAX_LOG_BYTES = 1024 * 1024;

const { config } = loadCaptureConfig(processEnv());
const log = join(runSpillDir(config.spillDir), 'deliver.log');
const warn = (msg: string) => {
  try {
    mkdirSync(runSpillDir(config.spillDir), { recursive: true });
    let big = false;
    try {
      big = statSync(log).size > MAX_LOG_BYTES;
    } catch {
      /* no log yet */
    }
    const line = `${new Date().toISOString()} pid ${process.pid}: ${msg}\n`;
    if (big) writeFileSync(log, line);
    else appendFileSync(log, line);
  } catch {
    /* nowhere to report */
  }
};

deliverPending(config, { timeoutMs: config.deliverTimeoutMs, lingerMs: 2000, waitForLockMs: 0, warn }).then(
  () => process.exit(0),
  (err: unknown) => {
    warn(`deliverer failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
