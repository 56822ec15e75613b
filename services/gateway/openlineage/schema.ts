/**
 * The OpenLineage 2-0-2 RunEvent and its standard facets, written as our own schema (./shape.ts)
 * from the facts of the specification (https://openlineage.io/spec/2-0-2/OpenLineage.json and the
 * facet schemas under https://openlineage.io/spec/facets/). Pure data.
 *
 * What is checked: required fields, types and formats (eventTime RFC 3339 date-time, runId UUID,
 * producer / schemaURL / _producer / _schemaURL absolute URIs), enums, and the shape of every
 * standard facet where it may appear. What is tolerated (the spec is open): unknown facets (any
 * JSON object) and unknown properties anywhere; the mapper keeps them as JSON properties.
 */
import type { Shape } from '../shape.js';

const str: Shape = { type: 'string' };
const name: Shape = { type: 'string', minLength: 1, maxLength: 1024 };
const uri: Shape = { type: 'string', format: 'uri' };
const dateTime: Shape = { type: 'string', format: 'date-time' };
const uuid: Shape = { type: 'string', format: 'uuid' };
const int: Shape = { type: 'integer' };
const count: Shape = { type: 'integer', min: 0 };
const num: Shape = { type: 'number' };
const bool: Shape = { type: 'boolean' };
const arrayOf = (items: Shape): Shape => ({ type: 'array', items });
const obj = (props: Record<string, Shape>, required: readonly string[] = []): Shape & { type: 'object' } => ({ type: 'object', props, required });

export const EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** BaseFacet: every facet names its producer and the schema it follows. */
const BASE_FACET = { _producer: uri, _schemaURL: uri };
const BASE_REQUIRED = ['_producer', '_schemaURL'] as const;
/** Job and dataset facets may carry `_deleted` (a static-metadata event removing the facet). */
const DELETABLE = { ...BASE_FACET, _deleted: bool };

const facet = (props: Record<string, Shape>, required: readonly string[] = [], deletable = false): Shape =>
  obj({ ...(deletable ? DELETABLE : BASE_FACET), ...props }, [...BASE_REQUIRED, ...required]);

const jobRef = obj({ namespace: name, name }, ['namespace', 'name']);
const runRef = obj({ runId: uuid }, ['runId']);
const owners = arrayOf(obj({ name: str, type: str }, ['name']));
const tags = arrayOf(obj({ key: str, value: str, source: str, field: str }, ['key', 'value']));
const inputField = obj(
  { namespace: str, name: str, field: str, transformations: arrayOf(obj({ type: str, subtype: str, description: str, masking: bool }, ['type'])) },
  ['namespace', 'name', 'field'],
);
// Nested fields (struct columns, SchemaDatasetFacet 1-1-x): one level is checked, deeper ones are kept as they are.
const nestedField = obj({ name: str, type: str, description: str, fields: arrayOf({ type: 'any' }) }, ['name']);
const schemaField = obj({ name: str, type: str, description: str, fields: arrayOf(nestedField) }, ['name']);

const dataQualityMetrics = (deletable: boolean) =>
  facet(
    {
      rowCount: count,
      bytes: count,
      fileCount: count,
      columnMetrics: { type: 'map', values: obj({ nullCount: count, distinctCount: count, sum: num, count: num, min: num, max: num, quantiles: { type: 'map', values: num } }) },
    },
    ['columnMetrics'],
    deletable,
  );
const dataQualityAssertions = (deletable: boolean) => facet({ assertions: arrayOf(obj({ assertion: str, success: bool, column: str }, ['assertion', 'success'])) }, ['assertions'], deletable);

/** Standard run facets (run.facets.<name>). */
export const RUN_FACETS: Record<string, Shape> = {
  parent: facet({ run: runRef, job: jobRef, root: obj({ run: runRef, job: jobRef }, ['run', 'job']) }, ['run', 'job']),
  nominalTime: facet({ nominalStartTime: dateTime, nominalEndTime: dateTime }, ['nominalStartTime']),
  errorMessage: facet({ message: str, programmingLanguage: str, stackTrace: str }, ['message', 'programmingLanguage']),
  processing_engine: facet({ version: str, name: str, openlineageAdapterVersion: str }, ['version']),
  externalQuery: facet({ externalQueryId: str, source: str }, ['externalQueryId', 'source']),
  extractionError: facet({ totalTasks: count, failedTasks: count, errors: arrayOf(obj({ errorMessage: str, stackTrace: str, task: str, taskNumber: int }, ['errorMessage'])) }, ['errors']),
  tags: facet({ tags }, ['tags']),
};

/** Standard job facets (job.facets.<name>). */
export const JOB_FACETS: Record<string, Shape> = {
  sourceCode: facet({ language: str, sourceCode: str }, ['language', 'sourceCode'], true),
  sourceCodeLocation: facet({ type: str, url: uri, repoUrl: str, path: str, version: str, tag: str, branch: str }, ['type', 'url'], true),
  sql: facet({ query: str, dialect: str }, ['query'], true),
  jobType: facet({ processingType: str, integration: str, jobType: str }, ['processingType', 'integration'], true),
  documentation: facet({ description: str, contentType: str }, ['description'], true),
  ownership: facet({ owners }, [], true),
  tags: facet({ tags }, ['tags'], true),
};

/** Standard dataset facets (inputs[i].facets / outputs[i].facets). */
export const DATASET_FACETS: Record<string, Shape> = {
  schema: facet({ fields: arrayOf(schemaField) }, [], true),
  dataSource: facet({ name: str, uri }, [], true),
  columnLineage: facet(
    {
      fields: { type: 'map', values: obj({ inputFields: arrayOf(inputField), transformationDescription: str, transformationType: str }, ['inputFields']) },
      dataset: arrayOf(inputField),
    },
    ['fields'],
    true,
  ),
  documentation: facet({ description: str, contentType: str }, ['description'], true),
  lifecycleStateChange: facet(
    { lifecycleStateChange: { type: 'string', enum: ['ALTER', 'CREATE', 'DROP', 'OVERWRITE', 'RENAME', 'TRUNCATE'] }, previousIdentifier: obj({ namespace: str, name: str }, ['namespace', 'name']) },
    ['lifecycleStateChange'],
    true,
  ),
  version: facet({ datasetVersion: str }, ['datasetVersion'], true),
  storage: facet({ storageLayer: str, fileFormat: str }, ['storageLayer'], true),
  symlinks: facet({ identifiers: arrayOf(obj({ namespace: str, name: str, type: str }, ['namespace', 'name', 'type'])) }, ['identifiers'], true),
  ownership: facet({ owners }, [], true),
  datasetType: facet({ datasetType: str, subType: str }, ['datasetType'], true),
  tags: facet({ tags }, ['tags'], true),
  // Defined as input facets by the spec; some producers send them as dataset facets.
  dataQualityMetrics: dataQualityMetrics(true),
  dataQualityAssertions: dataQualityAssertions(true),
};

/** Standard input dataset facets (inputs[i].inputFacets). */
export const INPUT_FACETS: Record<string, Shape> = {
  dataQualityMetrics: dataQualityMetrics(false),
  dataQualityAssertions: dataQualityAssertions(false),
  inputStatistics: facet({ rowCount: count, size: count, fileCount: count }),
};

/** Standard output dataset facets (outputs[i].outputFacets). */
export const OUTPUT_FACETS: Record<string, Shape> = {
  outputStatistics: facet({ rowCount: count, size: count, fileCount: count }),
};

/** A facet bag: known facets by their shape, unknown ones only as objects (kept as they are). */
export interface FacetBag {
  kind: 'run' | 'job' | 'dataset' | 'input' | 'output';
  known: Record<string, Shape>;
}
export const FACET_BAGS = {
  run: { kind: 'run', known: RUN_FACETS },
  job: { kind: 'job', known: JOB_FACETS },
  dataset: { kind: 'dataset', known: DATASET_FACETS },
  input: { kind: 'input', known: INPUT_FACETS },
  output: { kind: 'output', known: OUTPUT_FACETS },
} as const satisfies Record<string, FacetBag>;

const bagOf: Shape = { type: 'map', values: { type: 'any' } };
const staticDataset = obj({ namespace: name, name, facets: bagOf }, ['namespace', 'name']);

/** The events without their facet bags (checked separately, so unknown facets stay tolerated). */
export const RUN_EVENT: Shape = obj(
  {
    eventTime: dateTime,
    producer: uri,
    schemaURL: uri,
    eventType: { type: 'string', enum: EVENT_TYPES },
    run: obj({ runId: uuid, facets: bagOf }, ['runId']),
    job: obj({ namespace: name, name, facets: bagOf }, ['namespace', 'name']),
    inputs: arrayOf(obj({ namespace: name, name, facets: bagOf, inputFacets: bagOf }, ['namespace', 'name'])),
    outputs: arrayOf(obj({ namespace: name, name, facets: bagOf, outputFacets: bagOf }, ['namespace', 'name'])),
  },
  ['eventTime', 'producer', 'schemaURL', 'run', 'job'],
);

/** DatasetEvent (static metadata about one dataset, no run). */
export const DATASET_EVENT: Shape = obj({ eventTime: dateTime, producer: uri, schemaURL: uri, dataset: staticDataset }, ['eventTime', 'producer', 'schemaURL', 'dataset']);

/** JobEvent (static metadata about one job and its declared datasets, no run). */
export const JOB_EVENT: Shape = obj(
  { eventTime: dateTime, producer: uri, schemaURL: uri, job: obj({ namespace: name, name, facets: bagOf }, ['namespace', 'name']), inputs: arrayOf(staticDataset), outputs: arrayOf(staticDataset) },
  ['eventTime', 'producer', 'schemaURL', 'job'],
);
