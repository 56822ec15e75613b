/**
 * Validation of OpenLineage events against ./schema.ts. Pure.
 *
 * Accepts a RunEvent, a DatasetEvent or a JobEvent (told apart as the spec does: a RunEvent has
 * `run`, a DatasetEvent `dataset`, a JobEvent `job` without `run`). Returns the typed event or
 * every problem found, each with a JSON Pointer path. Beyond the schema: the event time must lie
 * in the model's time range (2000 to 2200), facet names must be usable as property keys, and one
 * facet's JSON must fit in `maxFacetBytes` (it is stored as one property).
 */
import { checkShape, isObject, parseDateTime, pointer, typeName } from '../shape.js';
import type { Problem, Shape } from '../shape.js';
import { DATASET_EVENT, FACET_BAGS, JOB_EVENT, RUN_EVENT } from './schema.js';
import type { EventType, FacetBag } from './schema.js';

export type Facets = Record<string, Record<string, unknown>>;

export interface OlDataset {
  namespace: string;
  name: string;
  facets?: Facets;
  inputFacets?: Facets;
  outputFacets?: Facets;
  [extra: string]: unknown;
}

export interface OlJob {
  namespace: string;
  name: string;
  facets?: Facets;
  [extra: string]: unknown;
}

export interface OlRunEvent {
  eventTime: string;
  producer: string;
  schemaURL: string;
  eventType?: EventType;
  run: { runId: string; facets?: Facets; [extra: string]: unknown };
  job: OlJob;
  inputs?: OlDataset[];
  outputs?: OlDataset[];
  [extra: string]: unknown;
}

export interface OlDatasetEvent {
  eventTime: string;
  producer: string;
  schemaURL: string;
  dataset: OlDataset;
  [extra: string]: unknown;
}

export interface OlJobEvent {
  eventTime: string;
  producer: string;
  schemaURL: string;
  job: OlJob;
  inputs?: OlDataset[];
  outputs?: OlDataset[];
  [extra: string]: unknown;
}

/** A validated event with its kind (told apart by its fields, not by a field of its own). */
export type OlEvent = { kind: 'run'; event: OlRunEvent } | { kind: 'dataset'; event: OlDatasetEvent } | { kind: 'job'; event: OlJobEvent };

export type OlValidated = ({ ok: true; time: number } & OlEvent) | { ok: false; problems: Problem[] };

export const MIN_TIME = Date.UTC(2000, 0, 1);
export const MAX_TIME = Date.UTC(2200, 0, 1);
/** Facet names become part of property keys (no whitespace, at most 256 characters in all). */
const FACET_NAME = /^[^\s]{1,200}$/;

export interface OlValidateOptions {
  /** Largest JSON text of one facet (bytes); larger facets are rejected with their path. */
  maxFacetBytes: number;
}

function checkFacets(bag: unknown, kind: FacetBag, path: string, opts: OlValidateOptions, out: Problem[]): void {
  if (bag === undefined || bag === null || !isObject(bag)) return; // shape errors reported by the event shape
  for (const [name, facet] of Object.entries(bag)) {
    const at = pointer(path, name);
    if (!FACET_NAME.test(name)) out.push({ path: at, message: 'a facet name must be 1 to 200 characters without whitespace' });
    if (!isObject(facet)) {
      out.push({ path: at, message: `a facet must be a JSON object, got ${typeName(facet)}` });
      continue;
    }
    const known: Shape | undefined = (kind.known as Record<string, Shape>)[name];
    if (known) checkShape(facet, known, at, out);
    const bytes = Buffer.byteLength(JSON.stringify(facet));
    if (bytes > opts.maxFacetBytes) out.push({ path: at, message: `facet of ${bytes} bytes is over the limit of ${opts.maxFacetBytes} bytes (GATEWAY_MAX_FACET_BYTES)` });
  }
}

function checkTime(input: Record<string, unknown>, out: Problem[]): number {
  const t = typeof input['eventTime'] === 'string' ? parseDateTime(input['eventTime']) : null;
  if (t !== null && (t < MIN_TIME || t >= MAX_TIME)) out.push({ path: '/eventTime', message: `must lie between 2000 and 2200, got ${String(input['eventTime'])}` });
  return t ?? 0;
}

function datasets(list: unknown, path: string, opts: OlValidateOptions, out: Problem[], io: 'input' | 'output' | null): void {
  if (!Array.isArray(list)) return;
  list.forEach((d, i) => {
    if (!isObject(d)) return;
    const at = pointer(path, i);
    checkFacets(d['facets'], FACET_BAGS.dataset, `${at}/facets`, opts, out);
    if (io === 'input') checkFacets(d['inputFacets'], FACET_BAGS.input, `${at}/inputFacets`, opts, out);
    if (io === 'output') checkFacets(d['outputFacets'], FACET_BAGS.output, `${at}/outputFacets`, opts, out);
  });
}

export function validateOpenLineage(input: unknown, opts: OlValidateOptions): OlValidated {
  if (!isObject(input)) return { ok: false, problems: [{ path: '', message: `an OpenLineage event must be a JSON object, got ${typeName(input)}` }] };
  const out: Problem[] = [];
  let kind: OlEvent['kind'];
  if ('run' in input || !('dataset' in input || 'job' in input)) {
    kind = 'run';
    checkShape(input, RUN_EVENT, '', out);
    const run = input['run'];
    const job = input['job'];
    if (isObject(run)) checkFacets(run['facets'], FACET_BAGS.run, '/run/facets', opts, out);
    if (isObject(job)) checkFacets(job['facets'], FACET_BAGS.job, '/job/facets', opts, out);
    datasets(input['inputs'], '/inputs', opts, out, 'input');
    datasets(input['outputs'], '/outputs', opts, out, 'output');
  } else if ('dataset' in input) {
    kind = 'dataset';
    checkShape(input, DATASET_EVENT, '', out);
    const ds = input['dataset'];
    if (isObject(ds)) checkFacets(ds['facets'], FACET_BAGS.dataset, '/dataset/facets', opts, out);
  } else {
    kind = 'job';
    checkShape(input, JOB_EVENT, '', out);
    const job = input['job'];
    if (isObject(job)) checkFacets(job['facets'], FACET_BAGS.job, '/job/facets', opts, out);
    datasets(input['inputs'], '/inputs', opts, out, null);
    datasets(input['outputs'], '/outputs', opts, out, null);
  }
  const time = checkTime(input, out);
  if (out.length > 0) return { ok: false, problems: out };
  return { ok: true, time, kind, event: input } as OlValidated;
}
