import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Consumer } from 'kafkajs';
import { SupervisedConsumer } from './kafka.js';

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
