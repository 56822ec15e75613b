/**
 * The provstream emitter SDK (SPEC §2): record provenance from any Node.js program.
 *
 *   const em = new Emitter({ brokers: ['127.0.0.1:19092'], project: 'demo' });
 *   const alice = em.agent('alice');
 *   const raw = em.entity('data/raw.csv', 'sha256:…');
 *   const run = em.startActivity({ name: 'clean', command: 'python clean.py' });
 *   run.used(raw); run.associatedWith(alice); run.metric('rows', 0, 1234);
 *   const out = run.generated('data/clean.csv', 'sha256:…');
 *   run.end('COMPLETED', 0);
 *   await em.close();
 *
 * Contract: no method ever throws into, or blocks, the instrumented program. Recording methods
 * are synchronous; events are validated, encoded, buffered and sent in gzip-compressed batches in
 * the background. While Kafka is unreachable, events stay buffered (bounded in memory, overflow
 * spilled to a file) and are retried with backoff. Problems are reported to `onError`.
 * All events of one activity share a Kafka key, so they keep their order.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, CompressionTypes, Partitioners, logLevel } from 'kafkajs';
import type { Producer } from 'kafkajs';
import { encodeEvent, packByKey } from '../model/codec.js';
import { validateEvent, formatProblems } from '../model/validate.js';
import type { Problem } from '../model/validate.js';
import { entityId, activityId, agentId, edgeId } from '../model/ids.js';
import type { ActivityStatus, AgentType, EdgeType, Payload, ProvEvent, PropertyValue } from '../model/types.js';
import { backoffDelay } from '../lib/retry.js';
import { SpillingQueue } from './buffer.js';
import { useFastGzip } from '../lib/gzip-codec.js';

export interface EmitterOptions {
  brokers: string[];
  project: string;
  topic?: string;
  /** Written into every event's `producer` field. */
  producer?: string;
  /** Max delay before a partial batch is sent (ms). */
  lingerMs?: number;
  batchSize?: number;
  maxBufferedEvents?: number;
  spillDir?: string;
  maxSpillBytes?: number;
  maxEventBytes?: number;
  /**
   * Pack the events of one Kafka key in a send into one batch-frame message (default true;
   * schemas/EVOLUTION.md). Every provstream reader accepts both; turn it off only for a foreign
   * consumer of the topic that expects one event per message.
   */
  pack?: boolean;
  onError?: (err: Error) => void;
  /** For tests and replays: the clock used for event times. */
  now?: () => number;
}

export interface EmitterStats {
  accepted: number;
  rejected: number;
  delivered: number;
  buffered: number;
  spilled: number;
  dropped: number;
  sendFailures: number;
}

export type RecordResult = { ok: true; eventId: string } | { ok: false; problems: Problem[] };

export const SDK_PRODUCER = 'provstream-sdk/0.1';

export class Emitter {
  readonly project: string;
  private readonly topic: string;
  private readonly producerName: string;
  private readonly lingerMs: number;
  private readonly batchSize: number;
  private readonly maxEventBytes: number;
  private readonly pack: boolean;
  private readonly onError: (err: Error) => void;
  private readonly now: () => number;
  private readonly producer: Producer;
  private readonly queue: SpillingQueue;
  private connected = false;
  private sending = false;
  private closed = false;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters = { accepted: 0, rejected: 0, delivered: 0, sendFailures: 0 };
  private idleWaiters: Array<() => void> = [];

  constructor(opts: EmitterOptions) {
    this.project = opts.project;
    this.topic = opts.topic ?? 'provstream.events';
    this.producerName = opts.producer ?? SDK_PRODUCER;
    this.lingerMs = opts.lingerMs ?? 50;
    this.batchSize = opts.batchSize ?? 2000;
    this.maxEventBytes = opts.maxEventBytes ?? 1024 * 1024;
    this.pack = opts.pack ?? true;
    this.onError = opts.onError ?? (() => undefined);
    this.now = opts.now ?? Date.now;
    this.queue = new SpillingQueue({
      maxInMemory: opts.maxBufferedEvents ?? 100_000,
      ...(opts.spillDir ? { spillDir: opts.spillDir } : {}),
      maxSpillBytes: opts.maxSpillBytes ?? 256 * 1024 * 1024,
      onError: (e) => this.onError(e),
    });
    useFastGzip();
    const kafka = new Kafka({
      clientId: 'provstream-emitter',
      brokers: opts.brokers,
      connectionTimeout: 2000,
      requestTimeout: 10_000,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.NOTHING,
    });
    this.producer = kafka.producer({ allowAutoTopicCreation: true, retry: { retries: 1 }, createPartitioner: Partitioners.DefaultPartitioner });
  }

  /** Events waiting in memory for delivery (stats().buffered without the copy; for back-pressure loops). */
  get buffered(): number {
    return this.queue.length;
  }

  stats(): EmitterStats {
    return { ...this.counters, buffered: this.queue.length, spilled: this.queue.spilled, dropped: this.queue.dropped };
  }

  // ------------------------------------------------------------------ recording (never throws)

  /**
   * Records a complete event (JSON form) with an explicit Kafka key (default `<project>|<subject>`).
   * Validates it; invalid or oversized events are rejected (returned, counted), not sent.
   */
  send(event: ProvEvent, key?: string): RecordResult {
    try {
      const v = validateEvent(event);
      if (!v.ok) {
        this.counters.rejected++;
        return v;
      }
      const value = encodeEvent(v.event);
      if (value.length > this.maxEventBytes) {
        this.counters.rejected++;
        return { ok: false, problems: [{ path: '', message: `event is ${value.length} bytes, over the limit of ${this.maxEventBytes}` }] };
      }
      if (!this.queue.push({ key: key ?? `${v.event.project}|${defaultKey(v.event.payload)}`, value })) {
        // Kafka is away or slow, memory is full and there is no spill room: say so to the caller.
        this.counters.rejected++;
        return { ok: false, problems: [{ path: '', message: 'local buffer full (Kafka unreachable or too slow, no spill space): event dropped; set spillDir or raise maxBufferedEvents' }] };
      }
      this.counters.accepted++;
      this.schedule();
      return { ok: true, eventId: v.event.eventId };
    } catch (err) {
      this.counters.rejected++;
      this.onError(err as Error);
      return { ok: false, problems: [{ path: '', message: (err as Error).message }] };
    }
  }

  /**
   * Wraps a payload in an envelope for this emitter's project and records it. `key` (e.g. an
   * activity id) groups events that must stay in order; the Kafka key is `<project>|<key>`.
   */
  record(payload: Payload, key?: string, time = this.now()): RecordResult {
    const kafkaKey = key === undefined ? undefined : `${this.project}|${key}`;
    const result = this.send({ eventId: randomUUID(), project: this.project, time, producer: this.producerName, schemaVersion: 1, payload }, kafkaKey);
    if (!result.ok) this.onError(new Error(`provstream: event rejected: ${formatProblems(result.problems)}`));
    return result;
  }

  agent(name: string, agentType: AgentType = 'person', email: string | null = null): string {
    const id = agentId(name);
    this.record({ type: 'agent', id, name, agentType, email });
    return id;
  }

  /** Records one version of an artifact and returns its (deterministic) id. */
  entity(artifact: string, contentHash: string, opts: { version?: number | null; entityType?: string; sizeBytes?: number | null; key?: string } = {}): string {
    const id = entityId(artifact, contentHash);
    this.record({ type: 'entity', id, artifact, contentHash, version: opts.version ?? null, entityType: opts.entityType ?? 'file', sizeBytes: opts.sizeBytes ?? null }, opts.key);
    return id;
  }

  relation(relation: EdgeType, from: string, to: string, role: string | null = null, key?: string): void {
    this.record({ type: 'relation', relation, from, to, role }, key);
  }

  property(subject: string, key: string, value: string | number | boolean | PropertyValue, kafkaKey?: string): void {
    const v: PropertyValue =
      typeof value === 'string' ? { kind: 'string', value } : typeof value === 'number' ? { kind: 'number', value } : typeof value === 'boolean' ? { kind: 'bool', value } : value;
    this.record({ type: 'property', subject, key, value: v }, kafkaKey);
  }

  metric(subject: string, key: string, step: number, value: number, kafkaKey?: string): void {
    const t = this.now();
    this.record({ type: 'metric', subject, key, step, value, time: t }, kafkaKey, t);
  }

  edgeId(type: EdgeType, from: string, to: string): string {
    return edgeId(type, from, to);
  }

  startActivity(a: { name: string; command?: string; params?: Record<string, string>; env?: Record<string, string>; workdir?: string | null; id?: string; startTime?: number }): ActivityHandle {
    return new ActivityHandle(this, {
      type: 'activity',
      id: a.id ?? activityId(randomUUID()),
      name: a.name,
      command: a.command ?? '',
      status: 'RUNNING',
      startTime: a.startTime ?? this.now(),
      endTime: null,
      exitCode: null,
      workdir: a.workdir ?? null,
      params: a.params ?? {},
      env: a.env ?? {},
    });
  }

  // ------------------------------------------------------------------ delivery

  private schedule(): void {
    if (this.closed && !this.sending) return void this.pump();
    if (this.queue.length >= this.batchSize) return void this.pump();
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.pump();
      }, this.failures ? backoffDelay(this.failures, 200, 30_000) : this.lingerMs);
      this.timer.unref();
    }
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 || this.queue.hasSpill()) {
        if (this.queue.length === 0) this.queue.restoreSpill();
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        const batch = this.queue.peek(this.batchSize);
        await this.producer.send({ topic: this.topic, acks: -1, compression: CompressionTypes.GZIP, messages: this.pack ? packByKey(batch) : batch });
        this.queue.ack(batch.length);
        this.counters.delivered += batch.length;
        this.failures = 0;
      }
    } catch (err) {
      this.failures++;
      this.counters.sendFailures++;
      if (this.failures === 1 || this.failures % 20 === 0) this.onError(new Error(`provstream: Kafka unavailable (${(err as Error).message}); ${this.queue.length} events buffered, retrying`));
    } finally {
      this.sending = false;
    }
    if (this.queue.length > 0 || this.queue.hasSpill()) this.schedule();
    else for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when everything recorded so far is delivered, or after `timeoutMs`; returns whether all was delivered. */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    if (this.queue.length === 0 && !this.queue.hasSpill() && !this.sending) return true;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    void this.pump();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const r = await Promise.race([idle.then(() => true as const), timeout]);
    clearTimeout(timer);
    return r;
  }

  /** Flushes (up to timeoutMs) and disconnects. Undelivered events stay in the spill file, if any. */
  async close(timeoutMs = 30_000): Promise<EmitterStats> {
    const delivered = await this.flush(timeoutMs);
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    // Keep what is left, in order, for the next emitter with the same spillDir.
    if (!delivered) this.queue.spillAll();
    try {
      if (this.connected) await this.producer.disconnect();
    } catch (err) {
      this.onError(err as Error);
    }
    return this.stats();
  }
}

/** The ordering key of an event the SDK sends without one: the activity of a relation, else its subject. */
export function defaultKey(p: Payload): string {
  switch (p.type) {
    case 'relation':
      return p.from.startsWith('act:') ? p.from : p.to.startsWith('act:') ? p.to : p.from;
    case 'property':
    case 'metric':
      return p.subject;
    default:
      return p.id;
  }
}

/** The events of one run; all are keyed by the activity id so they stay in order. */
export class ActivityHandle {
  constructor(
    private readonly em: Emitter,
    private state: Extract<Payload, { type: 'activity' }>,
  ) {
    em.record(state, state.id, state.startTime ?? undefined);
  }

  get id(): string {
    return this.state.id;
  }

  used(entity: string, role: string | null = null): void {
    this.em.relation('used', this.id, entity, role, this.id);
  }

  /** Records an output version (or an existing entity id) as generated by this run; returns its id. */
  generated(artifactOrId: string, contentHash?: string, opts: { version?: number | null; entityType?: string; previous?: string } = {}): string {
    const id = contentHash ? this.em.entity(artifactOrId, contentHash, { ...opts, key: this.id }) : artifactOrId;
    this.em.relation('wasGeneratedBy', id, this.id, null, this.id);
    if (opts.previous) this.em.relation('wasRevisionOf', id, opts.previous, null, this.id);
    return id;
  }

  associatedWith(agent: string): void {
    this.em.relation('wasAssociatedWith', this.id, agent, null, this.id);
  }

  informedBy(activity: string): void {
    this.em.relation('wasInformedBy', this.id, activity, null, this.id);
  }

  metric(key: string, step: number, value: number): void {
    this.em.metric(this.id, key, step, value, this.id);
  }

  property(key: string, value: string | number | boolean): void {
    this.em.property(this.id, key, value, this.id);
  }

  end(status: Exclude<ActivityStatus, 'RUNNING' | 'UNKNOWN'> = 'COMPLETED', exitCode: number | null = null, endTime?: number): void {
    this.state = { ...this.state, status, exitCode, endTime: endTime ?? Date.now() };
    this.em.record(this.state, this.id, this.state.endTime ?? undefined);
  }
}
