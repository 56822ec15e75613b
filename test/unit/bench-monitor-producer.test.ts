/**
 * bench-monitor's producer modes: what `--producer sdk` sends holds exactly the events of
 * `unpacked`, key by key and in order, and the events counted below a committed offset are the
 * events of the messages before it (the maximum rate is events per second, not messages); and
 * --stall's catch-up figure.
 */
import { describe, expect, it } from 'vitest';
import { EventCounts, messagesFor, partitionerFor, caughtUp } from '../../bench/lib/monitor-scenarios.js';
import { teamsWorkload } from '../../bench/lib/monitor-rules.js';
import { decodeEvent, splitFrames } from '../../services/model/codec.js';

describe('bench-monitor producer modes', () => {
  const w = teamsWorkload(3_000, 'unit', 'team');

  it('sdk packs per key into batch frames holding every event once, in order; unpacked sends one per message', () => {
    const unpacked = messagesFor(w.events, w.keys, 'unpacked');
    expect(unpacked).toHaveLength(w.events.length);
    expect(unpacked.every((m) => m.events === 1)).toBe(true);
    const packed = messagesFor(w.events, w.keys, 'sdk');
    expect(packed.length).toBeLessThan(w.events.length / 5);
    expect(packed.reduce((n, m) => n + m.events, 0)).toBe(w.events.length);
    const byKey = (ms: Array<{ key: string; value: Buffer }>) => {
      const out = new Map<string, string[]>();
      for (const m of ms) for (const f of splitFrames(m.value)) out.set(m.key, [...(out.get(m.key) ?? []), decodeEvent(f).eventId]);
      return out;
    };
    expect(byKey(packed)).toEqual(byKey(unpacked));
    for (const m of packed) expect(splitFrames(m.value)).toHaveLength(m.events);
  });

  it('counts the events below a committed offset, across sends of one partition', () => {
    const c = new EventCounts();
    c.add(0, 0, [3, 1, 5]);
    c.add(0, 3, [2, 2]);
    c.add(1, 0, [4]);
    expect(c.below(0, 0)).toBe(0);
    expect(c.below(0, 2)).toBe(4);
    expect(c.below(0, 3)).toBe(9);
    expect(c.below(0, 5)).toBe(13);
    expect(c.below(0, 99)).toBe(13);
    expect(c.below(1, 1)).toBe(4);
    expect(c.below(2, 7)).toBe(0);
  });

  it('assigns a key to one partition, spreading keys over all of them', () => {
    const partitionOf = partitionerFor(4);
    const seen = new Set(w.keys.map((k) => partitionOf(k)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    for (const k of w.keys.slice(0, 50)) expect(partitionOf(k)).toBe(partitionOf(k));
  });
});

describe('caughtUp (bench-monitor --stall)', () => {
  it('is how long after the resume the last probe over 500 ms was sent; probes sent during the stall do not count', () => {
    const timeline = [
      { sent: 1500, ms: 2600 }, // during the stall (resumed at 3000)
      { sent: 3200, ms: 1900 },
      { sent: 4700, ms: 501 },
      { sent: 4800, ms: 90 },
      { sent: 9000, ms: 499 },
    ];
    expect(caughtUp(timeline, 3000)).toBe(1700);
    expect(caughtUp(timeline.slice(3), 3000)).toBe(0);
    expect(caughtUp([{ sent: 1500, ms: 2600 }], 3000)).toBe(0);
  });
});
