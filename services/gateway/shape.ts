/**
 * A small declarative checker for JSON documents (the OpenLineage schema of ./openlineage is
 * written as data in this form). Pure.
 *
 * `checkShape` never throws and never stops at the first problem: it appends every problem to
 * `out`, each with a JSON Pointer (RFC 6901) path and a message a user can act on. Objects accept
 * unknown properties unless `closed` is set (OpenLineage is open by design: unknown facets and
 * fields are allowed and kept).
 */
import type { Problem } from '../model/validate.js';

export type { Problem };

export type Shape =
  | { type: 'string'; format?: 'uri' | 'date-time' | 'uuid'; enum?: readonly string[]; minLength?: number; maxLength?: number }
  | { type: 'integer'; min?: number }
  | { type: 'number' }
  | { type: 'boolean' }
  | { type: 'array'; items: Shape }
  | { type: 'object'; props: Record<string, Shape>; required?: readonly string[]; closed?: boolean }
  /** An object whose every value has the same shape (JSON Schema additionalProperties). */
  | { type: 'map'; values: Shape }
  | { type: 'any' };

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 3339 date-time (what JSON Schema's format "date-time" means): the offset is required. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
/** An absolute URI: a scheme, a colon, something. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** One JSON Pointer reference token (RFC 6901 escaping of `~` and `/`). */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(base: string, key: string | number): string {
  return `${base}/${pointerToken(key)}`;
}

/**
 * Parses an RFC 3339 date-time into epoch milliseconds (fractions beyond milliseconds are cut,
 * not rounded, so the same instant always maps to the same millisecond); null when malformed.
 */
export function parseDateTime(s: string): number | null {
  const m = DATE_TIME.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const ms = frac ? Number((frac.slice(1) + '00').slice(0, 3)) : 0;
  let offsetMin = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms) - offsetMin * 60_000;
  // Reject impossible calendar values (Date.UTC would roll 2024-02-31 over into March).
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 60) return null;
  return Number.isFinite(t) ? t : null;
}

function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

export function checkShape(value: unknown, shape: Shape, path: string, out: Problem[]): void {
  const fail = (message: string): void => void out.push({ path, message });
  switch (shape.type) {
    case 'any':
      return;
    case 'string': {
      if (typeof value !== 'string') return fail(`must be a string, got ${typeName(value)}`);
      if (shape.minLength !== undefined && value.length < shape.minLength) return fail(shape.minLength === 1 ? 'must not be empty' : `must have at least ${shape.minLength} characters`);
      if (shape.maxLength !== undefined && value.length > shape.maxLength) return fail(`must have at most ${shape.maxLength} characters, got ${value.length}`);
      if (shape.enum && !shape.enum.includes(value)) return fail(`must be one of ${shape.enum.join(', ')}, got ${quote(value)}`);
      if (shape.format === 'uuid' && !UUID_PATTERN.test(value)) return fail(`${quote(value)} is not a UUID`);
      if (shape.format === 'uri' && !URI.test(value)) return fail(`${quote(value)} is not an absolute URI (scheme:...)`);
      if (shape.format === 'date-time' && parseDateTime(value) === null) return fail(`${quote(value)} is not an RFC 3339 date-time such as 2024-05-01T12:00:00.000Z (the offset is required)`);
      return;
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return fail(`must be an integer, got ${typeName(value)} ${quote(value)}`);
      if (shape.min !== undefined && value < shape.min) return fail(`must be ≥ ${shape.min}, got ${value}`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`must be a number, got ${typeName(value)} ${quote(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') return fail(`must be true or false, got ${typeName(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) return fail(`must be an array, got ${typeName(value)}`);
      value.forEach((item, i) => checkShape(item, shape.items, pointer(path, i), out));
      return;
    case 'map':
      if (!isObject(value)) return fail(`must be an object, got ${typeName(value)}`);
      for (const [k, v] of Object.entries(value)) checkShape(v, shape.values, pointer(path, k), out);
      return;
    case 'object': {
      if (!isObject(value)) return fail(`must be an object, got ${typeName(value)}`);
      for (const key of shape.required ?? []) {
        if (value[key] === undefined || value[key] === null) out.push({ path: pointer(path, key), message: 'is required' });
      }
      for (const [key, v] of Object.entries(value)) {
        const sub = shape.props[key];
        if (sub) {
          if (v !== undefined && v !== null) checkShape(v, sub, pointer(path, key), out);
        } else if (shape.closed) {
          out.push({ path: pointer(path, key), message: `is not a known property (known: ${Object.keys(shape.props).join(', ')})` });
        }
      }
      return;
    }
  }
}
