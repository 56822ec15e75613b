/**
 * The provenance facts of one wrapped command, written to any PayloadSink (the wrapper's pending
 * log, or the SDK's Emitter, which has the same `record`). Every event is keyed by the activity
 * id, so a run's events stay in order in Kafka.
 *
 *   start: agent, activity (RUNNING), wasAssociatedWith, each input version (+ wasRevisionOf its
 *          previous version when it is new) and `used` (role "input")
 *   end:   each output version, wasGeneratedBy, wasRevisionOf its previous version,
 *          wasAttributedTo the agent; metric points; properties (signal, spawnError, deleted
 *          files); the activity's final state (status, end time, exit code): `finish`
 */
import { activityId as makeActivityId, agentId } from '../model/ids.js';
import type { ActivityStatus, EdgeType, Payload, PropertyValue } from '../model/types.js';
import type { Versioned } from './core/versions.js';
import { signalNumber } from './supervise.js';

export interface PayloadSink {
  record(payload: Payload, key?: string, time?: number): unknown;
}

export interface RunIdentity {
  activityId: string;
  name: string;
  command: string;
  params: Record<string, string>;
  env: Record<string, string>;
  workdir: string;
  startTime: number;
  agent: { name: string; email: string | null };
}

/** How a run ended: the wrapper's ChildOutcome, or the native launcher's record of it (raw.ts). */
export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started. */
  spawnError: string | null;
}

export interface TimedPoint {
  key: string;
  step: number;
  value: number;
  time: number;
}

export function newActivityId(uuid: string): string {
  return makeActivityId(uuid);
}

export class RunFacts {
  readonly agentId: string;

  constructor(
    private readonly sink: PayloadSink,
    private readonly run: RunIdentity,
  ) {
    this.agentId = agentId(run.agent.name);
  }

  private rel(relation: EdgeType, from: string, to: string, role: string | null = null, time?: number): void {
    this.sink.record({ type: 'relation', relation, from, to, role }, this.run.activityId, time);
  }

  private activity(status: ActivityStatus, endTime: number | null, exitCode: number | null, time: number): void {
    const r = this.run;
    this.sink.record(
      { type: 'activity', id: r.activityId, name: r.name, command: r.command, status, startTime: r.startTime, endTime, exitCode, workdir: r.workdir, params: r.params, env: r.env },
      r.activityId,
      time,
    );
  }

  /** An entity version, and its revision edge when it is new and has a predecessor. */
  entity(v: Versioned, entityType = 'file', time?: number): string {
    this.sink.record({ type: 'entity', id: v.id, artifact: v.artifact, version: v.version, contentHash: v.hash, entityType, sizeBytes: v.size >= 0 ? v.size : null }, this.run.activityId, time);
    if (v.isNew && v.previous) this.rel('wasRevisionOf', v.id, v.previous.id, null, time);
    return v.id;
  }

  start(inputs: readonly Versioned[]): void {
    const r = this.run;
    this.sink.record({ type: 'agent', id: this.agentId, name: r.agent.name, agentType: 'person', email: r.agent.email }, r.activityId, r.startTime);
    this.activity('RUNNING', null, null, r.startTime);
    this.rel('wasAssociatedWith', r.activityId, this.agentId, null, r.startTime);
    for (const v of inputs) {
      this.entity(v, 'file', r.startTime);
      this.rel('used', r.activityId, v.id, 'input', r.startTime);
    }
  }

  metric(p: TimedPoint): void {
    this.sink.record({ type: 'metric', subject: this.run.activityId, key: p.key, step: p.step, value: p.value, time: p.time }, this.run.activityId, p.time);
  }

  property(subject: string, key: string, value: string | number | boolean | PropertyValue, time?: number): void {
    const v: PropertyValue = typeof value === 'string' ? { kind: 'string', value } : typeof value === 'number' ? { kind: 'number', value } : typeof value === 'boolean' ? { kind: 'bool', value } : value;
    this.sink.record({ type: 'property', subject, key, value: v }, this.run.activityId, time);
  }

  output(v: Versioned, time: number, entityType = 'file'): void {
    this.entity(v, entityType, time);
    this.rel('wasGeneratedBy', v.id, this.run.activityId, null, time);
    this.rel('wasAttributedTo', v.id, this.agentId, null, time);
  }

  end(status: Exclude<ActivityStatus, 'RUNNING' | 'UNKNOWN'>, exitCode: number | null, endTime: number): void {
    this.activity(status, endTime, exitCode, endTime);
  }

  /** Files the run deleted (the first 1,000), as a JSON list property of the activity. */
  deleted(paths: readonly string[], time?: number): void {
    if (paths.length) this.property(this.run.activityId, 'deleted', { kind: 'json', value: JSON.stringify(paths.slice(0, 1000)) }, time);
  }

  /**
   * The outcome's properties (spawnError, signal) and the final state: 0 → COMPLETED, killed by
   * a signal → ABORTED with exit code 128 + n, anything else (or not startable) → FAILED.
   */
  finish(o: RunOutcome, endTime: number): void {
    const id = this.run.activityId;
    if (o.spawnError) this.property(id, 'spawnError', o.spawnError, endTime);
    if (o.signal) this.property(id, 'signal', o.signal, endTime);
    const status = o.spawnError ? 'FAILED' : o.signal ? 'ABORTED' : o.exitCode === 0 ? 'COMPLETED' : 'FAILED';
    this.end(status, o.signal ? 128 + signalNumber(o.signal) : o.exitCode, endTime);
  }
}
