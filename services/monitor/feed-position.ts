/**
 * Positions in the alerts topic, for resuming a live feed (pure; feed.ts does the Kafka side).
 *
 * A position is the last offset a feed has read, per partition, written `0:17` (one partition)
 * or `0:17,1:4,2:-1` (several; -1 = nothing read yet). It is the `id:` of every server-sent
 * event and what a client sends back as `Last-Event-ID` (or `?since=`): the feed resumes right
 * after it. Offsets are bigints (Kafka's are 64-bit; kafkajs hands them over as strings).
 */

export type Position = ReadonlyMap<number, bigint>;

export function formatPosition(p: Position): string {
  return [...p.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset}`)
    .join(',');
}

/** The position a client sent, or a message saying what is wrong with it. */
export function parsePosition(s: string): Position | string {
  const out = new Map<number, bigint>();
  const text = s.trim();
  const bad = `a feed position is partition:offset[,partition:offset...] as sent in the events' id (e.g. 0:17), got ${JSON.stringify(s)}`;
  if (text === '') return bad;
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,9}):(-1|\d{1,19})\s*$/.exec(part);
    if (!m) return bad;
    const partition = Number(m[1]);
    if (out.has(partition)) return `${bad}: partition ${partition} appears twice`;
    out.set(partition, BigInt(m[2]!));
  }
  return out;
}

export interface Watermarks {
  partition: number;
  /** The earliest offset still kept (retention). */
  low: bigint;
  /** The offset the next message will get. */
  high: bigint;
}

export type FeedStart = 'end' | 'beginning' | { after: Position };

export interface StartPlan {
  /** The next offset to read, per partition of the topic. */
  next: Map<number, bigint>;
  /** What the reader should be told: alerts that are gone, positions that do not fit the topic. */
  notes: string[];
}

/**
 * Where a feed starts reading each partition: at the end, the beginning, or right after a
 * position. A position older than the topic's retention starts at the earliest offset kept; one
 * past the end (the topic was recreated) starts at the earliest too; a partition the position
 * does not name (added since) is read from its earliest offset. Each such case gets a note.
 */
export function planStart(start: FeedStart, marks: readonly Watermarks[]): StartPlan {
  const next = new Map<number, bigint>();
  const notes: string[] = [];
  for (const w of [...marks].sort((a, b) => a.partition - b.partition)) {
    if (start === 'end') next.set(w.partition, w.high);
    else if (start === 'beginning') next.set(w.partition, w.low);
    else {
      const last = start.after.get(w.partition);
      if (last === undefined) {
        next.set(w.partition, w.low);
        if (w.low < w.high) notes.push(`partition ${w.partition} is not in the position; reading it from its earliest offset ${w.low}`);
      } else if (last + 1n < w.low) {
        next.set(w.partition, w.low);
        notes.push(`partition ${w.partition}: alerts at offsets ${last + 1n}..${w.low - 1n} are gone (past the topic's retention); resuming at the earliest kept, offset ${w.low}`);
      } else if (last + 1n > w.high) {
        next.set(w.partition, w.low);
        notes.push(`partition ${w.partition}: position ${last} is past the end of the topic (offset ${w.high}; was the topic recreated?); reading from the earliest offset ${w.low}`);
      } else next.set(w.partition, last + 1n);
    }
  }
  if (typeof start === 'object') {
    const extra = [...start.after.keys()].filter((p) => !marks.some((w) => w.partition === p));
    if (extra.length > 0) notes.push(`the topic has no partition ${extra.join(', ')}; ignored`);
  }
  return { next, notes };
}
