import { describe, expect, it } from 'vitest';
import { activityId, edgeId, entityId } from '../../model/ids.js';
import type { Payload } from '../../model/types.js';
import { hashOf } from '../facts.js';
import { airflowStream, dbtStream, sparkStream } from './fixtures.js';
import { datasetArtifact, datasetContentHash, jobArtifact } from './datasets.js';
import { mapOpenLineage } from './map.js';
import { DATASET_FACETS, INPUT_FACETS, JOB_FACETS, OUTPUT_FACETS, RUN_FACETS } from './schema.js';
import { validateOpenLineage } from './validate.js';

function mapped(e: unknown) {
  const v = validateOpenLineage(e, { maxFacetBytes: 1 << 20 });
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  return mapOpenLineage(v, v.time);
}
const payloads = (e: unknown): Payload[] => mapped(e).facts.map((f) => f.payload);
const edges = (ps: Payload[]) => ps.flatMap((p) => (p.type === 'relation' ? [`${p.relation} ${p.from} ${p.to} ${p.role ?? '-'}`] : []));
const prop = (ps: Payload[], subject: string, key: string) => ps.find((p) => p.type === 'property' && p.subject === subject && p.key === key) as Extract<Payload, { type: 'property' }> | undefined;
const entityOf = (ns: string, name: string, facets?: Parameters<typeof datasetContentHash>[2]) => entityId(datasetArtifact(ns, name), datasetContentHash(ns, name, facets));

const airflow = airflowStream();
const spark = sparkStream();
const dbt = dbtStream();
const [, extractStart, extractComplete, transformStart, , transformComplete, , reportFail] = airflow.events;

describe('mapOpenLineage: identities', () => {
  const table: Array<[string, () => unknown, () => unknown]> = [
    ['run -> activity act:<runId>', () => mapped(extractStart).run?.activityId, () => activityId(airflow.runs['extract']!)],
    ['job -> activity name and command <ns>/<name>', () => [mapped(extractStart).run?.observation.name, mapped(extractStart).run?.observation.command], () => ['orders_daily.extract', 'airflow://prod-scheduler/orders_daily.extract']],
    ['dataset artifact joins namespace and name', () => datasetArtifact('s3://b', 'k/x.csv'), () => 's3://b/k/x.csv'],
    ['a name starting with / is appended as it is', () => datasetArtifact('abfss://lake@x', '/silver/t'), () => 'abfss://lake@x/silver/t'],
    ['job artifact', () => jobArtifact('dbt://a', 'm'), () => 'job:dbt://a/m'],
    ['version facet decides the version', () => datasetContentHash('n', 'd', { version: { datasetVersion: '7' }, schema: { fields: [{ name: 'a' }] } }), () => hashOf('dataset-version', 'n', 'd', '7')],
    ['else the schema fields (names, types; not descriptions)', () => datasetContentHash('n', 'd', { schema: { fields: [{ name: 'a', type: 'INT', description: 'x' }] } }), () => datasetContentHash('n', 'd', { schema: { fields: [{ name: 'a', type: 'INT' }] } })],
    ['a changed column type is a new version', () => datasetContentHash('n', 'd', { schema: { fields: [{ name: 'a', type: 'INT' }] } }) === datasetContentHash('n', 'd', { schema: { fields: [{ name: 'a', type: 'BIGINT' }] } }), () => false],
    ['else only namespace and name', () => datasetContentHash('n', 'd', { dataSource: { uri: 'x://y' } }), () => hashOf('dataset', 'n', 'd')],
    ['namespace and name are separate in the hash', () => datasetContentHash('a/b', 'c', undefined) === datasetContentHash('a', 'b/c', undefined), () => false],
  ];
  it.each(table)('%s', (_n, got, want) => expect(got()).toEqual(want()));

  it('START and COMPLETE of a run name the same dataset versions (statistics are not identity)', () => {
    const ids = (e: unknown) => payloads(e).filter((p) => p.type === 'entity').map((p) => (p as { id: string }).id).sort();
    expect(ids(extractStart)).toEqual(ids(extractComplete).filter((id) => ids(extractStart).includes(id)));
    expect(ids(transformStart)).toEqual(ids(transformComplete));
  });
});

describe('mapOpenLineage: edges', () => {
  const t = payloads(transformComplete);
  const act = activityId(airflow.runs['transform']!);
  const raw = entityOf('s3://acme-raw', 'orders/2024-05-01/orders.parquet', (transformComplete as { inputs: Array<{ facets: never }> }).inputs[0]!.facets);
  const clean = entityOf('snowflake://acme.eu-west-1.aws', 'ANALYTICS.PUBLIC.ORDERS_CLEAN', (transformComplete as { outputs: Array<{ facets: never }> }).outputs[0]!.facets);
  const fx = entityOf('snowflake://acme.eu-west-1.aws', 'REF.PUBLIC.FX_RATES');
  const table: Array<[string, string]> = [
    ['inputs -> used (role input)', `used ${act} ${raw} input`],
    ['outputs -> wasGeneratedBy (role output)', `wasGeneratedBy ${clean} ${act} output`],
    ['every output wasDerivedFrom every input', `wasDerivedFrom ${clean} ${raw} -`],
    ['a column-lineage source that is not an input is derived from too', `wasDerivedFrom ${clean} ${fx} -`],
    ['parent run facet -> wasInformedBy (role parent)', `wasInformedBy ${act} ${activityId(airflow.runs['dag']!)} parent`],
  ];
  it.each(table)('%s', (_n, edge) => expect(edges(t)).toContain(edge));

  it('the job is an entity the run used (role job), attributed to its owners', () => {
    const jobs = t.filter((p) => p.type === 'entity' && p.entityType === 'job');
    expect(jobs).toHaveLength(1);
    const job = (jobs[0] as { id: string }).id;
    expect(edges(t)).toContain(`used ${act} ${job} job`);
    expect(edges(t)).toContain(`wasAttributedTo ${job} agt:user:alice MAINTAINER`);
    expect(edges(t)).toContain(`wasAttributedTo ${job} agt:team:data-eng owner`);
    expect(t).toContainEqual({ type: 'agent', id: 'agt:user:alice', name: 'user:alice', agentType: 'person', email: null });
  });

  it('the producer is a service agent the run was associated with', () => {
    const producer = t.find((p) => p.type === 'agent' && p.agentType === 'service' && p.name.startsWith('https://github.com/apache/airflow')) as { id: string };
    expect(edges(t)).toContain(`wasAssociatedWith ${act} ${producer.id} producer`);
  });

  it('column lineage: one property per (output, source) edge listing the column pairs, sorted', () => {
    const p = prop(t, edgeId('wasDerivedFrom', clean, raw), 'ol:columnLineage');
    expect(JSON.parse(p!.value.value as string)).toEqual([
      { output: null, input: 'customer_id', transformations: [{ type: 'INDIRECT', subtype: 'FILTER' }] },
      { output: 'AMOUNT_EUR', input: 'amount', transformations: [{ type: 'DIRECT', subtype: 'TRANSFORMATION', description: 'amount * fx_rate' }] },
      { output: 'CUSTOMER_ID', input: 'customer_id' },
      { output: 'ORDER_DATE', input: 'created_at' },
      { output: 'ORDER_ID', input: 'order_id', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }] },
    ]);
    expect(JSON.parse(prop(t, edgeId('wasDerivedFrom', clean, fx), 'ol:columnLineage')!.value.value as string)).toEqual([{ output: 'AMOUNT_EUR', input: 'RATE' }]);
  });

  it('a RENAME derives the new dataset from its previous identifier', () => {
    const s = payloads(spark.events[5]);
    const out = s.find((p) => p.type === 'entity' && p.artifact.endsWith('/gold/customer_features')) as { id: string };
    expect(edges(s)).toContain(`wasDerivedFrom ${out.id} ${entityOf('abfss://lake@acmedata.dfs.core.windows.net', '/gold/customer_features_v1')} rename`);
  });

  it('a dataset read and written with the same identity gets no self-derivation', () => {
    const e = structuredClone(extractComplete) as { outputs: unknown[]; inputs: unknown[] };
    e.outputs = e.inputs;
    expect(edges(payloads(e)).filter((x) => x.startsWith('wasDerivedFrom'))).toEqual([]);
  });
});

describe('mapOpenLineage: facets and metrics', () => {
  it('keeps every standard facet of the three streams as a JSON property, where its bag says', () => {
    const seen = new Set<string>();
    for (const e of [...airflow.events, ...spark.events, ...dbt.events]) for (const p of payloads(e)) if (p.type === 'property') seen.add(p.key);
    const want = [
      ...Object.keys(RUN_FACETS).map((f) => `ol:runFacet.${f}`),
      ...Object.keys(JOB_FACETS).map((f) => `ol:jobFacet.${f}`),
      ...Object.keys(DATASET_FACETS).map((f) => `ol:datasetFacet.${f}`),
      ...Object.keys(INPUT_FACETS).map((f) => `ol:inputFacet.${f}`),
      ...Object.keys(OUTPUT_FACETS).map((f) => `ol:outputFacet.${f}`),
    ];
    expect(want.filter((k) => !seen.has(k))).toEqual([]);
    expect(seen).toContain('ol:runFacet.airflowDagRun');
    expect(seen).toContain('ol:runFacet.spark_properties');
  });

  it('facet JSON is kept whole (canonical), unknown fields too', () => {
    const t = payloads(reportFail);
    const act = activityId(airflow.runs['report']!);
    const err = JSON.parse(prop(t, act, 'ol:runFacet.errorMessage')!.value.value as string);
    expect(err).toMatchObject({ message: 'SnowflakeException: warehouse REPORTING is suspended', programmingLanguage: 'PYTHON', _producer: expect.any(String) });
    const withExtras = payloads({ ...(reportFail as object), custom: { a: 1 }, run: { ...(reportFail as { run: object }).run, note: 'x' } });
    expect(prop(withExtras, act, 'ol:event.custom')?.value).toEqual({ kind: 'json', value: '{"a":1}' });
    expect(prop(withExtras, act, 'ol:run.note')?.value).toEqual({ kind: 'json', value: '"x"' });
  });

  it('input and output facets go on the used / wasGeneratedBy edge', () => {
    const t = payloads(extractComplete);
    const act = activityId(airflow.runs['extract']!);
    const used = t.find((p) => p.type === 'relation' && p.relation === 'used' && p.role === 'input') as { to: string };
    expect(prop(t, edgeId('used', act, used.to), 'ol:inputFacet.inputStatistics')).toBeDefined();
    const gen = t.find((p) => p.type === 'relation' && p.relation === 'wasGeneratedBy') as { from: string };
    expect(prop(t, edgeId('wasGeneratedBy', gen.from, act), 'ol:outputFacet.outputStatistics')).toBeDefined();
  });

  it('statistics and quality metrics become metric points on the dataset version', () => {
    const metrics = (e: unknown) => payloads(e).flatMap((p) => (p.type === 'metric' ? [`${p.key}=${p.value}`] : []));
    expect(metrics(extractComplete)).toEqual(expect.arrayContaining(['ol.inputStatistics.rowCount=48211', 'ol.outputStatistics.rowCount=48211', 'ol.outputStatistics.size=2204811', 'ol.outputStatistics.fileCount=1']));
    expect(metrics(transformComplete)).toEqual(expect.arrayContaining(['dq.rowCount=48211', 'dq.amount.nullCount=0', 'dq.amount.quantile.0.99=910', 'dq.customer_id.nullCount=3']));
  });

  it('an output version gets its size from outputStatistics', () => {
    const out = payloads(extractComplete).find((p) => p.type === 'entity' && p.artifact.startsWith('s3://')) as { sizeBytes: number };
    expect(out.sizeBytes).toBe(2_204_811);
  });

  it('every fact carries the event time', () => {
    const m = mapped(extractComplete);
    expect(new Set(m.facts.map((f) => f.time))).toEqual(new Set([Date.parse((extractComplete as { eventTime: string }).eventTime)]));
  });

  it('DatasetEvent and JobEvent: entities with facets, no run', () => {
    const d = mapped({ eventTime: '2024-05-01T10:00:00Z', producer: 'https://x.org/p', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent', dataset: { namespace: 'pg://h', name: 'db.t', facets: { documentation: { _producer: 'https://x.org/p', _schemaURL: 'https://x.org/s', description: 'd' } } } });
    expect(d.run).toBeNull();
    expect(d.facts.map((f) => f.payload.type)).toEqual(['entity', 'property', 'property', 'property']);
    const j = mapped({ eventTime: '2024-05-01T10:00:00Z', producer: 'https://x.org/p', schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent', job: { namespace: 'n', name: 'j' }, outputs: [{ namespace: 'pg://h', name: 'db.t' }] });
    expect(j.facts.filter((f) => f.payload.type === 'entity').map((f) => (f.payload as { entityType: string }).entityType)).toEqual(['job', 'dataset']);
  });
});
