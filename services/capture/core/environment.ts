/**
 * Which environment variables a wrapped command's activity records, and redaction of secrets.
 * Pure.
 *
 * Only a selection is recorded (DEFAULT_ENV_SELECTION plus the project's `env:` globs and
 * `--env`), never the whole environment. Within the selection, a variable whose NAME looks like a
 * secret keeps its name and gets the value REDACTED; a value that is a URL with a password
 * (`postgres://u:pw@host`) keeps the URL with the password replaced.
 *
 * A name looks like a secret when one of its words (split at `_`, `-`, `.`, digits and camelCase)
 * is a secret word (KEY, TOKEN, SECRET, PASSWORD, PASS, PWD, CREDENTIAL(S), AUTH, PRIVATE,
 * SESSION, COOKIE, SIGNATURE, SALT, DSN, …) or it contains one of the long secret words anywhere
 * (GHTOKEN, MYAPIKEY, DBPASSWORD). `PWD` and `OLDPWD` themselves are the working directory.
 */

export const REDACTED = '<redacted>';

export const DEFAULT_ENV_SELECTION: readonly string[] = [
  'USER', 'HOSTNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ',
  'PYTHONPATH', 'PYTHONHASHSEED', 'VIRTUAL_ENV', 'CONDA_DEFAULT_ENV', 'CONDA_PREFIX',
  'CUDA_VISIBLE_DEVICES', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'NODE_ENV',
  'SLURM_JOB_ID', 'SLURM_ARRAY_TASK_ID', 'CI', 'GITHUB_SHA', 'GITHUB_RUN_ID',
  'PROVSTREAM_*',
];

const SECRET_WORDS = new Set([
  'KEY', 'KEYS', 'APIKEY', 'TOKEN', 'TOKENS', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWORDS', 'PASSWD', 'PASS',
  'PASSPHRASE', 'PWD', 'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'AUTH', 'AUTHORIZATION', 'PRIVATE', 'SESSION',
  'COOKIE', 'SIGNATURE', 'SALT', 'DSN', 'JWT', 'BEARER', 'OTP',
]);
const SECRET_INFIXES = ['TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'CREDENTIAL', 'APIKEY', 'PRIVATEKEY', 'ACCESSKEY'];
const NOT_SECRET = new Set(['PWD', 'OLDPWD']);

/** Words of a variable name, upper-cased: `awsSecretAccessKey` → AWS SECRET ACCESS KEY. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
}

export function isSecretName(name: string, extraWords: readonly string[] = []): boolean {
  const upper = name.toUpperCase();
  if (NOT_SECRET.has(upper)) return false;
  const extra = extraWords.map((w) => w.toUpperCase());
  if (nameWords(name).some((w) => SECRET_WORDS.has(w) || extra.includes(w))) return true;
  const squashed = upper.replace(/[^A-Z]/g, '');
  return SECRET_INFIXES.some((s) => squashed.includes(s));
}

/** Replaces the password of `scheme://user:password@host…` URLs inside a value. */
export function redactUrlCredentials(value: string): string {
  return value.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi, `$1${REDACTED}@`);
}

/** A name glob (`*` any run, `?` one character), case-sensitive like environment names. */
export function nameGlob(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/**
 * The recorded environment: variables whose names match any selection glob, secrets redacted,
 * keys sorted. `extraSecretWords` adds words (from the project config) to the secret list.
 */
export function selectEnvironment(env: Readonly<Record<string, string | undefined>>, selection: readonly string[], extraSecretWords: readonly string[] = []): Record<string, string> {
  const globs = selection.map(nameGlob);
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !globs.some((g) => g.test(name))) continue;
    out[name] = isSecretName(name, extraSecretWords) ? REDACTED : redactUrlCredentials(value);
  }
  return out;
}
