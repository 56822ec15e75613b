/**
 * Rules and event streams shared by the monitor's tests (unit, int) and the demo: the sample
 * project (services/demo/sample.ts) plus a late flag, and a rule set with one or more rules of
 * every kind that fire on it. Pure; imported by tests and the demo only.
 *
 * Clock-independent on purpose: no absence rule, so a live monitor (wall clock) and dryRun
 * (event-time clock) must agree exactly on these rules whatever the processing speed (absence has
 * its own tests; dedup windows compare event times, so they are clock-independent too).
 */
import { sampleProject } from '../demo/sample.js';
import type { ProvEvent } from '../model/types.js';
import { parseRules, formatIssue } from './core/index.js';
import type { Rule } from './core/index.js';

export const FIXTURE_RULES_YAML = `
rules:
  - id: low-accuracy
    kind: threshold
    severity: warning
    dedupWindow: 0
    notify: [feed]
    match: {artifact: "models/*"}
    threshold: {metric: accuracy, op: "<", value: 0.85}
  - id: loss-high
    kind: threshold
    severity: info
    dedupWindow: 0
    notify: [feed]
    match: {activity: train}
    threshold: {metric: loss, op: ">", value: 2}
  - id: loss-high-once
    kind: threshold
    severity: info
    dedupWindow: 2d
    notify: [feed]
    match: {activity: train}
    threshold: {metric: loss, op: ">", value: 1}
  - id: accuracy-drop
    kind: regression
    severity: warning
    dedupWindow: 0
    notify: [feed]
    match: {artifact: "models/*"}
    regression: {metric: accuracy, minDrop: 0.001, mode: absolute, direction: lower-is-better}
  - id: loss-spike
    kind: zscore
    severity: info
    dedupWindow: 0
    notify: [feed]
    match: {activity: train}
    zscore: {metric: loss, window: 6, minSamples: 3, threshold: 1.5}
  - id: train-failing
    kind: rate
    severity: critical
    dedupWindow: 2d
    notify: [feed]
    match: {activity: train}
    rate: {status: FAILED, window: 1h, max: 0}
  - id: rows-large
    kind: threshold
    severity: info
    dedupWindow: 0
    notify: [feed]
    threshold: {property: rows, op: ">", value: 11000}
  - id: production-model
    kind: threshold
    severity: info
    dedupWindow: 0
    notify: [feed]
    match: {entityType: model}
    threshold: {property: stage, op: "==", value: production}
  - id: pii-lineage
    kind: taint
    severity: critical
    dedupWindow: 0
    notify: [feed]
    taint: {when: "pii = true"}
`;

export function parseOrThrow(text: string): Rule[] {
  const r = parseRules(text);
  if (!r.ok) throw new Error(r.errors.map(formatIssue).join('\n'));
  return r.value;
}

export interface FixtureStream {
  events: ProvEvent[];
  /** Kafka keys: one project per key, so a project's events stay in order on one partition. */
  keys: string[];
}

/**
 * The sample project for each project name, then a late pii flag on the second raw dataset
 * version (everything derived from it already exists: the taint walks stored children).
 */
export function fixtureStream(projects: readonly string[]): FixtureStream {
  const events: ProvEvent[] = [];
  const keys: string[] = [];
  for (const project of projects) {
    const s = sampleProject(project);
    const raw2 = s.events.find((e) => e.payload.type === 'entity' && e.payload.artifact === 'data/raw.csv' && e.payload.version === 2);
    const last = s.events[s.events.length - 1]!;
    events.push(...s.events);
    if (raw2 && raw2.payload.type === 'entity') {
      events.push({ ...last, eventId: `${last.eventId.slice(0, 24)}f1a9f1a9f1a9`, time: last.time + 1000, payload: { type: 'property', subject: raw2.payload.id, key: 'pii', value: { kind: 'bool', value: true } } });
    }
    while (keys.length < events.length) keys.push(`project|${project}`);
  }
  return { events, keys };
}
