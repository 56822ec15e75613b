/**
 * `provstream import openlineage|prov-json <file|->`: publishes files of OpenLineage events or
 * PROV-JSON documents through the gateway's mapping (services/gateway), straight to Kafka.
 *
 * Input: JSON lines (one event / document per line), a JSON array, or one JSON document.
 * OpenLineage events are validated one by one: invalid ones are reported (with their line or
 * index and every problem) and skipped, the others published in batches; run states live where
 * the gateway keeps them (Redis, or --run-state memory for a one-off import). A PROV-JSON document
 * is published whole or not at all. Progress on stderr, the summary on stdout (--json: stable JSON).
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createKafka } from '../lib/kafka.js';
import { createRootLogger } from '../lib/log.js';
import { createRedis, connectRedis } from '../lib/redis.js';
import { errorMessage } from '../lib/errors.js';
import type { Problem } from '../model/validate.js';
import { formatProblems } from '../model/validate.js';
import { KafkaPublisher } from '../gateway/publisher.js';
import type { Publisher } from '../gateway/publisher.js';
import { MemoryRunStateStore } from '../gateway/openlineage/run-state.js';
import type { RunStateStore } from '../gateway/openlineage/run-state.js';
import { RedisRunStateStore } from '../gateway/openlineage/run-state-redis.js';
import { prepareOpenLineage, resolveOpenLineage } from '../gateway/openlineage/translate.js';
import type { PreparedEvent } from '../gateway/openlineage/translate.js';
import { GatewayService } from '../gateway/service.js';
import { RequestError } from '../gateway/http-errors.js';
import type { GatewayPipelineConfig } from '../gateway/config.js';

export type ImportFormat = 'openlineage' | 'prov-json';

export interface ImportReport {
  format: ImportFormat;
  /** Items read (events or documents). */
  read: number;
  accepted: number;
  rejected: number;
  /** Provenance events acknowledged by Kafka. */
  published: number;
  rejections: Array<{ item: string; problems: Problem[] }>;
}

export interface ImportOptions {
  project: string;
  batchSize: number;
  runState: 'redis' | 'memory';
  /** PROV-JSON: the time of facts without their own (epoch ms). */
  time?: number;
  maxFacetBytes: number;
  progress: (msg: string) => void;
}

type Item = { ref: string; value: unknown } | { ref: string; error: string };

/** Items of a file: JSON lines, or (when the first line is not a JSON value by itself) one JSON value, an array giving its elements. */
async function* readItems(path: string): AsyncGenerator<Item> {
  const input = path === '-' ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const rl = createInterface({ input, crlfDelay: Infinity });
  const lines: string[] = [];
  let n = 0;
  let jsonLines: boolean | null = null;
  for await (const text of rl) {
    n++;
    if (jsonLines === false) {
      lines.push(text);
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (jsonLines === null) {
        jsonLines = false;
        lines.push(...Array<string>(n - 1).fill(''), text);
        continue;
      }
      yield { ref: `line ${n}`, error: `not valid JSON: ${errorMessage(err)}` };
      continue;
    }
    if (jsonLines === null && Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) yield { ref: `[${i}]`, value: value[i] };
      jsonLines = true;
      continue;
    }
    jsonLines = true;
    yield { ref: `line ${n}`, value };
  }
  if (jsonLines === false) {
    let value: unknown;
    try {
      value = JSON.parse(lines.join('\n'));
    } catch (err) {
      yield { ref: path, error: `not valid JSON (nor JSON lines): ${errorMessage(err)}` };
      return;
    }
    if (Array.isArray(value)) for (let i = 0; i < value.length; i++) yield { ref: `[${i}]`, value: value[i] };
    else yield { ref: path, value };
  }
}

export async function importItems(items: AsyncIterable<Item>, format: ImportFormat, publisher: Publisher, runStates: RunStateStore, o: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { format, read: 0, accepted: 0, rejected: 0, published: 0, rejections: [] };
  const reject = (item: string, problems: Problem[]) => {
    report.rejected++;
    report.rejections.push({ item, problems });
  };
  let batch: PreparedEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const events = await resolveOpenLineage(o.project, batch, runStates);
    await publisher.publish(events);
    report.accepted += batch.length;
    report.published += events.length;
    batch = [];
    o.progress(`${report.read} read: ${report.accepted} accepted, ${report.rejected} rejected, ${report.published} provenance events published`);
  };
  const service = new GatewayService({ publisher, runStates, lineage: null, limits: { maxEventsPerRequest: 1, maxFacetBytes: o.maxFacetBytes, exportMaxDepth: 0, exportMaxVertices: 0 }, log: createRootLogger('silent') });
  for await (const item of items) {
    report.read++;
    if ('error' in item) {
      reject(item.ref, [{ path: '', message: item.error }]);
      continue;
    }
    if (format === 'openlineage') {
      const p = prepareOpenLineage(item.value, { maxFacetBytes: o.maxFacetBytes });
      if (!p.ok) reject(item.ref, p.problems);
      else batch.push(p.prepared);
      if (batch.length >= o.batchSize) await flush();
      continue;
    }
    try {
      const r = await service.acceptProv(o.project, item.value, o.time);
      report.accepted++;
      report.published += r.published;
      o.progress(`${item.ref}: ${r.counts.entities} entities, ${r.counts.activities} activities, ${r.counts.agents} agents, ${r.counts.edges} edges, ${r.counts.keptRelations} kept relations; ${r.published} provenance events published`);
    } catch (err) {
      if (err instanceof RequestError) reject(item.ref, err.problems.length ? err.problems : [{ path: '', message: err.message }]);
      else throw err;
    }
  }
  await flush();
  return report;
}

/** Imports a file with the gateway's settings (GATEWAY_RUN_STATE, REDIS_URL, ... ; `o.runState` wins). */
export async function importFile(cfg: GatewayPipelineConfig, format: ImportFormat, path: string, o: Omit<ImportOptions, 'maxFacetBytes'>): Promise<ImportReport> {
  const log = createRootLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, 'provstream-import');
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: 'provstream-import', retries: 3 }, log);
  const publisher = new KafkaPublisher(kafka, { topic: cfg.eventsTopic, maxEventBytes: cfg.maxEventBytes, compression: cfg.kafkaCompression });
  const redis = o.runState === 'redis' ? createRedis(cfg.redisUrl, { connectionName: 'provstream-import' }) : null;
  try {
    if (path !== '-') await access(path); // fail early and clearly on a missing file
    if (redis) await connectRedis(redis, cfg.redisUrl);
    const runStates = redis ? new RedisRunStateStore(redis, cfg.redisPrefix, cfg.runStateTtlMs) : new MemoryRunStateStore();
    return await importItems(readItems(path), format, publisher, runStates, { ...o, maxFacetBytes: cfg.maxFacetBytes });
  } finally {
    await publisher.close();
    await redis?.quit().catch(() => undefined);
  }
}

export function renderImportReport(r: ImportReport): string {
  const out = [`${r.format}: read ${r.read}, accepted ${r.accepted}, rejected ${r.rejected}; published ${r.published} provenance events to Kafka`];
  for (const x of r.rejections) out.push(`  ${x.item}: ${formatProblems(x.problems)}`);
  return out.join('\n');
}
