/**
 * Writing to the wrapper's own stdout / stderr WITHOUT `process.stdout` / `process.stderr`.
 *
 * Why: creating those streams makes libuv switch a pipe to non-blocking mode (O_NONBLOCK), and
 * that flag belongs to the open file description, which the wrapped command shares when it
 * inherits the stream (or when 2>&1 joins the two). The command would then get EAGAIN
 * ("Resource temporarily unavailable") where it never would without us. So the wrapper writes
 * to fd 1 and fd 2 with plain write(2) calls and never changes their flags.
 *
 * `FdWriter` forwards chunks in order through the libuv thread pool (a blocked reader blocks a
 * pool thread, not the event loop, so signals are still forwarded), one write in flight, the
 * source paused meanwhile (backpressure). EAGAIN (someone else made the fd non-blocking) is
 * retried; any other error means the reader is gone.
 */
import { write, writeSync } from 'node:fs';

export class FdWriter {
  private readonly queue: Buffer[] = [];
  private writing = false;
  private waiters: Array<() => void> = [];
  /** True once a write failed for good (EPIPE: the reader left). */
  gone = false;

  constructor(
    private readonly fd: number,
    /** Called after every completed write (progress), and with `true` once when the reader is gone. */
    private readonly onProgress: (gone: boolean) => void,
  ) {}

  /** Queues a chunk; returns false while writes are pending (pause the source until `idle`). */
  push(chunk: Buffer): boolean {
    if (this.gone) return true;
    this.queue.push(chunk);
    this.pump();
    return this.queue.length === 0;
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    if (this.writing) return;
    const buf = this.queue[0];
    if (!buf) {
      for (const w of this.waiters.splice(0)) w();
      return;
    }
    this.writing = true;
    write(this.fd, buf, 0, buf.length, null, (err, n) => {
      this.writing = false;
      if (err) {
        if (err.code === 'EAGAIN') return void setTimeout(() => this.pump(), 2);
        this.gone = true;
        this.queue.length = 0;
        this.onProgress(true);
        return this.pump();
      }
      if (n < buf.length) this.queue[0] = buf.subarray(n);
      else this.queue.shift();
      this.onProgress(false);
      this.pump();
    });
  }
}

/** Writes all of `text` to fd synchronously (the wrapper's own short messages); never throws. */
export function writeAllSync(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  let spins = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++spins > 5000) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
