/**
 * Splits a byte stream into text lines for the metric extractors. Pure (keeps only the partial
 * line between chunks). The bytes themselves are passed through elsewhere, untouched; this only
 * reads a copy.
 *
 * `\n`, `\r\n` and a lone `\r` (progress bars redraw with it) end a line. UTF-8 sequences split
 * across chunks are decoded correctly. A line longer than `maxLineChars` is cut there and the rest
 * of it (up to the next line end) is skipped, so a binary or endless line cannot grow memory.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private skipping = false;
  private lastWasCr = false;

  constructor(private readonly maxLineChars = 64 * 1024) {}

  push(chunk: Buffer): string[] {
    return this.split(this.decoder.write(chunk));
  }

  /** The last line when the stream ended without a line end (or nothing). */
  end(): string[] {
    const rest = this.split(this.decoder.end());
    if (this.partial !== '' && !this.skipping) rest.push(this.partial);
    this.partial = '';
    return rest;
  }

  private split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const crlf = c === 10 && this.lastWasCr && i === start && this.partial === '';
      this.lastWasCr = c === 13;
      if (!crlf) this.emit(text.slice(start, i), lines);
      start = i + 1;
    }
    if (start < text.length) {
      this.lastWasCr = false;
      this.append(text.slice(start), lines);
    }
    return lines;
  }

  private emit(tail: string, lines: string[]): void {
    if (!this.skipping) lines.push((this.partial + tail).slice(0, this.maxLineChars));
    this.partial = '';
    this.skipping = false;
  }

  private append(text: string, lines: string[]): void {
    if (this.skipping) return;
    this.partial += text;
    if (this.partial.length > this.maxLineChars) {
      lines.push(this.partial.slice(0, this.maxLineChars));
      this.partial = '';
      this.skipping = true;
    }
  }
}
