/**
 * Metric extractors: turn a wrapped command's output lines into metric points (key, step,
 * value). Pure; the scanner's only state is the next automatic step of every key.
 *
 * regex — a JavaScript regular expression with named groups (Python's `(?P<name>…)` is accepted
 *   too). On every matching line:
 *     - groups `key` and `value`: one point, named by the `key` group;
 *     - otherwise every named group (except `step`) whose text is a number is a point named by
 *       the group (`epoch (?<step>\d+) loss=(?<loss>\S+) acc=(?<accuracy>\S+)`).
 *   With the `g` flag, every match on the line counts.
 * jsonl — lines that are JSON objects: every finite number (nested objects flattened with `.`),
 *   or only those listed in `keys`; the step comes from the field named by `step` (default
 *   "step"; "epoch", "iteration" and "iter" are tried when absent).
 * The step of a point is the `step` group / field when it is a non-negative integer, else the
 * key's next automatic step (0, 1, 2, … per key, continuing after explicit steps).
 * `prefix` is prepended to every key; `stream` chooses stdout, stderr or both (default).
 */
import type { MetricStream } from './options.js';

export type OutputStream = 'stdout' | 'stderr';

export type ExtractorSpec =
  | { kind: 'regex'; pattern: string; flags?: string; stream?: MetricStream; prefix?: string }
  | { kind: 'jsonl'; step?: string; keys?: string[]; stream?: MetricStream; prefix?: string };

export interface ExtractedPoint {
  key: string;
  step: number;
  value: number;
}

interface Compiled {
  spec: ExtractorSpec;
  stream: MetricStream;
  regex: RegExp | null;
}

export type CompiledExtractors = { ok: true; extractors: readonly Compiled[] } | { ok: false; problems: string[] };

const GROUP_NAME = /\(\?P?<([A-Za-z_$][\w$]*)>/g;
const METRIC_KEY = /^[^\s]{1,256}$/;
const STEP_FALLBACKS = ['epoch', 'iteration', 'iter'];

/** Validates and compiles every spec; all problems at once (`<where>: <what>`). */
export function compileExtractors(specs: readonly ExtractorSpec[], where = 'metrics'): CompiledExtractors {
  const problems: string[] = [];
  const extractors: Compiled[] = [];
  specs.forEach((spec, i) => {
    const at = `${where}[${i}]`;
    const stream = spec.stream ?? 'both';
    if (spec.kind === 'jsonl') {
      extractors.push({ spec, stream, regex: null });
      return;
    }
    const groups = [...spec.pattern.matchAll(GROUP_NAME)].map((m) => m[1]!);
    if (groups.filter((g) => g !== 'step').length === 0) problems.push(`${at}: the regex ${JSON.stringify(spec.pattern)} has no named group for a value, e.g. (?<loss>[0-9.]+)`);
    if (groups.includes('key') !== groups.includes('value')) problems.push(`${at}: groups "key" and "value" go together`);
    const flags = spec.flags ?? '';
    if (!/^[gimsu]*$/.test(flags)) problems.push(`${at}: flags may only use g, i, m, s, u, got ${JSON.stringify(flags)}`);
    try {
      extractors.push({ spec, stream, regex: new RegExp(spec.pattern.replace(/\(\?P</g, '(?<'), flags.replace(/[^gimsu]/g, '')) });
    } catch (err) {
      problems.push(`${at}: invalid regex: ${(err as Error).message}`);
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, extractors };
}

/** Which streams any extractor reads (the wrapper pipes only those; the others stay inherited). */
export function streamsRead(extractors: readonly Compiled[]): Set<OutputStream> {
  const s = new Set<OutputStream>();
  for (const e of extractors) {
    if (e.stream !== 'stderr') s.add('stdout');
    if (e.stream !== 'stdout') s.add('stderr');
  }
  return s;
}

function toNumber(text: unknown): number | null {
  if (typeof text === 'number') return Number.isFinite(text) ? text : null;
  if (typeof text !== 'string' || text.trim() === '') return null;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : null;
}

function toStep(v: unknown): number | null {
  const n = toNumber(v);
  return n !== null && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export class MetricScanner {
  private readonly nextStep = new Map<string, number>();

  constructor(private readonly extractors: readonly Compiled[]) {}

  /** The points one output line yields, in extractor order. */
  line(stream: OutputStream, text: string): ExtractedPoint[] {
    const out: ExtractedPoint[] = [];
    for (const e of this.extractors) {
      if (e.stream !== 'both' && e.stream !== stream) continue;
      if (e.regex) this.regexLine(e.regex, e.spec.prefix ?? '', text, out);
      else if (e.spec.kind === 'jsonl') this.jsonLine(e.spec, text, out);
    }
    return out;
  }

  private point(key: string, explicitStep: number | null, value: number, out: ExtractedPoint[]): void {
    if (!METRIC_KEY.test(key)) return;
    const step = explicitStep ?? this.nextStep.get(key) ?? 0;
    this.nextStep.set(key, step + 1);
    out.push({ key, step, value });
  }

  private regexLine(regex: RegExp, prefix: string, text: string, out: ExtractedPoint[]): void {
    const matches = regex.global ? [...text.matchAll(regex)] : [regex.exec(text)];
    for (const m of matches) {
      const g = m?.groups;
      if (!g) continue;
      const step = toStep(g['step']);
      if ('key' in g && 'value' in g) {
        const v = toNumber(g['value']);
        if (g['key'] && v !== null) this.point(prefix + g['key'], step, v, out);
        continue;
      }
      for (const [name, raw] of Object.entries(g)) {
        if (name === 'step') continue;
        const v = toNumber(raw);
        if (v !== null) this.point(prefix + name, step, v, out);
      }
    }
  }

  private jsonLine(spec: Extract<ExtractorSpec, { kind: 'jsonl' }>, text: string, out: ExtractedPoint[]): void {
    const t = text.trim();
    if (!t.startsWith('{') || !t.endsWith('}')) return;
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      return;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return;
    const flat = flatten(obj as Record<string, unknown>);
    const stepField = spec.step ?? [ 'step', ...STEP_FALLBACKS ].find((f) => f in flat) ?? 'step';
    const step = toStep(flat[stepField]);
    const keys = spec.keys ?? Object.keys(flat).filter((k) => k !== stepField);
    for (const k of keys) {
      const v = flat[k];
      if (typeof v === 'number' && Number.isFinite(v)) this.point((spec.prefix ?? '') + k, step, v, out);
    }
  }
}

function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}, depth = 0): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && depth < 8) flatten(v as Record<string, unknown>, `${prefix}${k}.`, out, depth + 1);
    else out[prefix + k] = v;
  }
  return out;
}
