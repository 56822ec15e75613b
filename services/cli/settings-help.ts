/**
 * The settings part of a service command's --help: the shared sections of `.env.example` (where
 * the services are, topics, logging) and the service's own, with their documented defaults and
 * comments. Read when the help is shown; a checkout without `.env.example` gets a pointer instead.
 */
import { readFileSync } from 'node:fs';
import { repoPath } from '../lib/paths.js';

const SHARED = ['where the services are', 'topics', 'logging'];

export interface EnvSection {
  title: string;
  lines: string[];
}

/** `.env.example` split at its `# --- title ---` headers (the lines before the first are dropped). */
export function envSections(text: string): EnvSection[] {
  const out: EnvSection[] = [];
  for (const line of text.split('\n')) {
    const header = /^# --- (.+?) ---\s*$/.exec(line);
    if (header) out.push({ title: header[1]!, lines: [] });
    else if (out.length > 0 && line.trim() !== '') out[out.length - 1]!.lines.push(line);
  }
  return out;
}

/** Help text: the shared sections and every section whose title starts with `service`. */
export function renderSettings(text: string, service: string): string {
  const sections = envSections(text).filter((s) => SHARED.some((t) => s.title.startsWith(t)) || s.title.startsWith(service));
  const body = sections.map((s) => `  ${s.title}:\n${s.lines.map((l) => `    ${l}`).join('\n')}`).join('\n');
  return `\nSettings (environment variables; the values shown are the defaults, from .env.example):\n${body}\n`;
}

/** For commander's addHelpText('after', ...): computed only when the help is printed. */
export function settingsHelp(service: string): () => string {
  return () => {
    try {
      return renderSettings(readFileSync(repoPath('.env.example'), 'utf8'), service);
    } catch {
      return `\nSettings: environment variables, documented in .env.example in the provstream repository.\n`;
    }
  };
}
