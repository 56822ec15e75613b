/**
 * The ingest processor: Kafka messages -> decoded, validated events -> table rows, with every
 * event that cannot become rows turned into a dead-letter record. A message is one event frame
 * or a batch frame of several (schemas/EVOLUTION.md); each packed event is judged on its own.
 * Pure (no I/O).
 */
import { decodeEvent, DecodeError, isBatchFrame, splitFrames } from '../model/codec.js';
import { validateEvent, formatProblems } from '../model/validate.js';
import { TsvTablesBuilder } from './rows.js';
import type { TsvTables } from './rows.js';

export interface InMessage {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
  /** Set when this is one event of a batch-frame message: its position there (value = its frame). */
  index?: number;
}

export const REASON_CODES = ['oversized', 'bad-avro', 'invalid', 'unresolvable-reference', 'rejected-by-store', 'empty'] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface DeadLetter {
  /** Where it came from; `index` is the event's position when the message was a batch frame. */
  source: { topic: string; partition: number; offset: string; index?: number };
  reasonCode: ReasonCode;
  reason: string;
  eventId: string;
  project: string;
  value: Buffer;
}

export interface ProcessedBatch {
  /** The good events' rows, encoded for insertion. */
  tables: TsvTables;
  deadLetters: DeadLetter[];
  eventCount: number;
}

/**
 * The events of a message, one InMessage each: a batch frame's packed events (with their index),
 * otherwise the message itself. A malformed batch frame gives the reason instead.
 */
export function eventsOf(m: InMessage): InMessage[] | { malformed: string } {
  if (m.index !== undefined || !m.value || !isBatchFrame(m.value)) return [m];
  try {
    return splitFrames(m.value).map((value, index) => ({ topic: m.topic, partition: m.partition, offset: m.offset, value, index }));
  } catch (err) {
    return { malformed: (err as Error).message };
  }
}

export function processMessages(messages: readonly InMessage[], maxEventBytes: number): ProcessedBatch {
  const tables = new TsvTablesBuilder();
  const deadLetters: DeadLetter[] = [];
  let eventCount = 0;
  const processEvent = (m: InMessage): void => {
    const value = m.value ?? Buffer.alloc(0);
    const dead = (reasonCode: ReasonCode, reason: string, eventId = '', project = '') =>
      deadLetters.push({ source: sourceOf(m), reasonCode, reason, eventId, project, value });
    if (value.length === 0) return void dead('empty', 'empty message (no value)');
    if (value.length > maxEventBytes) {
      return void dead('oversized', `event of ${value.length} bytes exceeds the limit of ${maxEventBytes} bytes (INGEST_MAX_EVENT_BYTES); split large properties into artifacts`);
    }
    let decoded;
    try {
      decoded = decodeEvent(value);
    } catch (err) {
      return void dead('bad-avro', err instanceof DecodeError ? err.message : `decoding failed: ${String(err)}`);
    }
    const v = validateEvent(decoded);
    if (!v.ok) {
      const unresolvable = v.problems.some((p) => p.message.startsWith('unresolvable reference'));
      return void dead(unresolvable ? 'unresolvable-reference' : 'invalid', formatProblems(v.problems), decoded.eventId, decoded.project);
    }
    tables.addEvent(v.event);
    eventCount++;
  };
  for (const m of messages) {
    const events = eventsOf(m);
    if (Array.isArray(events)) for (const e of events) processEvent(e);
    else deadLetters.push({ source: sourceOf(m), reasonCode: 'bad-avro', reason: events.malformed, eventId: '', project: '', value: m.value! });
  }
  return { tables: tables.build(), deadLetters, eventCount };
}

/** A dead letter's source: the message, and the event's position when it came from a batch frame. */
export function sourceOf(m: InMessage): DeadLetter['source'] {
  return m.index === undefined ? { topic: m.topic, partition: m.partition, offset: m.offset } : { topic: m.topic, partition: m.partition, offset: m.offset, index: m.index };
}
