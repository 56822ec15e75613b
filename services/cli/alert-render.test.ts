import { describe, expect, it } from 'vitest';
import type { Alert } from '../monitor/core/index.js';
import { provenanceVertex, renderAlert } from './alert-render.js';

const ENT = 'ent:0f3a9c2b1d4e5f60718293a4b5c6d7e8';
const FLAGGED = 'ent:99aa88bb77cc66dd55ee44ff33001122';
const ACT = 'act:2b7c1e4a-9f3d-4c1a-8e2b-5d6f7a8b9c0d';
const EV = (n: number) => `8c1f2e3a-51b4-4c7d-9e0f-00000000000${n}`;
const alert = (over: Partial<Alert> = {}): Alert => ({
  alertId: 'alr:1', ruleId: 'pii-lineage', kind: 'taint', severity: 'critical', time: Date.UTC(2026, 10, 26, 12), project: 'demo', subject: ENT, dedupKey: 'k',
  message: 'derived from flagged data', value: null, threshold: null, details: {}, eventIds: [EV(1)], vertexIds: [FLAGGED, ENT], notify: [{ type: 'feed' }], ...over,
});

describe('renderAlert', () => {
  it('shows the triggering events and the vertices, shortened, and the command that opens the provenance', () => {
    expect(renderAlert(alert()).split('\n')).toEqual([
      `2026-11-26T12:00:00.000Z  critical pii-lineage  demo  ${ENT}`,
      '    derived from flagged data',
      '    events: 8c1f2e3a-51b4-4c…   vertices: ent:99aa88bb77cc… ent:0f3a9c2b1d4e…',
      `    provenance: provstream why ${ENT}`,
    ]);
  });

  it('shows at most three ids of a list and says how many more', () => {
    const text = renderAlert(alert({ eventIds: [1, 2, 3, 4, 5].map(EV) }));
    expect(text).toContain('events: 8c1f2e3a-51b4-4c… 8c1f2e3a-51b4-4c… 8c1f2e3a-51b4-4c… (+2 more)');
  });

  it('full: every id in full, on their own lines, no hint (rules test)', () => {
    expect(renderAlert(alert({ eventIds: [EV(1), EV(2)] }), true).split('\n').slice(2)).toEqual([`    events: ${EV(1)} ${EV(2)}`, `    vertices: ${FLAGGED} ${ENT}`]);
  });

  it.each<[string, Partial<Alert>, string | undefined]>([
    ['a vertex subject: the subject', {}, ENT],
    ['an activity subject', { subject: ACT, vertexIds: [ACT] }, ACT],
    ['a job-name subject: the first vertex involved', { subject: 'nightly-etl', vertexIds: [ACT] }, ACT],
    ['no vertex at all: no hint', { subject: 'nightly-etl', vertexIds: [], eventIds: [] }, undefined],
  ])('provenance vertex of %s', (_name, over, expected) => {
    expect(provenanceVertex(alert(over))).toBe(expected);
    if (expected === undefined) {
      expect(renderAlert(alert(over))).not.toContain('provstream why');
      expect(renderAlert(alert(over))).toContain('events: -   vertices: -');
    }
  });
});
