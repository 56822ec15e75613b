/**
 * The wrapper's hand-off of events to the deliverer (deliver.ts), so that the wrapped command
 * never waits for Kafka: the wrapper records events in memory (a PayloadSink), writes them as one
 * file per flush into `<spillDir>/run/pending/`, and starts a background deliverer if none is
 * running. Loading the Kafka client and connecting would cost the wrapper ~100 ms (measured in
 * `make bench-run`); writing a file costs well under one.
 *
 * A pending file is JSON lines `{"key": <Kafka key>, "event": <ProvEvent JSON form>}`, written
 * to a temporary name and renamed, so a deliverer never sees half a file. File names sort in
 * write order (time, pid, sequence), which keeps a run's events in order.
 */
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Payload, ProvEvent } from '../model/types.js';
import type { PayloadSink } from './facts.js';

export const RUN_PRODUCER = 'provstream-run/0.1';
/** The emitter SDK's spill file name (services/emitter/buffer.ts), in `<spillDir>/run/`. */
export const SPILL_FILE = 'provstream-spill.log';

export function runSpillDir(spillDir: string): string {
  return join(spillDir, 'run');
}
export function pendingDir(spillDir: string): string {
  return join(runSpillDir(spillDir), 'pending');
}
export function lockPath(spillDir: string): string {
  return join(runSpillDir(spillDir), 'deliver.lock');
}

export interface PendingLine {
  key: string;
  event: ProvEvent;
}

/**
 * One sequence per process, not per log: the deliverer converts several raw run records
 * (raw.ts), each with its own PendingLog, often within one millisecond; per-log counters gave
 * them the same file name, and a later run's events replaced an earlier one's.
 */
let fileSeq = 0;

export class PendingLog implements PayloadSink {
  private lines: PendingLine[] = [];

  constructor(
    private readonly project: string,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.lines.length;
  }

  record(payload: Payload, key?: string, time?: number): void {
    const event: ProvEvent = { eventId: randomUUID(), project: this.project, time: time ?? this.now(), producer: RUN_PRODUCER, schemaVersion: 1, payload };
    this.lines.push({ key: `${this.project}|${key ?? ('id' in payload ? payload.id : 'subject' in payload ? payload.subject : payload.from)}`, event });
  }

  /** Writes what was recorded since the last flush as one pending file; returns its path (or null). */
  flush(spillDir: string): string | null {
    if (this.lines.length === 0) return null;
    const dir = pendingDir(spillDir);
    mkdirSync(dir, { recursive: true });
    const name = `${String(Date.now()).padStart(15, '0')}-${String(process.pid).padStart(8, '0')}-${String(fileSeq++ % 1_000_000).padStart(6, '0')}.jsonl`;
    const text = this.lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    writeFileSync(join(dir, `.${name}.tmp`), text);
    renameSync(join(dir, `.${name}.tmp`), join(dir, name));
    this.lines = [];
    return join(dir, name);
  }
}

/** True when a live process holds the deliverer lock. */
export function delivererRunning(spillDir: string): boolean {
  try {
    const pid = Number(readFileSync(lockPath(spillDir), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts a background deliverer (a detached `node deliver-entry.js`, in its own session, with
 * no stdio: it outlives the wrapper and never touches the terminal) unless one is running.
 * Its own problems go to `<spillDir>/run/deliver.log`.
 */
export function startDeliverer(spillDir: string, env: NodeJS.ProcessEnv): void {
  if (delivererRunning(spillDir)) return;
  const entry = fileURLToPath(new URL('./deliver-entry.js', import.meta.url));
  const child = spawn(process.execPath, [entry], { detached: true, stdio: 'ignore', env: { ...env, PROVSTREAM_SPILL_DIR: spillDir } });
  child.on('error', () => undefined);
  child.unref();
}

export function newRunUuid(): string {
  return randomUUID();
}
