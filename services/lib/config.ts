/**
 * Helpers for the per-service config modules (the only code that reads process.env). A reader
 * collects every problem and `done()` throws one ConfigError listing them all.
 */
import { ConfigError } from './errors.js';

export type Env = Record<string, string | undefined>;

export class EnvReader {
  private readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback === undefined) {
      this.problems.push(`${name} is required`);
      return '';
    }
    return fallback;
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      this.problems.push(`${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name}=${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw as T;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    const v = this.string(name, fallback);
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) this.problems.push(`${name}=${v} must use ${protocols.join(' or ')}`);
    } catch {
      this.problems.push(`${name}=${JSON.stringify(v)} is not a URL (e.g. ${fallback})`);
    }
    return v;
  }

  /** host:port[,host:port...] */
  brokers(name: string, fallback: string): string[] {
    const list = this.string(name, fallback).split(',').map((s) => s.trim()).filter(Boolean);
    for (const b of list) if (!/^[^\s:]+:\d{1,5}$/.test(b)) this.problems.push(`${name}: ${JSON.stringify(b)} is not host:port`);
    return list;
  }

  identifier(name: string, fallback: string): string {
    const v = this.string(name, fallback);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v)) this.problems.push(`${name}=${JSON.stringify(v)} must be a plain identifier (letters, digits, _)`);
    return v;
  }

  done(): void {
    if (this.problems.length) throw new ConfigError(this.problems);
  }
}

/** Defaults shared by every service: the ports infra/services.sh starts the services on. */
export const DEFAULT_URLS = {
  kafkaBrokers: '127.0.0.1:19092',
  clickhouseUrl: 'http://127.0.0.1:18123',
  redisUrl: 'redis://127.0.0.1:16379',
  clickhouseDatabase: 'provstream',
  eventsTopic: 'provstream.events',
  deadLetterTopic: 'provstream.events.dlq',
} as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
