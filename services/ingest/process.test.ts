import { describe, expect, it } from 'vitest';
import { processMessages, eventsOf } from './process.js';
import type { InMessage } from './process.js';
import { encodeEvent, encodeBatchFrame } from '../model/codec.js';
import { FIXTURE_CASES } from '../model/fixtures.js';
import type { ProvEvent } from '../model/types.js';
import { addEventRows, emptyRows, tsvTablesOf } from './rows.js';

/** What processMessages must produce for these (valid) events: their rows, encoded. */
const tablesOf = (events: readonly ProvEvent[]) => {
  const rows = emptyRows();
  for (const e of events) addEventRows(e, rows);
  return tsvTablesOf(rows);
};
/** The event ids of events_raw text, in order (the second column). */
const rawIds = (text: string) => text.split('\n').filter(Boolean).map((l) => l.split('\t')[1]);

const msg = (value: Buffer | null, offset = '0'): InMessage => ({ topic: 't', partition: 0, offset, value });
const enc = (ev: ProvEvent) => encodeEvent(ev);

describe('processMessages', () => {
  it('maps every payload kind to its tables', () => {
    const r = processMessages(Object.values(FIXTURE_CASES).map((e, i) => msg(enc(e), String(i))), 1 << 20);
    expect(r.deadLetters).toEqual([]);
    expect(r.eventCount).toBe(10);
    expect(r.tables.rows).toEqual({ events_raw: 10, vertices: 4, edges: 1, properties: 4, metrics: 1, fileview_rows: 0 });
    expect(r.tables).toEqual(tablesOf(Object.values(FIXTURE_CASES)));
    const rows = emptyRows();
    for (const e of Object.values(FIXTURE_CASES)) addEventRows(e, rows);
    const act = rows.vertices.find((v) => v['kind'] === 'activity')!;
    expect(act['params.key']).toEqual(['lr']);
    expect(act['params.value']).toEqual(['0.1']);
    expect(rows.edges[0]).toMatchObject({ type: 'used', role: 'input', valid_from: 1764000000000 });
    expect(r.tables.text.edges).toContain('\tused\t');
  });

  it('dead-letters each kind of bad message with a reason code, keeps the good ones', () => {
    const bad = structuredClone(FIXTURE_CASES['relation']!);
    (bad.payload as { to: string }).to = 'agt:bob';
    const invalid = structuredClone(FIXTURE_CASES['entity']!);
    (invalid.payload as { version: number }).version = 0;
    const big = structuredClone(FIXTURE_CASES['property-string']!);
    (big.payload as { value: { value: string } }).value.value = 'x'.repeat(5000);
    const r = processMessages(
      [msg(enc(FIXTURE_CASES['agent']!), '1'), msg(Buffer.from('not avro'), '2'), msg(null, '3'), msg(enc(bad), '4'), msg(enc(invalid), '5'), msg(enc(big), '6')],
      4096,
    );
    expect(r.eventCount).toBe(1);
    expect(r.deadLetters.map((d) => [d.source.offset, d.reasonCode])).toEqual([
      ['2', 'bad-avro'],
      ['3', 'empty'],
      ['4', 'unresolvable-reference'],
      ['5', 'invalid'],
      ['6', 'oversized'],
    ]);
    expect(r.deadLetters[2]!.eventId).toBe(FIXTURE_CASES['relation']!.eventId);
    expect(r.deadLetters[0]!.value.toString()).toBe('not avro');
  });
});

describe('processMessages on batch frames', () => {
  it('ingests the good events of a batch frame and dead-letters each bad one alone, with its index and own bytes', () => {
    const bad = structuredClone(FIXTURE_CASES['relation']!);
    (bad.payload as { to: string }).to = 'agt:bob';
    const frames = [enc(FIXTURE_CASES['agent']!), enc(bad), Buffer.from('garbage'), enc(FIXTURE_CASES['entity']!)];
    const r = processMessages([msg(enc(FIXTURE_CASES['activity']!), '6'), msg(encodeBatchFrame(frames), '7')], 1 << 20);
    expect(r.eventCount).toBe(3);
    expect(rawIds(r.tables.text.events_raw)).toEqual([FIXTURE_CASES['activity']!.eventId, FIXTURE_CASES['agent']!.eventId, FIXTURE_CASES['entity']!.eventId]);
    expect(r.tables).toEqual(tablesOf([FIXTURE_CASES['activity']!, FIXTURE_CASES['agent']!, FIXTURE_CASES['entity']!]));
    expect(r.deadLetters.map((d) => [d.source, d.reasonCode])).toEqual([
      [{ topic: 't', partition: 0, offset: '7', index: 1 }, 'unresolvable-reference'],
      [{ topic: 't', partition: 0, offset: '7', index: 2 }, 'bad-avro'],
    ]);
    expect(r.deadLetters[0]!.value.equals(frames[1]!)).toBe(true);
    expect(r.deadLetters[1]!.value.toString()).toBe('garbage');
  });

  it('the size limit applies per packed event; a malformed batch frame is dead-lettered whole', () => {
    const big = structuredClone(FIXTURE_CASES['property-string']!);
    (big.payload as { value: { value: string } }).value.value = 'x'.repeat(5000);
    const small = enc(FIXTURE_CASES['agent']!);
    const ok = processMessages([msg(encodeBatchFrame([small, small, small, small, enc(big)]), '1')], 4096);
    expect(ok.eventCount).toBe(4);
    expect(ok.deadLetters.map((d) => [d.source.index, d.reasonCode])).toEqual([[4, 'oversized']]);
    const truncated = encodeBatchFrame([small, small]).subarray(0, 20);
    const r = processMessages([msg(truncated, '2')], 4096);
    expect(r.eventCount).toBe(0);
    expect(r.deadLetters).toEqual([expect.objectContaining({ source: { topic: 't', partition: 0, offset: '2' }, reasonCode: 'bad-avro', value: truncated })]);
    expect(r.deadLetters[0]!.reason).toMatch(/batch frame truncated/);
  });

  it('eventsOf: the packed events with their index, the message itself, or why the frame is malformed', () => {
    const a = enc(FIXTURE_CASES['agent']!);
    expect(eventsOf(msg(a, '1'))).toEqual([msg(a, '1')]);
    expect(eventsOf(msg(encodeBatchFrame([a, a]), '2'))).toEqual([{ ...msg(a, '2'), index: 0 }, { ...msg(a, '2'), index: 1 }]);
    expect(eventsOf(msg(Buffer.from([1, 0, 0]), '3'))).toEqual({ malformed: expect.stringMatching(/too short/) });
  });
});

describe('payloadBodyJson', () => {
  it('equals canonicalJson of the payload for decoded events of every kind, and for shapes off the fast path', async () => {
    const { payloadBodyJson, canonicalJson } = await import('./rows.js');
    const { trainingWorkload } = await import('../../bench/lib/workload.js');
    const { decodeEvent } = await import('../model/codec.js');
    const events = [...Object.values(FIXTURE_CASES), ...trainingWorkload({ project: 'p', count: 3000, seed: 'body' }).events];
    for (const ev of events) {
      const decoded = decodeEvent(encodeEvent(ev)).payload;
      expect(payloadBodyJson(decoded)).toBe(canonicalJson(decoded));
      expect(payloadBodyJson(ev.payload)).toBe(canonicalJson(ev.payload));
    }
    const act = structuredClone(FIXTURE_CASES['activity']!.payload) as unknown as Record<string, unknown>;
    act['params'] = { '10': 'a', '9': 'b', z: 'c', a: 'd' };
    expect(payloadBodyJson(act as never)).toBe(canonicalJson(act));
    expect(payloadBodyJson({ ...act, extra: 1 } as never)).toBe(canonicalJson({ ...act, extra: 1 }));
    expect(payloadBodyJson({ ...act, workdir: undefined } as never)).toBe(canonicalJson({ ...act, workdir: undefined }));
    const { command: _omitted, ...missing } = act;
    expect(payloadBodyJson(missing as never)).toBe(canonicalJson(missing));
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps arrays in order', async () => {
    const { canonicalJson } = await import('./rows.js');
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});
