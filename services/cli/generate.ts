/**
 * `provstream generate --project P --vertices N [--seed S] [--rate events/s] [--out file.jsonl]`:
 * a simulated collaborative project (services/graph/generate.ts) published through the emitter
 * SDK, or written as JSON lines (the form `provstream emit` reads). Progress once a second on
 * stderr, a summary (vertices, edges, events by kind, runs, delivery) on stdout at the end.
 *
 * The generator streams, so memory stays flat at any size. With the SDK, the publisher pauses
 * while more than HIGH_WATER events wait in the SDK's buffer (its send() is synchronous and would
 * otherwise spill or drop); with --rate it is paced to that many events per second.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, Option } from 'commander';
import { Emitter } from '../emitter/sdk.js';
import { formatProblems, validateEvent } from '../model/validate.js';
import { generateProject, MIN_VERTICES, type GenerateStats, type GeneratedEvent } from '../graph/generate.js';
import { sleep } from '../lib/retry.js';
import { InputError } from '../lib/errors.js';
import type { Env } from '../lib/config.js';
import { loadCliConfig, type CliConfig } from './config.js';
import { integer } from './options.js';

/** Events allowed to wait in the SDK buffer before the publisher pauses (SDK bound: 100,000). */
export const HIGH_WATER = 20_000;

export interface GenerateCommandOptions {
  project: string;
  vertices: number;
  seed: string;
  /** Events per second; null = as fast as the output takes them. */
  rate: number | null;
  /** JSON-lines file, `-` for stdout, null for Kafka through the SDK. */
  out: string | null;
  flushTimeoutMs: number;
}

export interface GenerateReport {
  project: string;
  seed: string;
  targetVertices: number;
  output: string;
  seconds: number;
  eventsPerSec: number;
  stats: GenerateStats;
  /** Kafka only: events the SDK confirmed, and those left in its spill dir. */
  delivered: number | null;
  undelivered: number | null;
  /** Events the SDK refused (a generator defect if ever non-zero), with the first reasons. */
  rejected: number;
  rejections: string[];
}

interface Sink {
  /** Takes one event; a promise means "wait before the next one". */
  write(e: GeneratedEvent): void | Promise<void>;
  close(): Promise<{ delivered: number | null; undelivered: number | null }>;
}

function jsonLinesSink(path: string): Sink {
  const stream: Writable = path === '-' ? process.stdout : createWriteStream(path, { encoding: 'utf8' });
  return {
    write(e) {
      if (!stream.write(JSON.stringify(e.event) + '\n')) return new Promise((resolve) => stream.once('drain', resolve));
    },
    async close() {
      if (stream !== process.stdout) await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
      return { delivered: null, undelivered: null };
    },
  };
}

function emitterSink(cfg: CliConfig, project: string, report: GenerateReport, flushTimeoutMs: number, progress: (m: string) => void): Sink {
  const errors = new Set<string>();
  const em = new Emitter({ brokers: cfg.kafkaBrokers, project, topic: cfg.eventsTopic, spillDir: cfg.spillDir, onError: (e) => errors.add(e.message) });
  let sent = 0;
  return {
    write(e) {
      const r = em.send(e.event, e.key);
      if (!r.ok) {
        report.rejected++;
        if (report.rejections.length < 5) report.rejections.push(`${e.event.eventId}: ${formatProblems(r.problems)}`);
      }
      if ((++sent & 1023) === 0) return (async () => {
        while (em.stats().buffered > HIGH_WATER) await sleep(2);
        await new Promise((resolve) => setImmediate(resolve));
      })();
    },
    async close() {
      const stats = await em.close(flushTimeoutMs);
      const undelivered = Math.max(0, stats.accepted - stats.delivered);
      if (undelivered > 0) for (const m of errors) progress(m);
      return { delivered: stats.delivered, undelivered };
    },
  };
}

export async function runGenerate(cfg: CliConfig, o: GenerateCommandOptions, progress: (m: string) => void): Promise<GenerateReport> {
  const g = generateProject({ project: o.project, vertices: o.vertices, seed: o.seed });
  const probe = generateProject({ project: o.project, vertices: MIN_VERTICES, seed: o.seed }).events.next();
  if (!probe.done) {
    const v = validateEvent(probe.value.event);
    if (!v.ok) throw new InputError(`cannot generate project ${JSON.stringify(o.project)}: ${formatProblems(v.problems)}`);
  }
  const report: GenerateReport = {
    project: o.project, seed: o.seed, targetVertices: o.vertices, output: o.out ?? `kafka ${cfg.kafkaBrokers.join(',')} topic ${cfg.eventsTopic}`,
    seconds: 0, eventsPerSec: 0, stats: g.stats, delivered: null, undelivered: null, rejected: 0, rejections: [],
  };
  const sink = o.out !== null ? jsonLinesSink(o.out) : emitterSink(cfg, o.project, report, o.flushTimeoutMs, progress);
  const started = performance.now();
  let lastProgress = started;
  let n = 0;
  for (const e of g.events) {
    const wait = sink.write(e);
    if (wait) await wait;
    n++;
    if (o.rate !== null) {
      const ahead = started + (n / o.rate) * 1000 - performance.now();
      if (ahead > 5) await sleep(ahead);
    }
    if ((n & 4095) === 0 && performance.now() - lastProgress >= 1000) {
      lastProgress = performance.now();
      const s = g.stats;
      progress(`${s.events.toLocaleString('en-US')} events, ${s.vertices.toLocaleString('en-US')} of ${o.vertices.toLocaleString('en-US')} vertices, ${s.edges.toLocaleString('en-US')} edges (${Math.round(n / ((lastProgress - started) / 1000)).toLocaleString('en-US')} events/s)`);
    }
  }
  const closed = await sink.close();
  report.seconds = Math.round(performance.now() - started) / 1000;
  report.eventsPerSec = Math.round(n / Math.max(report.seconds, 0.001));
  report.delivered = closed.delivered;
  report.undelivered = closed.undelivered;
  return report;
}

export function renderGenerateReport(r: GenerateReport): string {
  const s = r.stats;
  const fmt = (x: number) => x.toLocaleString('en-US');
  const list = (o: Record<string, number>) => Object.entries(o).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
  const hot = Object.entries(s.usesByDataset).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} (${fmt(v)} uses)`).join(', ');
  const lines = [
    `project ${r.project} (seed ${r.seed}): ${fmt(s.vertices)} vertices (${list(s.verticesByKind)}), ${fmt(s.edges)} edges (${(s.edges / s.vertices).toFixed(2)} per vertex)`,
    `  edges: ${list(s.edgesByType)}`,
    `  events: ${fmt(s.events)} (${list(s.eventsByType)}) in ${r.seconds} s, ${fmt(r.eventsPerSec)} events/s -> ${r.output}`,
    `  runs: ${list(s.runsByName)}; ${list(s.runsByStatus)}; ${fmt(s.reruns)} re-runs`,
    `  experiments: ${fmt(s.experiments)} (${fmt(s.branchedExperiments)} branched, ${fmt(s.abandonedExperiments)} abandoned); hottest inputs: ${hot}`,
  ];
  if (r.delivered !== null) lines.push(`  delivered ${fmt(r.delivered)} to Kafka${r.undelivered ? `; ${fmt(r.undelivered)} not yet delivered (kept in the spill dir, sent by the next emit)` : ''}`);
  if (r.rejected > 0) lines.push(`  REJECTED ${fmt(r.rejected)} events (a generator defect): ${r.rejections.join('; ')}`);
  return lines.join('\n');
}

/** Adds `generate` to the CLI; `env` is where its connection settings come from (loadCliConfig). */
export function registerGenerate(program: Command, env: Env, progress: (m: string) => void): void {
  program
    .command('generate')
    .description('publish a simulated collaborative project of about N vertices (agents, versioned datasets, pipelines, training runs with metrics, re-runs, abandoned branches, reports); deterministic for a seed')
    .requiredOption('--project <name>', 'project of every event')
    .addOption(new Option('--vertices <n>', `how many vertices (≥ ${MIN_VERTICES}); about 3 edges each`).argParser(integer('--vertices', MIN_VERTICES)).makeOptionMandatory())
    .option('--seed <text>', 'the same seed gives the same events', '1')
    .addOption(new Option('--rate <events/s>', 'pace publishing to this many events per second').argParser(integer('--rate', 1)))
    .option('--out <file.jsonl>', 'write JSON lines (- for stdout) instead of publishing to Kafka')
    .option('--json', 'print the summary as JSON')
    .option('--flush-timeout <ms>', 'how long to wait for Kafka at the end', '60000')
    .action(async (o: { project: string; vertices: number; seed: string; rate?: number; out?: string; json?: boolean; flushTimeout: string }) => {
      const cfg = loadCliConfig({ ...env, PROVSTREAM_PROJECT: o.project });
      const report = await runGenerate(cfg, { project: o.project, vertices: o.vertices, seed: o.seed, rate: o.rate ?? null, out: o.out ?? null, flushTimeoutMs: Number(o.flushTimeout) }, progress);
      const text = o.json ? JSON.stringify(report) : renderGenerateReport(report);
      // With events on stdout, the summary goes to stderr.
      (o.out === '-' ? process.stderr : process.stdout).write(text + '\n');
      process.exitCode = report.rejected > 0 || (report.undelivered ?? 0) > 0 ? 1 : 0;
    });
}
