/**
 * Validation of provenance events (SPEC §1, §3): structure, formats, identity and references.
 *
 * Pure. Takes `unknown` (a parsed JSON line or a decoded Avro record) and returns either the
 * typed event or every problem found, each with a JSON-pointer path and a message a user can act
 * on. Existence of referenced vertices is NOT required (events may arrive in any order); a
 * reference is unresolvable, and rejected, when it can never name a vertex of the kind its edge
 * type needs (malformed id, wrong kind).
 */
import { EDGE_ENDPOINTS, ACTIVITY_STATUSES, AGENT_TYPES } from './types.js';
import type { EdgeType, Payload, ProvEvent, PropertyValue, VertexKind } from './types.js';
import { entityId, ID_PATTERNS, kindOfId } from './ids.js';
import { CURRENT_SCHEMA_VERSION } from './codec.js';

export interface Problem {
  path: string;
  message: string;
}
export type Validated = { ok: true; event: ProvEvent } | { ok: false; problems: Problem[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CONTENT_HASH = /^[a-z0-9]{2,16}:[0-9a-f]{16,128}$/;
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);
const MAX_STRING = 64 * 1024;
const AVRO_BRANCHES: Record<string, Payload['type']> = {
  'dev.provstream.v1.EntityVersion': 'entity',
  'dev.provstream.v1.Activity': 'activity',
  'dev.provstream.v1.Agent': 'agent',
  'dev.provstream.v1.Relation': 'relation',
  'dev.provstream.v1.Property': 'property',
  'dev.provstream.v1.MetricPoint': 'metric',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly problems: Problem[] = [];
  fail(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  str(o: Obj, key: string, base: string, opts: { pattern?: RegExp; hint?: string; nullable?: boolean; max?: number } = {}): string | null {
    const v = o[key];
    // Paths are only built when something fails: this runs for every field of every event.
    if (typeof v === 'string' && v.length <= (opts.max ?? MAX_STRING) && (!opts.pattern || opts.pattern.test(v))) return v;
    if (v === null || v === undefined) {
      if (!opts.nullable) this.fail(`${base}/${key}`, 'is required (a string)');
      return null;
    }
    if (typeof v !== 'string') return this.fail(`${base}/${key}`, `must be a string, got ${typeName(v)}`), null;
    if (v.length > (opts.max ?? MAX_STRING)) return this.fail(`${base}/${key}`, `is longer than ${opts.max ?? MAX_STRING} characters`), null;
    return this.fail(`${base}/${key}`, `${JSON.stringify(v.slice(0, 80))} is not ${opts.hint ?? `of the form ${opts.pattern}`}`), null;
  }
  int(o: Obj, key: string, base: string, opts: { min?: number; max?: number; nullable?: boolean } = {}): number | null {
    const v = o[key];
    if (v === null || v === undefined) {
      if (!opts.nullable) this.fail(`${base}/${key}`, 'is required (an integer)');
      return null;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return this.fail(`${base}/${key}`, `must be an integer, got ${typeName(v)} ${JSON.stringify(v)}`), null;
    if (opts.min !== undefined && v < opts.min) return this.fail(`${base}/${key}`, `must be ≥ ${opts.min}, got ${v}`), null;
    if (opts.max !== undefined && v > opts.max) return this.fail(`${base}/${key}`, `must be ≤ ${opts.max}, got ${v}`), null;
    return v;
  }
  oneOf<T extends string>(o: Obj, key: string, base: string, allowed: readonly T[]): T | null {
    const v = o[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(`${base}/${key}`, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
      return null;
    }
    return v as T;
  }
  stringMap(o: Obj, key: string, base: string): Record<string, string> {
    const v = o[key] ?? {};
    if (!isObj(v)) return this.fail(`${base}/${key}`, `must be an object of strings, got ${typeName(v)}`), {};
    for (const [k, val] of Object.entries(v)) if (typeof val !== 'string') this.fail(`${base}/${key}/${k}`, `must be a string, got ${typeName(val)}`);
    return v as Record<string, string>;
  }
  ref(o: Obj, key: string, base: string, kind: VertexKind, relation: string): string | null {
    const id = this.str(o, key, base);
    if (id === null) return null;
    const actual = kindOfId(id);
    if (actual !== kind) {
      this.fail(`${base}/${key}`, `unresolvable reference ${JSON.stringify(id.slice(0, 80))}: ${relation} needs ${article(kind)} ${kind} id here (${ID_PATTERNS[kind].source})${actual ? `, this id names ${article(actual)} ${actual}` : ''}`);
      return null;
    }
    if (!ID_PATTERNS[kind].test(id)) this.fail(`${base}/${key}`, `malformed ${kind} id ${JSON.stringify(id.slice(0, 80))} (expected ${ID_PATTERNS[kind].source})`);
    return id;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Unwraps Avro's JSON union encoding ({"dev.provstream.v1.X": {...}}) into the `type` form. */
function normalisePayload(p: unknown): unknown {
  if (!isObj(p) || 'type' in p) return p;
  const keys = Object.keys(p);
  const only = keys.length === 1 ? keys[0]! : '';
  const type = AVRO_BRANCHES[only];
  return type && isObj(p[only]) ? { type, ...(p[only] as Obj) } : p;
}

export function validateEvent(input: unknown): Validated {
  const c = new Checker();
  if (!isObj(input)) return { ok: false, problems: [{ path: '', message: `an event must be a JSON object, got ${typeName(input)}` }] };
  c.str(input, 'eventId', '', { pattern: UUID, hint: 'a UUID' });
  c.str(input, 'project', '', { pattern: PROJECT, hint: 'a project name (letters, digits, . _ -, at most 64)' });
  c.int(input, 'time', '', { min: MIN_TIME, max: MAX_TIME });
  c.str(input, 'producer', '', { max: 256 });
  const sv = input['schemaVersion'] ?? CURRENT_SCHEMA_VERSION;
  if (typeof sv !== 'number' || !Number.isInteger(sv) || sv < 1) c.fail('/schemaVersion', `must be a positive integer, got ${JSON.stringify(sv)}`);
  const payload = normalisePayload(input['payload']);
  if (!isObj(payload)) c.fail('/payload', `is required (an object with a "type"), got ${typeName(payload)}`);
  else validatePayload(c, payload);
  if (c.problems.length > 0) return { ok: false, problems: c.problems };
  return { ok: true, event: { ...(input as unknown as ProvEvent), schemaVersion: sv as number, payload: payload as unknown as Payload } };
}

function validatePayload(c: Checker, p: Obj): void {
  const b = '/payload';
  switch (p['type']) {
    case 'entity': {
      const artifact = c.str(p, 'artifact', b, { max: 1024 });
      const hash = c.str(p, 'contentHash', b, { pattern: CONTENT_HASH, hint: 'a content hash like sha256:<hex>' });
      const id = c.str(p, 'id', b, { pattern: ID_PATTERNS.entity, hint: 'an entity id (ent:<32 hex>)' });
      c.int(p, 'version', b, { min: 1, nullable: true });
      c.int(p, 'sizeBytes', b, { min: 0, nullable: true });
      p['entityType'] ??= 'file';
      c.str(p, 'entityType', b, { max: 64 });
      if (artifact && hash && id && id !== entityId(artifact, hash)) {
        c.fail(`${b}/id`, `does not match artifact and contentHash (expected ${entityId(artifact, hash)}; ids are derived, see services/model/ids.ts)`);
      }
      return;
    }
    case 'activity': {
      c.str(p, 'id', b, { pattern: ID_PATTERNS.activity, hint: 'an activity id (act:<uuid>)' });
      c.str(p, 'name', b, { max: 256 });
      p['command'] ??= '';
      c.str(p, 'command', b);
      c.oneOf(p, 'status', b, ACTIVITY_STATUSES.filter((s) => s !== 'UNKNOWN'));
      const start = c.int(p, 'startTime', b, { min: MIN_TIME, max: MAX_TIME, nullable: true });
      const end = c.int(p, 'endTime', b, { min: MIN_TIME, max: MAX_TIME, nullable: true });
      if (start !== null && end !== null && end < start) c.fail(`${b}/endTime`, `is before startTime (${end} < ${start})`);
      c.int(p, 'exitCode', b, { min: -2147483648, max: 2147483647, nullable: true });
      c.str(p, 'workdir', b, { nullable: true, max: 4096 });
      p['params'] = c.stringMap(p, 'params', b);
      p['env'] = c.stringMap(p, 'env', b);
      for (const k of ['startTime', 'endTime', 'exitCode', 'workdir'] as const) p[k] ??= null;
      return;
    }
    case 'agent': {
      c.str(p, 'id', b, { pattern: ID_PATTERNS.agent, hint: 'an agent id (agt:<name>)' });
      c.str(p, 'name', b, { max: 256 });
      c.oneOf(p, 'agentType', b, AGENT_TYPES.filter((s) => s !== 'unknown'));
      c.str(p, 'email', b, { nullable: true, max: 320 });
      p['email'] ??= null;
      return;
    }
    case 'relation': {
      const rel = p['relation'];
      if (typeof rel !== 'string' || !(rel in EDGE_ENDPOINTS)) {
        c.fail(`${b}/relation`, `must be one of ${Object.keys(EDGE_ENDPOINTS).join(', ')}, got ${JSON.stringify(rel)}`);
        return;
      }
      const [fromKind, toKind] = EDGE_ENDPOINTS[rel as EdgeType];
      const from = c.ref(p, 'from', b, fromKind, rel);
      const to = c.ref(p, 'to', b, toKind, rel);
      if (from !== null && from === to) c.fail(`${b}/to`, `${rel} from a vertex to itself is not allowed`);
      c.str(p, 'role', b, { nullable: true, max: 256 });
      p['role'] ??= null;
      return;
    }
    case 'property': {
      const subject = c.str(p, 'subject', b, { max: 1024 });
      if (subject !== null && kindOfId(subject) === null && !subject.startsWith('edge:')) {
        c.fail(`${b}/subject`, `unresolvable reference ${JSON.stringify(subject.slice(0, 80))}: must be a vertex id (ent:, act:, agt:) or an edge id (edge:)`);
      }
      c.str(p, 'key', b, { pattern: /^[^\s]{1,256}$/, hint: 'a key (no spaces, at most 256 characters)' });
      checkPropertyValue(c, p['value'], `${b}/value`);
      return;
    }
    case 'metric': {
      const subject = c.str(p, 'subject', b);
      const kind = subject === null ? null : kindOfId(subject);
      if (subject !== null && kind !== 'activity' && kind !== 'entity') c.fail(`${b}/subject`, `unresolvable reference ${JSON.stringify(subject.slice(0, 80))}: a metric attaches to an activity or entity id`);
      c.str(p, 'key', b, { pattern: /^[^\s]{1,256}$/, hint: 'a metric key (no spaces)' });
      c.int(p, 'step', b, { min: 0 });
      c.int(p, 'time', b, { min: MIN_TIME, max: MAX_TIME });
      const v = p['value'];
      if (typeof v !== 'number' || !Number.isFinite(v)) c.fail(`${b}/value`, `must be a finite number, got ${JSON.stringify(v)}`);
      return;
    }
    default:
      c.fail(`${b}/type`, `must be one of entity, activity, agent, relation, property, metric, got ${JSON.stringify(p['type'])}`);
  }
}

function checkPropertyValue(c: Checker, v: unknown, path: string): void {
  if (!isObj(v)) return c.fail(path, `must be {"kind": "string|number|bool|json", "value": …}, got ${typeName(v)}`);
  const pv = v as Partial<PropertyValue>;
  const expected: Record<string, string> = { string: 'string', number: 'number', bool: 'boolean', json: 'string' };
  const want = expected[pv.kind ?? ''];
  if (!want) return c.fail(`${path}/kind`, `must be one of string, number, bool, json, got ${JSON.stringify(pv.kind)}`);
  if (typeof pv.value !== want) return c.fail(`${path}/value`, `must be a ${want} for kind ${pv.kind}, got ${typeName(pv.value)}`);
  if (pv.kind === 'number' && !Number.isFinite(pv.value)) return c.fail(`${path}/value`, 'must be finite');
  if (pv.kind === 'json') {
    try {
      JSON.parse(pv.value as string);
    } catch {
      c.fail(`${path}/value`, 'is not valid JSON text');
    }
  }
}

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; ');
}
