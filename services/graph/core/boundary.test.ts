import { describe, expect, it } from 'vitest';
import { compareProp, compileExclusion, globToRegExp, type CompareOp, type VertexPredicate } from './boundary.js';
import type { PropValue } from './graph.js';
import { act, agt, buildWorkedExample, ent } from './worked-example.js';

describe('globToRegExp', () => {
  it.each<[string, string, boolean]>([
    ['scripts/*', 'scripts/clean.py', true],
    ['scripts/*', 'scripts/sub/clean.py', false],
    ['scripts/**', 'scripts/sub/clean.py', true],
    ['**/*.csv', 'data/raw.csv', true],
    ['*.csv', 'data/raw.csv', false],
    ['models/model.?in', 'models/model.bin', true],
    ['models/model.?in', 'models/model/in', false],
    ['data/raw.csv', 'data/rawXcsv', false], // '.' is literal
    ['a+(b)', 'a+(b)', true], // regex metacharacters are literal
  ])('%s ~ %s → %s', (glob, text, expected) => {
    expect(globToRegExp(glob).test(text)).toBe(expected);
  });
});

describe('compareProp', () => {
  it.each<[PropValue | undefined, CompareOp, PropValue, boolean]>([
    [3, '<', 4, true],
    [3, '>=', 3, true],
    [3, '=', '3', false], // no coercion across types
    ['b', '>', 'a', true],
    [true, '=', true, true],
    [true, '<', false, false], // booleans only compare for equality
    [undefined, '!=', 1, false], // missing never matches, like SQL NULL
    ['x', '!=', 'y', true],
  ])('%s %s %s → %s', (actual, op, expected, result) => {
    expect(compareProp(actual, op, expected)).toBe(result);
  });
});

describe('compileExclusion on the §5.1 graph', () => {
  const g = buildWorkedExample();
  const excludedIds = (preds: VertexPredicate[]): string[] => {
    const excluded = compileExclusion(g, preds);
    const out: string[] = [];
    for (let v = 0; v < g.vertexCount; v++) if (excluded(v)) out.push(g.idOf(v));
    return out.sort();
  };
  it.each<[string, VertexPredicate[], string[]]>([
    ['no predicates', [], []],
    ['kind agent', [{ kind: 'agent' }], [agt('alice'), agt('bob')]],
    ['artifact glob', [{ artifact: 'scripts/*' }], [ent('c1'), ent('t1')]],
    ['agent by name: the agent and what it did', [{ agent: 'bob' }], [act('a3'), act('a4'), act('a5'), agt('bob')]],
    ['agent by id', [{ agent: 'agt:bob' }], [act('a3'), act('a4'), act('a5'), agt('bob')]],
    ['unknown agent', [{ agent: 'carol' }], []],
    ['property comparison', [{ prop: 'version', op: '>=', value: 3 }], [ent('m3')]],
    ['conjunction', [{ all: [{ artifact: 'models/*' }, { prop: 'version', op: '<', value: 2 }] }], [ent('m1')]],
    ['disjunction of a list', [{ id: ent('f1') }, { prop: 'command', op: '=', value: 'plot' }], [act('a6'), ent('f1')]],
  ])('%s', (_name, preds, expected) => {
    expect(excludedIds(preds)).toEqual([...expected].sort());
  });
});
