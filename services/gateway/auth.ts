/**
 * Bearer tokens, one or more per project, from configuration
 * (PROVSTREAM_GATEWAY_TOKENS="project:token,project:token"). Pure.
 *
 * A token names exactly one project: every write and read of a request goes to that project.
 * Tokens are kept as SHA-256 digests and looked up by digest, so comparing never leaks a
 * token's prefix through timing, and the table never holds the tokens themselves.
 */
import { createHash } from 'node:crypto';

const PROJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const digest = (token: string) => createHash('sha256').update(token).digest('base64');

export class TokenTable {
  private readonly byDigest = new Map<string, string>();

  private constructor(entries: Array<[string, string]>) {
    for (const [project, token] of entries) this.byDigest.set(digest(token), project);
  }

  /** Parses the configuration value; returns the table or every problem with it. */
  static parse(spec: string): { ok: true; table: TokenTable } | { ok: false; problems: string[] } {
    const problems: string[] = [];
    const entries: Array<[string, string]> = [];
    const seen = new Map<string, string>();
    spec.split(',').map((s) => s.trim()).filter(Boolean).forEach((item, i) => {
      const colon = item.indexOf(':');
      const project = colon > 0 ? item.slice(0, colon) : '';
      const token = colon > 0 ? item.slice(colon + 1) : '';
      if (!PROJECT.test(project)) problems.push(`entry ${i + 1}: expected <project>:<token> with a project name of letters, digits, . _ -`);
      else if (token.length < 16) problems.push(`entry ${i + 1} (project ${project}): the token must have at least 16 characters`);
      else if (seen.has(token) && seen.get(token) !== project) problems.push(`entry ${i + 1}: the same token is given to projects ${seen.get(token)} and ${project}`);
      else {
        seen.set(token, project);
        entries.push([project, token]);
      }
    });
    if (entries.length === 0 && problems.length === 0) problems.push('no tokens: give at least one <project>:<token>');
    return problems.length ? { ok: false, problems } : { ok: true, table: new TokenTable(entries) };
  }

  /** The project of an `Authorization` header value, or null for a missing, malformed or unknown token. */
  projectOf(authorization: string | undefined): string | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    return m ? (this.byDigest.get(digest(m[1]!)) ?? null) : null;
  }
}
