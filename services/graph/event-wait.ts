/**
 * `waitFor=<eventId>` for an id the graph does not remember: tells "not yet" from "never".
 *
 * Freshness remembers only the last GRAPH_RECENT_EVENT_IDS applied ids, and the graph skips
 * events that do not decode or validate (ingest dead-letters them). So an id outside that set is
 * either on its way, applied long ago, dead-lettered, or unknown. After `graceMs` (most waits are
 * over by then, so the hot path never asks) and again at doubling intervals until the deadline,
 * the wait asks an {@link EventLookup} (ClickHouse: events_raw and dead_letters) and answers:
 *
 *   dead-lettered (and not recorded)          → RejectedError (422) quoting the reason, at once
 *   recorded in events_raw                    → the wait holds once the graph is caught up (live,
 *                                               every partition at its high watermark): ingest
 *                                               read the event from the topic, so the graph has
 *                                               applied it too, even if it no longer remembers it
 *   unknown, at the deadline, graph caught up → NotFoundError (404): it never reached provstream
 *   otherwise, at the deadline                → TimeoutError (504) that says what ClickHouse said
 *
 * The other conditions of the wait (minOffsets) still have to hold. I/O only through the lookup.
 */
import type { Logger } from '../lib/log.js';
import { NotFoundError, RejectedError, errorMessage } from '../lib/errors.js';
import { withTimeout } from '../lib/timeout.js';
import type { Freshness, WaitCondition } from './freshness.js';

/** What ClickHouse knows about an event id. */
export interface EventFacts {
  /** events_raw holds it (for the asked project): ingest read it from the topic and wrote it. */
  recorded: boolean;
  /** Its latest dead letter, if ingest dead-lettered it. */
  deadLetter: { reasonCode: string; reason: string; project: string; time: number } | null;
}

export interface EventLookup {
  find(project: string, eventId: string): Promise<EventFacts>;
}

export interface EventWaitOptions {
  /** The first lookup happens this long into the wait (or at its end, if sooner). */
  graceMs: number;
  /** A lookup that takes longer is abandoned (a failed last lookup leaves the plain 504). */
  lookupTimeoutMs: number;
}

export const DEFAULT_EVENT_WAIT: EventWaitOptions = { graceMs: 1000, lookupTimeoutMs: 2000 };

/**
 * Dead-letter reasons of events the graph applies anyway: it decodes and validates as ingest does
 * but has no size limit and no ClickHouse insert to fail. Such an event reached the topic.
 */
const APPLIED_DESPITE_DEAD_LETTER: ReadonlySet<string> = new Set(['oversized', 'rejected-by-store']);

/**
 * Resolves with the ms waited once `c` holds (see the module comment), rejects with the errors
 * listed there. Call it only for an id the graph does not remember (`!freshness.hasApplied`).
 */
export function waitForUnknownEvent(
  freshness: Freshness,
  lookup: EventLookup,
  project: string,
  c: WaitCondition & { eventId: string },
  waitMs: number,
  opts: EventWaitOptions,
  log: Logger,
  now: () => number = Date.now,
): Promise<number> {
  const id = c.eventId;
  const offsets: WaitCondition = c.minOffsets === undefined ? {} : { minOffsets: c.minOffsets };
  const started = now();
  const deadline = started + waitMs;
  let reachedTopic = false;
  const satisfied = () => freshness.isSatisfied(offsets) && (freshness.hasApplied(id) || (reachedTopic && freshness.caughtUp));

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancel();
      finish();
    };
    const done = () => settle(() => resolve(now() - started));
    const cancel = freshness.watch(satisfied, done, (err) => settle(() => reject(err)));

    let interval = opts.graceMs;
    const schedule = (delayMs: number) => {
      timer = setTimeout(() => void look(), Math.max(0, Math.min(delayMs, deadline - now())));
    };
    const look = async (): Promise<void> => {
      let facts: EventFacts | null = null;
      let failure: string | null = null;
      try {
        facts = await withTimeout(lookup.find(project, id), opts.lookupTimeoutMs, 'ClickHouse did not answer in time');
      } catch (err) {
        failure = errorMessage(err);
        log.warn({ eventId: id, err: failure }, 'looking up a waited-for event in ClickHouse failed');
      }
      if (settled) return;
      const dead = facts?.deadLetter ?? null;
      if (facts && (facts.recorded || (dead !== null && APPLIED_DESPITE_DEAD_LETTER.has(dead.reasonCode)))) reachedTopic = true;
      if (satisfied()) return done();
      if (facts && !reachedTopic && dead !== null) return settle(() => reject(rejectedError(id, dead)));
      if (now() < deadline) {
        interval *= 2;
        return schedule(interval);
      }
      settle(() => reject(finalError(freshness, project, c, waitMs, facts, failure, reachedTopic)));
    };
    schedule(opts.graceMs);
  });
}

function rejectedError(id: string, d: NonNullable<EventFacts['deadLetter']>): RejectedError {
  const at = d.time > 0 ? ` at ${new Date(d.time).toISOString()}` : '';
  return new RejectedError(
    `event ${id} will never be applied: ingest dead-lettered it${at} (${d.reasonCode}: ${d.reason}). ` +
      'Fix what the reason names and send the event again; wait for the id the new send returns (see the dead_letters table).',
    { eventId: id, reasonCode: d.reasonCode, reason: d.reason, eventProject: d.project || null },
  );
}

function finalError(
  freshness: Freshness,
  project: string,
  c: WaitCondition & { eventId: string },
  waitMs: number,
  facts: EventFacts | null,
  failure: string | null,
  reachedTopic: boolean,
): Error {
  const lag = freshness.report().lagMessages;
  if (facts === null) {
    return freshness.timeoutError(c, waitMs, `It may still be on its way (emitter buffer, Kafka) or have been dead-lettered; ClickHouse could not be asked which (${failure ?? 'no answer'})`);
  }
  if (reachedTopic) {
    // The id part holds once caught up; what is missing is the catch-up or the offsets.
    if (freshness.caughtUp) return freshness.timeoutError({ minOffsets: c.minOffsets ?? {} }, waitMs, `Event ${c.eventId} reached the topic and is applied`);
    return freshness.timeoutError(c, waitMs, `Ingest has read it from the topic (ClickHouse has it), so it is on its way: this graph is ${lag} messages behind (status ${freshness.currentStatus})`);
  }
  if (freshness.caughtUp) {
    return new NotFoundError(
      `no event with id ${c.eventId} has reached provstream for project "${project}": this graph has applied every partition up to its high watermark ` +
        'without it, and ClickHouse has neither a row of it (events_raw) nor a dead letter with its id. Check the id (what the SDK\'s record()/send() ' +
        'returned) and that the emitter delivered it (flush() resolves true once it is in Kafka).',
      { eventId: c.eventId, project },
    );
  }
  return freshness.timeoutError(c, waitMs, `ClickHouse has no record of it either (not in events_raw, no dead letter), and this graph is ${lag} messages behind, so it may still be on its way`);
}
