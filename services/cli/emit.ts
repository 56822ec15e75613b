/**
 * `provstream emit <file.jsonl|->`: publishes native events written as JSON lines (the JSON form
 * of the Avro records, schemas/EVOLUTION.md), reporting what was accepted and why anything was
 * rejected.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Emitter } from '../emitter/sdk.js';
import type { Problem } from '../model/validate.js';
import { formatProblems } from '../model/validate.js';
import type { CliConfig } from './config.js';

export interface EmitReport {
  lines: number;
  accepted: number;
  rejected: number;
  delivered: number;
  undelivered: number;
  rejections: Array<{ line: number; eventId: string | null; problems: Problem[] }>;
}

export async function emitFile(cfg: CliConfig, path: string, opts: { progress: (msg: string) => void; flushTimeoutMs: number }): Promise<EmitReport> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const errors: string[] = [];
  const em = new Emitter({ brokers: cfg.kafkaBrokers, project: cfg.project, topic: cfg.eventsTopic, spillDir: cfg.spillDir, onError: (e) => errors.push(e.message) });
  const report: EmitReport = { lines: 0, accepted: 0, rejected: 0, delivered: 0, undelivered: 0, rejections: [] };
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const text of rl) {
    report.lines++;
    if (text.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      report.rejected++;
      report.rejections.push({ line: report.lines, eventId: null, problems: [{ path: '', message: `not valid JSON: ${(err as Error).message}` }] });
      continue;
    }
    const r = em.send(obj as never);
    if (r.ok) report.accepted++;
    else {
      report.rejected++;
      const id = (obj as { eventId?: unknown } | null)?.eventId;
      report.rejections.push({ line: report.lines, eventId: typeof id === 'string' ? id : null, problems: r.problems });
    }
    if (report.lines % 10_000 === 0) opts.progress(`read ${report.lines} lines: ${report.accepted} accepted, ${report.rejected} rejected`);
  }
  const stats = await em.close(opts.flushTimeoutMs);
  report.delivered = stats.delivered;
  report.undelivered = stats.buffered + stats.spilled - 0;
  if (stats.delivered < report.accepted) report.undelivered = report.accepted - stats.delivered;
  else report.undelivered = 0;
  for (const e of new Set(errors)) if (report.undelivered > 0) opts.progress(e);
  return report;
}

export function renderEmitReport(r: EmitReport, spillDir: string): string {
  const out = [`accepted ${r.accepted}, rejected ${r.rejected} (of ${r.lines} lines); delivered ${r.delivered} to Kafka`];
  for (const x of r.rejections) out.push(`  line ${x.line}${x.eventId ? ` (${x.eventId})` : ''}: ${formatProblems(x.problems)}`);
  if (r.undelivered > 0) out.push(`${r.undelivered} accepted events are not yet in Kafka; they are kept in ${spillDir} and sent by the next provstream emit`);
  return out.join('\n');
}
