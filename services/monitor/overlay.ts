/**
 * Overlay: the state one batch evaluation sees: keys loaded from the store (`base`, as of the
 * batch's reads) with the batch's own mutations applied on top, in order, plus an undo journal so
 * a speculative tail of the batch can be rolled back (see batch-evaluator.ts).
 *
 * Semantics are MemoryStateStore's at a fixed clock: within one batch `now` does not move, and
 * every write has ttlMs >= 1, so nothing written in the batch expires during it; base keys were
 * live when read. A key that was never loaded and never written is `unknown`: reads of it are
 * answered "absent" and reported through `onMiss`, so the caller can load it and re-run.
 *
 * Sorted sets are only read by absence ticks, which run alone in their batch and read the whole
 * range they then modify; a zset view is what was loaded plus the batch's own zadd/zrem.
 */
import type { Json, KeyRead, Mutation, Snapshot, StateEntry, ZMember } from './core/index.js';

type Stored = { type: 'value'; value: Json } | { type: 'list'; items: Json[] } | { type: 'zset'; members: Map<string, number> };

/** Written keys: a Stored value, or undefined for a deleted key. */
type Written = Stored | undefined;

export class Overlay {
  private readonly base = new Map<string, StateEntry | null>();
  private readonly written = new Map<string, Written>();
  /** [key, had a written entry before, that entry] per applied mutation, for rollback. */
  private readonly journal: Array<[string, boolean, Written]> = [];

  /** Adds loaded keys (already-loaded keys keep their first value: the store's state at load). */
  addBase(entries: Snapshot): void {
    for (const [k, v] of entries) if (!this.base.has(k)) this.base.set(k, v);
  }

  isLoaded(key: string): boolean {
    return this.base.has(key);
  }

  get baseSize(): number {
    return this.base.size;
  }

  /** Answers reads; keys neither loaded nor written are reported to onMiss and read as absent. */
  read(reads: readonly KeyRead[], onMiss: (read: KeyRead) => void): Snapshot {
    const out = new Map<string, StateEntry | null>();
    for (const r of reads) {
      const entry = this.entry(r);
      if (entry === MISSING) {
        onMiss(r);
        out.set(r.key, r.type === 'value' ? null : r.type === 'list' ? { type: 'list', items: [] } : { type: 'zset', members: [] });
      } else out.set(r.key, entry);
    }
    return out;
  }

  apply(mutations: readonly Mutation[]): void {
    for (const m of mutations) {
      const had = this.written.has(m.key);
      const before = this.written.get(m.key);
      this.journal.push([m.key, had, before]);
      this.written.set(m.key, next(m, had ? before : fromBase(this.base.get(m.key))));
    }
  }

  /** Journal position; pass it to rollback() to undo everything applied after it. */
  checkpoint(): number {
    return this.journal.length;
  }

  rollback(to: number): void {
    while (this.journal.length > to) {
      const [key, had, before] = this.journal.pop()!;
      if (had) this.written.set(key, before);
      else this.written.delete(key);
    }
  }

  private entry(r: KeyRead): StateEntry | null | typeof MISSING {
    if (this.written.has(r.key)) return view(r, this.written.get(r.key));
    if (!this.base.has(r.key)) return MISSING;
    return view(r, fromBase(this.base.get(r.key)));
  }
}

const MISSING = Symbol('missing');

function fromBase(entry: StateEntry | null | undefined): Stored | undefined {
  if (!entry) return undefined;
  if (entry.type === 'value') return { type: 'value', value: entry.value };
  if (entry.type === 'list') return { type: 'list', items: entry.items };
  return { type: 'zset', members: new Map(entry.members.map((m) => [m.member, m.score])) };
}

function view(r: KeyRead, s: Stored | undefined): StateEntry | null {
  if (r.type === 'value') return s?.type === 'value' ? { type: 'value', value: s.value } : null;
  if (r.type === 'list') return { type: 'list', items: s?.type === 'list' ? s.items : [] };
  const members: ZMember[] = [];
  if (s?.type === 'zset') for (const [member, score] of s.members) if (score <= r.maxScore) members.push({ member, score });
  members.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  return { type: 'zset', members: members.slice(0, Math.max(0, r.limit)) };
}

/** The stored state after one mutation (copy-on-write: earlier states stay valid for rollback). */
function next(m: Mutation, prev: Stored | undefined): Written {
  switch (m.op) {
    case 'set':
      return { type: 'value', value: m.value };
    case 'delete':
      return undefined;
    case 'push': {
      const items = [m.value, ...(prev?.type === 'list' ? prev.items : [])].slice(0, Math.max(0, m.maxLength));
      return items.length > 0 ? { type: 'list', items } : undefined;
    }
    case 'zadd': {
      const members = new Map(prev?.type === 'zset' ? prev.members : []);
      members.set(m.member, m.score);
      return { type: 'zset', members };
    }
    case 'zrem': {
      if (prev?.type !== 'zset') return prev;
      const members = new Map(prev.members);
      members.delete(m.member);
      return members.size > 0 ? { type: 'zset', members } : undefined;
    }
  }
}
