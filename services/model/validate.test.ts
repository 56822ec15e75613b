import { describe, expect, it } from 'vitest';
import { validateEvent } from './validate.js';
import { FIXTURE_CASES } from './fixtures.js';
import type { ProvEvent } from './types.js';

function mutate(name: string, f: (ev: Record<string, any>) => void): unknown {
  const ev = structuredClone(FIXTURE_CASES[name]!) as unknown as Record<string, any>;
  f(ev);
  return ev;
}

describe('validateEvent accepts', () => {
  for (const [name, ev] of Object.entries(FIXTURE_CASES)) {
    it(name, () => expect(validateEvent(structuredClone(ev))).toEqual({ ok: true, event: ev }));
  }
  it("Avro's JSON union encoding of the payload", () => {
    const ev = structuredClone(FIXTURE_CASES['agent']!) as ProvEvent;
    const { type: _t, ...rest } = ev.payload;
    const r = validateEvent({ ...ev, payload: { 'dev.provstream.v1.Agent': rest } });
    expect(r).toEqual({ ok: true, event: ev });
  });
});

describe('validateEvent rejects, pointing at the field', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', 42, '', /must be a JSON object/],
    ['bad uuid', mutate('agent', (e) => (e.eventId = 'nope')), '/eventId', /not a UUID/],
    ['missing project', mutate('agent', (e) => delete e.project), '/project', /required/],
    ['time as string', mutate('agent', (e) => (e.time = '2026-01-01')), '/time', /must be an integer/],
    ['time in seconds', mutate('agent', (e) => (e.time = 1764000000)), '/time', /must be ≥/],
    ['unknown payload type', mutate('agent', (e) => (e.payload.type = 'dataset')), '/payload/type', /must be one of/],
    ['entity id not derived', mutate('entity', (e) => (e.payload.id = 'ent:' + '1'.repeat(32))), '/payload/id', /does not match artifact/],
    ['bad content hash', mutate('entity', (e) => (e.payload.contentHash = 'abc')), '/payload/contentHash', /content hash/],
    ['version zero', mutate('entity', (e) => (e.payload.version = 0)), '/payload/version', /≥ 1/],
    ['activity bad status', mutate('activity', (e) => (e.payload.status = 'DONE')), '/payload/status', /RUNNING, COMPLETED/],
    ['activity ends before start', mutate('activity', (e) => (e.payload.endTime = e.payload.startTime - 1)), '/payload/endTime', /before startTime/],
    ['param not a string', mutate('activity', (e) => (e.payload.params = { lr: 0.1 })), '/payload/params/lr', /must be a string/],
    ['used pointing at an agent', mutate('relation', (e) => (e.payload.to = 'agt:alice')), '/payload/to', /unresolvable reference.*needs an entity.*names an agent/],
    ['relation to garbage', mutate('relation', (e) => (e.payload.from = 'xyz')), '/payload/from', /unresolvable reference/],
    ['unknown relation', mutate('relation', (e) => (e.payload.relation = 'likes')), '/payload/relation', /must be one of used/],
    ['self loop', mutate('relation', (e) => { e.payload.relation = 'wasDerivedFrom'; e.payload.from = e.payload.to; }), '/payload/to', /itself/],
    ['property value of wrong kind', mutate('property-bool', (e) => (e.payload.value = { kind: 'bool', value: 'yes' })), '/payload/value/value', /must be a boolean/],
    ['property json not json', mutate('property-json-edge', (e) => (e.payload.value.value = '{oops')), '/payload/value/value', /not valid JSON/],
    ['property subject unknown', mutate('property-string', (e) => (e.payload.subject = 'file.csv')), '/payload/subject', /unresolvable reference/],
    ['metric NaN', mutate('metric', (e) => (e.payload.value = 'NaN')), '/payload/value', /finite number/],
    ['metric on an agent', mutate('metric', (e) => (e.payload.subject = 'agt:alice')), '/payload/subject', /activity or entity/],
  ];
  for (const [name, input, path, re] of cases) {
    it(name, () => {
      const r = validateEvent(input);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      const hit = r.problems.find((p) => p.path === path);
      expect(hit, JSON.stringify(r.problems)).toBeDefined();
      expect(hit!.message).toMatch(re);
    });
  }
  it('reports every problem at once', () => {
    const r = validateEvent({ eventId: 'x', project: '', time: 'now', producer: 1, payload: { type: 'metric' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.length).toBeGreaterThanOrEqual(7);
  });
});
