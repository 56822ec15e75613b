import { describe, expect, it } from 'vitest';
import { formatPosition, parsePosition, planStart } from './feed-position.js';
import type { FeedStart, Watermarks } from './feed-position.js';

const pos = (entries: Array<[number, number]>) => new Map(entries.map(([p, o]) => [p, BigInt(o)]));
const w = (partition: number, low: number, high: number): Watermarks => ({ partition, low: BigInt(low), high: BigInt(high) });
const next = (plan: { next: Map<number, bigint> }) => Object.fromEntries([...plan.next].map(([p, o]) => [p, Number(o)]));

describe('feed positions', () => {
  it.each([
    ['one partition', '0:17', [[0, 17]]],
    ['several, any order, spaces', ' 1:4, 0:17 ,2:-1', [[1, 4], [0, 17], [2, -1]]],
    ['a 64-bit offset', '0:9007199254740993', [[0, 0]]],
  ] as Array<[string, string, Array<[number, number]>]>)('parses %s', (_name, text, expected) => {
    const p = parsePosition(text);
    expect(typeof p).not.toBe('string');
    expect([...(p as Map<number, bigint>).keys()]).toEqual(expected.map(([k]) => k));
  });

  it('keeps offsets beyond 2^53 exact', () => {
    expect(formatPosition(parsePosition('0:9007199254740993') as Map<number, bigint>)).toBe('0:9007199254740993');
  });

  it.each([
    ['empty', ''],
    ['an alert id', '4f1c2d3e-aaaa-bbbb-cccc-000000000000'],
    ['no offset', '0:'],
    ['a negative offset below -1', '0:-2'],
    ['a repeated partition', '0:1,0:2'],
    ['a trailing comma', '0:1,'],
  ])('refuses %s, saying what a position looks like', (_name, text) => {
    expect(parsePosition(text)).toMatch(/partition:offset/);
  });

  it('formats sorted by partition, round-tripping', () => {
    expect(formatPosition(pos([[2, -1], [0, 17], [1, 4]]))).toBe('0:17,1:4,2:-1');
    expect(formatPosition(parsePosition('0:17,1:4,2:-1') as Map<number, bigint>)).toBe('0:17,1:4,2:-1');
  });
});

describe('planStart', () => {
  const marks = [w(0, 0, 10), w(1, 5, 8)];
  it.each<[string, FeedStart, Watermarks[], Record<number, number>, RegExp[]]>([
    ['the end: the high watermarks', 'end', marks, { 0: 10, 1: 8 }, []],
    ['the beginning: the earliest kept', 'beginning', marks, { 0: 0, 1: 5 }, []],
    ['after a position: the next offsets', { after: pos([[0, 3], [1, 6]]) }, marks, { 0: 4, 1: 7 }, []],
    ['after the last message: the high watermark (nothing to replay)', { after: pos([[0, 9], [1, 7]]) }, marks, { 0: 10, 1: 8 }, []],
    ['a position from before anything was read (-1)', { after: pos([[0, -1], [1, 4]]) }, marks, { 0: 0, 1: 5 }, []],
    ['a position past retention: the earliest kept, said so', { after: pos([[0, 3], [1, 1]]) }, marks, { 0: 4, 1: 5 }, [/partition 1: alerts at offsets 2\.\.4 are gone/]],
    ['a position past the end (topic recreated): the earliest, said so', { after: pos([[0, 3], [1, 20]]) }, marks, { 0: 4, 1: 5 }, [/partition 1: position 20 is past the end/]],
    ['a partition missing from the position: its earliest, said so', { after: pos([[0, 3]]) }, marks, { 0: 4, 1: 5 }, [/partition 1 is not in the position/]],
    ['a partition the topic lacks: ignored, said so', { after: pos([[0, 3], [1, 6], [7, 1]]) }, marks, { 0: 4, 1: 7 }, [/no partition 7/]],
  ])('%s', (_name, start, ws, expected, notes) => {
    const plan = planStart(start, ws);
    expect(next(plan)).toEqual(expected);
    expect(plan.notes).toHaveLength(notes.length);
    notes.forEach((re, i) => expect(plan.notes[i]).toMatch(re));
  });
});
