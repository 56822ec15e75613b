/**
 * PROV-JSON attribute values <-> property values of the model (pure), so that every value
 * survives import -> export -> import unchanged:
 *
 *   JSON string / number / boolean   <->  string / number / bool property
 *   {"$": text, "type": "provstream:json"}  <->  json property (text as it is)
 *   any other typed or language-tagged literal, or an array of values (a multi-valued attribute)
 *                                     <->  json property holding that JSON (canonical text)
 *   any other JSON (an OpenLineage facet, a list of objects) is exported as a provstream:json literal
 */
import { canonicalJson } from '../../ingest/rows.js';
import type { PropertyValue } from '../../model/types.js';
import { isObject } from '../shape.js';
import { JSON_LITERAL_TYPE } from './vocabulary.js';

export function isLiteral(v: unknown): v is { $: string; type?: string; lang?: string } {
  return isObject(v) && typeof v['$'] === 'string' && (typeof v['type'] === 'string' || typeof v['lang'] === 'string') && Object.keys(v).length === 2;
}

export function toPropertyValue(v: unknown): PropertyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number' && Number.isFinite(v)) return { kind: 'number', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (isLiteral(v) && v.type === JSON_LITERAL_TYPE) return { kind: 'json', value: v.$ };
  return { kind: 'json', value: canonicalJson(v ?? null) };
}

export function fromPropertyValue(v: PropertyValue): unknown {
  if (v.kind !== 'json') return v.value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v.value);
  } catch {
    return { $: v.value, type: JSON_LITERAL_TYPE };
  }
  // Values that came from PROV-JSON as arrays or non-JSON literals go back as they came.
  const plain = (x: unknown) => ['string', 'number', 'boolean'].includes(typeof x) || (isLiteral(x) && x.type !== JSON_LITERAL_TYPE);
  if ((Array.isArray(parsed) && parsed.every(plain)) || (!Array.isArray(parsed) && plain(parsed) && typeof parsed === 'object')) {
    if (canonicalJson(parsed) === v.value) return parsed;
  }
  return { $: v.value, type: JSON_LITERAL_TYPE };
}

/** A JSON-typed literal of a value (activity params, env, metrics). */
export function jsonLiteral(value: unknown): { $: string; type: string } {
  return { $: canonicalJson(value), type: JSON_LITERAL_TYPE };
}

/** The text of an attribute value that should hold a string or a literal (times, names). */
export function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (isLiteral(v)) return v.$;
  return null;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
