/**
 * A fileview definition from `provstream fileview add` flags (or a definition file's parsed
 * content merged under them). Pure; the result still goes through `validateDefinition`.
 *
 *   --pattern 'reports/*.json' --jsonpath accuracy='$.accuracy' [--rows '$.items[*]']
 *   --pattern 'data/*.csv' --csv [--columns a,b] [--delimiter ';']
 *   --pattern 'logs/*.log' --regex 'epoch (?<epoch>\d+) loss (?<loss>\S+)' [--flags i]
 *   --pattern 'models/*.bin' --command 'python inspect.py "$1"' [--output jsonl|csv] [--timeout-ms n]
 *   --properties auto|first|last|none   --property-prefix eval.
 */

export interface FileviewFlags {
  pattern?: string;
  csv?: boolean;
  columns?: string;
  delimiter?: string;
  jsonpath?: string[];
  rows?: string;
  regex?: string;
  flags?: string;
  command?: string;
  output?: string;
  timeoutMs?: string;
  properties?: string;
  propertyPrefix?: string;
}

export type FlagsResult = { ok: true; definition: Record<string, unknown> } | { ok: false; problems: string[] };

export function definitionFromFlags(name: string, f: FileviewFlags, base: Record<string, unknown> = {}): FlagsResult {
  const problems: string[] = [];
  const kinds = [f.csv ? 'csv' : null, f.jsonpath?.length ? 'jsonpath' : null, f.regex !== undefined ? 'regex' : null, f.command !== undefined ? 'command' : null].filter((k): k is string => k !== null);
  if (kinds.length > 1) problems.push(`choose one transformation, got ${kinds.map((k) => `--${k}`).join(' and ')}`);
  let transform: Record<string, unknown> | undefined = base['transform'] as Record<string, unknown> | undefined;
  switch (kinds[0]) {
    case 'csv':
      transform = { kind: 'csv', ...(f.columns ? { columns: f.columns.split(',').map((c) => c.trim()).filter(Boolean) } : {}), ...(f.delimiter ? { delimiter: f.delimiter } : {}) };
      break;
    case 'jsonpath': {
      const columns: Record<string, string> = {};
      for (const spec of f.jsonpath ?? []) {
        const eq = spec.indexOf('=');
        if (eq <= 0) problems.push(`--jsonpath needs column=$.path, got ${JSON.stringify(spec)}`);
        else columns[spec.slice(0, eq)] = spec.slice(eq + 1);
      }
      transform = { kind: 'jsonpath', columns, ...(f.rows ? { rows: f.rows } : {}) };
      break;
    }
    case 'regex':
      transform = { kind: 'regex', pattern: f.regex, ...(f.flags ? { flags: f.flags } : {}) };
      break;
    case 'command': {
      const timeoutMs = f.timeoutMs === undefined ? undefined : Number(f.timeoutMs);
      transform = { kind: 'command', command: f.command, ...(f.output ? { output: f.output } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
      break;
    }
  }
  if (!transform) problems.push('a transformation is needed: --csv, --jsonpath col=$.path, --regex <re> or --command <cmd> (or a --file)');
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    definition: {
      ...base,
      name,
      ...(f.pattern ? { pattern: f.pattern } : {}),
      transform,
      ...(f.properties ? { properties: f.properties } : {}),
      ...(f.propertyPrefix !== undefined ? { propertyPrefix: f.propertyPrefix } : {}),
    },
  };
}
