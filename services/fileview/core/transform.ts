/**
 * Applying a fileview's transformation to a file's text, and the properties its rows give the
 * entity. Pure (the `command` kind runs elsewhere, services/fileview/command.ts, and hands its
 * output to `parseCommandOutput`).
 *
 * Values are strings: JSON strings as they are, numbers and booleans as JSON writes them,
 * objects and arrays as JSON text; null and missing values leave the column out of the row. A
 * JSONPath column that selects several nodes holds them as a JSON array.
 */
import { csvRows } from './csv.js';
import { queryJsonPath } from './jsonpath.js';
import type { FileviewDefinition, Row, Transform } from './definition.js';

export const MAX_ROWS = 100_000;
export const MAX_VALUE_CHARS = 16 * 1024;

export class TransformError extends Error {
  override readonly name = 'TransformError';
}

function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > MAX_VALUE_CHARS ? s.slice(0, MAX_VALUE_CHARS) : s;
}

function limited(rows: Row[]): Row[] {
  if (rows.length > MAX_ROWS) throw new TransformError(`${rows.length} rows is over the limit of ${MAX_ROWS} per file`);
  return rows;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TransformError(`not valid JSON: ${(err as Error).message}`);
  }
}

function scalarColumns(node: unknown): Row {
  const row: Row = {};
  if (node === null || typeof node !== 'object') {
    const t = cellText(node);
    if (t !== null) row['value'] = t;
    return row;
  }
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    const t = cellText(v);
    if (t !== null) row[k] = t;
  }
  return row;
}

/** Rows of a csv / jsonpath / regex transformation. Throws TransformError on unusable input. */
export function applyTransform(t: Exclude<Transform, { kind: 'command' }>, text: string): Row[] {
  switch (t.kind) {
    case 'csv':
      return limited(csvRows(text, { ...(t.delimiter ? { delimiter: t.delimiter } : {}), ...(t.columns ? { columns: t.columns } : {}) }));
    case 'jsonpath': {
      const doc = parseJson(text);
      const nodes = queryJsonPath(doc, t.rows ?? '$');
      return limited(
        nodes.map((node) => {
          if (!t.columns) return scalarColumns(node);
          const row: Row = {};
          for (const [col, path] of Object.entries(t.columns)) {
            const hits = queryJsonPath(node, path);
            const v = cellText(hits.length === 1 ? hits[0] : hits.length === 0 ? null : hits);
            if (v !== null) row[col] = v;
          }
          return row;
        }),
      );
    }
    case 'regex': {
      const re = new RegExp(t.pattern.replace(/\(\?P</g, '(?<'), `gm${(t.flags ?? '').replace(/[gm]/g, '')}`);
      const rows: Row[] = [];
      for (const m of text.matchAll(re)) {
        if (m[0] === '') continue;
        const row: Row = {};
        for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) row[k] = v;
        rows.push(row);
        if (rows.length > MAX_ROWS) break;
      }
      return limited(rows);
    }
  }
}

/** Rows from a command view's stdout: JSON lines (objects) or CSV with a header. */
export function parseCommandOutput(text: string, output: 'jsonl' | 'csv' = 'jsonl'): Row[] {
  if (output === 'csv') return limited(csvRows(text));
  const rows: Row[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const v = parseJson(line);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TransformError(`output line ${i + 1} is not a JSON object`);
    rows.push(scalarColumns(v));
  });
  return limited(rows);
}

export type PropertyScalar = string | number | boolean;

/** A cell as a property value: numbers and true/false become typed, the rest stays text. */
export function typedValue(text: string): PropertyScalar {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  return text;
}

/** The properties the rows give the captured entity (see `properties` in definition.ts). */
export function rowProperties(def: Pick<FileviewDefinition, 'properties' | 'propertyPrefix'>, rows: readonly Row[]): Array<{ key: string; value: PropertyScalar }> {
  const row = def.properties === 'first' ? rows[0] : def.properties === 'last' ? rows[rows.length - 1] : def.properties === 'auto' && rows.length === 1 ? rows[0] : undefined;
  if (!row) return [];
  return Object.entries(row)
    .map(([k, v]) => ({ key: (def.propertyPrefix + k).replace(/\s+/g, '_').slice(0, 256), value: typedValue(v) }))
    .filter((p) => p.key !== '');
}
