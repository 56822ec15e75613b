/**
 * The live alert feed: tails the Kafka alerts topic (what every monitor instance writes to), so
 * a feed shows the alerts of all instances, and drops repeats by alertId (the topic is
 * at-least-once). Used by the monitor's server-sent-events endpoint (http.ts) and by
 * `provstream alerts --follow`.
 *
 * Each feed is its own throw-away consumer group starting at the end of the topic (or at the
 * beginning with `fromBeginning`); stop() deletes the group.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { alertFromMessage } from './alert-sinks.js';
import { SEVERITIES } from './core/index.js';
import type { Alert, Severity } from './core/index.js';

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

export class AlertFeed {
  private consumer: Consumer | undefined;
  private readonly listeners = new Set<(a: Alert) => void>();
  private readonly seen = new RecentIds();
  readonly groupId = `provstream-feed-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly fromBeginning = false,
  ) {}

  /** Calls `listener` with every new alert; returns the unsubscribe function. */
  subscribe(listener: (a: Alert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the feed's consumer joined and has its partitions. */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 2_000 });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: this.fromBeginning });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        const alert = alertFromMessage(message.value);
        if (!alert || !this.seen.add(alert.alertId)) return;
        for (const l of this.listeners) {
          try {
            l(alert);
          } catch (err) {
            this.log.warn({ err: errorMessage(err) }, 'alert feed listener failed');
          }
        }
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.disconnect().catch(() => undefined);
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
