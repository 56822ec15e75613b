/**
 * `provstream run [options] -- <command…>`: the wrapper's own options. Pure.
 *
 * Options come first; the wrapped command starts after `--` or at the first token that is not an
 * option of ours, and is passed on untouched (its own `--flags` are never read as ours). Parsed
 * by hand rather than with commander so that nothing of the command can be swallowed, and so the
 * path to spawning the command loads as little as possible (the wrapper's overhead budget).
 */

export const METRIC_STREAMS = ['stdout', 'stderr', 'both'] as const;
export type MetricStream = (typeof METRIC_STREAMS)[number];

export interface RunOptions {
  /** argv of the wrapped command: program first. Never empty when parsing succeeded. */
  command: string[];
  /** Globs of declared inputs / outputs, relative to the current directory. */
  inputs: string[];
  outputs: string[];
  agent: string | null;
  project: string | null;
  /** Activity name (default: derived from the command, see naming.ts). */
  name: string | null;
  /** Extra parameters (`--param k=v`), added over the ones parsed from the command line. */
  params: Record<string, string>;
  /** Extra environment variable names or globs to record (over the project's selection). */
  env: string[];
  metricRegex: string[];
  metricJsonl: boolean;
  metricStream: MetricStream | null;
  /** Extra ignore globs for the working-tree scan. */
  ignore: string[];
  /** false: no before/after scan; only declared outputs are captured. */
  scan: boolean;
  config: string | null;
  flushTimeoutMs: number | null;
  /** Deliver to Kafka before exiting (up to the flush timeout) instead of in the background. */
  wait: boolean;
  quiet: boolean;
  help: boolean;
}

export type ParsedRunArgs = { ok: true; options: RunOptions } | { ok: false; error: string };

type ValueOption = 'in' | 'out' | 'agent' | 'project' | 'name' | 'param' | 'env' | 'metric-regex' | 'metric-stream' | 'ignore' | 'config' | 'flush-timeout';
const VALUE_OPTIONS: ReadonlySet<string> = new Set<ValueOption>(['in', 'out', 'agent', 'project', 'name', 'param', 'env', 'metric-regex', 'metric-stream', 'ignore', 'config', 'flush-timeout']);
const FLAG_OPTIONS: Readonly<Record<string, (o: RunOptions) => void>> = {
  quiet: (o) => (o.quiet = true),
  q: (o) => (o.quiet = true),
  'no-scan': (o) => (o.scan = false),
  'metric-jsonl': (o) => (o.metricJsonl = true),
  wait: (o) => (o.wait = true),
  help: (o) => (o.help = true),
  h: (o) => (o.help = true),
};

export function emptyRunOptions(): RunOptions {
  return {
    command: [], inputs: [], outputs: [], agent: null, project: null, name: null, params: {}, env: [],
    metricRegex: [], metricJsonl: false, metricStream: null, ignore: [], scan: true, config: null,
    flushTimeoutMs: null, wait: false, quiet: false, help: false,
  };
}

/** Parses the arguments that follow `run`. */
export function parseRunArgs(args: readonly string[]): ParsedRunArgs {
  const o = emptyRunOptions();
  let i = 0;
  for (; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      i++;
      break;
    }
    const m = /^--?([a-z][a-z-]*)(?:=([\s\S]*))?$/.exec(token);
    if (!m) break; // the command starts here
    const name = m[1]!;
    const flag = FLAG_OPTIONS[name];
    if (flag) {
      if (m[2] !== undefined) return { ok: false, error: `--${name} takes no value` };
      flag(o);
      continue;
    }
    if (!VALUE_OPTIONS.has(name) || (token.startsWith('--') === false && name.length > 1)) {
      return { ok: false, error: `unknown option ${token} (options go before the command; put the command after --)` };
    }
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= args.length) return { ok: false, error: `--${name} needs a value` };
      value = args[++i]!;
    }
    const problem = setValue(o, name as ValueOption, value);
    if (problem) return { ok: false, error: problem };
  }
  o.command = args.slice(i);
  if (o.command.length === 0 && !o.help) return { ok: false, error: 'no command given: provstream run [options] -- <command…>' };
  return { ok: true, options: o };
}

const LIST_OPTIONS = { in: 'inputs', out: 'outputs', env: 'env', 'metric-regex': 'metricRegex', ignore: 'ignore' } as const;
const TEXT_OPTIONS = { agent: 'agent', project: 'project', name: 'name', config: 'config' } as const;

function setValue(o: RunOptions, name: ValueOption, value: string): string | null {
  if (name in LIST_OPTIONS) {
    o[LIST_OPTIONS[name as keyof typeof LIST_OPTIONS]].push(value);
    return null;
  }
  if (name in TEXT_OPTIONS) {
    o[TEXT_OPTIONS[name as keyof typeof TEXT_OPTIONS]] = value;
    return null;
  }
  if (name === 'param') {
    const eq = value.indexOf('=');
    if (eq <= 0) return `--param needs key=value, got ${JSON.stringify(value)}`;
    o.params[value.slice(0, eq)] = value.slice(eq + 1);
    return null;
  }
  if (name === 'metric-stream') {
    if (!(METRIC_STREAMS as readonly string[]).includes(value)) return `--metric-stream must be one of ${METRIC_STREAMS.join(', ')}, got ${JSON.stringify(value)}`;
    o.metricStream = value as MetricStream;
    return null;
  }
  const n = Number(value); // flush-timeout
  if (!Number.isInteger(n) || n < 0 || n > 600_000) return `--flush-timeout must be milliseconds from 0 to 600000, got ${JSON.stringify(value)}`;
  o.flushTimeoutMs = n;
  return null;
}

export const RUN_USAGE = `Usage: provstream run [options] -- <command> [args…]

Runs <command> exactly as without provstream (same stdin/stdout/stderr, exit code and signals)
and records it as one activity: command line, parameters, working directory, agent, selected
environment (secret-looking names redacted), timing, exit code, the files it read and wrote as
content-hashed entity versions, and metrics parsed from its output.

Options:
  --in <glob>             declared input (repeatable); hashed before the command starts
  --out <glob>            declared output (repeatable); also found by the before/after scan
  --agent <name>          who runs it (default: $PROVSTREAM_AGENT, project config, git user.name)
  --project <name>        project (default: $PROVSTREAM_PROJECT, project config, folder name)
  --name <name>           activity name (default: the script or program name)
  --param <key=value>     extra parameter (repeatable)
  --env <NAME|glob>       also record these environment variables (repeatable)
  --metric-regex <re>     metric extractor: regex with named groups (repeatable)
  --metric-jsonl          metric extractor: numeric fields of JSON lines
  --metric-stream <s>     stdout | stderr | both (default both) for the flags above
  --ignore <glob>         skip these paths in the working-tree scan (repeatable)
  --no-scan               no before/after scan: only --out files count as outputs
  --config <file>         project config (default <root>/.provstream/config.yaml)
  --wait                  send the events to Kafka before exiting (default: a background
                          deliverer sends them, so the command's exit is never delayed)
  --flush-timeout <ms>    with --wait: how long to wait for Kafka (default 1500); then the
                          events stay in the spill dir and go with the next run
  -q, --quiet             no provstream warnings on stderr
  -h, --help              this text

Configuration, state file and fileviews: services/capture/README.md.`;
