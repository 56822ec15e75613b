/**
 * Avro wire codec for provenance events (schemas/EVOLUTION.md).
 *
 * Frame: 0x00, uint32 BE schema version, Avro binary. Decoding resolves the writer's version
 * against the newest schema, so every published version stays readable. Pure apart from reading
 * the .avsc files once at module load.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../lib/paths.js';
import avro from 'avsc';
import type { Payload, PayloadType, ProvEvent, PropertyValue } from './types.js';

const MAGIC = 0x00;
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
