/** Request parsing: exclusion predicates take exactly one predicate per object, with its own fields. */
import { describe, expect, it } from 'vitest';
import { parseSegmentBody } from './requests.js';

const withExclude = (exclude: unknown[]) => ({ destinations: ['m'], boundary: { exclude } });

describe('parseSegmentBody exclusion predicates', () => {
  it.each([
    [{ kind: 'agent' }, { kind: 'agent' }],
    [{ id: 'ent:x' }, { id: 'ent:x' }],
    [{ artifact: 'scripts/*' }, { artifact: 'scripts/*' }],
    [{ agent: 'bob' }, { agent: 'bob' }],
    [{ prop: 'pii', value: true }, { prop: 'pii', op: '=', value: true }],
    [{ prop: 'rows', op: '>', value: 10 }, { prop: 'rows', op: '>', value: 10 }],
    [{ all: [{ kind: 'entity' }, { prop: 'pii', value: true }] }, { all: [{ kind: 'entity' }, { prop: 'pii', op: '=', value: true }] }],
  ])('accepts %j', (raw, parsed) => {
    expect(parseSegmentBody(withExclude([raw])).boundary.exclude).toEqual([parsed]);
  });

  it.each([
    [{ kind: 'entity', prop: 'pii', value: true }, 'body.boundary.exclude[0] combines "kind" and "prop": one predicate per object; to require several, list them in {"all": […]}'],
    [{ artifact: 'a/*', agent: 'bob' }, 'body.boundary.exclude[0] combines "artifact" and "agent"'],
    [{ kind: 'entity', value: true }, 'body.boundary.exclude[0].value is not a field of a "kind" predicate (kind)'],
    [{ prop: 'pii', value: true, opp: '!=' }, 'body.boundary.exclude[0].opp is not a field of a "prop" predicate (prop, op, value)'],
    [{ all: [] }, 'body.boundary.exclude[0].all must list at least one predicate (an empty "all" matches every vertex, so it would exclude them all)'],
    [{ all: { kind: 'agent' } }, 'body.boundary.exclude[0].all must list at least one predicate'],
    [{ all: [{ kind: 'entity' }, { all: [] }] }, 'body.boundary.exclude[0].all[1].all must list at least one predicate'],
    [{ all: [{ kind: 'entity', id: 'x' }] }, 'body.boundary.exclude[0].all[0] combines "kind" and "id"'],
    [{ pii: true }, 'body.boundary.exclude[0] names no known predicate (kind, id, artifact, agent, prop, all)'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseSegmentBody(withExclude([raw]))).toThrow(message);
  });
});
