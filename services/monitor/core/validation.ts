/**
 * A small collector for validating untrusted rule documents: every problem is recorded with a
 * JSON-pointer path and a message a user can act on, and validation always continues so that
 * parseRules() can report all problems at once. Never throws on bad input.
 */
import { parseDuration } from './duration.js';

export interface RuleIssue {
  /** JSON pointer into the document, e.g. "/rules/2/threshold/op"; "" is the document root. */
  path: string;
  message: string;
  /** 1-based position of the offending node when the input was YAML/JSON text. */
  line?: number;
  column?: number;
}

export function formatIssue(issue: RuleIssue): string {
  const where = issue.line !== undefined ? ` (line ${issue.line}, column ${issue.column ?? 1})` : '';
  return `${issue.path === '' ? '/' : issue.path}: ${issue.message}${where}`;
}

export class Issues {
  readonly list: RuleIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

export function pointer(base: string, segment: string | number): string {
  return `${base}/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${JSON.stringify(x)}`;
}

interface Required {
  required?: boolean;
}

/**
 * Typed access to the fields of one object. Each getter records a problem and returns undefined
 * when a field is missing (and required) or malformed; finish() reports fields nobody asked for.
 */
export class Fields {
  private readonly used = new Set<string>();

  constructor(
    readonly obj: Record<string, unknown>,
    readonly path: string,
    readonly issues: Issues,
  ) {}

  at(key: string): string {
    return pointer(this.path, key);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  raw(key: string, opts: Required = {}): unknown {
    this.used.add(key);
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (opts.required) this.issues.add(this.at(key), 'is required');
      return undefined;
    }
    return v;
  }

  string(key: string, opts: Required & { pattern?: RegExp; hint?: string } = {}): string | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      this.issues.add(this.at(key), `must be a non-empty string, got ${describe(v)}`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      this.issues.add(this.at(key), `must match ${opts.hint ?? String(opts.pattern)}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  }

  number(key: string, opts: Required & { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): number | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.issues.add(this.at(key), `must be a number, got ${describe(v)}`);
      return undefined;
    }
    if (opts.integer && !Number.isInteger(v)) {
      this.issues.add(this.at(key), `must be an integer, got ${v}`);
      return undefined;
    }
    const belowMin = opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min);
    if (belowMin || (opts.max !== undefined && v > opts.max)) {
      const lo = opts.min === undefined ? '' : `${opts.exclusiveMin ? '>' : '>='} ${opts.min}`;
      const hi = opts.max === undefined ? '' : `<= ${opts.max}`;
      this.issues.add(this.at(key), `must be ${[lo, hi].filter(Boolean).join(' and ')}, got ${v}`);
      return undefined;
    }
    return v;
  }

  boolean(key: string, opts: Required = {}): boolean | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      this.issues.add(this.at(key), `must be true or false, got ${describe(v)}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], opts: Required & { aliases?: Record<string, T> } = {}): T | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    if (typeof v === 'string' && opts.aliases?.[v] !== undefined) return opts.aliases[v];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.issues.add(this.at(key), `must be one of ${values.join(', ')}, got ${describe(v)}`);
      return undefined;
    }
    return v as T;
  }

  duration(key: string, opts: Required & { min?: number } = {}): number | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === null) {
      this.issues.add(this.at(key), `must be a duration such as "90s", "10m", "1h30m" or a number of milliseconds, got ${describe(v)}`);
      return undefined;
    }
    if (opts.min !== undefined && ms < opts.min) {
      this.issues.add(this.at(key), opts.min === 1 ? 'must be longer than 0' : `must be at least ${opts.min}ms`);
      return undefined;
    }
    return ms;
  }

  object(key: string, opts: Required = {}): Fields | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    if (!isRecord(v)) {
      this.issues.add(this.at(key), `must be an object, got ${describe(v)}`);
      return undefined;
    }
    return new Fields(v, this.at(key), this.issues);
  }

  /** A list field; a single non-list value is accepted as a one-element list when `single`. */
  list(key: string, opts: Required & { single?: boolean; nonEmpty?: boolean } = {}): unknown[] | undefined {
    const v = this.raw(key, opts);
    if (v === undefined) return undefined;
    const list = Array.isArray(v) ? v : opts.single ? [v] : undefined;
    if (!list) {
      this.issues.add(this.at(key), `must be a list, got ${describe(v)}`);
      return undefined;
    }
    if (opts.nonEmpty && list.length === 0) {
      this.issues.add(this.at(key), 'must not be empty');
      return undefined;
    }
    return list;
  }

  /** Reports every field that no getter asked for (typos, fields of another rule kind). */
  finish(extraHint?: (key: string) => string | undefined): void {
    const known = [...this.used].sort();
    for (const key of Object.keys(this.obj)) {
      if (this.used.has(key)) continue;
      const hint = extraHint?.(key) ?? `expected one of: ${known.join(', ')}`;
      this.issues.add(this.at(key), `unknown field (${hint})`);
    }
  }
}
