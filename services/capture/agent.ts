/**
 * Who runs a wrapped command: `--agent`, else $PROVSTREAM_AGENT, else the project config's
 * `agent`, else git's user.name (and user.email), else the operating-system user. The git lookup
 * runs while the command runs; it never delays the command.
 */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';

export interface AgentInfo {
  name: string;
  email: string | null;
}

function gitUser(cwd: string): Promise<AgentInfo | null> {
  return new Promise((resolve) => {
    execFile('git', ['config', '--get-regexp', '^user\\.(name|email)$'], { cwd, timeout: 2000 }, (err, stdout) => {
      if (err) return resolve(null);
      const get = (k: string) => stdout.split('\n').find((l) => l.startsWith(`user.${k} `))?.slice(k.length + 6).trim() || null;
      const name = get('name');
      resolve(name ? { name, email: get('email') } : null);
    });
  });
}

function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function resolveAgent(explicit: string | null, cwd: string): Promise<AgentInfo> {
  if (explicit) return { name: explicit, email: null };
  return (await gitUser(cwd)) ?? { name: osUser(), email: null };
}
