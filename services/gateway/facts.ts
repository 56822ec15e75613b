/**
 * Facts and their envelopes, for everything the gateway maps (OpenLineage, PROV-JSON). Pure.
 *
 * A fact is a payload of the model with the time it became true. Its event id is derived from
 * (project, time, canonical payload): the same fact stated twice at the same time (a duplicate
 * OpenLineage event, a re-imported document, a client retrying after a 503) gets the same event
 * id, and the ingest tables, keyed by event id, collapse the repeats.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../ingest/rows.js';
import { seededUuid } from '../demo/sample.js';
import { entityId, agentId } from '../model/ids.js';
import type { AgentType, EdgeType, Payload, ProvEvent, PropertyValue } from '../model/types.js';

export interface Fact {
  time: number;
  payload: Payload;
}

/** A fact ready for Kafka: the envelope and its key (`<project>|<ordering key>`). */
export interface KeyedEvent {
  key: string;
  event: ProvEvent;
}

export const GATEWAY_PRODUCER = 'provstream-gateway/0.1';

/**
 * The identity of a fact as text: every field, in an order fixed here per payload type (not the
 * order of the object's keys), so the same fact always gives the same text, and cheaply.
 */
export function factKey(p: Payload): string {
  switch (p.type) {
    case 'entity':
      return JSON.stringify([p.type, p.id, p.artifact, p.contentHash, p.version, p.entityType, p.sizeBytes]);
    case 'activity':
      return JSON.stringify([p.type, p.id, p.name, p.command, p.status, p.startTime, p.endTime, p.exitCode, p.workdir, canonicalJson(p.params), canonicalJson(p.env)]);
    case 'agent':
      return JSON.stringify([p.type, p.id, p.name, p.agentType, p.email]);
    case 'relation':
      return JSON.stringify([p.type, p.relation, p.from, p.to, p.role]);
    case 'property':
      return JSON.stringify([p.type, p.subject, p.key, p.value.kind, p.value.value]);
    case 'metric':
      return JSON.stringify([p.type, p.subject, p.key, p.step, p.value, p.time]);
  }
}

export function factEventId(project: string, time: number, payload: Payload): string {
  return seededUuid(`${project}\0${time}\0${factKey(payload)}`);
}

export function envelope(project: string, producer: string, fact: Fact): ProvEvent {
  return { eventId: factEventId(project, fact.time, fact.payload), project, time: fact.time, producer: producer.slice(0, 256), schemaVersion: 1, payload: fact.payload };
}

/** `algo:hex` content hash of the parts (NUL-separated, so ("ab","c") ≠ ("a","bc")). */
export function hashOf(...parts: string[]): string {
  const h = createHash('sha256');
  parts.forEach((p, i) => (i ? h.update('\0').update(p) : h.update(p)));
  return 'sha256:' + h.digest('hex');
}

/** Short hex digest for ids built from long or unsafe names. */
export function shortHash(s: string, chars = 16): string {
  return createHash('sha256').update(s).digest('hex').slice(0, chars);
}

const MAX_ARTIFACT = 1024;
/** Artifacts are display names (identity is in the content hash): cut long ones, keeping them unique. */
export function boundedArtifact(artifact: string): string {
  return artifact.length <= MAX_ARTIFACT ? artifact : `${artifact.slice(0, MAX_ARTIFACT - 20)}…${shortHash(artifact, 16)}`;
}

/** Agent id for a free-form name: the SDK's id when it is a safe short name, else a hash. */
export function safeAgentId(name: string): string {
  const id = agentId(name);
  return /^agt:[A-Za-z0-9._@:-]{1,128}$/.test(id) ? id : `agt:h-${shortHash(name, 24)}`;
}

export class FactList {
  readonly facts: Fact[] = [];
  constructor(readonly time: number) {}

  add(payload: Payload, time = this.time): void {
    this.facts.push({ time, payload });
  }
  entity(artifact: string, contentHash: string, entityType: string, sizeBytes: number | null = null): string {
    const a = boundedArtifact(artifact);
    const id = entityId(a, contentHash);
    this.add({ type: 'entity', id, artifact: a, contentHash, version: null, entityType, sizeBytes });
    return id;
  }
  agent(name: string, agentType: AgentType): string {
    const id = safeAgentId(name);
    this.add({ type: 'agent', id, name: name.slice(0, 256), agentType, email: null });
    return id;
  }
  relation(relation: EdgeType, from: string, to: string, role: string | null = null): void {
    if (from !== to) this.add({ type: 'relation', relation, from, to, role });
  }
  property(subject: string, key: string, value: PropertyValue): void {
    this.add({ type: 'property', subject, key, value });
  }
  string(subject: string, key: string, value: string): void {
    this.property(subject, key, { kind: 'string', value });
  }
  json(subject: string, key: string, value: unknown): void {
    this.property(subject, key, { kind: 'json', value: canonicalJson(value) });
  }
  metric(subject: string, key: string, value: number, time = this.time): void {
    if (Number.isFinite(value)) this.add({ type: 'metric', subject, key, step: 0, value, time }, time);
  }
}
