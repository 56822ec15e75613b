import { describe, expect, it } from 'vitest';
import { mergeGitUsers, parseGitUser } from './gitconfig.js';

describe('parseGitUser', () => {
  const cases: Array<[string, string, { name: string | null; email: string | null; includes: boolean }]> = [
    ['plain', '[user]\n\tname = Alice Analyst\n\temail = alice@example.org\n', { name: 'Alice Analyst', email: 'alice@example.org', includes: false }],
    ['case-insensitive section and keys', '[User]\nName=Bob\nEMAIL = bob@x\n', { name: 'Bob', email: 'bob@x', includes: false }],
    ['quotes, escapes, comments', '[user]\n  name = "Carol \\"CJ\\" Jones" # nickname\n  email = c@x ; work\n', { name: 'Carol "CJ" Jones', email: 'c@x', includes: false }],
    ['other sections ignored', '[core]\n\tname = no\n[user "x"]\n\tname = sub\n[alias]\n\tname = no\n', { name: 'sub', email: null, includes: false }],
    ['comments and blank lines', '# [user]\n; name = x\n\n[user]\n# name = y\nname = z\n', { name: 'z', email: null, includes: false }],
    ['includes are reported', '[include]\n\tpath = ~/.gitconfig.local\n[user]\nname = d\n', { name: 'd', email: null, includes: true }],
    ['includeIf too', '[includeIf "gitdir:~/work/"]\n\tpath = work.inc\n', { name: null, email: null, includes: true }],
    ['empty', '', { name: null, email: null, includes: false }],
  ];
  for (const [name, text, want] of cases) it(name, () => expect(parseGitUser(text)).toEqual(want));
  it('later files win, field by field', () => {
    expect(mergeGitUsers([parseGitUser('[user]\nname=a\nemail=a@x'), parseGitUser('[user]\nname=b'), parseGitUser('')])).toEqual({ name: 'b', email: 'a@x', includes: false });
  });
});
