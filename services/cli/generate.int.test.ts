import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, services, testKafka, uniqueName, waitFor } from '../../test/helpers.js';
import { decodeEvent, splitFrames } from '../model/codec.js';
import { loadCliConfig } from './config.js';
import { runGenerate } from './generate.js';

describe('provstream generate through the SDK (real Kafka)', () => {
  const topic = uniqueName('generate').replace(/_/g, '.');
  const dir = mkdtempSync(join(tmpdir(), 'provstream-generate-'));
  afterAll(async () => {
    await deleteTopics([topic]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every generated event to the topic', async () => {
    await createTopics([{ topic, numPartitions: 2 }]);
    const cfg = loadCliConfig({ KAFKA_BROKERS: services().kafkaBrokers.join(','), PROVSTREAM_TOPIC: topic, PROVSTREAM_SPILL_DIR: dir });
    const report = await runGenerate(cfg, { project: 'gen-int', vertices: 300, seed: 'int', rate: null, out: null, flushTimeoutMs: 30_000 }, () => undefined);
    expect(report.rejected).toBe(0);
    expect(report.undelivered).toBe(0);
    expect(report.delivered).toBe(report.stats.events);
    // Read back: the SDK packs each key's events into batch frames, so count events, not messages.
    const consumer = testKafka().consumer({ groupId: uniqueName('generate-check') });
    const ids = new Set<string>();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void splitFrames(message.value!).forEach((f) => ids.add(decodeEvent(f).eventId)) });
      await waitFor(`${report.stats.events} events on the topic`, async () => ids.size >= report.stats.events, 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(ids.size).toBe(report.stats.events);
  });
});
