import { describe, expect, it } from 'vitest';
import { applyTransform, parseCommandOutput, rowProperties, typedValue } from './transform.js';
import type { Row, Transform } from './definition.js';
import { parseCsv } from './csv.js';
import { queryJsonPath, JsonPathError } from './jsonpath.js';

describe('parseCsv', () => {
  const cases: Array<[string, string, string[][]]> = [
    ['simple', 'a,b\n1,2\n', [['a', 'b'], ['1', '2']]],
    ['no final newline, CRLF', 'a,b\r\n1,2', [['a', 'b'], ['1', '2']]],
    ['quoted delimiter, quote and newline', 'a,b\n"x,y","say ""hi""\nthere"\n', [['a', 'b'], ['x,y', 'say "hi"\nthere']]],
    ['empty fields', 'a,b,c\n,,\n', [['a', 'b', 'c'], ['', '', '']]],
    ['blank lines skipped', 'a\n\n1\n', [['a'], ['1']]],
    ['BOM skipped', '\ufeffa,b\n1,2', [['a', 'b'], ['1', '2']]],
    ['quoted empty field at end', 'a,b\n1,""', [['a', 'b'], ['1', '']]],
  ];
  for (const [name, text, want] of cases) it(name, () => expect(parseCsv(text)).toEqual(want));
  it('other delimiter', () => expect(parseCsv('a;b\n1;2', ';')).toEqual([['a', 'b'], ['1', '2']]));
});

describe('queryJsonPath', () => {
  const doc = { a: { b: 1, 'c d': [10, 20, 30] }, items: [{ x: 1, y: { x: 5 } }, { x: 2 }], top: null };
  const cases: Array<[string, unknown[]]> = [
    ['$', [doc]],
    ['$.a.b', [1]],
    ["$.a['c d'][1]", [20]],
    ['$.a["c d"][-1]', [30]],
    ['$.items[*].x', [1, 2]],
    ['$.items.*.x', [1, 2]],
    ['$..x', [1, 5, 2]],
    ['$.items[5]', []],
    ['$.missing.deeper', []],
    ['$.top', [null]],
  ];
  for (const [path, want] of cases) it(path, () => expect(queryJsonPath(doc, path)).toEqual(want));
  it('unsupported syntax is a clear error', () => {
    expect(() => queryJsonPath(doc, '$.items[?(@.x>1)]')).toThrow(JsonPathError);
    expect(() => queryJsonPath(doc, 'a.b')).toThrow(/starts with \$/);
  });
});

describe('applyTransform', () => {
  const cases: Array<[string, Exclude<Transform, { kind: 'command' }>, string, Row[]]> = [
    ['csv: all columns', { kind: 'csv' }, 'epoch,loss\n1,0.5\n2,0.25\n', [{ epoch: '1', loss: '0.5' }, { epoch: '2', loss: '0.25' }]],
    ['csv: chosen columns, missing ones left out', { kind: 'csv', columns: ['loss', 'nope'] }, 'epoch,loss\n1,0.5\n', [{ loss: '0.5' }]],
    ['csv: short record', { kind: 'csv' }, 'a,b\n1\n', [{ a: '1' }]],
    ['csv: delimiter', { kind: 'csv', delimiter: '\t' }, 'a\tb\n1\t2\n', [{ a: '1', b: '2' }]],
    ['jsonpath: one row from columns', { kind: 'jsonpath', columns: { accuracy: '$.metrics.acc', model: '$.name' } }, '{"name":"m1","metrics":{"acc":0.93}}', [{ accuracy: '0.93', model: 'm1' }]],
    ['jsonpath: rows + relative columns', { kind: 'jsonpath', rows: '$.epochs[*]', columns: { e: '$.n', l: '$.loss' } }, '{"epochs":[{"n":1,"loss":0.5},{"n":2}]}', [{ e: '1', l: '0.5' }, { e: '2' }]],
    ['jsonpath: scalar fields without columns; objects as JSON, null left out', { kind: 'jsonpath' }, '{"a":1,"b":"x","c":{"d":true},"n":null,"t":false}', [{ a: '1', b: 'x', c: '{"d":true}', t: 'false' }]],
    ['jsonpath: several hits become a JSON array', { kind: 'jsonpath', columns: { xs: '$..x' } }, '{"a":{"x":1},"b":{"x":2}}', [{ xs: '[1,2]' }]],
    ['jsonpath: rows over scalars', { kind: 'jsonpath', rows: '$.v[*]' }, '{"v":[1,"two"]}', [{ value: '1' }, { value: 'two' }]],
    ['regex: a row per match', { kind: 'regex', pattern: '^epoch (?<epoch>\\d+): loss (?<loss>\\S+)$' }, 'start\nepoch 1: loss 0.5\nepoch 2: loss 0.25\n', [{ epoch: '1', loss: '0.5' }, { epoch: '2', loss: '0.25' }]],
    ['regex: optional group left out', { kind: 'regex', pattern: 'k=(?<k>\\w+)(?: v=(?<v>\\w+))?' }, 'k=a v=1\nk=b\n', [{ k: 'a', v: '1' }, { k: 'b' }]],
    ['regex: case-insensitive flag', { kind: 'regex', pattern: 'ACC (?<acc>\\S+)', flags: 'i' }, 'acc 0.9', [{ acc: '0.9' }]],
  ];
  for (const [name, t, text, want] of cases) it(name, () => expect(applyTransform(t, text)).toEqual(want));
  it('bad JSON is an error with the reason', () => expect(() => applyTransform({ kind: 'jsonpath' }, '{oops')).toThrow(/not valid JSON/));
});

describe('parseCommandOutput', () => {
  it('JSON lines', () => expect(parseCommandOutput('{"a":1}\n\n{"a":2,"b":"x"}\n')).toEqual([{ a: '1' }, { a: '2', b: 'x' }]));
  it('CSV', () => expect(parseCommandOutput('a,b\n1,2\n', 'csv')).toEqual([{ a: '1', b: '2' }]));
  it('a line that is not an object', () => expect(() => parseCommandOutput('{"a":1}\n[1]\n')).toThrow(/line 2 is not a JSON object/));
});

describe('rowProperties', () => {
  const rows: Row[] = [{ epoch: '1', loss: '0.5' }, { epoch: '2', loss: '0.25', 'val acc': 'good' }];
  const cases: Array<[string, 'auto' | 'first' | 'last' | 'none', string, Row[], Array<{ key: string; value: string | number | boolean }>]> = [
    ['auto: the only row', 'auto', '', [{ accuracy: '0.93', ok: 'true', tag: 'v1' }], [{ key: 'accuracy', value: 0.93 }, { key: 'ok', value: true }, { key: 'tag', value: 'v1' }]],
    ['auto: several rows give none', 'auto', '', rows, []],
    ['first', 'first', '', rows, [{ key: 'epoch', value: 1 }, { key: 'loss', value: 0.5 }]],
    ['last, prefix, spaces in keys replaced', 'last', 'train.', rows, [{ key: 'train.epoch', value: 2 }, { key: 'train.loss', value: 0.25 }, { key: 'train.val_acc', value: 'good' }]],
    ['none', 'none', '', rows, []],
    ['no rows', 'first', '', [], []],
  ];
  for (const [name, properties, propertyPrefix, r, want] of cases) it(name, () => expect(rowProperties({ properties, propertyPrefix }, r)).toEqual(want));
  it('typedValue', () => {
    expect([typedValue('1e3'), typedValue(' 2 '), typedValue('false'), typedValue('0x10'), typedValue(''), typedValue('1.2.3')]).toEqual([1000, 2, false, '0x10', '', '1.2.3']);
  });
});
