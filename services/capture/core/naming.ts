/**
 * Names for a wrapped command: the activity name monitoring rules match on (`match: {activity:
 * train}`) and the command line as a shell would read it back. Pure.
 */

const INTERPRETERS = /^(python[\d.]*|pypy[\d.]*|node|nodejs|deno|bun|ruby|perl|php|Rscript|R|julia|bash|sh|zsh|dash|ksh|lua|tsx|ts-node)$/;

function basename(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

function withoutExtension(file: string): string {
  const dot = file.lastIndexOf('.');
  return dot > 0 ? file.slice(0, dot) : file;
}

/**
 * The activity name: for an interpreter running a script, the script's name without extension
 * (`python train.py` → "train", `python -m pkg.train` → "pkg.train"); otherwise the program's
 * base name (`./bin/etl.sh` → "etl.sh", `make` → "make").
 */
export function activityName(argv: readonly string[]): string {
  const program = basename(argv[0] ?? 'command');
  if (INTERPRETERS.test(program)) {
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '-m' && argv[i + 1]) return argv[i + 1]!;
      if (a === '-c' || a === '-e') break; // inline code: no script name
      if (a.startsWith('-')) continue;
      return withoutExtension(basename(a)) || program;
    }
  }
  return program;
}

const SAFE = /^[\w@%+=:,./-]+$/;

/** One argument quoted for a POSIX shell (only when needed). */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
