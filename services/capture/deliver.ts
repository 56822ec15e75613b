/**
 * The deliverer: sends the wrapper's pending files (pending.ts) to Kafka with the emitter SDK.
 *
 * One deliverer at a time per spill dir (lock file `<spillDir>/run/deliver.lock` holding its
 * pid; a lock whose process is gone is taken over). It sends the pending files in name order,
 * each event with the key the wrapper chose, waits for Kafka (`timeoutMs`), and only then
 * deletes the files. When Kafka does not answer in time, the SDK keeps the undelivered events
 * in its spill file (`<spillDir>/run/provstream-spill.log`) and the files are deleted: the next
 * deliverer sends the spill first, in order. A deliverer killed half-way leaves its files, which
 * are sent again later (at-least-once; ingest collapses repeats by event id).
 *
 * Before each round it turns the native launcher's raw run records into pending files (raw.ts).
 * After the folder is empty it lingers (`lingerMs`) for files of runs still going on, then
 * releases the lock and looks once more, so a file written while it was leaving is not missed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureConfig } from './config.js';
import { lockPath, pendingDir, runSpillDir, SPILL_FILE } from './pending.js';
import type { PendingLine } from './pending.js';
import { sleep } from '../lib/retry.js';
import { convertRawRecords, rawFiles } from './raw.js';

export interface DeliveryReport {
  /** false: another deliverer holds the lock (it will send these files). */
  ran: boolean;
  files: number;
  sent: number;
  rejected: number;
  /** true: everything sent was acknowledged by Kafka; false: some is in the spill file. */
  delivered: boolean;
}

export interface DeliverOptions {
  timeoutMs: number;
  lingerMs: number;
  /** How long to wait for another deliverer's lock before leaving the work to it. */
  waitForLockMs: number;
  /**
   * The caller's own pending files (`--wait`): when another deliverer holds the lock, it takes
   * them within its next poll; waiting for them to disappear is then as good as delivering.
   */
  ownFiles?: readonly string[];
  warn: (msg: string) => void;
}

function tryLock(spillDir: string): boolean {
  const file = lockPath(spillDir);
  mkdirSync(runSpillDir(spillDir), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim() || 'NaN');
      let alive = false;
      try {
        if (Number.isInteger(pid) && pid > 0) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      // A lock file just created may still be empty (pid not written yet): respect it for a while.
      const fresh = Date.now() - statSync(file).mtimeMs < 10_000;
      if (alive || (!Number.isInteger(pid) && fresh)) return false;
      rmSync(file, { force: true });
    }
  }
  return false;
}

function unlock(spillDir: string): void {
  try {
    if (readFileSync(lockPath(spillDir), 'utf8').trim() === String(process.pid)) rmSync(lockPath(spillDir), { force: true });
  } catch {
    /* already gone */
  }
}

export function pendingFiles(spillDir: string): string[] {
  const dir = pendingDir(spillDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') && !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
}

export async function deliverPending(cfg: CaptureConfig, opts: DeliverOptions): Promise<DeliveryReport> {
  const report: DeliveryReport = { ran: false, files: 0, sent: 0, rejected: 0, delivered: true };
  const lockUntil = Date.now() + opts.waitForLockMs;
  const spillFile = join(runSpillDir(cfg.spillDir), SPILL_FILE);
  while (!tryLock(cfg.spillDir)) {
    const own = opts.ownFiles ?? [];
    if (own.length > 0 && own.every((f) => !existsSync(f))) {
      // Taken by the other deliverer: delivered, unless Kafka was away and it spilled.
      report.delivered = !existsSync(spillFile);
      if (!report.delivered) opts.warn(`Kafka at ${cfg.kafkaBrokers.join(',')} did not take the events; they wait in ${runSpillDir(cfg.spillDir)} and go with the next run`);
      return report;
    }
    if (Date.now() >= lockUntil) {
      if (own.length > 0) {
        report.delivered = false;
        opts.warn(`the events are not in Kafka yet after ${opts.waitForLockMs} ms; the background deliverer (${lockPath(cfg.spillDir)}) sends them`);
      }
      return report;
    }
    await sleep(20);
  }
  report.ran = true;
  // Loaded only here: the Kafka client and the Avro codec cost the wrapper ~80 ms of start-up.
  const [{ Emitter }, { formatProblems }] = await Promise.all([import('../emitter/sdk.js'), import('../model/validate.js')]);
  const problems = new Set<string>();
  const em = new Emitter({
    brokers: cfg.kafkaBrokers,
    project: 'provstream-run',
    topic: cfg.eventsTopic,
    spillDir: runSpillDir(cfg.spillDir),
    lingerMs: 5,
    onError: (e) => problems.add(e.message),
  });
  try {
    // Raw records of the native launcher (raw.ts) become pending files first, in order.
    const waiting = async () => {
      await convertRawRecords(cfg.spillDir, opts.warn);
      return pendingFiles(cfg.spillDir);
    };
    for (let round = 0; round < 1000; round++) {
      let files = await waiting();
      const idleUntil = Date.now() + opts.lingerMs;
      while (files.length === 0 && Date.now() < idleUntil) {
        await sleep(100);
        files = await waiting();
      }
      if (files.length === 0) {
        unlock(cfg.spillDir);
        // Look once more after letting go: a file written meanwhile is ours, or the next deliverer's.
        if ((pendingFiles(cfg.spillDir).length === 0 && rawFiles(cfg.spillDir).length === 0) || !tryLock(cfg.spillDir)) break;
        continue;
      }
      for (const f of files) {
        for (const line of readFileSync(f, 'utf8').split('\n')) {
          if (!line) continue;
          const { key, event } = JSON.parse(line) as PendingLine;
          const r = em.send(event, key);
          if (r.ok) report.sent++;
          else {
            report.rejected++;
            opts.warn(`event ${event.eventId} rejected: ${formatProblems(r.problems)}`);
          }
        }
      }
      const ok = await em.flush(opts.timeoutMs);
      // Sent (or about to be kept in the spill file by close()): the files have done their job.
      for (const f of files) rmSync(f, { force: true });
      report.files += files.length;
      if (!ok) {
        report.delivered = false;
        break;
      }
    }
  } finally {
    await em.close(0).catch(() => null);
    if (existsSync(spillFile)) report.delivered = false;
    unlock(cfg.spillDir);
  }
  if (!report.delivered) {
    opts.warn(`Kafka at ${cfg.kafkaBrokers.join(',')} did not take the events within ${opts.timeoutMs} ms; they wait in ${runSpillDir(cfg.spillDir)} and go with the next run${problems.size ? ` (${[...problems].slice(-1)[0]})` : ''}`);
  }
  return report;
}
