import { describe, expect, it } from 'vitest';
import { airflowStream, dbtStream, sparkStream } from './fixtures.js';
import { validateOpenLineage } from './validate.js';
import type { Problem } from '../shape.js';

const opts = { maxFacetBytes: 64 * 1024 };
const P = 'https://example.org/producer';
const F = { _producer: P, _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/X.json#/$defs/X' };
const base = () => ({
  eventType: 'START',
  eventTime: '2024-05-01T10:00:00.123456+02:00',
  producer: P,
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  run: { runId: '3f5c8c9a-1234-5678-9abc-def012345678', facets: {} as Record<string, unknown> },
  job: { namespace: 'ns', name: 'job', facets: {} as Record<string, unknown> },
  inputs: [{ namespace: 'pg://h', name: 'db.t', facets: {} as Record<string, unknown>, inputFacets: {} as Record<string, unknown> }],
  outputs: [{ namespace: 'pg://h', name: 'db.u', facets: {} as Record<string, unknown>, outputFacets: {} as Record<string, unknown> }],
});
type Ev = ReturnType<typeof base>;

function problems(e: unknown): Problem[] {
  const v = validateOpenLineage(e, opts);
  return v.ok ? [] : v.problems;
}

describe('validateOpenLineage', () => {
  it('accepts every event of the Airflow, Spark and dbt streams (every standard facet, unknown facets)', () => {
    for (const e of [...airflowStream().events, ...sparkStream().events, ...dbtStream().events]) expect(problems(e)).toEqual([]);
  });

  it('parses eventTime to epoch ms, cutting sub-millisecond digits and applying the offset', () => {
    const v = validateOpenLineage(base(), opts);
    expect(v.ok && v.time).toBe(Date.UTC(2024, 4, 1, 8, 0, 0, 123));
  });

  const cases: Array<[string, (e: Ev) => unknown, Array<[string, RegExp]>]> = [
    ['not an object', () => [1], [['', /must be a JSON object, got array/]]],
    ['missing required fields', (e) => ({ run: e.run, job: e.job }), [['/eventTime', /is required/], ['/producer', /is required/], ['/schemaURL', /is required/]]],
    ['eventTime without an offset', (e) => ({ ...e, eventTime: '2024-05-01T10:00:00' }), [['/eventTime', /offset is required/]]],
    ['eventTime not a date', (e) => ({ ...e, eventTime: '2024-02-31T10:00:00Z' }), [['/eventTime', /RFC 3339/]]],
    ['eventTime out of range', (e) => ({ ...e, eventTime: '1999-12-31T23:59:59Z' }), [['/eventTime', /between 2000 and 2200/]]],
    ['runId not a UUID', (e) => ({ ...e, run: { runId: 'run-42' } }), [['/run/runId', /not a UUID/]]],
    ['producer not a URI', (e) => ({ ...e, producer: 'my producer' }), [['/producer', /absolute URI/]]],
    ['unknown eventType', (e) => ({ ...e, eventType: 'DONE' }), [['/eventType', /one of START, RUNNING, COMPLETE, ABORT, FAIL, OTHER/]]],
    ['empty job name, job namespace not a string', (e) => ({ ...e, job: { namespace: 7, name: '' } }), [['/job/namespace', /must be a string/], ['/job/name', /must not be empty/]]],
    ['dataset without a name', (e) => ({ ...e, inputs: [{ namespace: 'x' }] }), [['/inputs/0/name', /is required/]]],
    ['inputs not an array', (e) => ({ ...e, inputs: {} }), [['/inputs', /must be an array/]]],
    ['a facet that is not an object', (e) => ({ ...e, run: { ...e.run, facets: { parent: 'x' } } }), [['/run/facets/parent', /must be a JSON object/]]],
    ['a standard facet without _producer / _schemaURL', (e) => ({ ...e, run: { ...e.run, facets: { nominalTime: { nominalStartTime: '2024-05-01T00:00:00Z' } } } }), [['/run/facets/nominalTime/_producer', /is required/], ['/run/facets/nominalTime/_schemaURL', /is required/]]],
    ['parent facet with a bad run id and no job', (e) => ({ ...e, run: { ...e.run, facets: { parent: { ...F, run: { runId: 'x' } } } } }), [['/run/facets/parent/job', /is required/], ['/run/facets/parent/run/runId', /not a UUID/]]],
    ['errorMessage without programmingLanguage', (e) => ({ ...e, run: { ...e.run, facets: { errorMessage: { ...F, message: 'boom' } } } }), [['/run/facets/errorMessage/programmingLanguage', /is required/]]],
    ['processing_engine without version', (e) => ({ ...e, run: { ...e.run, facets: { processing_engine: { ...F, name: 'spark' } } } }), [['/run/facets/processing_engine/version', /is required/]]],
    ['sql facet without query; jobType without integration', (e) => ({ ...e, job: { ...e.job, facets: { sql: { ...F }, jobType: { ...F, processingType: 'BATCH' } } } }), [['/job/facets/sql/query', /is required/], ['/job/facets/jobType/integration', /is required/]]],
    ['sourceCodeLocation url not a URI', (e) => ({ ...e, job: { ...e.job, facets: { sourceCodeLocation: { ...F, type: 'git', url: 'not a uri' } } } }), [['/job/facets/sourceCodeLocation/url', /absolute URI/]]],
    ['ownership owner without a name', (e) => ({ ...e, job: { ...e.job, facets: { ownership: { ...F, owners: [{ type: 'MAINTAINER' }] } } } }), [['/job/facets/ownership/owners/0/name', /is required/]]],
    ['schema field without a name', (e) => ({ ...e, inputs: [{ ...e.inputs[0]!, facets: { schema: { ...F, fields: [{ type: 'INT' }] } } }] }), [['/inputs/0/facets/schema/fields/0/name', /is required/]]],
    ['columnLineage without inputFields', (e) => ({ ...e, outputs: [{ ...e.outputs[0]!, facets: { columnLineage: { ...F, fields: { a: {} } } } }] }), [['/outputs/0/facets/columnLineage/fields/a/inputFields', /is required/]]],
    ['lifecycleStateChange outside its enum', (e) => ({ ...e, outputs: [{ ...e.outputs[0]!, facets: { lifecycleStateChange: { ...F, lifecycleStateChange: 'DELETE' } } }] }), [['/outputs/0/facets/lifecycleStateChange/lifecycleStateChange', /one of ALTER, CREATE/]]],
    ['version facet without datasetVersion', (e) => ({ ...e, outputs: [{ ...e.outputs[0]!, facets: { version: { ...F } } }] }), [['/outputs/0/facets/version/datasetVersion', /is required/]]],
    ['symlinks identifier without type', (e) => ({ ...e, inputs: [{ ...e.inputs[0]!, facets: { symlinks: { ...F, identifiers: [{ namespace: 'a', name: 'b' }] } } }] }), [['/inputs/0/facets/symlinks/identifiers/0/type', /is required/]]],
    ['storage without storageLayer', (e) => ({ ...e, inputs: [{ ...e.inputs[0]!, facets: { storage: { ...F, fileFormat: 'csv' } } }] }), [['/inputs/0/facets/storage/storageLayer', /is required/]]],
    ['dataQualityMetrics with a negative count', (e) => ({ ...e, inputs: [{ ...e.inputs[0]!, inputFacets: { dataQualityMetrics: { ...F, rowCount: -1, columnMetrics: { a: { nullCount: 1.5 } } } } }] }), [['/inputs/0/inputFacets/dataQualityMetrics/rowCount', /must be ≥ 0/], ['/inputs/0/inputFacets/dataQualityMetrics/columnMetrics/a/nullCount', /must be an integer/]]],
    ['dataQualityAssertions success not a boolean', (e) => ({ ...e, inputs: [{ ...e.inputs[0]!, inputFacets: { dataQualityAssertions: { ...F, assertions: [{ assertion: 'not_null', success: 'yes' }] } } }] }), [['/inputs/0/inputFacets/dataQualityAssertions/assertions/0/success', /true or false/]]],
    ['outputStatistics rowCount not an integer', (e) => ({ ...e, outputs: [{ ...e.outputs[0]!, outputFacets: { outputStatistics: { ...F, rowCount: '10' } } }] }), [['/outputs/0/outputFacets/outputStatistics/rowCount', /must be an integer/]]],
    ['a facet name with a slash is escaped in the path; whitespace in names refused', (e) => ({ ...e, run: { ...e.run, facets: { 'a/b c': 3 } } }), [['/run/facets/a~1b c', /without whitespace/], ['/run/facets/a~1b c', /must be a JSON object/]]],
    ['a facet over the size limit', (e) => ({ ...e, run: { ...e.run, facets: { huge: { ...F, plan: 'x'.repeat(70_000) } } } }), [['/run/facets/huge', /over the limit of 65536 bytes/]]],
  ];
  it.each(cases)('%s', (_name, mutate, expected) => {
    const got = problems(mutate(base()));
    for (const [path, message] of expected) expect(got, JSON.stringify(got)).toContainEqual({ path, message: expect.stringMatching(message) });
    expect(got).toHaveLength(expected.length);
  });

  it('tolerates unknown facets and unknown fields anywhere', () => {
    const e = base();
    e.run.facets['spark_properties'] = { anything: [1, 2, { deep: true }] };
    e.job.facets['airflow'] = { _producer: P, dag: { id: 'x' } };
    e.inputs[0]!.inputFacets['icebergScanReport'] = { x: 1 };
    expect(problems({ ...e, customTopLevel: { a: 1 }, run: { ...e.run, extra: 1 } })).toEqual([]);
  });

  it('tells DatasetEvent and JobEvent from RunEvent', () => {
    const common = { eventTime: '2024-05-01T10:00:00Z', producer: P, schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent' };
    const d = validateOpenLineage({ ...common, dataset: { namespace: 'pg://h', name: 'db.t', facets: { schema: { ...F, fields: [{ name: 'a' }] } } } }, opts);
    expect(d.ok && d.kind).toBe('dataset');
    const j = validateOpenLineage({ ...common, job: { namespace: 'n', name: 'j' }, inputs: [{ namespace: 'a', name: 'b' }] }, opts);
    expect(j.ok && j.kind).toBe('job');
    expect(problems({ ...common, dataset: { namespace: 'a' } })).toEqual([{ path: '/dataset/name', message: 'is required' }]);
  });
});
