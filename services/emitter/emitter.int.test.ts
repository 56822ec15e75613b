/**
 * The SDK's promise to instrumented programs, against real Kafka: while Kafka is unreachable
 * nothing throws or blocks, events are buffered and spilled; a later emitter with the same spill
 * folder delivers them, and ingest-side identity makes any re-send harmless.
 */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emitter } from './sdk.js';
import { createTopics, deleteTopics, services, testKafka, uniqueName, waitFor } from '../../test/helpers.js';
import { decodeEvent, splitFrames } from '../model/codec.js';

describe('emitter against real Kafka', () => {
  const topic = uniqueName('emitter');
  beforeAll(() => createTopics([{ topic, numPartitions: 3 }]));
  afterAll(() => deleteTopics([topic]));

  it('Kafka unreachable: never throws, never blocks, buffers then spills; a later emitter delivers all', async () => {
    const spillDir = mkdtempSync(join(tmpdir(), 'provstream-spill-'));
    const errors: Error[] = [];
    // Port 1 on loopback: connection refused at once, like a broker that is down.
    const down = new Emitter({ brokers: ['127.0.0.1:1'], project: 'sdk', topic, spillDir, maxBufferedEvents: 50, onError: (e) => errors.push(e) });
    const started = performance.now();
    const run = down.startActivity({ name: 'train', command: 'python train.py' });
    for (let step = 0; step < 200; step++) run.metric('loss', step, 1 / (step + 1));
    run.end('COMPLETED', 0);
    const recordMs = performance.now() - started;
    expect(recordMs).toBeLessThan(500); // 202 events recorded without waiting on the network
    const stats = await down.close(1500);
    expect(stats.accepted).toBe(202);
    expect(stats.delivered).toBe(0);
    expect(stats.dropped).toBe(0);
    expect(existsSync(join(spillDir, 'provstream-spill.log'))).toBe(true);
    expect(errors.some((e) => /Kafka unavailable/.test(e.message))).toBe(true);

    const up = new Emitter({ brokers: services().kafkaBrokers, project: 'sdk', topic, spillDir });
    up.agent('late-agent');
    const upStats = await up.close(30_000);
    expect(upStats.delivered).toBe(203);
    expect(existsSync(join(spillDir, 'provstream-spill.log'))).toBe(false);

    // Every event arrived, and all events of the run share one key, hence one partition, in order.
    const consumer = testKafka().consumer({ groupId: uniqueName('emitter-check') });
    const got: Array<{ partition: number; key: string; step: number | null; type: string }> = [];
    let messages = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages++;
        for (const frame of splitFrames(message.value!)) {
          const ev = decodeEvent(frame);
          got.push({ partition, key: message.key!.toString(), type: ev.payload.type, step: ev.payload.type === 'metric' ? ev.payload.step : null });
        }
      },
    });
    await waitFor('203 events', async () => got.length >= 203, 30_000);
    await consumer.disconnect();
    // The run's events were packed into batch frames: far fewer Kafka messages than events.
    expect(messages).toBeLessThan(203 / 10);
    const runEvents = got.filter((g) => g.key === `sdk|${run.id}`);
    expect(runEvents).toHaveLength(202);
    expect(new Set(runEvents.map((g) => g.partition)).size).toBe(1);
    const steps = runEvents.filter((g) => g.type === 'metric').map((g) => g.step);
    expect(steps).toEqual([...steps].sort((a, b) => a! - b!));
  });

  it('pack: false sends one event per Kafka message (for foreign consumers of the topic)', async () => {
    const plainTopic = uniqueName('emitter-plain');
    await createTopics([{ topic: plainTopic, numPartitions: 1 }]);
    try {
      const em = new Emitter({ brokers: services().kafkaBrokers, project: 'sdk', topic: plainTopic, pack: false });
      const run = em.startActivity({ name: 'train' });
      for (let step = 0; step < 20; step++) run.metric('loss', step, step);
      run.end('COMPLETED', 0);
      expect((await em.close(30_000)).delivered).toBe(22);
      const consumer = testKafka().consumer({ groupId: uniqueName('emitter-plain-check') });
      const values: Buffer[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic: plainTopic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!) });
      await waitFor('22 messages', async () => values.length >= 22, 30_000);
      await consumer.disconnect();
      expect(values.map((v) => decodeEvent(v).payload.type)).toEqual(['activity', ...Array(20).fill('metric'), 'activity']);
    } finally {
      await deleteTopics([plainTopic]);
    }
  });

  it('rejects invalid and oversized events at the source with the reason, and keeps going', async () => {
    const errors: Error[] = [];
    const em = new Emitter({ brokers: services().kafkaBrokers, project: 'sdk', topic, maxEventBytes: 2048, onError: (e) => errors.push(e) });
    em.relation('used', 'act:x', 'agt:nobody');
    em.property('ent:' + '0'.repeat(32), 'notes', 'x'.repeat(5000));
    em.agent('fine');
    const stats = await em.close(30_000);
    expect(stats).toMatchObject({ accepted: 1, rejected: 2, delivered: 1 });
    expect(errors.map((e) => e.message).join('\n')).toMatch(/unresolvable reference "agt:nobody": used needs an entity id/);
  });
});
