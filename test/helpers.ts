/**
 * Shared helpers for the int and e2e tiers: unique names per test, throwaway ClickHouse
 * databases, Kafka clients, a child-process runner for the real deployables, and polling.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { connectWarehouse } from '../services/lib/clickhouse.js';
import type { Warehouse } from '../services/lib/clickhouse.js';
import { createKafka, ensureTopics } from '../services/lib/kafka.js';
import { migrate } from '../services/lib/migrations.js';
import { ident } from '../services/lib/sql-literal.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const silentLogger = pino({ level: 'silent' });

export function services(): { kafkaBrokers: string[]; clickhouseUrl: string; redisUrl: string } {
  const e = process.env;
  if (!e['KAFKA_BROKERS'] || !e['CLICKHOUSE_URL'] || !e['REDIS_URL']) throw new Error('services not set up: run the int/e2e tiers through vitest (test/global-setup.ts)');
  return { kafkaBrokers: e['KAFKA_BROKERS'].split(','), clickhouseUrl: e['CLICKHOUSE_URL'], redisUrl: e['REDIS_URL'] };
}

/** A name no other test (or earlier run) uses: prefix_<time>_<random>. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A fresh, migrated database; `drop()` removes it. */
export async function freshDatabase(prefix = 'test'): Promise<Warehouse & { drop(): Promise<void> }> {
  const database = uniqueName(prefix);
  const wh = await connectWarehouse({ url: services().clickhouseUrl, database }, { create: true });
  await migrate(wh);
  return Object.assign(wh, {
    async drop() {
      await wh.command(`DROP DATABASE IF EXISTS ${ident(database).text}`);
      await wh.close();
    },
  });
}

export function testKafka(clientId = 'provstream-test') {
  return createKafka({ brokers: services().kafkaBrokers, clientId }, silentLogger);
}

export async function createTopics(topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics);
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** Polls `probe` until it returns a truthy value or the time is up (then throws with `what`). */
export async function waitFor<T>(what: string, probe: () => Promise<T>, timeoutMs = 60_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Starts the real `provstream ingest` process (compiled CLI) with the given environment. */
export function startIngestProcess(env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'provstream.js'), 'ingest'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  return Object.assign(child, { output: () => out });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** True when the consumer group has committed offsets up to the end of every partition of the topic. */
export async function groupCaughtUp(groupId: string, topic: string): Promise<boolean> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((e) => {
      const c = committed?.partitions.find((p) => p.partition === e.partition);
      return c !== undefined && BigInt(c.offset === '-1' ? '0' : c.offset) >= BigInt(e.high);
    });
  } catch (err) {
    // A young broker moves group coordinators around ("This is not the correct coordinator for
    // this group"): kafkajs marks such errors retriable, and for a poll that means "not yet".
    if ((err as { retriable?: boolean }).retriable) return false;
    throw err;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A TCP proxy in front of a service, to make it go away and come back in the middle of a test
 * without stopping the shared server: `cut()` drops every connection and stops listening (new
 * connections are refused, as from a stopped server), `restore()` listens on the same port again.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly target: { host: string; port: number }, public port: number) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0);
    await proxy.restore();
    return proxy;
  }

  /** The target as a URL on the proxy's port (`redis://127.0.0.1:16379` -> `redis://127.0.0.1:<port>`). */
  static targetOf(url: string, defaultPort: number): { host: string; port: number } {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port || defaultPort) };
  }

  restore(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }
}

/** A TCP port free right now on 127.0.0.1 (for a child process that must listen on a known port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
