/**
 * Avro wire codec for provenance events (schemas/EVOLUTION.md).
 *
 * Event frame: 0x00, uint32 BE schema version, Avro binary. Decoding resolves the writer's
 * version against the newest schema, so every published version stays readable. Batch frame:
 * 0x01, uint32 BE count, then per event a uint32 BE length and an event frame; the SDK packs the
 * events of one Kafka key into it (one Kafka record per key and batch instead of one per event:
 * kafkajs' per-record work was most of the SDK's CPU). Pure apart from reading the .avsc files
 * once at module load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../lib/paths.js';
import avro from 'avsc';
import type { Payload, PayloadType, ProvEvent, PropertyValue } from './types.js';

const MAGIC = 0x00;
const BATCH_MAGIC = 0x01;
const HEADER_BYTES = 5;

function loadSchemas(): Map<number, avro.Type> {
  const root = repoPath('schemas', 'avro');
  const types = new Map<number, avro.Type>();
  for (const name of readdirSync(root)) {
    const m = /^v(\d+)$/.exec(name);
    if (!m) continue;
    const schema: unknown = JSON.parse(readFileSync(join(root, name, 'event.avsc'), 'utf8'));
    types.set(Number(m[1]), avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' }));
  }
  return types;
}

const TYPES = loadSchemas();
export const CURRENT_SCHEMA_VERSION = Math.max(...TYPES.keys());
const CURRENT = TYPES.get(CURRENT_SCHEMA_VERSION)!;
const RESOLVERS = new Map<number, avro.Resolver | null>();
for (const [v, t] of TYPES) RESOLVERS.set(v, v === CURRENT_SCHEMA_VERSION ? null : CURRENT.createResolver(t));

export function schemaVersions(): number[] {
  return [...TYPES.keys()].sort((a, b) => a - b);
}
export function avroTypeOf(version: number): avro.Type | undefined {
  return TYPES.get(version);
}

const NS = 'dev.provstream.v1.';
const BRANCH: Record<PayloadType, string> = {
  entity: NS + 'EntityVersion',
  activity: NS + 'Activity',
  agent: NS + 'Agent',
  relation: NS + 'Relation',
  property: NS + 'Property',
  metric: NS + 'MetricPoint',
};
const TYPE_OF_BRANCH = new Map(Object.entries(BRANCH).map(([k, v]) => [v, k as PayloadType]));

/** Per payload type, the field names of its record in the current schema (without the `type` tag). */
export const PAYLOAD_FIELDS: ReadonlyMap<PayloadType, readonly string[]> = (() => {
  const union = (CURRENT as avro.types.RecordType).field('payload').type as avro.types.WrappedUnionType | avro.types.UnwrappedUnionType;
  const fields = new Map<PayloadType, readonly string[]>();
  for (const t of union.types) {
    const type = TYPE_OF_BRANCH.get(t.name ?? '');
    if (type) fields.set(type, (t as avro.types.RecordType).fields.map((f) => f.name));
  }
  return fields;
})();

/** A frame or record that cannot be decoded: always bad data, never retriable. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Avro-record form of an event (what avsc reads and writes). */
type AvroRecord = Record<string, unknown>;

/** Converts the JSON form (ProvEvent) to the Avro record shape. */
export function toAvroRecord(ev: ProvEvent): AvroRecord {
  const { type, ...fields } = ev.payload as Payload & Record<string, unknown>;
  let body: AvroRecord = fields;
  if (type === 'property') {
    const v = (ev.payload as { value: PropertyValue }).value;
    body = { ...fields, value: v.kind === 'json' ? { json: v.value } : v.value };
  }
  return {
    eventId: ev.eventId,
    project: ev.project,
    time: ev.time,
    producer: ev.producer,
    schemaVersion: ev.schemaVersion,
    payload: { [BRANCH[type as PayloadType]]: body },
  };
}

/** Converts a decoded Avro record back to the JSON form. */
export function fromAvroRecord(rec: AvroRecord): ProvEvent {
  const wrapped = rec['payload'] as Record<string, AvroRecord>;
  const branch = Object.keys(wrapped)[0] ?? '';
  const type = TYPE_OF_BRANCH.get(branch);
  if (!type) throw new DecodeError(`unknown payload type ${branch}`);
  const body = { ...wrapped[branch] } as AvroRecord;
  if (type === 'property') body['value'] = propertyValueFromAvro(body['value']);
  return {
    eventId: rec['eventId'] as string,
    project: rec['project'] as string,
    time: rec['time'] as number,
    producer: rec['producer'] as string,
    schemaVersion: rec['schemaVersion'] as number,
    payload: { type, ...body } as Payload,
  };
}

function propertyValueFromAvro(v: unknown): PropertyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') return { kind: 'number', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  return { kind: 'json', value: (v as { json: string }).json };
}

/**
 * Encodes an event (JSON form) with the current schema. Throws DecodeError when the event does
 * not fit the schema (wrong types); callers validate first (validate.ts) for precise messages.
 */
export function encodeEvent(ev: ProvEvent): Buffer {
  const rec = toAvroRecord({ ...ev, schemaVersion: CURRENT_SCHEMA_VERSION });
  const errors: string[] = [];
  const ok = CURRENT.isValid(rec, {
    errorHook: (path) => errors.push(path.join('.') || '(root)'),
  });
  if (!ok) throw new DecodeError(`event does not match the Avro schema at ${errors.join(', ')}`);
  const body = CURRENT.toBuffer(rec);
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC;
  out.writeUInt32BE(CURRENT_SCHEMA_VERSION, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Decodes a framed message. Throws DecodeError with a reason a user can act on. */
export function decodeEvent(buf: Buffer): ProvEvent {
  if (buf.length < HEADER_BYTES + 1) throw new DecodeError(`message too short (${buf.length} bytes) for an Avro frame`);
  if (buf[0] === BATCH_MAGIC) throw new DecodeError('a batch frame (magic 0x01) holds several events: split it with splitFrames first');
  if (buf[0] !== MAGIC) throw new DecodeError(`bad magic byte 0x${buf[0]!.toString(16)}: not a provstream Avro frame`);
  const version = buf.readUInt32BE(1);
  const writer = TYPES.get(version);
  if (!writer) throw new DecodeError(`unknown schema version ${version} (known: ${schemaVersions().join(', ')}); upgrade provstream`);
  const resolver = RESOLVERS.get(version);
  let rec: AvroRecord;
  try {
    const body = buf.subarray(HEADER_BYTES);
    rec = (resolver ? CURRENT.fromBuffer(body, resolver, false) : CURRENT.fromBuffer(body)) as AvroRecord;
  } catch (err) {
    throw new DecodeError(`Avro decoding failed: ${(err as Error).message}`);
  }
  return fromAvroRecord(rec);
}

/** Whether a message value is a batch frame (several events) rather than one event frame. */
export function isBatchFrame(value: Buffer): boolean {
  return value.length > 0 && value[0] === BATCH_MAGIC;
}

/** How many events a message value claims to carry (a batch frame's count, else 1), without decoding. */
export function eventCountOf(value: Buffer | null): number {
  return value && isBatchFrame(value) && value.length >= HEADER_BYTES ? value.readUInt32BE(1) : 1;
}

/** Packs event frames (from encodeEvent) into one batch frame (schemas/EVOLUTION.md, "Batch frames"). */
export function encodeBatchFrame(frames: readonly Buffer[]): Buffer {
  let size = HEADER_BYTES;
  for (const f of frames) size += 4 + f.length;
  const out = Buffer.allocUnsafe(size);
  out[0] = BATCH_MAGIC;
  out.writeUInt32BE(frames.length, 1);
  let at = HEADER_BYTES;
  for (const f of frames) {
    out.writeUInt32BE(f.length, at);
    f.copy(out, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/**
 * The event frames a Kafka message value carries: the value itself when it is one event frame
 * (or anything else: decodeEvent judges it), the packed frames (views, not copies) of a batch
 * frame. Throws DecodeError when a batch frame is truncated or inconsistent.
 */
export function splitFrames(value: Buffer): Buffer[] {
  if (!isBatchFrame(value)) return [value];
  if (value.length < HEADER_BYTES) throw new DecodeError(`batch frame too short (${value.length} bytes)`);
  const count = value.readUInt32BE(1);
  const frames: Buffer[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + 4 > value.length) throw new DecodeError(`batch frame truncated: event ${i + 1} of ${count} has no length`);
    const len = value.readUInt32BE(at);
    if (at + 4 + len > value.length) throw new DecodeError(`batch frame truncated: event ${i + 1} of ${count} declares ${len} bytes, ${value.length - at - 4} left`);
    frames.push(value.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  if (at !== value.length) throw new DecodeError(`batch frame has ${value.length - at} bytes after its ${count} events`);
  return frames;
}

/** A Kafka message of the events topic: key and event (or batch) frame. */
export interface KeyedFrame {
  key: string;
  value: Buffer;
}

const MAX_PACK_BYTES = 256 * 1024;

/**
 * One message per key (a batch frame of its events, in order; a lone event stays a plain event
 * frame), split where a pack would pass MAX_PACK_BYTES. Per-key order is kept: a key's messages
 * go to one partition in this order.
 */
export function packByKey(batch: readonly KeyedFrame[]): KeyedFrame[] {
  const byKey = new Map<string, Buffer[]>();
  for (const m of batch) {
    const frames = byKey.get(m.key);
    if (frames) frames.push(m.value);
    else byKey.set(m.key, [m.value]);
  }
  const out: KeyedFrame[] = [];
  for (const [key, frames] of byKey) {
    let start = 0;
    let bytes = 0;
    for (let i = 0; i <= frames.length; i++) {
      const f = frames[i];
      if (i === frames.length || (i > start && bytes + 4 + f!.length > MAX_PACK_BYTES)) {
        out.push({ key, value: i - start === 1 ? frames[start]! : encodeBatchFrame(frames.slice(start, i)) });
        start = i;
        bytes = 0;
      }
      if (f) bytes += 4 + f.length;
    }
  }
  return out;
}
