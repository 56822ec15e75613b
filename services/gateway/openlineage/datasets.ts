/**
 * OpenLineage datasets and jobs as entity versions (pure). The identity rules, in one place:
 *
 *   dataset artifact   `<namespace>/<name>` (`<namespace><name>` when the name starts with "/")
 *   dataset version    the `version` facet's datasetVersion when present; else a hash of the
 *                      `schema` facet's field names and types; else the bare (namespace, name).
 *   job artifact       `job:<namespace>/<name>`
 *   job version        a hash of the code facets (sourceCode, sql, sourceCodeLocation url and
 *                      version) when present; else the bare (namespace, name).
 *
 * Why only these facets: every event about the same dataset version (the START and COMPLETE of
 * one run, the writer's and the reader's events) must agree on its id. Statistics, quality and
 * lifecycle facets differ from event to event while the data stays the same; they describe a
 * use of the version and become edge properties and metrics, not identity. The namespace and
 * name are always part of the hash, so artifacts that print the same never share an id.
 */
import { hashOf } from '../facts.js';
import { isObject } from '../shape.js';
import type { Facets } from './validate.js';

export function datasetArtifact(namespace: string, name: string): string {
  return name.startsWith('/') ? `${namespace}${name}` : `${namespace}/${name}`;
}

export function jobArtifact(namespace: string, name: string): string {
  return `job:${namespace}/${name}`;
}

interface FieldShape {
  name: string;
  type: string | null;
  fields?: FieldShape[];
}

function fieldShapes(fields: unknown): FieldShape[] {
  if (!Array.isArray(fields)) return [];
  return fields.filter(isObject).map((f) => {
    const out: FieldShape = { name: String(f['name']), type: typeof f['type'] === 'string' ? f['type'] : null };
    if (Array.isArray(f['fields'])) out.fields = fieldShapes(f['fields']);
    return out;
  });
}

export function datasetContentHash(namespace: string, name: string, facets: Facets | undefined): string {
  const version = facets?.['version']?.['datasetVersion'];
  if (typeof version === 'string') return hashOf('dataset-version', namespace, name, version);
  const fields = facets?.['schema']?.['fields'];
  if (Array.isArray(fields)) return hashOf('dataset-schema', namespace, name, JSON.stringify(fieldShapes(fields)));
  return hashOf('dataset', namespace, name);
}

export function jobContentHash(namespace: string, name: string, facets: Facets | undefined): string {
  const code: Record<string, unknown> = {};
  const src = facets?.['sourceCode'];
  if (src) code['sourceCode'] = [src['language'], src['sourceCode']];
  const sql = facets?.['sql'];
  if (sql) code['sql'] = sql['query'];
  const loc = facets?.['sourceCodeLocation'];
  if (loc) code['sourceCodeLocation'] = [loc['url'], loc['version'] ?? null];
  return Object.keys(code).length ? hashOf('job-code', namespace, name, JSON.stringify(code)) : hashOf('job', namespace, name);
}

/** Agent type of an ownership facet's owner name (`user:jdoe`, `team:data`, `application:x`). */
export function ownerAgentType(owner: string): 'person' | 'team' | 'service' {
  const prefix = owner.split(':', 1)[0]!.toLowerCase();
  if (['user', 'person', 'email', 'mailto'].includes(prefix)) return 'person';
  if (['team', 'group', 'org', 'organization'].includes(prefix)) return 'team';
  return 'service';
}
