/**
 * The ingest processor: Kafka messages -> decoded, validated events -> table rows, with every
 * message that cannot become rows turned into a dead-letter record. Pure (no I/O).
 */
import { decodeEvent, DecodeError } from '../model/codec.js';
import { validateEvent, formatProblems } from '../model/validate.js';
import { addEventRows, emptyRows } from './rows.js';
import type { RowsByTable } from './rows.js';

export interface InMessage {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
}

export const REASON_CODES = ['oversized', 'bad-avro', 'invalid', 'unresolvable-reference', 'rejected-by-store', 'empty'] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface DeadLetter {
  source: { topic: string; partition: number; offset: string };
  reasonCode: ReasonCode;
  reason: string;
  eventId: string;
  project: string;
  value: Buffer;
}

export interface ProcessedBatch {
  rows: RowsByTable;
  deadLetters: DeadLetter[];
  eventCount: number;
}

export function processMessages(messages: readonly InMessage[], maxEventBytes: number): ProcessedBatch {
  const rows = emptyRows();
  const deadLetters: DeadLetter[] = [];
  let eventCount = 0;
  for (const m of messages) {
    const value = m.value ?? Buffer.alloc(0);
    const dead = (reasonCode: ReasonCode, reason: string, eventId = '', project = '') =>
      deadLetters.push({ source: { topic: m.topic, partition: m.partition, offset: m.offset }, reasonCode, reason, eventId, project, value });
    if (value.length === 0) {
      dead('empty', 'empty message (no value)');
      continue;
    }
    if (value.length > maxEventBytes) {
      dead('oversized', `event of ${value.length} bytes exceeds the limit of ${maxEventBytes} bytes (INGEST_MAX_EVENT_BYTES); split large properties into artifacts`);
      continue;
    }
    let decoded;
    try {
      decoded = decodeEvent(value);
    } catch (err) {
      dead('bad-avro', err instanceof DecodeError ? err.message : `decoding failed: ${String(err)}`);
      continue;
    }
    const v = validateEvent(decoded);
    if (!v.ok) {
      const unresolvable = v.problems.some((p) => p.message.startsWith('unresolvable reference'));
      dead(unresolvable ? 'unresolvable-reference' : 'invalid', formatProblems(v.problems), decoded.eventId, decoded.project);
      continue;
    }
    addEventRows(v.event, rows);
    eventCount++;
  }
  return { rows, deadLetters, eventCount };
}
