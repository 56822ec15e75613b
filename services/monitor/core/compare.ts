/**
 * Comparisons of observed values with rule operands.
 *
 * Properties are schema-later, so typing is lenient where the intent is unambiguous: a numeric
 * string compares as a number against a numeric operand, "true"/"false" compare as booleans
 * against a boolean operand, and anything compares as its string form against a string operand.
 * Otherwise the values are different: `==` is false, `!=` is true and orderings are false.
 */
import type { PropertyValue } from '../../model/types.js';
import type { ComparisonOp, ScalarValue } from './rule-types.js';

export function compare(actual: ScalarValue, op: ComparisonOp, expected: ScalarValue): boolean {
  const a = coerce(actual, expected);
  if (a === undefined) return op === '!=';
  switch (op) {
    case '==':
      return a === expected;
    case '!=':
      return a !== expected;
    default:
      if (typeof a !== 'number' || typeof expected !== 'number') return false;
      return op === '<' ? a < expected : op === '<=' ? a <= expected : op === '>' ? a > expected : a >= expected;
  }
}

/** `actual` converted to the type of `expected`, or undefined when it has no such form. */
function coerce(actual: ScalarValue, expected: ScalarValue): ScalarValue | undefined {
  if (typeof actual === typeof expected) return actual;
  if (typeof expected === 'number') return toNumber(actual);
  if (typeof expected === 'boolean') {
    const s = typeof actual === 'string' ? actual.trim().toLowerCase() : '';
    return s === 'true' ? true : s === 'false' ? false : undefined;
  }
  return String(actual);
}

/** A finite number from a number or numeric string; undefined otherwise. */
export function toNumber(v: ScalarValue): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The scalar a property carries (JSON properties compare as their JSON text). */
export function propertyScalar(v: PropertyValue): ScalarValue {
  return v.value;
}

export function describePredicate(key: string, op: ComparisonOp, value: ScalarValue): string {
  return `${key} ${op} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}
