/**
 * `provstream alerts --follow` as a user runs it (the compiled CLI): resuming after a position,
 * the text form of an alert, and one clear message when Kafka does not answer.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createTopics, deleteTopics, exited, testKafka, uniqueName, waitFor } from '../../test/helpers.js';
import type { Alert } from '../monitor/core/index.js';

function cli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'provstream.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return Object.assign(child, { out: () => stdout, err: () => stderr });
}

const ENT = (n: number) => `ent:${String(n).repeat(32)}`;
const alert = (n: number): Alert => ({
  alertId: `alr:cli-follow-${n}`, ruleId: 'r', kind: 'threshold', severity: 'warning', time: Date.UTC(2026, 0, 1), project: 'p', subject: ENT(n), dedupKey: `k${n}`,
  message: `alert ${n}`, value: n, threshold: 0, details: {}, eventIds: [`8c1f2e3a-51b4-4c7d-9e0f-00000000000${n}`], vertexIds: [ENT(n)], notify: [],
});

describe('provstream alerts --follow', () => {
  const topic = uniqueName('provstream.alerts.clitest');

  beforeAll(async () => {
    await createTopics([{ topic, numPartitions: 1 }]);
    const producer = testKafka().producer();
    await producer.connect();
    await producer.send({ topic, messages: [1, 2, 3].map((n) => ({ key: alert(n).alertId, value: JSON.stringify(alert(n)) })) });
    await producer.disconnect();
  });
  afterAll(async () => deleteTopics([topic]));

  it('--since resumes after a position, shows ids and the why hint, and prints where it stopped', async () => {
    const child = cli(['alerts', '--follow', '--all', '--since', '0:0'], { MONITOR_ALERTS_TOPIC: topic });
    try {
      await waitFor('alerts 2 and 3', async () => child.out().includes('alert 3'), 30_000, 100);
      expect(child.out()).not.toContain('alert 1');
      expect(child.out().match(/alert 2/g)).toHaveLength(1);
      expect(child.out()).toContain('    events: 8c1f2e3a-51b4-4c…   vertices: ent:222222222222…');
      expect(child.out()).toContain(`    provenance: provstream why ${ENT(2)}`);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited(child)).toBe(0);
    expect(child.err()).toContain('stopped at 0:2; --since 0:2 resumes there');
  });

  it('says once, naming the brokers and KAFKA_BROKERS, when Kafka does not answer; no kafkajs log lines', async () => {
    const child = cli(['alerts', '--follow'], { KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: 'info' });
    expect(await exited(child)).toBe(1);
    const lines = child.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^provstream: error: Kafka is unavailable: no answer from the brokers 127\.0\.0\.1:1 \(KAFKA_BROKERS\)/);
  });
});
