import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, services, testKafka, uniqueName } from '../../test/helpers.js';
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
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(report.stats.events);
    } finally {
      await admin.disconnect();
    }
  });
});
