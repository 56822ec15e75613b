import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import type { Consumer } from 'kafkajs';
import { NotFoundError, ServiceUnavailableError } from './errors.js';
import { connectAdmin, createKafka, SupervisedConsumer, kafkaFailure } from './kafka.js';

/** The slice of a kafkajs Consumer the supervisor uses: events, on, disconnect. */
function fakeConsumer(log: string[], n: number) {
  const em = new EventEmitter();
  return Object.assign(em, {
    events: { CRASH: 'consumer.crash' },
    disconnect: async () => void log.push(`disconnect ${n}`),
    crash: (restart: boolean) => em.emit('consumer.crash', { payload: { error: new Error('The coordinator is not aware of this member'), groupId: 'g', restart } }),
  });
}

describe('SupervisedConsumer', () => {
  it('recreates the consumer after a crash kafkajs does not recover from, not after one it does', async () => {
    const log: string[] = [];
    const made: Array<ReturnType<typeof fakeConsumer>> = [];
    const sup = new SupervisedConsumer(
      () => {
        const c = fakeConsumer(log, made.length);
        made.push(c);
        return c as unknown as Consumer;
      },
      async () => void log.push(`start ${made.length - 1}`),
      pino({ level: 'silent' }),
    );
    await sup.run();
    made[0]!.crash(true); // kafkajs restarts by itself: nothing to do
    await new Promise((r) => setTimeout(r, 50));
    expect(made).toHaveLength(1);
    made[0]!.crash(false);
    await new Promise((r) => setTimeout(r, 1200));
    expect(log).toEqual(['start 0', 'disconnect 0', 'start 1']);
    expect(sup.consumer).toBe(made[1]);
    made[0]!.crash(false); // a stale consumer's late event is ignored
    await sup.stop();
    made[1]!.crash(false); // after stop: no restart
    await new Promise((r) => setTimeout(r, 50));
    expect(made).toHaveLength(2);
    expect(log).toEqual(['start 0', 'disconnect 0', 'start 1', 'disconnect 1']);
  });
});

describe('kafkaFailure', () => {
  const brokers = ['10.0.0.1:9092', '10.0.0.2:9092'];
  it('names the brokers and KAFKA_BROKERS when they do not answer', () => {
    const err = kafkaFailure(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 10.0.0.1:9092'), { retryCount: 5, retryTime: 100 }), brokers);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.retriable).toBe(true);
    expect(err.message).toBe(
      'Kafka is unavailable: no answer from the brokers 10.0.0.1:9092, 10.0.0.2:9092 (KAFKA_BROKERS): Connection error: connect ECONNREFUSED 10.0.0.1:9092; is Kafka running (provstream up), and does KAFKA_BROKERS list its host:port?',
    );
  });

  it('says a topic is missing, and where it comes from, when the brokers answered without it', () => {
    const err = kafkaFailure(new KafkaJSNumberOfRetriesExceeded(new Error('This server does not host this topic-partition'), { retryCount: 5, retryTime: 100 }), brokers, { name: 'alerts', missing: 'a monitor creates it' });
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('Kafka at 10.0.0.1:9092, 10.0.0.2:9092 has no topic alerts: a monitor creates it');
  });
});

describe('connectAdmin (a service starting while Kafka is away)', () => {
  it('warns once per attempt in one short line each, then names the brokers and KAFKA_BROKERS', async () => {
    const lines: Array<{ level: number; msg: string; stack?: string }> = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
    const brokers = ['127.0.0.1:1'];
    const kafka = createKafka({ brokers, clientId: 'connect-admin-test', retries: 0, connectionTimeoutMs: 300 }, log);
    const err = await connectAdmin(kafka.admin(), brokers, log, 3).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toMatch(/^Kafka is unavailable: no answer from the brokers 127\.0\.0\.1:1 \(KAFKA_BROKERS\): .*ECONNREFUSED.*is Kafka running \(provstream up\)/);
    expect(lines.filter((l) => l.msg.startsWith('Kafka at 127.0.0.1:1 not reachable, retrying in'))).toHaveLength(2);
    // kafkajs's own lines about the refused connection (6 here: 2 per attempt): one short
    // warning without a stack; the rest at debug level.
    const kafkajs = lines.filter((l) => !l.msg.startsWith('Kafka at'));
    expect(kafkajs).toHaveLength(1);
    expect(kafkajs[0]).toMatchObject({ level: 40, msg: expect.stringMatching(/ECONNREFUSED 127\.0\.0\.1:1 \(kafkajs; such lines are shown once per 30 s/) });
    expect(kafkajs[0]!.stack).toBeUndefined();
  });
});
