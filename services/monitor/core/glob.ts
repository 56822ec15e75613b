/**
 * Globs for artifact names, job names, vertex ids and projects.
 *
 *   *   any run of characters except "/"      models/*      matches models/a, not models/a/b
 *   **  any run of characters, "/" included   data/**       matches data/x/y.csv
 *   ?   one character except "/"
 * Everything else matches itself (no character classes or braces: artifact names are free text
 * and may contain "[", "{", ":").
 */

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  const cached = cache.get(glob);
  if (cached) return cached;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        src += '.*';
        i++;
      } else {
        src += '[^/]*';
      }
    } else if (c === '?') {
      src += '[^/]';
    } else {
      src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const re = new RegExp(`^${src}$`, 's');
  if (cache.size > 1000) cache.clear();
  cache.set(glob, re);
  return re;
}

export function matchGlob(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}
