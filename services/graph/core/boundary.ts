/**
 * Vertex predicates of segmentation boundaries (SPEC §5 "vertex exclusion by predicate (kind,
 * artifact glob, agent, property comparison)").
 *
 * Semantics, decided here once:
 * - `kind`: the vertex's kind. `id`: exactly that vertex id.
 * - `artifact`: glob over the vertex's string property `artifact` (entities carry it); `*` and
 *   `?` stop at '/', `**` crosses it; anchored at both ends.
 * - `agent`: an agent id (`agt:…`) or name (normalized with agentId). Matches the agent vertex
 *   itself and every vertex with a wasAssociatedWith / wasAttributedTo edge to it (what the agent
 *   did or was attributed), whatever the edge's time.
 * - `prop`: compares a vertex property. Numbers compare numerically, strings lexicographically,
 *   booleans only with = / !=. A missing property or a value of another type never matches
 *   (like SQL NULL), for `!=` too.
 * - `all`: conjunction. A list of predicates given to a boundary is a disjunction.
 */
import { agentId } from '../../model/ids.js';
import type { VertexKind } from '../../model/types.js';
import { EDGE_TYPE_CODE, type ProvGraph, type PropValue } from './graph.js';
import { VertexMap } from './vertex-map.js';

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type VertexPredicate =
  | { kind: VertexKind }
  | { id: string }
  | { artifact: string }
  | { agent: string }
  | { prop: string; op: CompareOp; value: PropValue }
  | { all: readonly VertexPredicate[] };

/** Anchored RegExp for an artifact glob (`*`, `?` within a path segment; `**` across). */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** `actual op expected` under the typing rules above. */
export function compareProp(actual: PropValue | undefined, op: CompareOp, expected: PropValue): boolean {
  if (actual === undefined || typeof actual !== typeof expected) return false;
  if (op === '=') return actual === expected;
  if (op === '!=') return actual !== expected;
  if (typeof actual === 'boolean') return false;
  const a = actual as number | string;
  const e = expected as number | string;
  switch (op) {
    case '<':
      return a < e;
    case '<=':
      return a <= e;
    case '>':
      return a > e;
    case '>=':
      return a >= e;
  }
}

type Compiled = (v: number) => boolean;

function compile(graph: ProvGraph, p: VertexPredicate): Compiled {
  if ('kind' in p) return (v) => graph.kindOf(v) === p.kind;
  if ('id' in p) {
    const target = graph.indexOf(p.id);
    return (v) => v === target;
  }
  if ('artifact' in p) {
    const re = globToRegExp(p.artifact);
    return (v) => {
      const a = graph.prop(v, 'artifact');
      return typeof a === 'string' && re.test(a);
    };
  }
  if ('agent' in p) {
    const agent = graph.indexOf(p.agent.startsWith('agt:') ? p.agent : agentId(p.agent));
    if (agent < 0) return () => false;
    const mask = (1 << EDGE_TYPE_CODE.wasAssociatedWith) | (1 << EDGE_TYPE_CODE.wasAttributedTo);
    return (v) => {
      if (v === agent) return true;
      let hit = false;
      graph.forEachNeighbour(v, 'out', mask, (w) => {
        if (w === agent) hit = true;
      });
      return hit;
    };
  }
  if ('prop' in p) return (v) => compareProp(graph.prop(v, p.prop), p.op, p.value);
  const parts = p.all.map((q) => compile(graph, q));
  return (v) => parts.every((f) => f(v));
}

/**
 * A memoized "is v excluded" test: true when any predicate matches. Built per query; the memo is
 * `scratch` (an empty map the caller lends, see vertex-map.ts) or a map of its own. O(1)
 * amortized per vertex for all predicates but `agent`, which costs O(out-degree).
 */
export function compileExclusion(graph: ProvGraph, predicates: readonly VertexPredicate[] | undefined, scratch?: VertexMap): (v: number) => boolean {
  if (!predicates || predicates.length === 0) return () => false;
  const tests = predicates.map((p) => compile(graph, p));
  const memo = scratch ?? new VertexMap(); // 0 unknown, 1 kept, 2 excluded
  if (!scratch) memo.reset(graph.vertexCount);
  return (v) => {
    const m = memo.get(v);
    if (m === 1) return false;
    if (m === 2) return true;
    const excluded = tests.some((f) => f(v));
    memo.set(v, excluded ? 2 : 1);
    return excluded;
  };
}
