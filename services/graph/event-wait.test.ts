/** waitFor=<eventId> for ids the graph does not remember: a fake ClickHouse lookup decides. */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { NotFoundError, RejectedError, TimeoutError } from '../lib/errors.js';
import { httpErrorOf } from '../lib/http-errors.js';
import { Freshness } from './freshness.js';
import { waitForUnknownEvent, type EventFacts, type EventLookup } from './event-wait.js';
import { eventFactsOf } from './results.js';

const log = pino({ level: 'silent' });
const opts = { graceMs: 10, lookupTimeoutMs: 100 };
const UNKNOWN: EventFacts = { recorded: false, deadLetter: null };
const RECORDED: EventFacts = { recorded: true, deadLetter: null };
const dead = (reasonCode: string, reason = 'payload.version must be ≥ 1'): EventFacts => ({ recorded: false, deadLetter: { reasonCode, reason, project: 'ex', time: Date.UTC(2026, 10, 26) } });

class FakeLookup implements EventLookup {
  calls = 0;
  constructor(private readonly answer: EventFacts | Error | 'hang') {}
  async find(): Promise<EventFacts> {
    this.calls++;
    if (this.answer === 'hang') return new Promise<never>(() => undefined);
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

/** A graph with one partition: caught up (live, lag 0) or 3 messages behind. */
function graph(caughtUp: boolean): Freshness {
  const f = new Freshness('events', 100);
  f.startPartitions([{ partition: 0, offset: 10, highWatermark: caughtUp ? 10 : 13 }]);
  f.setStatus('catching-up');
  expect(f.caughtUp).toBe(caughtUp);
  return f;
}

const settle = (p: Promise<number>) => p.then((ms) => ({ ok: ms }), (err: unknown) => ({ err }));

describe('waitForUnknownEvent', () => {
  const cases: Array<{ name: string; facts: EventFacts | Error | 'hang'; caughtUp: boolean; waitMs: number; expect: 'proceeds' | RegExp; status?: number }> = [
    { name: 'dead-lettered → 422 quoting the reason, long before the wait runs out', facts: dead('invalid'), caughtUp: true, waitMs: 5000, expect: /event e1 will never be applied: ingest dead-lettered it at 2026-11-26T00:00:00.000Z \(invalid: payload.version must be ≥ 1\)/, status: 422 },
    { name: 'dead-lettered, also while the graph is behind', facts: dead('bad-avro', 'truncated'), caughtUp: false, waitMs: 5000, expect: /bad-avro: truncated/, status: 422 },
    { name: 'recorded in ClickHouse and the graph caught up → proceeds at once (applied long ago)', facts: RECORDED, caughtUp: true, waitMs: 5000, expect: 'proceeds' },
    { name: 'recorded and dead-lettered (a redelivery) → recorded wins', facts: { ...dead('invalid'), recorded: true }, caughtUp: true, waitMs: 5000, expect: 'proceeds' },
    { name: 'dead-lettered as oversized: the graph applies those anyway → proceeds', facts: dead('oversized'), caughtUp: true, waitMs: 5000, expect: 'proceeds' },
    { name: 'recorded but the graph is behind → 504 that says it is on its way', facts: RECORDED, caughtUp: false, waitMs: 60, expect: /Ingest has read it from the topic \(ClickHouse has it\), so it is on its way: this graph is 3 messages behind/, status: 504 },
    { name: 'unknown everywhere, graph caught up → 404 at the deadline', facts: UNKNOWN, caughtUp: true, waitMs: 60, expect: /no event with id e1 has reached provstream for project "ex": this graph has applied every partition/, status: 404 },
    { name: 'unknown everywhere, graph behind → 504 (may still come)', facts: UNKNOWN, caughtUp: false, waitMs: 60, expect: /ClickHouse has no record of it either .*3 messages behind/, status: 504 },
    { name: 'the lookup fails → the 504 says ClickHouse could not be asked', facts: new Error('ClickHouse is away'), caughtUp: true, waitMs: 60, expect: /ClickHouse could not be asked which \(ClickHouse is away\)/, status: 504 },
    { name: 'the lookup hangs → abandoned after lookupTimeoutMs, 504', facts: 'hang', caughtUp: true, waitMs: 30, expect: /could not be asked which \(ClickHouse did not answer in time/, status: 504 },
    { name: 'waitMs 0: one lookup, then the answer', facts: UNKNOWN, caughtUp: true, waitMs: 0, expect: /no event with id e1/, status: 404 },
  ];
  it.each(cases)('$name', async (c) => {
    const f = graph(c.caughtUp);
    const lookup = new FakeLookup(c.facts);
    const started = Date.now();
    const r = await settle(waitForUnknownEvent(f, lookup, 'ex', { eventId: 'e1' }, c.waitMs, opts, log));
    expect(lookup.calls).toBeGreaterThanOrEqual(1);
    if (c.expect === 'proceeds') {
      expect(r).toEqual({ ok: expect.any(Number) });
      expect(Date.now() - started).toBeLessThan(1000);
      return;
    }
    expect('err' in r && r.err, JSON.stringify(r)).toBeInstanceOf(Error);
    const err = (r as { err: Error }).err;
    expect(err.message).toMatch(c.expect);
    expect(httpErrorOf(err).status).toBe(c.status);
    if (c.status === 422) expect(Date.now() - started).toBeLessThan(1000);
  });

  it('asks again at doubling intervals until the deadline (a dead letter may be written late)', async () => {
    const f = graph(true);
    let calls = 0;
    const lookup: EventLookup = { find: async () => (++calls < 3 ? UNKNOWN : dead('invalid')) };
    const err = await waitForUnknownEvent(f, lookup, 'ex', { eventId: 'e1' }, 5000, opts, log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RejectedError);
    expect(calls).toBe(3); // at 10, 30 and 70 ms
  });

  it('an event applied during the grace resolves without any lookup', async () => {
    const f = graph(false);
    const lookup = new FakeLookup(UNKNOWN);
    const w = waitForUnknownEvent(f, lookup, 'ex', { eventId: 'e1' }, 5000, { graceMs: 1000, lookupTimeoutMs: 100 }, log);
    f.recordBatch(0, 10, 13, 1, ['e1']);
    await expect(w).resolves.toBeGreaterThanOrEqual(0);
    expect(lookup.calls).toBe(0);
  });

  it('recorded while the graph is behind: resolves once the graph catches up', async () => {
    const f = graph(false);
    const w = settle(waitForUnknownEvent(f, new FakeLookup(RECORDED), 'ex', { eventId: 'e1' }, 5000, opts, log));
    await new Promise((r) => setTimeout(r, 40));
    f.recordBatch(0, 12, 13, 1, ['other']);
    expect(await w).toEqual({ ok: expect.any(Number) });
  });

  it('recorded and caught up, but minOffsets not reached → still waits for the offsets (504 about them)', async () => {
    const f = graph(true);
    const err = await waitForUnknownEvent(f, new FakeLookup(RECORDED), 'ex', { eventId: 'e1', minOffsets: { '0': 50 } }, 60, opts, log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/^offsets \{"0":50\} was not applied/);
  });

  it('the 404 names the event and the project for clients', async () => {
    const err = await waitForUnknownEvent(graph(true), new FakeLookup(UNKNOWN), 'ex', { eventId: 'e1' }, 0, opts, log).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(httpErrorOf(err).body.error).toMatchObject({ code: 'not-found', eventId: 'e1', project: 'ex' });
    const rejected = await waitForUnknownEvent(graph(true), new FakeLookup(dead('invalid')), 'ex', { eventId: 'e1' }, 0, opts, log).catch((e: unknown) => e);
    expect(httpErrorOf(rejected).body.error).toMatchObject({ code: 'rejected', eventId: 'e1', reasonCode: 'invalid', reason: 'payload.version must be ≥ 1' });
  });
});

describe('eventFactsOf (catalogue.eventFate rows)', () => {
  it.each([
    { rows: [], facts: UNKNOWN },
    { rows: [{ fate: 'recorded', project: 'ex', reason_code: '', reason: '', time: '0' }], facts: RECORDED },
    { rows: [{ fate: 'dead-lettered', project: 'ex', reason_code: 'invalid', reason: 'r', time: '1764115200000' }], facts: { recorded: false, deadLetter: { reasonCode: 'invalid', reason: 'r', project: 'ex', time: 1764115200000 } } },
  ])('%j', ({ rows, facts }) => expect(eventFactsOf(rows)).toEqual(facts));
});
