/**
 * Reading `user.name` / `user.email` from git config text, so the wrapper need not start a git
 * process for it (a process start is a good part of its overhead budget). Pure.
 *
 * Understands the git-config syntax that matters here: sections `[user]` (case-insensitive),
 * `key = value` with quoted parts and escapes, `#` / `;` comments, and a key without `=` (true).
 * Files that include others (`[include]`, `[includeIf …]`) are reported, so the caller can ask
 * git itself instead of guessing.
 */

export interface GitUser {
  name: string | null;
  email: string | null;
  /** The text includes other files: the answer may be incomplete. */
  includes: boolean;
}

function unquote(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\' && i + 1 < raw.length) {
      const n = raw[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
    } else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '#' || c === ';')) break;
    else out += c;
  }
  return out.trim();
}

export function parseGitUser(text: string): GitUser {
  const user: GitUser = { name: null, email: null, includes: false };
  let section = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"[^"]*")?\s*\]/.exec(line);
    if (header) {
      section = header[1]!.toLowerCase();
      if (section === 'include' || section === 'includeif') user.includes = true;
      continue;
    }
    if (section !== 'user') continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!kv) continue;
    const key = kv[1]!.toLowerCase();
    const value = kv[2] === undefined ? 'true' : unquote(kv[2]);
    if (key === 'name') user.name = value || null;
    else if (key === 'email') user.email = value || null;
  }
  return user;
}

/** Later files win, as in git (system, global, repository order). */
export function mergeGitUsers(users: readonly GitUser[]): GitUser {
  return users.reduce<GitUser>(
    (acc, u) => ({ name: u.name ?? acc.name, email: u.email ?? acc.email, includes: acc.includes || u.includes }),
    { name: null, email: null, includes: false },
  );
}
