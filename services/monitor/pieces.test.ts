import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../model/codec.js';
import { decodePiece, takeForTransaction, type Piece } from './pieces.js';
import { sampleProject } from '../demo/sample.js';

const piece = (partition: number, events: number): { piece: Piece; name: string } => ({
  name: `p${partition}×${events}`,
  piece: { ref: { topic: 't', partition }, events: Array.from({ length: events }, () => ({ offset: 0n, event: {} as never })), last: 0n, nextOffset: '1', lag: 0 },
});

describe('takeForTransaction', () => {
  it.each([
    ['one piece per partition, in queue order', [[0, 5], [1, 5], [0, 5], [2, 5]], 100, ['p0×5', 'p1×5', 'p2×5'], ['p0×5']],
    ['at most maxEvents in all, skipping a piece that does not fit', [[0, 60], [1, 50], [2, 30]], 100, ['p0×60', 'p2×30'], ['p1×50']],
    ['the first piece always, even over maxEvents', [[0, 600], [1, 1]], 500, ['p0×600'], ['p1×1']],
    ['an empty queue', [], 500, [], []],
  ] as const)('%s', (_name, queued, max, taken, left) => {
    const queue = queued.map(([p, n]) => piece(p, n));
    expect(takeForTransaction(queue, max).map((w) => w.name)).toEqual(taken);
    expect(queue.map((w) => w.name)).toEqual(left);
  });
});

describe('decodePiece', () => {
  it('decodes valid events with their offsets, reports the rest, and computes the next offset and lag', () => {
    const [a, b] = sampleProject('pieces').events;
    const invalid: string[] = [];
    const p = decodePiece(
      { topic: 't', partition: 3, highWatermark: '20', messages: [{ offset: '7', value: encodeEvent(a!) }, { offset: '8', value: Buffer.from('nope') }, { offset: '9', value: null }, { offset: '10', value: encodeEvent(b!) }] },
      (offset) => invalid.push(offset),
    );
    expect(p.events.map((e) => [e.offset, e.event.eventId])).toEqual([[7n, a!.eventId], [10n, b!.eventId]]);
    expect(invalid).toEqual(['8', '9']);
    expect([p.ref, p.last, p.nextOffset, p.lag]).toEqual([{ topic: 't', partition: 3 }, 10n, '11', 9]);
  });
});
