/**
 * Who runs a wrapped command: `--agent`, else $PROVSTREAM_AGENT, else the project config's
 * `agent`, else git's user.name (and user.email), else the operating-system user.
 *
 * Git's user is read from the config files git reads (system, global/XDG, the repository's
 * `.git/config`; later wins) without starting git, which costs a process. Only when those files
 * include others, the repository is a worktree/submodule (`.git` is a file), or git is steered by
 * GIT_* variables, `git config` itself is asked. Never delays the command: it runs once the
 * command has started. Small files, read synchronously: cheaper than the promise API.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { mergeGitUsers, parseGitUser } from './core/gitconfig.js';
import { processEnv } from './config.js';
import type { GitUser } from './core/gitconfig.js';

export interface AgentInfo {
  name: string;
  email: string | null;
}

function askGit(cwd: string, env: NodeJS.ProcessEnv): Promise<AgentInfo | null> {
  return new Promise((resolvePromise) => {
    // The run's own git variables over ours (the deliverer asks for runs started elsewhere).
    execFile('git', ['config', '--get-regexp', '^user\\.(name|email)$'], { cwd, timeout: 2000, env: { ...processEnv(), ...env } }, (err, stdout) => {
      if (err) return resolvePromise(null);
      const get = (k: string) => stdout.split('\n').find((l) => l.startsWith(`user.${k} `))?.slice(k.length + 6).trim() || null;
      const name = get('name');
      resolvePromise(name ? { name, email: get('email') } : null);
    });
  });
}

function readUser(path: string): GitUser | null {
  try {
    return parseGitUser(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** `.git` of the nearest repository upwards: its config file, 'other' (a file: worktree), or null. */
function repositoryConfig(cwd: string): string | 'other' | null {
  let dir = resolve(cwd);
  for (;;) {
    try {
      const s = statSync(join(dir, '.git'));
      return s.isDirectory() ? join(dir, '.git', 'config') : 'other';
    } catch {
      const up = dirname(dir);
      if (up === dir) return null;
      dir = up;
    }
  }
}

async function gitUser(cwd: string, env: NodeJS.ProcessEnv): Promise<AgentInfo | null> {
  if (Object.keys(env).some((k) => /^GIT_(DIR|CONFIG|CONFIG_GLOBAL|CONFIG_SYSTEM|CONFIG_COUNT|CONFIG_PARAMETERS)$/.test(k))) return askGit(cwd, env);
  const home = env['HOME'] || homedir();
  const repo = repositoryConfig(cwd);
  if (repo === 'other') return askGit(cwd, env);
  const files = [...(env['GIT_CONFIG_NOSYSTEM'] ? [] : ['/etc/gitconfig']), join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'git', 'config'), join(home, '.gitconfig'), ...(repo ? [repo] : [])];
  const user = mergeGitUsers(files.map(readUser).filter((u): u is GitUser => u !== null));
  if (user.includes) return askGit(cwd, env);
  return user.name ? { name: user.name, email: user.email } : null;
}

function osUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function resolveAgent(explicit: string | null, cwd: string, env: NodeJS.ProcessEnv): Promise<AgentInfo> {
  if (explicit) return { name: explicit, email: null };
  return (await gitUser(cwd, env)) ?? { name: osUser(), email: null };
}
