/**
 * Fileview definitions (SPEC §4): a named transformation attached to an artifact pattern. Pure.
 *
 * A definition is itself versioned provenance: each version is an entity of the artifact
 * `fileview:<name>` whose content hash is the hash of the definition's canonical JSON (so the
 * same definition always has the same id), revising the previous version. Dropping a view is a
 * new version with `dropped: true`.
 *
 * Transform kinds (each yields rows: column name → string value):
 *   csv      `columns` (default all), `delimiter` (default ","), first line is the header
 *   jsonpath `rows` selects the row nodes (default "$", one row); `columns` maps a column name to
 *            a path evaluated on each row node (jsonpath.ts lists the supported subset); without
 *            `columns`, every scalar field of the row node is a column
 *   regex    every match of `pattern` (named groups are the columns); `flags` (m and g implied)
 *   command  `command` run by /bin/sh with the file on stdin and its path in $1 and
 *            $PROVSTREAM_FILE; its stdout is JSON lines (objects) or CSV with a header
 *            (`output: jsonl | csv`, default jsonl); `timeoutMs` (default 10000)
 * `properties` says which values also become properties of the captured entity (so monitoring
 * rules can use them): `auto` (default) — the columns of the only row when there is exactly one;
 * `first` / `last` — that row's columns; `none`. Keys are `propertyPrefix` + column.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../model/canonical.js';

export const TRANSFORM_KINDS = ['csv', 'jsonpath', 'regex', 'command'] as const;
export type TransformKind = (typeof TRANSFORM_KINDS)[number];
export const PROPERTY_MODES = ['auto', 'first', 'last', 'none'] as const;
export type PropertyMode = (typeof PROPERTY_MODES)[number];

export type Transform =
  | { kind: 'csv'; columns?: string[]; delimiter?: string }
  | { kind: 'jsonpath'; rows?: string; columns?: Record<string, string> }
  | { kind: 'regex'; pattern: string; flags?: string }
  | { kind: 'command'; command: string; output?: 'jsonl' | 'csv'; timeoutMs?: number };

export interface FileviewDefinition {
  name: string;
  /** Artifact glob (monitor/core/glob.ts: `*` within a path segment, `**` across). */
  pattern: string;
  transform: Transform;
  properties: PropertyMode;
  propertyPrefix: string;
}

/** What a version of `fileview:<name>` holds: a definition, or the fact that the view was dropped. */
export type FileviewContent = FileviewDefinition | { name: string; dropped: true };

export type Row = Record<string, string>;

export const VIEW_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const COLUMN = /^[^\s]{1,128}$/;

export function viewArtifact(name: string): string {
  return `fileview:${name}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type ValidatedDefinition = { ok: true; definition: FileviewDefinition } | { ok: false; problems: string[] };

/** Validates a definition (from flags, a YAML/JSON file or the registry); every problem at once. */
export function validateDefinition(input: unknown): ValidatedDefinition {
  const problems: string[] = [];
  if (!isObj(input)) return { ok: false, problems: ['/: a fileview definition must be an object'] };
  const name = input['name'];
  if (typeof name !== 'string' || !VIEW_NAME.test(name)) problems.push(`/name: must match ${VIEW_NAME.source}`);
  const pattern = input['pattern'];
  if (typeof pattern !== 'string' || pattern === '' || pattern.length > 1024) problems.push('/pattern: must be an artifact glob such as "reports/*.json"');
  const properties = input['properties'] ?? 'auto';
  if (!(PROPERTY_MODES as readonly unknown[]).includes(properties)) problems.push(`/properties: must be one of ${PROPERTY_MODES.join(', ')}`);
  const prefix = input['propertyPrefix'] ?? '';
  if (typeof prefix !== 'string' || /\s/.test(prefix) || prefix.length > 64) problems.push('/propertyPrefix: must be a string without spaces (at most 64 characters)');
  const transform = validateTransform(input['transform'], problems);
  if (problems.length || !transform) return { ok: false, problems };
  return { ok: true, definition: { name: name as string, pattern: pattern as string, transform, properties: properties as PropertyMode, propertyPrefix: prefix as string } };
}

function validateTransform(t: unknown, problems: string[]): Transform | null {
  const at = '/transform';
  if (!isObj(t)) return problems.push(`${at}: must be an object with a "kind" (${TRANSFORM_KINDS.join(', ')})`), null;
  const columnList = (v: unknown, path: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((c) => typeof c === 'string' && COLUMN.test(c))) problems.push(`${path}: must be a non-empty list of column names (no spaces)`);
    return v as string[];
  };
  switch (t['kind']) {
    case 'csv': {
      const columns = columnList(t['columns'], `${at}/columns`);
      const delimiter = t['delimiter'];
      if (delimiter !== undefined && (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\n')) problems.push(`${at}/delimiter: must be one character (not a quote or newline)`);
      return { kind: 'csv', ...(columns ? { columns } : {}), ...(typeof delimiter === 'string' ? { delimiter } : {}) };
    }
    case 'jsonpath': {
      const rows = t['rows'];
      if (rows !== undefined && (typeof rows !== 'string' || !rows.startsWith('$'))) problems.push(`${at}/rows: must be a JSONPath starting with $`);
      const columns = t['columns'];
      if (columns !== undefined) {
        if (!isObj(columns) || Object.keys(columns).length === 0) problems.push(`${at}/columns: must map column names to JSONPaths`);
        else for (const [c, p] of Object.entries(columns)) if (!COLUMN.test(c) || typeof p !== 'string' || !p.startsWith('$')) problems.push(`${at}/columns/${c}: must be a JSONPath starting with $`);
      }
      return { kind: 'jsonpath', ...(typeof rows === 'string' ? { rows } : {}), ...(isObj(columns) ? { columns: columns as Record<string, string> } : {}) };
    }
    case 'regex': {
      const pattern = t['pattern'];
      const flags = t['flags'];
      if (typeof pattern !== 'string' || !/\(\?P?<[A-Za-z_$][\w$]*>/.test(pattern)) problems.push(`${at}/pattern: must be a regex with named groups, e.g. (?<name>\\w+)`);
      else if (flags !== undefined && (typeof flags !== 'string' || !/^[imsu]*$/.test(flags))) problems.push(`${at}/flags: may use i, m, s, u`);
      else {
        try {
          new RegExp(pattern.replace(/\(\?P</g, '(?<'), `g${flags ?? ''}`);
        } catch (err) {
          problems.push(`${at}/pattern: ${(err as Error).message}`);
        }
      }
      return { kind: 'regex', pattern: pattern as string, ...(typeof flags === 'string' ? { flags } : {}) };
    }
    case 'command': {
      const command = t['command'];
      const output = t['output'];
      const timeoutMs = t['timeoutMs'];
      if (typeof command !== 'string' || command.trim() === '') problems.push(`${at}/command: must be a shell command`);
      if (output !== undefined && output !== 'jsonl' && output !== 'csv') problems.push(`${at}/output: must be jsonl or csv`);
      if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)) problems.push(`${at}/timeoutMs: must be an integer from 1 to 600000`);
      return { kind: 'command', command: command as string, ...(output ? { output: output as 'jsonl' | 'csv' } : {}), ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}) };
    }
    default:
      problems.push(`${at}/kind: must be one of ${TRANSFORM_KINDS.join(', ')}, got ${JSON.stringify(t['kind'])}`);
      return null;
  }
}

/** The content hash of a definition version (`sha256:<hex>` of its canonical JSON). */
export function contentHash(content: FileviewContent): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(content)).digest('hex');
}
