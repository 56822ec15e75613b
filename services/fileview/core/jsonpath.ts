/**
 * The JSONPath subset fileviews use (RFC 9535 syntax for these selectors). Pure.
 *
 *   $              the root              $.a.b  $['a b']  $["a"]   member by name
 *   [0] [-1]       array element (negative counts from the end)
 *   [*]  .*        every element / member value
 *   ..name  ..*    descendants (recursive descent), then the name or every value
 * Filters, slices, unions and functions are not supported (a clear error names the position).
 */

type Step = { kind: 'name'; name: string; deep: boolean } | { kind: 'index'; index: number; deep: boolean } | { kind: 'wild'; deep: boolean };

export class JsonPathError extends Error {
  override readonly name = 'JsonPathError';
}

const cache = new Map<string, Step[]>();

export function compileJsonPath(path: string): Step[] {
  const hit = cache.get(path);
  if (hit) return hit;
  if (!path.startsWith('$')) throw new JsonPathError(`${JSON.stringify(path)}: a JSONPath starts with $`);
  const steps: Step[] = [];
  let i = 1;
  const fail = (what: string): never => {
    throw new JsonPathError(`${JSON.stringify(path)} at ${i}: ${what}`);
  };
  while (i < path.length) {
    let deep = false;
    if (path.startsWith('..', i)) {
      deep = true;
      i += 2;
      if (path[i] === '[') {
        /* bracket selector follows */
      } else if (path[i] === '*') {
        steps.push({ kind: 'wild', deep });
        i++;
        continue;
      } else {
        const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i)) ?? fail('expected a name after ..');
        steps.push({ kind: 'name', name: m[0], deep });
        i += m[0].length;
        continue;
      }
    }
    const c = path[i];
    if (c === '.' && !deep) {
      i++;
      if (path[i] === '*') {
        steps.push({ kind: 'wild', deep: false });
        i++;
        continue;
      }
      const m = /^[A-Za-z_$][\w$-]*/.exec(path.slice(i)) ?? fail('expected a member name after .');
      steps.push({ kind: 'name', name: m[0], deep: false });
      i += m[0].length;
    } else if (c === '[') {
      const rest = path.slice(i);
      const m = /^\[\s*(?:(\*)|(-?\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest) ?? fail('expected [*], [n], [\'name\'] or ["name"] (filters, slices and unions are not supported)');
      if (m[1]) steps.push({ kind: 'wild', deep });
      else if (m[2] !== undefined) steps.push({ kind: 'index', index: Number(m[2]), deep });
      else steps.push({ kind: 'name', name: (m[3] ?? m[4] ?? '').replace(/\\(.)/g, '$1'), deep });
      i += m[0].length;
    } else fail(`unexpected ${JSON.stringify(c)}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(path, steps);
  return steps;
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === 'object') return Object.values(v);
  return [];
}

function descendantsOrSelf(v: unknown, out: unknown[]): void {
  out.push(v);
  for (const c of children(v)) descendantsOrSelf(c, out);
}

function select(v: unknown, s: Step): unknown[] {
  switch (s.kind) {
    case 'wild':
      return children(v);
    case 'index': {
      if (!Array.isArray(v)) return [];
      const i = s.index < 0 ? v.length + s.index : s.index;
      return i >= 0 && i < v.length ? [v[i]] : [];
    }
    case 'name':
      return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, s.name) ? [(v as Record<string, unknown>)[s.name]] : [];
  }
}

/** Every node the path selects, in document order. Throws JsonPathError for an unsupported path. */
export function queryJsonPath(root: unknown, path: string): unknown[] {
  let nodes: unknown[] = [root];
  for (const s of compileJsonPath(path)) {
    const next: unknown[] = [];
    for (const n of nodes) {
      if (s.deep) {
        const all: unknown[] = [];
        descendantsOrSelf(n, all);
        for (const d of all) next.push(...select(d, s));
      } else next.push(...select(n, s));
    }
    nodes = next;
  }
  return nodes;
}
