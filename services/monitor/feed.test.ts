import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { Alert } from './core/index.js';
import { AlertFeed } from './feed.js';

/** The slice of kafkajs the feed uses: an admin for watermarks and groups, consumers it starts and seeks. */
function fakeKafka(marks: Array<{ partition: number; low: string; high: string }>) {
  type Each = (p: { partition: number; message: { offset: string; value: Buffer } }) => Promise<void>;
  const consumers: Array<{ seeks: Array<[number, string]>; each?: Each; crash(): void }> = [];
  const kafka = {
    admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, fetchTopicOffsets: async () => marks.map((m) => ({ ...m, offset: m.high })), deleteGroups: async () => undefined }),
    consumer: () => {
      const em = new EventEmitter();
      const made = {
        seeks: [] as Array<[number, string]>,
        each: undefined as Each | undefined,
        crash: () => em.emit('consumer.crash', { payload: { error: new Error('The coordinator is not aware of this member'), groupId: 'g', restart: false } }),
      };
      consumers.push(made);
      return Object.assign(em, {
        events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
        connect: async () => undefined,
        disconnect: async () => undefined,
        subscribe: async () => undefined,
        run: async (o: { eachMessage: Each }) => {
          made.each = o.eachMessage;
          setImmediate(() => em.emit('consumer.group_join'));
        },
        seek: (s: { partition: number; offset: string }) => made.seeks.push([s.partition, s.offset]),
      });
    },
  };
  return { kafka: kafka as unknown as Kafka, consumers };
}

const alert = (n: number): Alert => ({
  alertId: `alr:${n}`, ruleId: 'r', kind: 'threshold', severity: 'warning', time: 1, project: 'p', subject: `s${n}`, dedupKey: 'k',
  message: 'm', value: null, threshold: null, details: {}, eventIds: [], vertexIds: [], notify: [{ type: 'feed' }],
});
const msg = (partition: number, offset: number, n: number) => ({ partition, message: { offset: String(offset), value: Buffer.from(JSON.stringify(alert(n))) } });

describe('AlertFeed', () => {
  it('starts each partition where told and gives every alert with the position after it, skipping offsets read already', async () => {
    const { kafka, consumers } = fakeKafka([{ partition: 0, low: '0', high: '10' }, { partition: 1, low: '3', high: '8' }]);
    const feed = new AlertFeed(kafka, 't', pino({ level: 'silent' }), { after: new Map([[0, 6n], [1, 2n]]) });
    const got: Array<[string, string]> = [];
    feed.subscribe((a, position) => got.push([a.subject, position]));
    const notes = await feed.start();
    expect(notes).toEqual([]);
    expect(consumers[0]!.seeks).toEqual([[0, '7'], [1, '3']]);
    expect(feed.position()).toBe('0:6,1:2');
    await consumers[0]!.each!(msg(0, 7, 1));
    await consumers[0]!.each!(msg(1, 3, 2));
    await consumers[0]!.each!(msg(0, 7, 99)); // a restart re-delivering offset 7: skipped
    await consumers[0]!.each!(msg(0, 6, 98)); // before the start: skipped
    expect(got).toEqual([['s1', '0:7,1:2'], ['s2', '0:7,1:3']]);
  });

  it('recreates a consumer that crashed for good and resumes it right after the position', async () => {
    const { kafka, consumers } = fakeKafka([{ partition: 0, low: '0', high: '4' }]);
    const feed = new AlertFeed(kafka, 't', pino({ level: 'silent' }));
    await feed.start();
    expect(consumers[0]!.seeks).toEqual([[0, '4']]);
    await consumers[0]!.each!(msg(0, 4, 1));
    await consumers[0]!.each!(msg(0, 5, 2));
    consumers[0]!.crash();
    await expect.poll(() => consumers.length, { timeout: 5_000 }).toBe(2);
    await expect.poll(() => consumers[1]!.seeks, { timeout: 5_000 }).toEqual([[0, '6']]);
    await feed.stop();
  });
});
