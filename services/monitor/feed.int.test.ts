/**
 * The SSE feed against a real Kafka alerts topic (2 partitions): a client that reconnects with
 * the last event id (header or ?since=) gets the alerts raised while it was away, none twice, then
 * the live ones; a position past the topic's retention starts at the earliest kept, said so.
 */
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, deleteTopics, silentLogger, testKafka, uniqueName, waitFor } from '../../test/helpers.js';
import type { Alert } from './core/index.js';
import { AlertFeed } from './feed.js';
import { startHttp } from './http.js';
import type { MonitorHttp } from './http.js';

interface SseClient {
  status: number;
  alerts: Array<{ id: string; alert: Alert }>;
  /** Ids of messages without data (heartbeats). */
  beats: string[];
  comments: string[];
  close(): void;
}

function connect(port: number, query = '', headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${port}/alerts/stream${query}`, { headers }, (res: IncomingMessage) => {
      const client: SseClient = { status: res.statusCode ?? 0, alerts: [], beats: [], comments: [], close: () => res.destroy() };
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const lines = buf.slice(0, i).split('\n');
          buf = buf.slice(i + 2);
          client.comments.push(...lines.filter((l) => l.startsWith(': ')).map((l) => l.slice(2)));
          const data = lines.find((l) => l.startsWith('data: '));
          const id = lines.find((l) => l.startsWith('id: '));
          if (data && id) client.alerts.push({ id: id.slice(4), alert: JSON.parse(data.slice(6)) as Alert });
          else if (id) client.beats.push(id.slice(4));
        }
      });
      res.on('error', () => undefined);
      resolve(client);
    })
      .on('error', reject)
      .end();
  });
}

const alert = (n: number, feed = true): Alert => ({
  alertId: `alr:feed-test-${n}`, ruleId: 'r', kind: 'threshold', severity: 'warning', time: Date.now(), project: 'p', subject: `s${n}`, dedupKey: `r:p:s${n}`,
  message: `alert ${n}`, value: n, threshold: 0, details: {}, eventIds: [`e${n}`], vertexIds: [], notify: feed ? [{ type: 'feed' }] : [],
});

describe('the SSE alert feed resumes after the last event id', () => {
  const topic = uniqueName('provstream.alerts.feedtest');
  const kafka = testKafka('feed-test');
  let producer: Producer;
  let feed: AlertFeed;
  let http: MonitorHttp;
  const clients: SseClient[] = [];

  /** Alert n goes to partition n % 2. */
  const produce = async (...alerts: Alert[]) => {
    await producer.send({ topic, messages: alerts.map((a) => ({ key: a.alertId, value: JSON.stringify(a), partition: Number(a.subject.slice(1)) % 2 })) });
  };
  const open = async (query = '', headers: Record<string, string> = {}) => {
    const c = await connect(http.port, query, headers);
    clients.push(c);
    return c;
  };
  const subjects = (c: SseClient) => c.alerts.map((a) => a.alert.subject).sort();

  beforeAll(async () => {
    await createTopics([{ topic, numPartitions: 2 }]);
    producer = kafka.producer();
    await producer.connect();
    feed = new AlertFeed(kafka, topic, silentLogger);
    await feed.start();
    http = await startHttp('127.0.0.1', 0, feed, (from) => new AlertFeed(kafka, topic, silentLogger, from), async () => ({ ok: true, details: {} }), silentLogger, 200);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await http?.close();
    await feed?.stop();
    await producer?.disconnect();
    await deleteTopics([topic]);
  });

  it('alerts produced while no client was connected arrive after reconnecting with Last-Event-ID, none twice', async () => {
    const watcher = await open(); // stays connected: shows when the shared feed is past an alert
    const first = await open();
    const nothing = await open('?rule=no-such-rule');
    await produce(alert(1), alert(2), alert(3), alert(4));
    await waitFor('4 alerts on the first connection', async () => first.alerts.length >= 4, 20_000, 50);
    for (const a of first.alerts) expect(a.id).toMatch(/^0:-?\d+,1:-?\d+$/);
    const lastId = first.alerts.at(-1)!.id;
    // a client whose filter matched nothing still learns the position, from a heartbeat
    await waitFor('a heartbeat with the position', async () => nothing.beats.includes(lastId), 5_000, 50);
    expect(nothing.alerts).toEqual([]);
    first.close();

    await produce(alert(5), alert(6), alert(7, false), alert(8), alert(9));
    await waitFor('the shared feed to be past them', async () => watcher.alerts.some((a) => a.alert.subject === 's9'), 20_000, 50);
    const back = await open('', { 'last-event-id': lastId });
    expect(back.status).toBe(200);
    await waitFor('the 4 missed feed alerts', async () => back.alerts.length >= 4, 20_000, 50);
    await produce(alert(10));
    await waitFor('the live alert after them', async () => back.alerts.length >= 5, 20_000, 50);
    await new Promise((r) => setTimeout(r, 500)); // room for a wrongly repeated one
    expect(subjects(back)).toEqual(['s10', 's5', 's6', 's8', 's9']);
    expect(back.comments).toContain(`resuming after ${lastId}`);

    // ?since= for clients that cannot set headers; the header wins when both are sent
    const bySince = await open(`?since=${encodeURIComponent(lastId)}`);
    const both = await open(`?since=0:-1,1:-1`, { 'last-event-id': lastId });
    await waitFor('the same alerts by since=', async () => bySince.alerts.length >= 5 && both.alerts.length >= 5, 20_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(subjects(bySince)).toEqual(subjects(back));
    expect(subjects(both)).toEqual(subjects(back));
  });

  it('a position past the retention starts at the earliest alert kept, and says so', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] }); // s2, s4 gone
    } finally {
      await admin.disconnect();
    }
    const c = await open('', { 'last-event-id': '0:-1,1:-1' });
    await waitFor('the alerts kept', async () => c.alerts.length >= 7, 20_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(subjects(c)).toEqual(['s1', 's10', 's3', 's5', 's6', 's8', 's9']);
    expect(c.comments.some((m) => /partition 0: alerts at offsets 0\.\.1 are gone/.test(m))).toBe(true);
  });

  it('refuses a Last-Event-ID that is not a position', async () => {
    const c = await open('', { 'last-event-id': 'alr:feed-test-1' });
    expect(c.status).toBe(400);
  });
});
