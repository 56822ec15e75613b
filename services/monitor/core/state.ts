/**
 * The state contract between rule evaluation and a state store (Redis in production,
 * MemoryStateStore in tests and dry runs).
 *
 * Evaluation never talks to a store. For each (rule, event) the caller:
 *   1. reads   keysFor(rule, event)                 -> KeyRead[]     (store.load)
 *   2. calls   evaluate(rule, event, snapshot, now) -> Evaluation
 *   3. if the result is `needs`, loads those keys too, merges them into the snapshot and calls
 *      evaluate again with the same arguments (evaluation is pure, so re-running is safe);
 *      bounded by MAX_ROUNDS (see drive.ts, which implements this loop);
 *   4. on `done`: delivers the alerts (sinks are idempotent by alertId), then applies the
 *      mutations atomically (Redis MULTI/EXEC), then commits the event's offset.
 * Delivering before applying means a crash anywhere re-runs the event against the old state and
 * re-delivers the same alerts with the same ids: at-least-once delivery, exactly-once effect.
 *
 * Keys are `rule:<ruleId>:<tag>:<parts...>` (see ruleKey); each key has one fixed type:
 *   value  a JSON value                      Redis string (JSON text), GET / SET PX
 *   list   JSON values, newest first         Redis list (JSON text items), LRANGE / LPUSH+LTRIM+PEXPIRE
 *   zset   string members with a score      Redis sorted set, ZRANGEBYSCORE / ZADD+PEXPIRE / ZREM
 * Every write carries a TTL in milliseconds measured from the moment it is applied; an expired
 * key reads exactly like a missing one.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One read the evaluator wants; the type tells the store which Redis command to use. */
export type KeyRead =
  | { type: 'value'; key: string }
  | { type: 'list'; key: string }
  /** Members with score <= maxScore, ascending by (score, member), at most `limit`. */
  | { type: 'zset'; key: string; maxScore: number; limit: number };

/** The result of one read. Lists and sorted sets read as empty when the key is missing. */
export type StateEntry =
  | { type: 'value'; value: Json }
  | { type: 'list'; items: Json[] }
  | { type: 'zset'; members: ZMember[] };

export interface ZMember {
  member: string;
  score: number;
}

/** Loaded keys: an entry, or null for a value key that was read and does not exist. */
export type Snapshot = ReadonlyMap<string, StateEntry | null>;

/**
 * Read-through state: answers every read as a snapshot holding the key would (null for a missing
 * value key, empty collections for missing lists and sets). For callers that know the state of
 * every key at once (the monitor's batch evaluator); see EvalContext. The read object is valid
 * only during the call (EvalContext reuses it): a reader that keeps it must copy it.
 */
export type StateReader = (read: KeyRead) => StateEntry | null;

export type Mutation =
  | { op: 'set'; key: string; value: Json; ttlMs: number }
  | { op: 'delete'; key: string }
  /** LPUSH value; LTRIM to the newest maxLength items; PEXPIRE ttlMs. */
  | { op: 'push'; key: string; value: Json; maxLength: number; ttlMs: number }
  /** ZADD (insert or move member to score); PEXPIRE ttlMs on the whole set. */
  | { op: 'zadd'; key: string; member: string; score: number; ttlMs: number }
  | { op: 'zrem'; key: string; member: string };

/**
 * A state store as the monitor's stream processor uses it.
 *
 * load: called before each evaluation round with the keys it needs; returns one entry per read
 * key (null for a missing value key, empty collections for missing list/zset keys); must not
 * modify state. apply: called once per (rule, event) with that evaluation's mutations; applies
 * all of them in order or none (atomically); must never reorder them. Neither method interprets
 * the JSON values.
 */
export interface StateStore {
  load(reads: readonly KeyRead[]): Promise<Snapshot>;
  apply(mutations: readonly Mutation[]): Promise<void>;
}

/** What one evaluation round produces. */
export type Evaluation<A> =
  /** `suppressed`: alerts withheld by dedup (reported by dry runs; never delivered). */
  | { status: 'done'; mutations: Mutation[]; alerts: A[]; suppressed: A[] }
  /** The snapshot lacked keys discovered during evaluation: load them and evaluate again. */
  | { status: 'needs'; reads: KeyRead[] };

/**
 * The key of one piece of rule state: `rule:<ruleId>:<tag>` followed by the parts, each part
 * escaped so that ":" inside ids, artifacts or project names cannot make two keys collide
 * ("%" -> "%25", ":" -> "%3A"). Example: rule:low-acc:v:proj-a:ent%3A0f3c...
 */
export function ruleKey(ruleId: string, tag: string, ...parts: (string | number)[]): string {
  // Memoized: evaluation builds the same keys over and over (keysFor, every read and write, every
  // pass of a batch), and handing out the same string objects also makes the Map lookups on them
  // cheaper (hash cached, equal by identity). A tree of maps (rule, tag, part, ...), emptied by
  // clearKeyMemo() (the monitor's batch evaluator calls it at the start of every batch) or when
  // it holds KEY_MEMO_MAX keys. Most keys are about new vertices and are built within one batch
  // only (7% of the keys a batch loads were seen in an earlier batch), and a small tree is what
  // makes it pay: its maps' lookups are the hot lines, and building a key costs a node in them.
  // The rule's node is looked up once per run of calls for the same rule (an evaluation's keys
  // all belong to its rule): one Map lookup less per key.
  if (ruleId !== lastRuleId || lastRuleNode === undefined) {
    lastRuleNode = memo.child(ruleId);
    lastRuleId = ruleId;
  }
  let at = lastRuleNode.child(tag);
  if (at.key === '') at.key = `rule:${ruleId}:${tag}`;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const next = at.child(p);
    if (next.key === '') {
      next.key = at.key + ':' + escapeKeyPart(String(p));
      if (++memoSize >= KEY_MEMO_MAX) clearKeyMemo(); // keys handed out stay valid; later ones are built anew
    }
    at = next;
  }
  return at.key;
}

/**
 * Empties ruleKey's memo. Keys built before stay valid (a key rebuilt later is an equal string,
 * only not the same object): this changes speed and memory, never a result.
 */
export function clearKeyMemo(): void {
  memo = new KeyNode();
  memoSize = 0;
  lastRuleNode = undefined;
}

class KeyNode {
  key = '';
  private next: Map<string | number, KeyNode> | undefined;
  child(part: string | number): KeyNode {
    let c = this.next?.get(part);
    if (!c) (this.next ??= new Map()).set(part, (c = new KeyNode()));
    return c;
  }
}
let memo = new KeyNode();
let memoSize = 0;
/** ruleKey's last rule and its node in `memo` (undefined after the memo was emptied). */
let lastRuleId = '';
let lastRuleNode: KeyNode | undefined;
/** Keys ruleKey's memo holds at most (as its two generations of 50,000 did before; a batch of 500 events builds a few thousand with the spread benchmark rules, ~16,000 with the dense ones). */
const KEY_MEMO_MAX = 100_000;

export function escapeKeyPart(part: string): string {
  const colon = part.indexOf(':');
  if (part.indexOf('%') < 0) {
    if (colon < 0) return part; // the common cases, on the hot path
    if (part.indexOf(':', colon + 1) < 0) return part.slice(0, colon) + '%3A' + part.slice(colon + 1); // a vertex id
  }
  return part.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** A snapshot holding `base` plus `extra` (extra wins). */
export function mergeSnapshots(base: Snapshot, extra: Snapshot): Snapshot {
  const out = new Map(base);
  for (const [k, v] of extra) out.set(k, v);
  return out;
}
