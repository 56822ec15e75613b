/**
 * Overlay: the state one pass of a batch evaluation sees: keys loaded from the store (`base`,
 * as of the batch's reads, shared by every pass) with this pass's mutations applied on top, in
 * order (see batch-evaluator.ts).
 *
 * Semantics are MemoryStateStore's at a fixed clock: within one batch `now` does not move, and
 * every write has ttlMs >= 1, so nothing written in the batch expires during it; base keys were
 * live when read. A key that was never loaded and never written is unknown: reads of it are
 * answered "absent" and reported through `onMiss`, so the caller can load it and re-run.
 *
 * Sorted sets are only read by absence ticks, which run alone in their batch and read the whole
 * range they then modify; a zset view is what was loaded plus the batch's own zadd/zrem.
 *
 * Entries handed out are shared, never copied (this is the hot path): evaluation treats state
 * as immutable, and every write here builds a new entry (copy-on-write).
 */
import type { Json, KeyRead, Mutation, Snapshot, StateEntry, ZMember } from './core/index.js';

/** A written key: its new entry, or null once deleted (zsets keep a member map for updates). */
type Written = StateEntry | null;

const EMPTY_LIST: StateEntry = { type: 'list', items: [] };
const EMPTY_ZSET: StateEntry = { type: 'zset', members: [] };

export class Overlay {
  private readonly written = new Map<string, Written>();

  /** @param base loaded keys, shared with the other passes of the batch (only ever added to). */
  constructor(private readonly base: Map<string, StateEntry | null> = new Map()) {}

  /** Adds loaded keys (already-loaded keys keep their first value: the store's state at load). */
  addBase(entries: Snapshot): void {
    for (const [k, v] of entries) if (!this.base.has(k)) this.base.set(k, v);
  }

  isLoaded(key: string): boolean {
    return this.base.has(key);
  }

  /** A new, empty pass over the same loaded keys. */
  fork(): Overlay {
    return new Overlay(this.base);
  }

  /** Answers a read; a key neither loaded nor written is reported to onMiss and reads as absent. */
  // Both maps hold an entry or null, never undefined: get() answers "is it there" too (one Map
  // lookup instead of get + has; these run for every read and write of every pass).
  read(r: KeyRead, onMiss: (read: KeyRead) => void): StateEntry | null {
    let entry: StateEntry | null | undefined = this.written.get(r.key);
    if (entry === undefined) {
      entry = this.base.get(r.key);
      if (entry === undefined) {
        onMiss(r);
        entry = null;
      }
    }
    return view(r, entry);
  }

  apply(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      const own = this.written.get(m.key);
      this.written.set(m.key, next(m, own !== undefined ? own : (this.base.get(m.key) ?? null)));
    }
  }
}

/** The entry as the read asked for it (absent collections read as empty; zsets filtered). */
function view(r: KeyRead, e: StateEntry | null): StateEntry | null {
  if (r.type === 'value') return e?.type === 'value' ? e : null;
  if (r.type === 'list') return e?.type === 'list' ? e : EMPTY_LIST;
  if (e?.type !== 'zset') return EMPTY_ZSET;
  const members: ZMember[] = e.members.filter((m) => m.score <= r.maxScore);
  members.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  return { type: 'zset', members: members.slice(0, Math.max(0, r.limit)) };
}

/** The entry after one mutation (a new object: entries handed out never change). */
function next(m: Mutation, prev: StateEntry | null): Written {
  switch (m.op) {
    case 'set':
      return { type: 'value', value: m.value };
    case 'delete':
      return null;
    case 'push': {
      const rest = prev?.type === 'list' ? prev.items : [];
      const limit = Math.floor(m.maxLength); // as slice(0, maxLength) would count
      const n = limit > 0 ? Math.min(rest.length + 1, limit) : 0;
      if (n === 0) return null;
      const items: Json[] = new Array<Json>(n);
      items[0] = m.value;
      for (let i = 1; i < n; i++) items[i] = rest[i - 1]!;
      return { type: 'list', items };
    }
    case 'zadd': {
      const members = (prev?.type === 'zset' ? prev.members : []).filter((x) => x.member !== m.member);
      members.push({ member: m.member, score: m.score });
      return { type: 'zset', members };
    }
    case 'zrem': {
      if (prev?.type !== 'zset') return prev;
      const members = prev.members.filter((x) => x.member !== m.member);
      return members.length > 0 ? { type: 'zset', members } : null;
    }
  }
}
