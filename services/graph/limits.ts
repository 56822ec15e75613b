/**
 * The graph service's request limits and role names, in a module with no imports: the CLI checks
 * its flags against them and names them in its help without loading the graph core (every
 * `provstream` command would pay for that at start-up). segment.ts, summarize.ts and requests.ts
 * re-export them.
 */

/** Precedence when several apply: source > destination > core > similar > expansion. */
export const SEGMENT_ROLES = ['source', 'destination', 'core', 'similar', 'expansion'] as const;
export type SegmentRole = (typeof SEGMENT_ROLES)[number];

/** The segment roles summarized unless a request names others. */
export const DEFAULT_ROLES: readonly SegmentRole[] = ['source', 'destination', 'core'];

/** The largest `depth` and `maxNodes` a tree or lineage query takes (the CLI checks its flags against them). */
export const MAX_DEPTH = 10_000;
export const MAX_NODES = 1_000_000;
/**
 * Lineage's `maxNodes` when the request gives none: a closure of 10^4 vertices is a reply of a
 * few MB, which a client can still use; a popular raw dataset's downstream (10^5+) is not. The
 * trees of why / impact default to 2,000 (introspect.ts): each node there carries more.
 */
export const DEFAULT_LINEAGE_MAX_NODES = 10_000;
