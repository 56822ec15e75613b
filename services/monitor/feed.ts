/**
 * The live alert feed: tails the Kafka alerts topic (what every monitor instance writes to), so
 * a feed shows the alerts of all instances, and drops repeats by alertId (the topic is
 * at-least-once). Used by the monitor's server-sent-events endpoint (http.ts) and by
 * `provstream alerts --follow`.
 *
 * Each feed is its own throw-away consumer group that starts where it is told (`FeedStart`): at
 * the end of the topic, at the beginning, or right after a position a client got earlier
 * (feed-position.ts), so a client that reconnects misses nothing the topic still keeps. Every
 * alert comes with the feed's position after it. A consumer that crashed for good is recreated
 * (SupervisedConsumer) and resumes after the feed's position. stop() deletes the group.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { errorMessage } from '../lib/errors.js';
import { SupervisedConsumer } from '../lib/kafka.js';
import type { Logger } from '../lib/log.js';
import { alertFromMessage } from './alert-sinks.js';
import { SEVERITIES } from './core/index.js';
import type { Alert, Severity } from './core/index.js';
import { formatPosition, planStart } from './feed-position.js';
import type { FeedStart } from './feed-position.js';

export interface FeedFilter {
  /** Also alerts whose rule does not list the `feed` target. */
  all: boolean;
  project?: string;
  ruleId?: string;
  minSeverity?: Severity;
}

export function feedMatches(a: Alert, f: FeedFilter): boolean {
  if (!f.all && !a.notify.some((n) => n.type === 'feed')) return false;
  if (f.project !== undefined && a.project !== f.project) return false;
  if (f.ruleId !== undefined && a.ruleId !== f.ruleId) return false;
  if (f.minSeverity !== undefined && SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(f.minSeverity)) return false;
  return true;
}

/** The last `capacity` ids seen, for dropping repeats. */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity = 50_000) {}

  /** True the first time an id is seen (among the recent ones). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}

/**
 * Called with each new alert and the feed's position after it (formatted, e.g. `0:17`): resuming
 * after that position starts with the next alert. Must not throw (a throw is logged and ignored).
 */
export type FeedListener = (alert: Alert, position: string) => void;

export class AlertFeed {
  private supervised: SupervisedConsumer | undefined;
  private readonly listeners = new Set<FeedListener>();
  private readonly seen = new RecentIds();
  /** The last offset read per partition (-1 before the first): the feed's position. */
  private readonly read = new Map<number, bigint>();
  readonly groupId = `provstream-feed-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly from: FeedStart = 'end',
  ) {}

  /** Calls `listener` with every new alert; returns the unsubscribe function. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The position after everything read so far (empty before start). */
  position(): string {
    return formatPosition(this.read);
  }

  /**
   * Resolves once the feed's consumer joined and has its partitions, with notes for the reader
   * (alerts gone past the topic's retention, a position that does not fit the topic). Rejects
   * when Kafka cannot be reached.
   */
  async start(): Promise<string[]> {
    const admin = this.kafka.admin();
    let plan: ReturnType<typeof planStart>;
    try {
      await admin.connect();
      const marks = await admin.fetchTopicOffsets(this.topic);
      plan = planStart(this.from, marks.map((m) => ({ partition: m.partition, low: BigInt(m.low), high: BigInt(m.high) })));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    for (const [partition, next] of plan.next) this.read.set(partition, next - 1n);
    const supervised = new SupervisedConsumer(
      () => this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 2_000 }),
      (consumer) => this.run(consumer),
      this.log,
    );
    this.supervised = supervised;
    await supervised.run();
    return plan.notes;
  }

  /** Starts a consumer right after the feed's position; resolves once it joined. */
  private async run(consumer: Consumer): Promise<void> {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    // fromBeginning: a partition added after the start is read whole; a kafkajs restart before
    // the first commit re-reads, and the offsets already read are skipped (deliver).
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ partition, message }) => this.deliver(partition, BigInt(message.offset), message.value),
    });
    for (const [partition, last] of this.read) consumer.seek({ topic: this.topic, partition, offset: String(last + 1n) });
    await joined;
  }

  private deliver(partition: number, offset: bigint, value: Buffer | null): void {
    const last = this.read.get(partition);
    if (last !== undefined && offset <= last) return; // read already (a restart re-delivered it)
    this.read.set(partition, offset);
    const alert = alertFromMessage(value);
    if (!alert || !this.seen.add(alert.alertId)) return;
    const position = this.position();
    for (const l of this.listeners) {
      try {
        l(alert, position);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'alert feed listener failed');
      }
    }
  }

  async stop(): Promise<void> {
    const supervised = this.supervised;
    this.supervised = undefined;
    if (!supervised) return;
    await supervised.stop().catch(() => undefined);
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // best effort: an empty group expires on its own
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
