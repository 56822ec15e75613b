/**
 * The processor's input side, pure: a Kafka batch of one partition -> a decoded piece, and the
 * choice of the waiting pieces that share the next transaction (processor.ts runs them).
 *
 * - decodePiece: messages -> validated events with their offsets. A batch frame's events share
 *   its message's offset (the message is applied, or skipped, as a whole); a message or frame
 *   that is not a valid event is reported to `onInvalid` and skipped (ingest dead-letters it).
 * - takeForTransaction: at most one piece per partition (a partition's pieces stay in order) and
 *   `maxEvents` events in all, the first waiting piece always.
 */
import { decodeEvent, splitFrames } from '../model/codec.js';
import type { ProvEvent } from '../model/types.js';
import { validateEvent } from '../model/validate.js';
import type { PartitionRef } from './transaction.js';

export interface InMessage {
  offset: string;
  value: Buffer | null;
}

export interface BatchInput {
  topic: string;
  partition: number;
  messages: readonly InMessage[];
  /** The partition's high watermark when the batch was fetched (for lag). */
  highWatermark: string;
}

/** A piece of one partition's batch, decoded, waiting for a transaction. */
export interface Piece {
  ref: PartitionRef;
  events: Array<{ offset: bigint; event: ProvEvent }>;
  last: bigint;
  nextOffset: string;
  lag: number;
}

/** `topic:partition`, the key of a partition in the processor's maps. */
export function partitionKey(p: PartitionRef): string {
  return `${p.topic}:${p.partition}`;
}

/** The piece of a (non-empty) batch; `onInvalid(offset)` per message or frame that is no valid event. */
export function decodePiece(input: BatchInput, onInvalid: (offset: string) => void): Piece {
  const last = BigInt(input.messages[input.messages.length - 1]!.offset);
  return {
    ref: { topic: input.topic, partition: input.partition },
    events: decodeMessages(input.messages, onInvalid),
    last,
    nextOffset: (last + 1n).toString(),
    lag: Number(BigInt(input.highWatermark) - (last + 1n)),
  };
}

function decodeMessages(messages: readonly InMessage[], onInvalid: (offset: string) => void): Piece['events'] {
  const out: Piece['events'] = [];
  for (const m of messages) {
    const offset = BigInt(m.offset);
    let frames: Buffer[] = [];
    try {
      frames = splitFrames(m.value ?? Buffer.alloc(0));
    } catch {
      frames = [];
    }
    for (const frame of frames.length > 0 ? frames : [null]) {
      try {
        const v = frame ? validateEvent(decodeEvent(frame)) : null;
        if (v?.ok) {
          out.push({ offset, event: v.event });
          continue;
        }
      } catch {
        // reported below
      }
      onInvalid(m.offset);
    }
  }
  return out;
}

/** Removes from `queue` (in place) and returns the entries of the next transaction (see the module comment). */
export function takeForTransaction<T extends { piece: Piece }>(queue: T[], maxEvents: number): T[] {
  const taken: T[] = [];
  const partitions = new Set<string>();
  let events = 0;
  for (let i = 0; i < queue.length; ) {
    const w = queue[i]!;
    const pk = partitionKey(w.piece.ref);
    if (taken.length > 0 && (partitions.has(pk) || events + w.piece.events.length > maxEvents)) {
      i++;
      continue;
    }
    taken.push(w);
    partitions.add(pk);
    events += w.piece.events.length;
    queue.splice(i, 1);
  }
  return taken;
}
