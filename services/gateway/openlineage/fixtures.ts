/**
 * Realistic OpenLineage event streams, written for our tests and benchmark (pure, deterministic
 * from a seed): what Airflow's, Spark's and dbt's integrations send. Together they use every
 * standard facet of ./schema.ts, parent runs, column lineage, a FAIL, RUNNING heartbeats, a
 * rename, versioned (Delta) and unversioned datasets, and unknown (custom) facets.
 */
import { seededUuid } from '../../demo/sample.js';

type Json = Record<string, unknown>;
const SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
const facetUrl = (name: string, version = '1-0-1') => `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;
const iso = (ms: number) => new Date(ms).toISOString();

function facet(producer: string, name: string, body: Json, version?: string): Json {
  return { _producer: producer, _schemaURL: facetUrl(name, version), ...body };
}

export interface Stream {
  events: Json[];
  /** Run ids by role, for assertions. */
  runs: Record<string, string>;
}

function event(producer: string, eventType: string, time: number, run: Json, job: Json, inputs: Json[] = [], outputs: Json[] = []): Json {
  return { eventType, eventTime: iso(time), producer, schemaURL: SPEC, run, job, inputs, outputs };
}

const schema = (producer: string, fields: Array<[string, string, string?]>) =>
  facet(producer, 'SchemaDatasetFacet', { fields: fields.map(([name, type, description]) => ({ name, type, ...(description ? { description } : {}) })) }, '1-1-1');

const parent = (producer: string, runId: string, namespace: string, name: string, root?: { runId: string; namespace: string; name: string }) =>
  facet(producer, 'ParentRunFacet', { run: { runId }, job: { namespace, name }, ...(root ? { root: { run: { runId: root.runId }, job: { namespace: root.namespace, name: root.name } } } : {}) }, '1-1-0');

/** An Airflow DAG run: extract (COMPLETE), transform (START, RUNNING, COMPLETE), report (FAIL), the DAG run (FAIL). */
export function airflowStream(seed = 'airflow', start = Date.UTC(2024, 4, 1, 2, 0, 0)): Stream {
  const P = 'https://github.com/apache/airflow/tree/providers-openlineage/1.8.0';
  const ns = 'airflow://prod-scheduler';
  const dag = seededUuid(`${seed}/dag`);
  const [extract, transform, report] = ['extract', 'transform', 'report'].map((t) => seededUuid(`${seed}/${t}`)) as [string, string, string];
  const pg = 'postgres://orders-db.internal:5432';
  const s3 = 's3://acme-raw';
  const wh = 'snowflake://acme.eu-west-1.aws';
  const ownership = facet(P, 'OwnershipJobFacet', { owners: [{ name: 'user:alice', type: 'MAINTAINER' }, { name: 'team:data-eng' }] }, '1-0-0');
  const dagJob = { namespace: ns, name: 'orders_daily', facets: { documentation: facet(P, 'DocumentationJobFacet', { description: 'Daily orders pipeline' }), ownership, jobType: facet(P, 'JobTypeJobFacet', { processingType: 'BATCH', integration: 'AIRFLOW', jobType: 'DAG' }, '2-0-3'), tags: facet(P, 'TagsJobFacet', { tags: [{ key: 'tier', value: 'gold', source: 'DAG' }] }, '1-0-0') } };
  const dagRunFacets = (extra: Json = {}) => ({
    nominalTime: facet(P, 'NominalTimeRunFacet', { nominalStartTime: iso(start), nominalEndTime: iso(start + 86_400_000) }),
    processing_engine: facet(P, 'ProcessingEngineRunFacet', { version: '2.9.1', name: 'Airflow', openlineageAdapterVersion: '1.8.0' }, '1-1-1'),
    airflowDagRun: { _producer: P, _schemaURL: 'https://raw.githubusercontent.com/apache/airflow/providers-openlineage/1.8.0/airflow/providers/openlineage/facets/AirflowDagRunFacet.json', dag: { dag_id: 'orders_daily', schedule_interval: '@daily' }, dagRun: { run_id: 'scheduled__2024-05-01', external_trigger: false } },
    tags: facet(P, 'TagsRunFacet', { tags: [{ key: 'env', value: 'prod' }] }, '1-0-0'),
    ...extra,
  });
  const task = (name: string, runId: string, facets: Json = {}) => ({ runId, facets: { parent: parent(P, dag, ns, 'orders_daily'), processing_engine: facet(P, 'ProcessingEngineRunFacet', { version: '2.9.1', name: 'Airflow' }, '1-1-1'), ...facets } });
  const taskJob = (name: string, facets: Json = {}) => ({ namespace: ns, name: `orders_daily.${name}`, facets: { jobType: facet(P, 'JobTypeJobFacet', { processingType: 'BATCH', integration: 'AIRFLOW', jobType: 'TASK' }, '2-0-3'), ownership, ...facets } });
  const ordersTable = {
    namespace: pg,
    name: 'orders.public.orders',
    facets: {
      schema: schema(P, [['order_id', 'BIGINT'], ['customer_id', 'BIGINT'], ['amount', 'NUMERIC(12,2)'], ['created_at', 'TIMESTAMP']]),
      dataSource: facet(P, 'DatasourceDatasetFacet', { name: pg, uri: `${pg}/orders` }),
      ownership: facet(P, 'OwnershipDatasetFacet', { owners: [{ name: 'team:orders-service', type: 'OWNER' }] }, '1-0-0'),
      datasetType: facet(P, 'DatasetTypeDatasetFacet', { datasetType: 'TABLE' }, '1-0-1'),
    },
  };
  const rawFile = { namespace: s3, name: 'orders/2024-05-01/orders.parquet', facets: { schema: schema(P, [['order_id', 'INT64'], ['customer_id', 'INT64'], ['amount', 'DOUBLE'], ['created_at', 'TIMESTAMP']]), storage: facet(P, 'StorageDatasetFacet', { storageLayer: 'default', fileFormat: 'parquet' }, '1-0-0') } };
  const extractSql = facet(P, 'SQLJobFacet', { query: 'SELECT order_id, customer_id, amount, created_at FROM public.orders WHERE created_at >= %(ds)s' });
  const clean = {
    namespace: wh,
    name: 'ANALYTICS.PUBLIC.ORDERS_CLEAN',
    facets: {
      schema: schema(P, [['ORDER_ID', 'NUMBER', 'order key'], ['CUSTOMER_ID', 'NUMBER'], ['AMOUNT_EUR', 'NUMBER(12,2)'], ['ORDER_DATE', 'DATE']]),
      documentation: facet(P, 'DocumentationDatasetFacet', { description: 'Orders, deduplicated, amounts in EUR' }),
      lifecycleStateChange: facet(P, 'LifecycleStateChangeDatasetFacet', { lifecycleStateChange: 'OVERWRITE' }),
      symlinks: facet(P, 'SymlinksDatasetFacet', { identifiers: [{ namespace: 'snowflake://acme', name: 'ANALYTICS.PUBLIC.ORDERS_CLEAN', type: 'TABLE' }] }, '1-0-1'),
      tags: facet(P, 'TagsDatasetFacet', { tags: [{ key: 'pii', value: 'false', source: 'CATALOG' }] }, '1-0-0'),
      columnLineage: facet(P, 'ColumnLineageDatasetFacet', {
        fields: {
          ORDER_ID: { inputFields: [{ namespace: s3, name: rawFile.name, field: 'order_id', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }] }] },
          CUSTOMER_ID: { inputFields: [{ namespace: s3, name: rawFile.name, field: 'customer_id' }] },
          AMOUNT_EUR: { inputFields: [{ namespace: s3, name: rawFile.name, field: 'amount', transformations: [{ type: 'DIRECT', subtype: 'TRANSFORMATION', description: 'amount * fx_rate' }] }, { namespace: wh, name: 'REF.PUBLIC.FX_RATES', field: 'RATE' }] },
          ORDER_DATE: { inputFields: [{ namespace: s3, name: rawFile.name, field: 'created_at' }], transformationDescription: 'CAST AS DATE', transformationType: 'IDENTITY' },
        },
        dataset: [{ namespace: s3, name: rawFile.name, field: 'customer_id', transformations: [{ type: 'INDIRECT', subtype: 'FILTER' }] }],
      }, '1-2-0'),
    },
  };
  const loc = facet(P, 'SourceCodeLocationJobFacet', { type: 'git', url: 'https://github.com/acme/dags/blob/4f1c2e9/dags/orders_daily.py', repoUrl: 'https://github.com/acme/dags.git', path: 'dags/orders_daily.py', version: '4f1c2e9', branch: 'main' });
  const transformJob = taskJob('transform', { sourceCode: facet(P, 'SourceCodeJobFacet', { language: 'python', sourceCode: 'def transform(ds):\n    ...' }), sourceCodeLocation: loc });
  const m = 60_000;
  return {
    runs: { dag, extract, transform, report },
    events: [
      event(P, 'START', start, { runId: dag, facets: dagRunFacets() }, dagJob),
      event(P, 'START', start + 1 * m, task('extract', extract), taskJob('extract', { sql: extractSql }), [ordersTable]),
      event(P, 'COMPLETE', start + 4 * m, task('extract', extract), taskJob('extract', { sql: extractSql }), [{ ...ordersTable, inputFacets: { inputStatistics: facet(P, 'InputStatisticsInputDatasetFacet', { rowCount: 48_211, size: 9_815_040 }, '1-0-0') } }], [{ ...rawFile, outputFacets: { outputStatistics: facet(P, 'OutputStatisticsOutputDatasetFacet', { rowCount: 48_211, size: 2_204_811, fileCount: 1 }, '1-0-2') } }]),
      event(P, 'START', start + 5 * m, task('transform', transform), transformJob, [rawFile], [clean]),
      event(P, 'RUNNING', start + 7 * m, task('transform', transform, { externalQuery: facet(P, 'ExternalQueryRunFacet', { externalQueryId: '01b4-0000-2cd1-0003', source: 'snowflake' }, '1-0-0') }), transformJob, [rawFile], [clean]),
      event(P, 'COMPLETE', start + 9 * m, task('transform', transform), transformJob, [{ ...rawFile, inputFacets: { dataQualityMetrics: facet(P, 'DataQualityMetricsInputDatasetFacet', { rowCount: 48_211, columnMetrics: { amount: { nullCount: 0, distinctCount: 9_120, min: 0.5, max: 12_400, sum: 2_411_002.5, count: 48_211, quantiles: { '0.5': 38.2, '0.99': 910 } }, customer_id: { nullCount: 3 } } }, '1-0-2') } }], [{ ...clean, outputFacets: { outputStatistics: facet(P, 'OutputStatisticsOutputDatasetFacet', { rowCount: 48_208 }, '1-0-2') } }]),
      event(P, 'START', start + 10 * m, task('report', report), taskJob('report'), [clean]),
      event(P, 'FAIL', start + 11 * m, task('report', report, {
        errorMessage: facet(P, 'ErrorMessageRunFacet', { message: 'SnowflakeException: warehouse REPORTING is suspended', programmingLanguage: 'PYTHON', stackTrace: 'Traceback (most recent call last):\n  File "report.py", line 12, in run\nSnowflakeException' }, '1-0-0'),
        extractionError: facet(P, 'ExtractionErrorRunFacet', { totalTasks: 2, failedTasks: 1, errors: [{ errorMessage: 'cannot parse MERGE statement', task: 'MERGE INTO REPORTING.DAILY ...', taskNumber: 1 }] }, '1-1-2'),
      }), taskJob('report'), [clean]),
      event(P, 'FAIL', start + 12 * m, { runId: dag, facets: dagRunFacets() }, dagJob),
    ],
  };
}

/** A Spark application with one SQL execution (child run, RUNNING heartbeats) over Delta tables. */
export function sparkStream(seed = 'spark', start = Date.UTC(2024, 4, 1, 3, 0, 0)): Stream {
  const P = 'https://github.com/OpenLineage/OpenLineage/tree/1.16.0/integration/spark';
  const ns = 'spark://cluster-7';
  const app = seededUuid(`${seed}/app`);
  const sqlRun = seededUuid(`${seed}/sql-1`);
  const engine = facet(P, 'ProcessingEngineRunFacet', { version: '3.5.1', name: 'spark', openlineageAdapterVersion: '1.16.0' }, '1-1-1');
  const appJob = { namespace: ns, name: 'customer_features', facets: { jobType: facet(P, 'JobTypeJobFacet', { processingType: 'BATCH', integration: 'SPARK', jobType: 'APPLICATION' }, '2-0-3') } };
  const sqlJob = { namespace: ns, name: 'customer_features.execute_insert_into_hadoop_fs_relation_command.lake_features', facets: { jobType: facet(P, 'JobTypeJobFacet', { processingType: 'BATCH', integration: 'SPARK', jobType: 'SQL_JOB' }, '2-0-3') } };
  const lake = 'abfss://lake@acmedata.dfs.core.windows.net';
  const delta = (name: string, version: string, fields: Array<[string, string]>, extra: Json = {}) => ({
    namespace: lake,
    name,
    facets: { schema: schema(P, fields), version: facet(P, 'DatasetVersionDatasetFacet', { datasetVersion: version }, '1-0-0'), storage: facet(P, 'StorageDatasetFacet', { storageLayer: 'delta', fileFormat: 'parquet' }, '1-0-0'), dataSource: facet(P, 'DatasourceDatasetFacet', { name: lake, uri: lake }), ...extra },
  });
  const customers = delta('/silver/customers', '41', [['customer_id', 'long'], ['country', 'string'], ['signup_date', 'date']]);
  const orders = delta('/silver/orders', '118', [['order_id', 'long'], ['customer_id', 'long'], ['amount_eur', 'decimal(12,2)']]);
  const features = delta('/gold/customer_features', '7', [['customer_id', 'long'], ['country', 'string'], ['lifetime_value', 'decimal(14,2)'], ['orders_90d', 'int']], {
    lifecycleStateChange: facet(P, 'LifecycleStateChangeDatasetFacet', { lifecycleStateChange: 'RENAME', previousIdentifier: { namespace: lake, name: '/gold/customer_features_v1' } }),
    columnLineage: facet(P, 'ColumnLineageDatasetFacet', {
      fields: {
        customer_id: { inputFields: [{ namespace: lake, name: '/silver/customers', field: 'customer_id', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY', masking: false }] }] },
        country: { inputFields: [{ namespace: lake, name: '/silver/customers', field: 'country' }] },
        lifetime_value: { inputFields: [{ namespace: lake, name: '/silver/orders', field: 'amount_eur', transformations: [{ type: 'DIRECT', subtype: 'AGGREGATION', description: 'sum' }] }] },
        orders_90d: { inputFields: [{ namespace: lake, name: '/silver/orders', field: 'order_id', transformations: [{ type: 'DIRECT', subtype: 'AGGREGATION', description: 'count' }] }] },
      },
      dataset: [{ namespace: lake, name: '/silver/orders', field: 'customer_id', transformations: [{ type: 'INDIRECT', subtype: 'JOIN' }] }],
    }, '1-2-0'),
  });
  const sqlRunOf = (extra: Json = {}) => ({ runId: sqlRun, facets: { parent: parent(P, app, ns, 'customer_features', { runId: app, namespace: ns, name: 'customer_features' }), processing_engine: engine, spark_properties: { _producer: P, _schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet', properties: { 'spark.master': 'yarn', 'spark.app.name': 'customer_features' } }, ...extra } });
  const s = 1000;
  return {
    runs: { app, sql: sqlRun },
    events: [
      event(P, 'START', start, { runId: app, facets: { processing_engine: engine } }, appJob),
      event(P, 'START', start + 2 * s, sqlRunOf(), sqlJob, [customers, orders], [features]),
      event(P, 'RUNNING', start + 30 * s, sqlRunOf(), sqlJob, [customers, orders], [features]),
      event(P, 'RUNNING', start + 60 * s, sqlRunOf(), sqlJob, [customers, orders], [features]),
      event(P, 'RUNNING', start + 90 * s, sqlRunOf(), sqlJob, [customers, orders], [features]),
      event(P, 'COMPLETE', start + 95 * s, sqlRunOf(), sqlJob, [customers, { ...orders, inputFacets: { inputStatistics: facet(P, 'InputStatisticsInputDatasetFacet', { rowCount: 1_204_332, size: 88_204_113, fileCount: 24 }, '1-0-0') } }], [{ ...features, outputFacets: { outputStatistics: facet(P, 'OutputStatisticsOutputDatasetFacet', { rowCount: 310_220, size: 12_440_001, fileCount: 4 }, '1-0-2') } }]),
      event(P, 'COMPLETE', start + 97 * s, { runId: app, facets: { processing_engine: engine } }, appJob),
    ],
  };
}

/** A dbt run (parent) of two models and a test run whose assertions fail on one column. */
export function dbtStream(seed = 'dbt', start = Date.UTC(2024, 4, 1, 4, 0, 0)): Stream {
  const P = 'https://github.com/OpenLineage/OpenLineage/tree/1.16.0/integration/dbt';
  const ns = 'dbt://acme-analytics';
  const pg = 'postgres://warehouse.internal:5432';
  const invocation = seededUuid(`${seed}/invocation`);
  const [stg, fct, test] = ['stg', 'fct', 'test'].map((t) => seededUuid(`${seed}/${t}`)) as [string, string, string];
  const engine = facet(P, 'ProcessingEngineRunFacet', { version: '1.8.2', name: 'dbt', openlineageAdapterVersion: '1.16.0' }, '1-1-1');
  const model = (name: string, sql: string) => ({ namespace: ns, name: `analytics.${name}`, facets: { sql: facet(P, 'SQLJobFacet', { query: sql, dialect: 'postgres' }, '1-1-0'), jobType: facet(P, 'JobTypeJobFacet', { processingType: 'BATCH', integration: 'DBT', jobType: 'MODEL' }, '2-0-3'), documentation: facet(P, 'DocumentationJobFacet', { description: `dbt model ${name}` }) } });
  const table = (name: string, fields: Array<[string, string]>, extra: Json = {}) => ({ namespace: pg, name: `analytics.${name}`, facets: { schema: schema(P, fields), dataSource: facet(P, 'DatasourceDatasetFacet', { name: pg, uri: `${pg}/analytics` }), ...extra } });
  const raw = { namespace: pg, name: 'raw.shop.customers', facets: { schema: schema(P, [['id', 'integer'], ['email', 'text'], ['country_code', 'text']]), ownership: facet(P, 'OwnershipDatasetFacet', { owners: [{ name: 'application:shop-backend' }] }, '1-0-0') } };
  const stgTable = table('public.stg_customers', [['customer_id', 'integer'], ['email_hash', 'text'], ['country', 'text']], {
    columnLineage: facet(P, 'ColumnLineageDatasetFacet', { fields: { customer_id: { inputFields: [{ namespace: pg, name: 'raw.shop.customers', field: 'id' }] }, email_hash: { inputFields: [{ namespace: pg, name: 'raw.shop.customers', field: 'email', transformations: [{ type: 'DIRECT', subtype: 'TRANSFORMATION', masking: true }] }] }, country: { inputFields: [{ namespace: pg, name: 'raw.shop.customers', field: 'country_code' }] } } }, '1-2-0'),
  });
  const fctTable = table('public.fct_customer_orders', [['customer_id', 'integer'], ['orders', 'bigint']], {
    dataQualityAssertions: facet(P, 'DataQualityAssertionsDatasetFacet', { assertions: [{ assertion: 'not_null', success: true, column: 'customer_id' }, { assertion: 'unique', success: true, column: 'customer_id' }] }),
    dataQualityMetrics: facet(P, 'DataQualityMetricsDatasetFacet', { rowCount: 88_120, columnMetrics: { orders: { nullCount: 0, min: 1, max: 310 } } }, '1-0-0'),
  });
  const parentOf = () => parent(P, invocation, ns, 'dbt-run-acme-analytics');
  const s = 1000;
  return {
    runs: { invocation, stg, fct, test },
    events: [
      event(P, 'START', start, { runId: invocation, facets: { processing_engine: engine } }, { namespace: ns, name: 'dbt-run-acme-analytics' }),
      event(P, 'START', start + 1 * s, { runId: stg, facets: { parent: parentOf(), processing_engine: engine } }, model('stg_customers', 'select id as customer_id, md5(email) as email_hash, country_code as country from raw.shop.customers'), [raw], [stgTable]),
      event(P, 'COMPLETE', start + 4 * s, { runId: stg, facets: { parent: parentOf(), processing_engine: engine } }, model('stg_customers', 'select id as customer_id, md5(email) as email_hash, country_code as country from raw.shop.customers'), [raw], [{ ...stgTable, outputFacets: { outputStatistics: facet(P, 'OutputStatisticsOutputDatasetFacet', { rowCount: 88_120 }, '1-0-2') } }]),
      event(P, 'START', start + 5 * s, { runId: fct, facets: { parent: parentOf() } }, model('fct_customer_orders', 'select customer_id, count(*) as orders from analytics.public.stg_customers join ...'), [stgTable], [fctTable]),
      event(P, 'COMPLETE', start + 9 * s, { runId: fct, facets: { parent: parentOf() } }, model('fct_customer_orders', 'select customer_id, count(*) as orders from analytics.public.stg_customers join ...'), [stgTable], [fctTable]),
      // dbt test: the results travel as input facets of the tested dataset; sent as OTHER after the run.
      event(P, 'START', start + 10 * s, { runId: test, facets: { parent: parentOf() } }, { namespace: ns, name: 'analytics.test.stg_customers' }, [stgTable]),
      event(P, 'COMPLETE', start + 11 * s, { runId: test, facets: { parent: parentOf() } }, { namespace: ns, name: 'analytics.test.stg_customers' }, [{ ...stgTable, inputFacets: { dataQualityAssertions: facet(P, 'DataQualityAssertionsDatasetFacet', { assertions: [{ assertion: 'not_null', success: true, column: 'customer_id' }, { assertion: 'accepted_values', success: false, column: 'country' }] }) } }]),
      event(P, 'OTHER', start + 12 * s, { runId: test, facets: { tags: facet(P, 'TagsRunFacet', { tags: [{ key: 'dbt_test_severity', value: 'warn' }] }, '1-0-0') } }, { namespace: ns, name: 'analytics.test.stg_customers' }),
      event(P, 'COMPLETE', start + 13 * s, { runId: invocation, facets: { processing_engine: engine } }, { namespace: ns, name: 'dbt-run-acme-analytics' }),
    ],
  };
}
