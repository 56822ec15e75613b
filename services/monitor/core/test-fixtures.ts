/**
 * Test helpers (imported only by *.test.ts): an event builder with deterministic ids and times,
 * a rule parser that fails loudly, and a harness that feeds events through rules against a
 * MemoryStateStore with an explicit clock, the way the stream processor will.
 */
import { entityId } from '../../model/ids.js';
import type { ActivityStatus, EdgeType, Payload, PropertyValue, ProvEvent } from '../../model/types.js';
import type { Alert } from './alerts.js';
import { evaluateEventSync, evaluateTickSync } from './drive.js';
import type { ExternalLineage } from './eval-taint.js';
import { MemoryStateStore } from './memory-store.js';
import { formatIssue, parseRules } from './rules.js';
import type { Rule } from './rule-types.js';

export const T0 = Date.UTC(2025, 0, 1);
export const MIN = 60_000;

export function rule(yaml: string): Rule {
  const r = parseRules(yaml);
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  if (r.value.length !== 1) throw new Error(`expected one rule, got ${r.value.length}`);
  return r.value[0]!;
}

/** Builds events; every builder advances time by 1s unless `time` is given. */
export class Stream {
  private seq = 0;
  time: number;
  constructor(
    readonly project = 'proj',
    start = T0,
  ) {
    this.time = start;
  }

  event(payload: Payload, time?: number): ProvEvent {
    this.time = time ?? this.time + 1000;
    this.seq++;
    return { eventId: `ev-${this.seq}`, project: this.project, time: this.time, producer: 'test', schemaVersion: 1, payload };
  }

  entityId(artifact: string, tag: string): string {
    return entityId(artifact, `sha256:${tag}`);
  }

  entity(artifact: string, tag: string, opts: { version?: number | null; entityType?: string; time?: number } = {}): ProvEvent {
    return this.event(
      { type: 'entity', id: this.entityId(artifact, tag), artifact, version: opts.version ?? null, contentHash: `sha256:${tag}`, entityType: opts.entityType ?? 'file', sizeBytes: null },
      opts.time,
    );
  }

  activity(id: string, name: string, status: ActivityStatus, opts: { startTime?: number | null; time?: number } = {}): ProvEvent {
    return this.event(
      { type: 'activity', id, name, command: name, status, startTime: opts.startTime ?? null, endTime: null, exitCode: null, workdir: null, params: {}, env: {} },
      opts.time,
    );
  }

  relation(relation: EdgeType, from: string, to: string, time?: number): ProvEvent {
    return this.event({ type: 'relation', relation, from, to, role: null }, time);
  }

  property(subject: string, key: string, value: string | number | boolean, time?: number): ProvEvent {
    const v: PropertyValue = typeof value === 'number' ? { kind: 'number', value } : typeof value === 'boolean' ? { kind: 'bool', value } : { kind: 'string', value };
    return this.event({ type: 'property', subject, key, value: v }, time);
  }

  metric(subject: string, key: string, value: number, opts: { step?: number; time?: number } = {}): ProvEvent {
    const e = this.event({ type: 'metric', subject, key, step: opts.step ?? 0, value, time: 0 }, opts.time);
    (e.payload as { time: number }).time = e.time;
    return e;
  }
}

/** Feeds events through rules like the stream processor: clock = event time unless given. */
export class Harness {
  now = T0;
  readonly store = new MemoryStateStore(() => this.now);
  readonly alerts: Alert[] = [];
  readonly suppressed: Alert[] = [];
  /** Evaluation rounds each (rule, event) and each (rule, tick) needed. */
  rounds: number[] = [];
  tickRounds: number[] = [];

  constructor(readonly rules: Rule[]) {}

  feed(event: ProvEvent, now = Math.max(this.now, event.time), external?: ExternalLineage): Alert[] {
    this.now = now;
    const fired: Alert[] = [];
    for (const r of this.rules) {
      const out = evaluateEventSync((reads) => this.store.loadSync(reads), r, event, this.now, external);
      this.store.applySync(out.mutations);
      this.rounds.push(out.rounds);
      fired.push(...out.alerts);
      this.suppressed.push(...out.suppressed);
    }
    this.alerts.push(...fired);
    return fired;
  }

  feedAll(events: ProvEvent[]): Alert[] {
    return events.flatMap((e) => this.feed(e));
  }

  tick(now: number): Alert[] {
    this.now = now;
    const fired: Alert[] = [];
    for (const r of this.rules) {
      const out = evaluateTickSync((reads) => this.store.loadSync(reads), r, this.now);
      this.store.applySync(out.mutations);
      this.tickRounds.push(out.rounds);
      fired.push(...out.alerts);
      this.suppressed.push(...out.suppressed);
    }
    this.alerts.push(...fired);
    return fired;
  }
}
