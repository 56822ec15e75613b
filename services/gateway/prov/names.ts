/**
 * Qualified names of one PROV-JSON document (pure): its prefixes, how they are stored, and how
 * element ids become ids of our model.
 *
 * Attribute names and QName values are stored as the document wrote them (`ex:color`), with the
 * prefix's IRI kept on the subject as an `xmlns:ex` property, so an export declares it again.
 * A document that binds one of our prefixes (provstream, ent, act, agt, ol, prov-json, default)
 * or a PROV one to another IRI has that prefix renamed (`ent` -> `ent_1`) everywhere it is used;
 * unprefixed names under a foreign default namespace become `default_1:<name>`.
 */
import { seededUuid } from '../../demo/sample.js';
import { ID_PATTERNS } from '../../model/ids.js';
import type { VertexKind } from '../../model/types.js';
import type { Problem } from '../shape.js';
import { hashOf, shortHash } from '../facts.js';
import { pointer } from '../shape.js';
import { OUR_PREFIXES, PREDEFINED_PREFIXES } from './vocabulary.js';

const BUILTIN: Record<string, string> = { ...PREDEFINED_PREFIXES, ...OUR_PREFIXES };
const PREFIX_NAME = /^[A-Za-z0-9_-]+$/;

export class DocumentNames {
  /** Stored prefix name -> IRI, for prefixes that are not built in. */
  readonly declared = new Map<string, string>();
  private readonly rename = new Map<string, string>();
  private readonly iris = new Map<string, string>();

  /** `scope` distinguishes blank nodes (`_:x`) of different documents. */
  constructor(
    prefixMaps: Array<{ path: string; map: unknown }>,
    private readonly scope: string,
    problems: Problem[],
  ) {
    for (const { path, map } of prefixMaps) {
      if (map === undefined) continue;
      if (typeof map !== 'object' || map === null || Array.isArray(map)) {
        problems.push({ path, message: 'must be an object of prefix -> namespace IRI' });
        continue;
      }
      for (const [p, iri] of Object.entries(map)) {
        const at = pointer(path, p);
        if (typeof iri !== 'string' || iri === '') problems.push({ path: at, message: 'must be a namespace IRI (a non-empty string)' });
        else if (!PREFIX_NAME.test(p)) problems.push({ path: at, message: 'a prefix is letters, digits, _ and -' });
        else if (this.iris.has(p) && this.iris.get(p) !== iri) problems.push({ path: at, message: `prefix ${p} is already bound to ${this.iris.get(p)}; one prefix, one IRI per document` });
        else this.iris.set(p, iri);
      }
    }
    for (const [p, iri] of [...this.iris].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (BUILTIN[p] === iri) continue;
      let name = p;
      if (BUILTIN[p] !== undefined) for (let n = 1; BUILTIN[name] !== undefined || this.iris.has(name) || this.declared.has(name); n++) name = `${p}_${n}`;
      if (name !== p) this.rename.set(p, name);
      this.declared.set(name, iri);
    }
  }

  /** The name as stored: prefixes renamed, unprefixed names qualified when the default was renamed. */
  normalize(q: string): string {
    if (q.startsWith('_:')) return q;
    const colon = q.indexOf(':');
    if (colon <= 0) {
      const d = this.rename.get('default');
      return d ? `${d}:${q}` : q;
    }
    const p = q.slice(0, colon);
    const r = this.rename.get(p);
    return r ? `${r}:${q.slice(colon + 1)}` : q;
  }

  /** The declared (non built-in) prefix a stored name uses, if any. */
  prefixOf(stored: string): string | null {
    if (stored.startsWith('_:')) return null;
    const colon = stored.indexOf(':');
    const p = colon <= 0 ? 'default' : stored.slice(0, colon);
    return this.declared.has(p) ? p : null;
  }

  /** Full IRI of a stored name; blank nodes are scoped to the document. */
  expand(stored: string): string {
    if (stored.startsWith('_:')) return `_:${this.scope}/${stored.slice(2)}`;
    const colon = stored.indexOf(':');
    const p = colon <= 0 ? 'default' : stored.slice(0, colon);
    const local = colon <= 0 ? stored : stored.slice(colon + 1);
    const iri = this.declared.get(p) ?? BUILTIN[p];
    return iri ? iri + local : stored;
  }

  localName(stored: string): string {
    const i = Math.max(stored.lastIndexOf(':'), stored.lastIndexOf('/'), stored.lastIndexOf('#'));
    return stored.slice(i + 1) || stored;
  }

  /**
   * Our id for an element of the document: our own ids (`ent:`, `act:`, `agt:` in our
   * namespaces) stay as they are; other names are hashed from their full IRI, so the same
   * element gets the same id in every import. Entities take their id from artifact and content
   * hash instead (see ./import.ts); this is the fallback.
   */
  vertexId(stored: string, kind: VertexKind): string {
    const iri = this.expand(stored);
    const ours = { entity: OUR_PREFIXES.ent, activity: OUR_PREFIXES.act, agent: OUR_PREFIXES.agt }[kind];
    const short = { entity: 'ent:', activity: 'act:', agent: 'agt:' }[kind];
    if (iri.startsWith(ours) && ID_PATTERNS[kind].test(short + iri.slice(ours.length))) return short + iri.slice(ours.length);
    if (kind === 'activity') return 'act:' + seededUuid(`prov-json\0${iri}`);
    if (kind === 'agent') return `agt:prov-${shortHash(iri, 24)}`;
    return '';
  }

  /** Fallback artifact and content hash of an entity that does not state its own. */
  entityIdentity(stored: string): { artifact: string; contentHash: string } {
    const iri = this.expand(stored);
    return { artifact: iri, contentHash: hashOf('prov-json', iri) };
  }
}
