import { describe, expect, it } from 'vitest';
import { entityId } from '../../model/ids.js';
import { emptyState, mergeState, parseState, versionOf } from './versions.js';

const H1 = 'sha256:' + '1'.repeat(64);
const H2 = 'sha256:' + '2'.repeat(64);
const H3 = 'sha256:' + '3'.repeat(64);

describe('versions', () => {
  it('a first version is 1 with no predecessor', () => {
    expect(versionOf(emptyState(), 'a.csv', H1, 3, 10)).toEqual({ artifact: 'a.csv', id: entityId('a.csv', H1), version: 1, hash: H1, size: 3, mtimeMs: 10, previous: null, isNew: true });
  });
  it('new content revises the known version; the same content is the known version', () => {
    const s = mergeState(emptyState(), [versionOf(emptyState(), 'a.csv', H1, 3, 10)]);
    const v2 = versionOf(s, 'a.csv', H2, 4, 11);
    expect(v2).toMatchObject({ version: 2, isNew: true, previous: { id: entityId('a.csv', H1), version: 1 } });
    const same = versionOf(s, 'a.csv', H1, 3, 12);
    expect(same).toMatchObject({ version: 1, isNew: false, previous: null, id: entityId('a.csv', H1) });
  });
  it('merging never moves an artifact backwards and first writer wins a tie', () => {
    const s1 = mergeState(emptyState(), [versionOf(emptyState(), 'a', H1, 1, 1)]);
    const s2 = mergeState(s1, [versionOf(s1, 'a', H2, 1, 2)]);
    expect(s2.artifacts['a']!.version).toBe(2);
    expect(mergeState(s2, [versionOf(emptyState(), 'a', H3, 1, 3)]).artifacts['a']!.hash).toBe(H2); // a stale v1 loses
    expect(mergeState(s2, [versionOf(s1, 'a', H3, 1, 3)]).artifacts['a']!.hash).toBe(H2); // a concurrent v2 loses
    expect(mergeState(s2, [versionOf(s2, 'a', H2, 1, 99)]).artifacts['a']!.mtimeMs).toBe(99); // same content: size/mtime refreshed
  });
  it('parseState is lenient: malformed entries are dropped', () => {
    const s = parseState({ artifacts: { ok: { id: 'ent:x', version: 2, hash: H1, size: 1, mtimeMs: 2 }, bad: { id: 'ent:y', version: 0, hash: H1 }, worse: null } });
    expect(Object.keys(s.artifacts)).toEqual(['ok']);
    expect(parseState('garbage')).toEqual(emptyState());
  });
});
