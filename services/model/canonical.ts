/**
 * JSON with object keys sorted at every level: the same fact always has the same text. Pure.
 *
 * The order is that of the first implementation (JSON.stringify over Object.fromEntries of the
 * sorted entries), which ids and stored bodies depend on: keys sorted by UTF-16 code units,
 * except that array-index-like keys ("0", "17") come first in numeric order, as in every JS
 * object. Written as a direct recursion because it runs for every ingested event: about 1.8x
 * faster than the replacer (bench: 2.6 -> 1.5 µs per training-workload payload).
 */
export function canonicalJson(v: unknown): string {
  return write(v) as string;
}

const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
const MAX_INDEX = 4294967294;

function isIndexKey(k: string): boolean {
  return INDEX_KEY.test(k) && Number(k) <= MAX_INDEX;
}

/** undefined where JSON.stringify would omit the value. */
function write(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return write((v as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (write(v[i]) ?? 'null');
    return out + ']';
  }
  const obj = v as Record<string, unknown>;
  // Object.keys lists index-like keys first, ascending: keep them, sort the rest.
  const keys = Object.keys(obj);
  let indexKeys = 0;
  while (indexKeys < keys.length && isIndexKey(keys[indexKeys]!)) indexKeys++;
  const named = indexKeys === 0 ? keys : keys.slice(indexKeys);
  named.sort();
  let out = '{';
  let first = true;
  const add = (k: string) => {
    const s = write(obj[k]);
    if (s === undefined) return;
    out += (first ? '' : ',') + JSON.stringify(k) + ':' + s;
    first = false;
  };
  for (let i = 0; i < indexKeys; i++) add(keys[i]!);
  for (const k of named) add(k);
  return out + '}';
}
