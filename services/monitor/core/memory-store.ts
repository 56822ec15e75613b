/**
 * An in-memory StateStore with an explicit clock, for unit tests and `provstream rules test`
 * dry runs. Behaves like the Redis adapter must (state-store.contract.ts checks both): TTLs are
 * measured on the injected clock, expired keys read as missing, each apply() is all-or-nothing,
 * writing a key of one type over a key of another type fails (as Redis WRONGTYPE does).
 */
import type { Json, KeyRead, Mutation, Snapshot, StateEntry, StateStore, ZMember } from './state.js';

type Stored =
  | { type: 'value'; value: Json; expiresAt: number }
  | { type: 'list'; items: Json[]; expiresAt: number }
  | { type: 'zset'; members: Map<string, number>; expiresAt: number };

export class StateTypeError extends Error {
  constructor(key: string, expected: string, actual: string) {
    super(`state key ${key} holds a ${actual}, not a ${expected}`);
    this.name = 'StateTypeError';
  }
}

export class MemoryStateStore implements StateStore {
  private readonly data = new Map<string, Stored>();

  /** @param clock current time in epoch ms; TTLs count on it (tests advance it explicitly). */
  constructor(private readonly clock: () => number) {}

  async load(reads: readonly KeyRead[]): Promise<Snapshot> {
    return this.loadSync(reads);
  }

  async apply(mutations: readonly Mutation[]): Promise<void> {
    this.applySync(mutations);
  }

  loadSync(reads: readonly KeyRead[]): Snapshot {
    const out = new Map<string, StateEntry | null>();
    for (const read of reads) {
      const stored = this.live(read.key);
      if (stored && stored.type !== read.type) throw new StateTypeError(read.key, read.type, stored.type);
      if (read.type === 'value') {
        out.set(read.key, stored?.type === 'value' ? { type: 'value', value: clone(stored.value) } : null);
      } else if (read.type === 'list') {
        out.set(read.key, { type: 'list', items: stored?.type === 'list' ? stored.items.map(clone) : [] });
      } else {
        const members: ZMember[] = [];
        if (stored?.type === 'zset') {
          for (const [member, score] of stored.members) if (score <= read.maxScore) members.push({ member, score });
        }
        members.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
        out.set(read.key, { type: 'zset', members: members.slice(0, Math.max(0, read.limit)) });
      }
    }
    return out;
  }

  /** Applies all mutations in order, or none of them when one is invalid. */
  applySync(mutations: readonly Mutation[]): void {
    const now = this.clock();
    const staged = new Map<string, Stored | undefined>();
    const current = (key: string): Stored | undefined => (staged.has(key) ? staged.get(key) : this.live(key));
    for (const m of mutations) {
      const prev = current(m.key);
      switch (m.op) {
        case 'set':
          checkTtl(m.key, m.ttlMs);
          if (prev && prev.type !== 'value') throw new StateTypeError(m.key, 'value', prev.type);
          staged.set(m.key, { type: 'value', value: clone(m.value), expiresAt: now + m.ttlMs });
          break;
        case 'delete':
          staged.set(m.key, undefined);
          break;
        case 'push': {
          checkTtl(m.key, m.ttlMs);
          if (prev && prev.type !== 'list') throw new StateTypeError(m.key, 'list', prev.type);
          const items = [clone(m.value), ...(prev?.items ?? [])].slice(0, Math.max(0, m.maxLength));
          staged.set(m.key, items.length > 0 ? { type: 'list', items, expiresAt: now + m.ttlMs } : undefined);
          break;
        }
        case 'zadd': {
          checkTtl(m.key, m.ttlMs);
          if (prev && prev.type !== 'zset') throw new StateTypeError(m.key, 'zset', prev.type);
          const members = new Map(prev?.members ?? []);
          members.set(m.member, m.score);
          staged.set(m.key, { type: 'zset', members, expiresAt: now + m.ttlMs });
          break;
        }
        case 'zrem': {
          if (prev && prev.type !== 'zset') throw new StateTypeError(m.key, 'zset', prev.type);
          if (!prev) break;
          const members = new Map(prev.members);
          members.delete(m.member);
          staged.set(m.key, members.size > 0 ? { ...prev, members } : undefined);
          break;
        }
      }
    }
    for (const [key, stored] of staged) {
      if (stored) this.data.set(key, stored);
      else this.data.delete(key);
    }
  }

  /** Live keys, sorted (for tests and debugging). */
  keys(prefix = ''): string[] {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix) && this.live(k)).sort();
  }

  /** Remaining TTL of a live key in ms, or null when it does not exist. */
  ttlMs(key: string): number | null {
    const stored = this.live(key);
    return stored ? stored.expiresAt - this.clock() : null;
  }

  private live(key: string): Stored | undefined {
    const stored = this.data.get(key);
    if (stored && stored.expiresAt <= this.clock()) {
      this.data.delete(key);
      return undefined;
    }
    return stored;
  }
}

function checkTtl(key: string, ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new RangeError(`state key ${key}: ttlMs must be an integer >= 1, got ${ttlMs}`);
}

function clone<T extends Json>(v: T): T {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as T);
}
