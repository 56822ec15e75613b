/**
 * Helpers for the graph service's integration tests: the environment of a graph (and of the
 * ingest process feeding it) on a test's own topic, database and ingest group, and the clean-up
 * of everything a test made (its Redis cache keys, topics and database).
 */
import { deleteTopics, services, type freshDatabase } from './helpers.js';
import { createRedis, deleteKeysMatching, escapeGlob } from '../services/lib/redis.js';

type Database = Awaited<ReturnType<typeof freshDatabase>>;

export function graphTestEnv(db: Database, topic: string, ingestGroup: string): Record<string, string> {
  return {
    KAFKA_BROKERS: services().kafkaBrokers.join(','),
    CLICKHOUSE_URL: services().clickhouseUrl,
    CLICKHOUSE_DATABASE: db.database,
    REDIS_URL: services().redisUrl,
    PROVSTREAM_TOPIC: topic,
    PROVSTREAM_DLQ_TOPIC: `${topic}.dlq`,
    INGEST_GROUP_ID: ingestGroup,
  };
}

/** Deletes the cache keys under `cachePrefix`, the topic and its DLQ, and the database (if made). */
export async function cleanUpGraphTest(cachePrefix: string, topic: string, db: Database | undefined): Promise<void> {
  const redis = createRedis(services().redisUrl);
  try {
    await deleteKeysMatching(redis, `${escapeGlob(cachePrefix)}*`);
  } finally {
    redis.disconnect();
  }
  await deleteTopics([topic, `${topic}.dlq`]);
  await db?.drop();
}
