/**
 * The emitter's bounded local buffer: an in-memory queue of encoded messages that spills its
 * overflow to an append-only file and reads it back once Kafka accepts messages again.
 * Never throws: a failing disk is reported through `onError` and counted as dropped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OutMessage {
  key: string;
  value: Buffer;
}

export interface BufferOptions {
  maxInMemory: number;
  /** Folder for the spill file; none disables spilling (overflow is dropped and counted). */
  spillDir?: string;
  maxSpillBytes: number;
  onError: (err: Error) => void;
}

export class SpillingQueue {
  private queue: OutMessage[] = [];
  private head = 0;
  spilled = 0;
  dropped = 0;
  private readonly spillFile: string | undefined;
  /** True while the spill file holds messages: new ones must queue behind them (FIFO). */
  private spillPending: boolean;

  constructor(private readonly opts: BufferOptions) {
    this.spillFile = opts.spillDir ? join(opts.spillDir, 'provstream-spill.log') : undefined;
    this.spillPending = !!this.spillFile && existsSync(this.spillFile);
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  hasSpill(): boolean {
    return this.spillPending;
  }

  /** Queues a message; false when it had to be dropped (memory full and no room to spill). */
  push(m: OutMessage): boolean {
    if (this.length < this.opts.maxInMemory && !this.spillPending) {
      this.queue.push(m);
      return true;
    }
    const before = this.dropped;
    this.spill([m]);
    return this.dropped === before;
  }

  /** The next up to n messages, left in the queue until `ack(n)`. */
  peek(n: number): OutMessage[] {
    return this.queue.slice(this.head, this.head + n);
  }

  ack(n: number): void {
    this.head += n;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private spill(ms: OutMessage[]): void {
    if (!this.spillFile) {
      this.dropped += ms.length;
      if (this.dropped === ms.length) this.opts.onError(new Error(`provstream: ${this.opts.maxInMemory} events are buffered (maxBufferedEvents) and no spillDir is set; dropping events until Kafka takes them`));
      return;
    }
    try {
      const size = existsSync(this.spillFile) ? statSync(this.spillFile).size : 0;
      if (size > this.opts.maxSpillBytes) {
        this.dropped += ms.length;
        if (this.dropped === ms.length) this.opts.onError(new Error(`provstream: spill file ${this.spillFile} is full (${size} bytes); dropping events until Kafka is back`));
        return;
      }
      mkdirSync(this.opts.spillDir!, { recursive: true });
      appendFileSync(this.spillFile, encodeLines(ms));
      this.spilled += ms.length;
      this.spillPending = true;
    } catch (err) {
      this.dropped += ms.length;
      this.opts.onError(err as Error);
    }
  }

  /**
   * Moves everything in memory to the spill file, ahead of what the file already holds (those are
   * newer), so the order survives the process. Used when closing with Kafka still away.
   */
  spillAll(): void {
    const left = this.peek(this.length);
    if (left.length === 0) return;
    this.ack(left.length);
    if (!this.spillFile) {
      this.dropped += left.length;
      return;
    }
    try {
      mkdirSync(this.opts.spillDir!, { recursive: true });
      const older = encodeLines(left);
      const newer = existsSync(this.spillFile) ? readFileSync(this.spillFile, 'utf8') : '';
      writeFileSync(this.spillFile + '.tmp', older + newer);
      renameSync(this.spillFile + '.tmp', this.spillFile);
      this.spilled += left.length;
      this.spillPending = true;
    } catch (err) {
      this.dropped += left.length;
      this.opts.onError(err as Error);
    }
  }

  /**
   * Moves spilled messages back into memory (oldest first) when memory has room for them.
   * Returns how many were restored. The file is renamed first, so a crash mid-way loses nothing
   * that was not already re-queued; at worst it re-sends (ingest is idempotent).
   */
  restoreSpill(): number {
    if (!this.spillFile || !existsSync(this.spillFile) || this.length > 0) return 0;
    const taking = this.spillFile + '.restoring';
    try {
      renameSync(this.spillFile, taking);
      const lines = readFileSync(taking, 'utf8').split('\n').filter(Boolean);
      for (const line of lines) {
        const [k, v] = line.split('\t');
        this.queue.push({ key: Buffer.from(k ?? '', 'base64').toString(), value: Buffer.from(v ?? '', 'base64') });
      }
      rmSync(taking);
      this.spillPending = false;
      return lines.length;
    } catch (err) {
      this.opts.onError(err as Error);
      return 0;
    }
  }
}

function encodeLines(ms: readonly OutMessage[]): string {
  return ms.map((m) => `${Buffer.from(m.key).toString('base64')}\t${m.value.toString('base64')}\n`).join('');
}
