/**
 * Services for the int and e2e tiers, by the same rules as `make up` (infra/services.sh):
 *   1. KAFKA_BROKERS / CLICKHOUSE_URL / REDIS_URL in env win;
 *   2. else, when a Docker engine answers, testcontainers starts current images;
 *   3. else infra/services.sh starts the native services (Redis without persistence).
 * The URLs are put into process.env before the test workers start, so they inherit them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stops: Array<() => Promise<unknown>> = [];

function dockerEngine(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function withTestcontainers(): Promise<void> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage('Ready to accept connections')).start();
  const ch = await new GenericContainer('clickhouse/clickhouse-server:24.8')
    .withExposedPorts(8123)
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withWaitStrategy(Wait.forHttp('/ping', 8123))
    .start();
  // Kafka advertises the host port it is reached on, so it must be fixed before start.
  const port = 29092;
  const kafka = await new GenericContainer('apache/kafka:3.9.0')
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://:${port},CONTROLLER://:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_HEAP_OPTS: '-Xmx1g',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started|KafkaRaftServer.*started/))
    .start();
  stops.push(() => redis.stop(), () => ch.stop(), () => kafka.stop());
  process.env['REDIS_URL'] = `redis://127.0.0.1:${redis.getMappedPort(6379)}`;
  process.env['CLICKHOUSE_URL'] = `http://127.0.0.1:${ch.getMappedPort(8123)}`;
  process.env['KAFKA_BROKERS'] = `127.0.0.1:${port}`;
}

export default async function setup(): Promise<() => Promise<void>> {
  const given = ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'REDIS_URL'].filter((k) => process.env[k]);
  if (given.length === 3) {
    // All three given: use them as they are.
  } else if (given.length === 0 && dockerEngine()) {
    await withTestcontainers();
  } else {
    const r = spawnSync('bash', [join(root, 'infra', 'services.sh'), 'up', '--ephemeral'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error('could not start the services (infra/services.sh up failed; see above)');
    const env = execFileSync('bash', [join(root, 'infra', 'services.sh'), 'env'], { encoding: 'utf8' });
    for (const line of env.split('\n')) {
      const m = /^export (\w+)=(.*)$/.exec(line);
      if (m && !process.env[m[1]!]) process.env[m[1]!] = m[2]!;
    }
  }
  return async () => {
    for (const stop of stops) await stop();
  };
}
