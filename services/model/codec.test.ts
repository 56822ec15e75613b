import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { decodeEvent, encodeEvent, DecodeError, schemaVersions, avroTypeOf, CURRENT_SCHEMA_VERSION, encodeBatchFrame, splitFrames, isBatchFrame, eventCountOf, packByKey } from './codec.js';
import { FIXTURE_CASES } from './fixtures.js';
import { repoPath } from '../lib/paths.js';

describe('golden fixtures', () => {
  for (const v of schemaVersions()) {
    const dir = repoPath('schemas', 'fixtures', `v${v}`);
    const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    it(`v${v} has a fixture for every payload kind`, () => {
      const kinds = new Set(cases.map((c) => JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')).payload.type));
      expect([...kinds].sort()).toEqual(['activity', 'agent', 'entity', 'metric', 'property', 'relation']);
    });
    for (const c of cases) {
      it(`v${v}/${c}: the bytes still decode to the JSON`, () => {
        const bytes = readFileSync(join(dir, `${c}.bin`));
        const json = JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8'));
        expect(decodeEvent(bytes)).toEqual(json);
        if (v === CURRENT_SCHEMA_VERSION) expect(encodeEvent(json).equals(bytes)).toBe(true);
      });
    }
  }

  it('the fixture cases in code match the newest fixtures on disk', () => {
    for (const [name, ev] of Object.entries(FIXTURE_CASES)) {
      const onDisk = readFileSync(repoPath('schemas', 'fixtures', `v${CURRENT_SCHEMA_VERSION}`, `${name}.bin`));
      expect(encodeEvent(ev).equals(onDisk), name).toBe(true);
    }
  });
});

describe('schema compatibility (EVOLUTION.md rule 2)', () => {
  const newest = avroTypeOf(CURRENT_SCHEMA_VERSION)!;
  for (const v of schemaVersions()) {
    it(`v${v} <-> v${CURRENT_SCHEMA_VERSION} resolve both ways`, () => {
      const old = avroTypeOf(v)!;
      expect(() => newest.createResolver(old)).not.toThrow();
      expect(() => old.createResolver(newest)).not.toThrow();
    });
  }
});

describe('decodeEvent rejects bad frames with a reason', () => {
  const good = encodeEvent(FIXTURE_CASES['metric']!);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['empty', Buffer.alloc(0), /too short/],
    ['JSON instead of Avro', Buffer.from('{"eventId":"x"}'), /bad magic byte/],
    ['unknown version', Buffer.concat([Buffer.from([0, 0, 0, 0, 99]), good.subarray(5)]), /unknown schema version 99/],
    ['truncated body', good.subarray(0, good.length - 3), /Avro decoding failed/],
    ['trailing garbage', Buffer.concat([good, Buffer.from([1, 2, 3])]), /Avro decoding failed/],
    ['bad union branch', Buffer.concat([good.subarray(0, 5), Buffer.from([2, 0x41, 2, 0x42, 0x02, 0x41, 0x02, 0x41, 0x02, 0x40])]), /Avro decoding failed/],
  ];
  for (const [name, buf, re] of cases) {
    it(name, () => {
      expect(() => decodeEvent(buf)).toThrow(DecodeError);
      expect(() => decodeEvent(buf)).toThrow(re);
    });
  }
});

describe('encodeEvent', () => {
  it('round-trips every fixture case', () => {
    for (const ev of Object.values(FIXTURE_CASES)) expect(decodeEvent(encodeEvent(ev))).toEqual(ev);
  });
  it('refuses values of the wrong type, naming the field', () => {
    const ev = structuredClone(FIXTURE_CASES['metric']!);
    (ev.payload as unknown as Record<string, unknown>)['step'] = 'seven';
    expect(() => encodeEvent(ev)).toThrow(/payload/);
  });
  it('writes the Confluent-style frame: magic 0 and a big-endian version', () => {
    const b = encodeEvent(FIXTURE_CASES['agent']!);
    expect(b[0]).toBe(0);
    expect(b.readUInt32BE(1)).toBe(CURRENT_SCHEMA_VERSION);
    expect(avro.Type.forSchema(JSON.parse(readFileSync(repoPath('schemas', 'avro', 'v1', 'event.avsc'), 'utf8'))).isValid(avroTypeOf(1)!.fromBuffer(b.subarray(5)))).toBe(true);
  });
});

describe('batch frames (EVOLUTION.md "Batch frames")', () => {
  const events = Object.values(FIXTURE_CASES);
  const frames = events.map((e) => encodeEvent(e));

  it('split gives back the packed event frames, in order; a plain event frame is itself', () => {
    const batch = encodeBatchFrame(frames);
    expect(isBatchFrame(batch)).toBe(true);
    expect(eventCountOf(batch)).toBe(frames.length);
    expect(splitFrames(batch).map((f) => decodeEvent(f))).toEqual(events);
    expect(splitFrames(frames[0]!)).toEqual([frames[0]]);
    expect(eventCountOf(frames[0]!)).toBe(1);
    expect(() => decodeEvent(batch)).toThrow(/batch frame .* split it with splitFrames/);
  });

  it('refuses truncated and inconsistent batch frames with the reason', () => {
    const batch = encodeBatchFrame(frames.slice(0, 3));
    expect(() => splitFrames(batch.subarray(0, batch.length - 1))).toThrow(/event 3 of 3 declares \d+ bytes, \d+ left/);
    expect(() => splitFrames(batch.subarray(0, 3))).toThrow(/too short/);
    expect(() => splitFrames(Buffer.concat([batch, Buffer.from([0])]))).toThrow(/1 bytes after its 3 events/);
    const lying = Buffer.from(batch);
    lying.writeUInt32BE(4, 1);
    expect(() => splitFrames(lying)).toThrow(/event 4 of 4 has no length/);
  });

  it('packByKey: one message per key in first-seen order, each key keeping its events in order', () => {
    const msgs = frames.map((value, i) => ({ key: `k${i % 3}`, value }));
    const packed = packByKey(msgs);
    expect(packed.map((m) => m.key)).toEqual(['k0', 'k1', 'k2']);
    for (const m of packed) expect(splitFrames(m.value)).toEqual(msgs.filter((x) => x.key === m.key).map((x) => x.value));
  });

  it('packByKey: a lone event stays a plain frame; a key past 256 KiB is split, order kept', () => {
    expect(packByKey([{ key: 'a', value: frames[0]! }])).toEqual([{ key: 'a', value: frames[0] }]);
    const big = Array.from({ length: 600 }, (_, i) => ({ key: 'a', value: Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.alloc(1000, i % 256)]) }));
    const packed = packByKey(big);
    expect(packed.length).toBe(3);
    for (const m of packed) expect(m.value.length).toBeLessThanOrEqual(256 * 1024);
    const unpacked = packed.flatMap((m) => splitFrames(m.value));
    expect(unpacked.length).toBe(600);
    expect(Buffer.concat(unpacked).equals(Buffer.concat(big.map((m) => m.value)))).toBe(true);
  });
});
