/**
 * The per-project wrapper configuration, `.provstream/config.yaml` at the project root. Pure:
 * validates the parsed YAML/JSON and reports every problem at once with its path.
 *
 *   project: churn                    # default project of runs in this tree
 *   agent: alice                      # default agent (else $PROVSTREAM_AGENT, git user.name)
 *   env: ["AWS_REGION", "HF_*"]       # recorded on top of the default selection
 *   secretWords: [SIGNING]            # more name words that mean "redact"
 *   inputs: ["data/raw/*.csv"]        # declared inputs of every run
 *   outputs: ["models/**"]            # declared outputs of every run
 *   ignore: ["tmp/**", "*.log"]       # not scanned (.git, node_modules, .provstream always are)
 *   scan: true                        # before/after scan of the tree
 *   maxScanFiles: 200000              # larger trees: scan skipped with a warning
 *   flushTimeoutMs: 1500              # how long to wait for Kafka at the end
 *   metrics:
 *     - regex: 'epoch (?<step>\d+) loss=(?<loss>[\d.]+)'
 *       stream: stdout                # stdout | stderr | both (default)
 *     - jsonl: {step: epoch, keys: [loss, accuracy]}   # or jsonl: true
 */
import type { ExtractorSpec } from './extract.js';
import { METRIC_STREAMS } from './options.js';
import type { MetricStream } from './options.js';

export interface ProjectConfig {
  project: string | null;
  agent: string | null;
  env: string[];
  secretWords: string[];
  inputs: string[];
  outputs: string[];
  ignore: string[];
  scan: boolean;
  maxScanFiles: number;
  flushTimeoutMs: number;
  metrics: ExtractorSpec[];
}

export const DEFAULT_PROJECT_CONFIG: Readonly<ProjectConfig> = Object.freeze({
  project: null, agent: null, env: [], secretWords: [], inputs: [], outputs: [], ignore: [],
  scan: true, maxScanFiles: 200_000, flushTimeoutMs: 1500, metrics: [],
});

export type ParsedProjectConfig = { ok: true; config: ProjectConfig } | { ok: false; problems: string[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const KNOWN = new Set(['project', 'agent', 'env', 'secretWords', 'inputs', 'outputs', 'ignore', 'scan', 'maxScanFiles', 'flushTimeoutMs', 'metrics']);

export function parseProjectConfig(input: unknown): ParsedProjectConfig {
  const problems: string[] = [];
  const cfg: ProjectConfig = { ...DEFAULT_PROJECT_CONFIG, metrics: [] };
  if (input === null || input === undefined) return { ok: true, config: cfg };
  if (!isObj(input)) return { ok: false, problems: ['/: the config must be a mapping (key: value)'] };
  for (const k of Object.keys(input)) if (!KNOWN.has(k)) problems.push(`/${k}: unknown setting (known: ${[...KNOWN].join(', ')})`);
  const str = (k: 'project' | 'agent') => {
    const v = input[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '') return problems.push(`/${k}: must be a non-empty string`), null;
    return v;
  };
  const list = (k: 'env' | 'secretWords' | 'inputs' | 'outputs' | 'ignore') => {
    const v = input[k] ?? [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) return problems.push(`/${k}: must be a list of non-empty strings`), [];
    return v as string[];
  };
  const int = (k: 'maxScanFiles' | 'flushTimeoutMs', min: number, max: number) => {
    const v = input[k];
    if (v === undefined) return DEFAULT_PROJECT_CONFIG[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return problems.push(`/${k}: must be an integer from ${min} to ${max}`), DEFAULT_PROJECT_CONFIG[k];
    return v;
  };
  cfg.project = str('project');
  cfg.agent = str('agent');
  cfg.env = list('env');
  cfg.secretWords = list('secretWords');
  cfg.inputs = list('inputs');
  cfg.outputs = list('outputs');
  cfg.ignore = list('ignore');
  if (input['scan'] !== undefined && typeof input['scan'] !== 'boolean') problems.push('/scan: must be true or false');
  else if (input['scan'] === false) cfg.scan = false;
  cfg.maxScanFiles = int('maxScanFiles', 1, 10_000_000);
  cfg.flushTimeoutMs = int('flushTimeoutMs', 0, 600_000);
  const metrics = input['metrics'] ?? [];
  if (!Array.isArray(metrics)) problems.push('/metrics: must be a list of extractors');
  else metrics.forEach((m, i) => parseExtractor(m, `/metrics/${i}`, problems, cfg.metrics));
  return problems.length ? { ok: false, problems } : { ok: true, config: cfg };
}

function parseExtractor(m: unknown, at: string, problems: string[], out: ExtractorSpec[]): void {
  if (!isObj(m)) return void problems.push(`${at}: must be a mapping with "regex" or "jsonl"`);
  const stream = m['stream'];
  if (stream !== undefined && !(METRIC_STREAMS as readonly unknown[]).includes(stream)) problems.push(`${at}/stream: must be one of ${METRIC_STREAMS.join(', ')}`);
  const prefix = m['prefix'];
  if (prefix !== undefined && typeof prefix !== 'string') problems.push(`${at}/prefix: must be a string`);
  const common = { ...(stream !== undefined ? { stream: stream as MetricStream } : {}), ...(typeof prefix === 'string' ? { prefix } : {}) };
  for (const k of Object.keys(m)) if (!['regex', 'flags', 'jsonl', 'stream', 'prefix'].includes(k)) problems.push(`${at}/${k}: unknown setting`);
  if (typeof m['regex'] === 'string') {
    const flags = m['flags'];
    if (flags !== undefined && typeof flags !== 'string') problems.push(`${at}/flags: must be a string such as "g" or "i"`);
    out.push({ kind: 'regex', pattern: m['regex'], ...(typeof flags === 'string' ? { flags } : {}), ...common });
    return;
  }
  const j = m['jsonl'];
  if (j === true) return void out.push({ kind: 'jsonl', ...common });
  if (isObj(j)) {
    const step = j['step'];
    const keys = j['keys'];
    if (step !== undefined && typeof step !== 'string') problems.push(`${at}/jsonl/step: must be a field name`);
    if (keys !== undefined && (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string'))) problems.push(`${at}/jsonl/keys: must be a list of field names`);
    out.push({ kind: 'jsonl', ...(typeof step === 'string' ? { step } : {}), ...(Array.isArray(keys) ? { keys: keys as string[] } : {}), ...common });
    return;
  }
  problems.push(`${at}: needs "regex: <pattern>" or "jsonl: true | {step, keys}"`);
}
