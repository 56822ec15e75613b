/**
 * Rule files: parseRules(text) turns YAML or JSON into validated Rule objects.
 *
 * Accepted shapes: a single rule object, a list of rules, or `{ rules: [...] }`. Each rule:
 *
 *   - id: low-accuracy                # unique, [A-Za-z0-9._-]
 *     kind: threshold                 # threshold | regression | zscore | rate | absence | taint
 *     severity: warning               # info | warning | critical
 *     dedupWindow: 10m                # or dedupWindowMs; number = ms; default 10m; 0 = off
 *     notify: [feed, {type: webhook, url: "https://hooks.example/x"}]
 *     enabled: true                   # default true
 *     projects: ["team-*"]            # optional project globs
 *     stateTtl: 30d                   # optional lifetime of long-lived state
 *     match: {artifact: "models/*"}   # artifact | entityType | activity | subject globs
 *     threshold: {metric: accuracy, op: "<", value: 0.8}
 *
 * The parameters live under a field named after the kind (see rule-kinds.ts). Validation reports
 * every problem at once with a JSON-pointer path, e.g.
 * `/rules/2/threshold/op: must be one of <, <=, >, >=, ==, !=`, plus the line in the text.
 */
import { LineCounter, parseDocument } from 'yaml';
import { validateKindParams, type KindParams } from './rule-kinds.js';
import { DEFAULTS, LIMITS, NOTIFY_TYPES, RULE_KINDS, SEVERITIES, type NotifyTarget, type Rule, type SubjectSelector } from './rule-types.js';
import { describe, Fields, Issues, isRecord, pointer, type RuleIssue } from './validation.js';

export * from './rule-types.js';
export { formatIssue, type RuleIssue } from './validation.js';

export type Result<T, E> = { ok: true; value: T } | { ok: false; errors: E };

export type RuleFormat = 'yaml' | 'json';

/** A rule file's format by its name: `.json` is strict JSON, anything else YAML. */
export function ruleFormatOf(path: string): RuleFormat {
  return path.endsWith('.json') ? 'json' : 'yaml';
}

/**
 * Parses and validates a rule file. `format` defaults to YAML (a superset of JSON); pass 'json'
 * for strict JSON. Never throws on user input: syntax errors and every validation problem come
 * back as `errors`, in document order, each with a line when it can be located.
 */
export function parseRules(text: string, format: RuleFormat = 'yaml'): Result<Rule[], RuleIssue[]> {
  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      return { ok: false, errors: [{ path: '', message: `invalid JSON: ${(err as Error).message}` }] };
    }
    return validateRules(data);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', message: `invalid YAML: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
      }),
    };
  }
  const result = validateRules(doc.toJS());
  if (result.ok) return result;
  const located = result.errors.map((issue) => locate(issue, doc, lineCounter));
  // Stable sort: document order for the reader, collection order among equal positions.
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, errors: located };
}

/** Validates an already-decoded document (e.g. a JSON request body). Same shapes as parseRules. */
export function validateRules(data: unknown): Result<Rule[], RuleIssue[]> {
  const issues = new Issues();
  let items: { value: unknown; path: string }[] = [];
  if (Array.isArray(data)) {
    items = data.map((value, i) => ({ value, path: pointer('', i) }));
  } else if (isRecord(data) && 'rules' in data) {
    const doc = new Fields(data, '', issues);
    const list = doc.list('rules', { required: true });
    items = (list ?? []).map((value, i) => ({ value, path: pointer('/rules', i) }));
    doc.finish(() => 'a rule file with `rules:` holds nothing else');
  } else if (isRecord(data)) {
    items = [{ value: data, path: '' }];
  } else {
    issues.add('', `must be a rule, a list of rules or {rules: [...]}, got ${describe(data)}`);
  }

  const rules: Rule[] = [];
  const firstPathById = new Map<string, string>();
  for (const { value, path } of items) {
    const rule = validateRule(value, path, issues);
    const id = isRecord(value) && typeof value.id === 'string' ? value.id : undefined;
    if (id === undefined) continue;
    const earlier = firstPathById.get(id);
    if (earlier !== undefined) {
      issues.add(pointer(path, 'id'), `duplicate rule id ${JSON.stringify(id)} (first defined at ${earlier || '/'})`);
      continue;
    }
    firstPathById.set(id, path);
    if (rule) rules.push(rule);
  }
  return issues.list.length > 0 ? { ok: false, errors: issues.list } : { ok: true, value: rules };
}

function validateRule(value: unknown, path: string, issues: Issues): Rule | undefined {
  if (!isRecord(value)) {
    issues.add(path, `must be a rule object, got ${describe(value)}`);
    return undefined;
  }
  const before = issues.list.length;
  const f = new Fields(value, path, issues);
  const id = f.string('id', { required: true, pattern: LIMITS.idPattern, hint: 'letters, digits, ".", "_", "-" (at most 64)' });
  const kind = f.oneOf('kind', RULE_KINDS, { required: true });
  const description = f.string('description') ?? null;
  const severity = f.oneOf('severity', SEVERITIES, { required: true });
  const enabled = f.boolean('enabled') ?? true;
  const dedupWindowMs = dedupWindow(f) ?? DEFAULTS.dedupWindowMs;
  const notify = notifyTargets(f);
  const projects = globList(f, 'projects');
  const stateTtlMs = f.duration('stateTtl', { min: 1000 }) ?? DEFAULTS.stateTtlMs;
  const match = f.has('match') ? selector(f) : (f.raw('match'), undefined);

  let params: KindParams | undefined;
  if (kind) params = validateKindParams(kind, f, match);
  f.finish((key) =>
    !kind && (RULE_KINDS as readonly string[]).includes(key)
      ? 'parameters of a rule kind; set `kind` accordingly'
      : kind && (RULE_KINDS as readonly string[]).includes(key)
        ? `\`${key}\` parameters do not apply to a ${kind} rule`
        : undefined,
  );
  if (issues.list.length > before || !id || !kind || !severity || !notify || !params) return undefined;
  const base = { id, description, severity, enabled, dedupWindowMs, notify, projects, stateTtlMs };
  return { ...base, ...params } as Rule;
}

function dedupWindow(f: Fields): number | undefined {
  if (f.has('dedupWindow') && f.has('dedupWindowMs')) {
    f.raw('dedupWindowMs');
    f.issues.add(f.at('dedupWindowMs'), 'give either dedupWindow or dedupWindowMs, not both');
    return f.duration('dedupWindow');
  }
  return f.has('dedupWindowMs') ? f.duration('dedupWindowMs') : f.duration('dedupWindow');
}

function notifyTargets(f: Fields): NotifyTarget[] | undefined {
  const list = f.list('notify', { required: true, single: true, nonEmpty: true });
  if (!list) return undefined;
  const out: NotifyTarget[] = [];
  let ok = true;
  list.forEach((item, i) => {
    const path = pointer(f.at('notify'), i);
    const target = notifyTarget(item, path, f.issues);
    if (target) out.push(target);
    else ok = false;
  });
  return ok ? out : undefined;
}

function notifyTarget(item: unknown, path: string, issues: Issues): NotifyTarget | undefined {
  if (typeof item === 'string') item = { type: item };
  if (!isRecord(item)) {
    issues.add(path, `must be a target such as {type: webhook, url: ...} or "feed", got ${describe(item)}`);
    return undefined;
  }
  const t = new Fields(item, path, issues);
  const type = t.oneOf('type', NOTIFY_TYPES, { required: true });
  let target: NotifyTarget | undefined;
  if (type === 'webhook') {
    const url = t.string('url', { required: true, pattern: /^https?:\/\/[^\s/]+/i, hint: 'an http(s) URL' });
    if (url) target = { type, url };
  } else if (type) {
    target = { type };
  }
  t.finish();
  return target;
}

function globList(f: Fields, key: string): string[] | null {
  const list = f.list(key, { single: true, nonEmpty: true });
  if (!list) return null;
  const out: string[] = [];
  list.forEach((g, i) => {
    if (typeof g === 'string' && g.trim() !== '') out.push(g);
    else f.issues.add(pointer(f.at(key), i), `must be a non-empty glob string, got ${describe(g)}`);
  });
  return out;
}

function selector(f: Fields): SubjectSelector | undefined {
  const m = f.object('match');
  if (!m) return undefined;
  const sel: SubjectSelector = {
    artifact: m.string('artifact') ?? null,
    entityType: m.string('entityType') ?? null,
    activity: m.string('activity') ?? null,
    subject: m.string('subject') ?? null,
  };
  m.finish();
  return sel;
}

/** Attaches the line/column of the node an issue points at (or its nearest existing ancestor). */
function locate(issue: RuleIssue, doc: ReturnType<typeof parseDocument>, lc: LineCounter): RuleIssue {
  const segments = issue.path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const pos = lc.linePos(range[0]);
      return { ...issue, line: pos.line, column: pos.col };
    }
  }
  return issue;
}
