/**
 * OpenLineage JSON on a Kafka topic (as OpenLineage's Kafka transport writes it), consumed by the
 * gateway's topic consumer: the tables end exactly as when the same events are posted over HTTP;
 * invalid messages go to the dead-letter topic and table with the reason; offsets are committed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partitioners } from 'kafkajs';
import { createTopics, deleteTopics, groupCaughtUp, testKafka, uniqueName, waitFor } from '../../../test/helpers.js';
import { startGatewayHarness } from '../../../test/gateway.js';
import type { GatewayHarness } from '../../../test/gateway.js';
import { sql } from '../../lib/sql-literal.js';
import { airflowStream, dbtStream, sparkStream } from './fixtures.js';

const events = [...airflowStream().events, ...sparkStream().events, ...dbtStream().events] as Array<{ job: { namespace: string; name: string }; run: { runId: string } }>;
const olTopic = uniqueName('gw.ol.in');
const olDlq = `${olTopic}.dlq`;
const group = uniqueName('gw-ol');
let h: GatewayHarness;

beforeAll(async () => {
  await createTopics([{ topic: olTopic, numPartitions: 3 }, { topic: olDlq, numPartitions: 1 }]);
  h = await startGatewayHarness('glc', ['from-kafka', 'from-http'], { GATEWAY_OPENLINEAGE_TOPIC: olTopic, GATEWAY_OPENLINEAGE_PROJECT: 'from-kafka', GATEWAY_OPENLINEAGE_DLQ_TOPIC: olDlq, GATEWAY_OPENLINEAGE_GROUP_ID: group });
});
afterAll(async () => {
  await h?.close();
  await deleteTopics([olTopic, olDlq]);
});

describe('the OpenLineage topic consumer', () => {
  it('maps what the Kafka transport writes like the HTTP route does; invalid messages are dead-lettered with the reason', async () => {
    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const message = (e: (typeof events)[number]) => ({ key: `run:${e.job.namespace}/${e.job.name}`, value: JSON.stringify(e) });
    try {
      // Every event, then the first five again (a producer retrying), and two that cannot be read.
      await producer.send({ topic: olTopic, messages: [...events.map(message), ...events.slice(0, 5).map(message)] });
      await producer.send({ topic: olTopic, messages: [{ key: 'x', value: '{"eventTime": ' }, { key: 'y', value: JSON.stringify({ ...events[0]!, run: { runId: 'not-a-uuid' } }) }] });
    } finally {
      await producer.disconnect();
    }
    for (const e of events) expect((await h.request('POST', '/api/v1/lineage', 'from-http', e)).status).toBe(202);
    await waitFor('the OpenLineage consumer to commit the topic', () => groupCaughtUp(group, olTopic), 60_000, 100);
    await h.ingested();

    expect(await h.tables('from-kafka')).toEqual(await h.tables('from-http'));
    const dead = await h.db.query<{ reason_code: string; reason: string; project: string }>(sql`SELECT reason_code, reason, project FROM dead_letters FINAL WHERE source_topic = ${olTopic} ORDER BY source_offset`);
    expect(dead).toEqual([
      { reason_code: 'invalid', reason: expect.stringMatching(/^not JSON: /), project: 'from-kafka' },
      { reason_code: 'invalid', reason: 'invalid OpenLineage event: /run/runId: "not-a-uuid" is not a UUID', project: 'from-kafka' },
    ]);
    const admin = testKafka().admin();
    await admin.connect();
    try {
      expect((await admin.fetchTopicOffsets(olDlq)).reduce((n, p) => n + Number(p.high), 0)).toBe(2);
    } finally {
      await admin.disconnect();
    }
    expect(h.gateway.openLineage!.stats).toMatchObject({ events: events.length + 5, deadLetters: 2 });
  });
});
