/**
 * OpenLineage event -> provenance facts (pure; table-driven tests in map.test.ts).
 *
 *   run                 activity `act:<runId>` (its state comes from ./run-state.ts, not from here)
 *   job                 entity `job:<ns>/<name>` (entityType "job"), used by the run (role "job");
 *                       the activity's name is the job's name and its command `<ns>/<name>`
 *   dataset             entity version (./datasets.ts), entityType "dataset"
 *   inputs / outputs    used (role "input") / wasGeneratedBy (role "output"), and every output
 *                       wasDerivedFrom every input
 *   parent run facet    wasInformedBy the parent run's activity (role "parent")
 *   columnLineage       wasDerivedFrom edges between the dataset versions, each with the edge
 *                       property `ol:columnLineage`: the column pairs [{output, input, transformations}]
 *   ownership           owners become agents; the job / dataset wasAttributedTo them (role = owner type)
 *   producer            an agent (service); the run wasAssociatedWith it (role "producer")
 *   facets              JSON properties: `ol:runFacet.<f>` on the activity, `ol:jobFacet.<f>` on the
 *                       job, `ol:datasetFacet.<f>` on datasets, `ol:inputFacet.<f>` / `ol:outputFacet.<f>`
 *                       on the used / wasGeneratedBy edge; unknown facets alike (kept, never dropped)
 *   statistics, quality metrics   also metric points on the dataset version (for monitoring rules)
 *   unknown fields      JSON properties `ol:event.<k>`, `ol:run.<k>`, `ol:job.<k>`, `ol:dataset.<k>`
 *
 * Every fact carries the event's eventTime. The mapping is a function of the event alone, so any
 * arrival order of the same events gives the same set of facts; only the run's state needs
 * memory across events (RunObservation, folded by ./run-state.ts).
 */
import { activityId, edgeId } from '../../model/ids.js';
import { FactList } from '../facts.js';
import type { Fact } from '../facts.js';
import { isObject } from '../shape.js';
import type { EventType } from './schema.js';
import { datasetArtifact, datasetContentHash, jobArtifact, jobContentHash, ownerAgentType } from './datasets.js';
import type { Facets, OlDataset, OlEvent, OlJob } from './validate.js';

/** What one event says about its run's state (null event type: the spec's optional field was absent). */
export interface RunObservation {
  eventType: EventType | null;
  time: number;
  name: string;
  command: string;
  params: Record<string, string>;
}

export interface MappedEvent {
  /** The ordering key inside the project (Kafka key `<project>|<key>`): the run, or the entity. */
  key: string;
  /** Set for run events: the activity and what the event says about its state. */
  run: { activityId: string; observation: RunObservation } | null;
  facts: Fact[];
}

const KNOWN = {
  event: ['eventTime', 'producer', 'schemaURL', 'eventType', 'run', 'job', 'inputs', 'outputs', 'dataset'],
  run: ['runId', 'facets'],
  job: ['namespace', 'name', 'facets'],
  dataset: ['namespace', 'name', 'facets', 'inputFacets', 'outputFacets'],
};

/** Unknown fields are kept as JSON properties (`<prefix>.<field>`). */
function extras(out: FactList, subject: string, obj: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const [k, v] of Object.entries(obj)) if (!known.includes(k) && v !== undefined && /^[^\s]{1,200}$/.test(k)) out.json(subject, `${prefix}.${k}`, v);
}

function facetProps(out: FactList, subject: string, facets: Facets | undefined, prefix: string): void {
  for (const [name, facet] of Object.entries(facets ?? {})) out.json(subject, `${prefix}.${name}`, facet);
}

const metricKey = (s: string) => s.replace(/\s+/g, '_').slice(0, 200);

/** Quality metrics and statistics as metric points on the dataset version. */
function datasetMetrics(out: FactList, entity: string, facets: Facets | undefined): void {
  if (!facets) return;
  const dq = facets['dataQualityMetrics'];
  if (dq) {
    for (const k of ['rowCount', 'bytes', 'fileCount']) if (typeof dq[k] === 'number') out.metric(entity, `dq.${k}`, dq[k]);
    const cols = isObject(dq['columnMetrics']) ? dq['columnMetrics'] : {};
    for (const [col, m] of Object.entries(cols)) {
      if (!isObject(m)) continue;
      for (const [k, v] of Object.entries(m)) {
        if (typeof v === 'number') out.metric(entity, metricKey(`dq.${col}.${k}`), v);
        else if (k === 'quantiles' && isObject(v)) for (const [q, qv] of Object.entries(v)) if (typeof qv === 'number') out.metric(entity, metricKey(`dq.${col}.quantile.${q}`), qv);
      }
    }
  }
  for (const name of ['inputStatistics', 'outputStatistics']) {
    const st = facets[name];
    if (st) for (const k of ['rowCount', 'size', 'fileCount']) if (typeof st[k] === 'number') out.metric(entity, `ol.${name}.${k}`, st[k]);
  }
}

function owners(out: FactList, subject: string, facets: Facets | undefined): void {
  const list = facets?.['ownership']?.['owners'];
  if (!Array.isArray(list)) return;
  for (const o of list) {
    if (!isObject(o) || typeof o['name'] !== 'string' || o['name'] === '') continue;
    const agent = out.agent(o['name'], ownerAgentType(o['name']));
    out.relation('wasAttributedTo', subject, agent, typeof o['type'] === 'string' ? o['type'] : 'owner');
  }
}

/** A dataset version with its facets, extras, owners and metrics; returns its entity id. */
function dataset(out: FactList, d: OlDataset, sizeBytes: number | null = null): string {
  const id = out.entity(datasetArtifact(d.namespace, d.name), datasetContentHash(d.namespace, d.name, d.facets), 'dataset', sizeBytes);
  out.string(id, 'ol:namespace', d.namespace);
  out.string(id, 'ol:name', d.name);
  facetProps(out, id, d.facets, 'ol:datasetFacet');
  extras(out, id, d, KNOWN.dataset, 'ol:dataset');
  owners(out, id, d.facets);
  datasetMetrics(out, id, d.facets);
  return id;
}

/** A dataset known only by name (a column-lineage source or a rename's previous identifier). */
function bareDataset(out: FactList, namespace: string, name: string): string {
  const id = out.entity(datasetArtifact(namespace, name), datasetContentHash(namespace, name, undefined), 'dataset');
  out.string(id, 'ol:namespace', namespace);
  out.string(id, 'ol:name', name);
  return id;
}

function job(out: FactList, j: OlJob): string {
  const id = out.entity(jobArtifact(j.namespace, j.name), jobContentHash(j.namespace, j.name, j.facets), 'job');
  out.string(id, 'ol:namespace', j.namespace);
  out.string(id, 'ol:name', j.name);
  facetProps(out, id, j.facets, 'ol:jobFacet');
  extras(out, id, j, KNOWN.job, 'ol:job');
  owners(out, id, j.facets);
  return id;
}

interface ColumnPair {
  output: string | null;
  input: string;
  transformations?: unknown;
}

/** Column lineage of one output, grouped by source dataset: `<ns>\0<name>` -> sorted pairs. */
function columnPairs(facet: Record<string, unknown> | undefined): Map<string, ColumnPair[]> {
  const bySource = new Map<string, ColumnPair[]>();
  if (!facet) return bySource;
  const add = (output: string | null, f: unknown) => {
    if (!isObject(f)) return;
    const key = `${String(f['namespace'])}\0${String(f['name'])}`;
    const pair: ColumnPair = { output, input: String(f['field']) };
    if (f['transformations'] !== undefined) pair.transformations = f['transformations'];
    bySource.set(key, [...(bySource.get(key) ?? []), pair]);
  };
  const fields = isObject(facet['fields']) ? facet['fields'] : {};
  for (const [output, spec] of Object.entries(fields)) if (isObject(spec) && Array.isArray(spec['inputFields'])) for (const f of spec['inputFields']) add(output, f);
  if (Array.isArray(facet['dataset'])) for (const f of facet['dataset']) add(null, f);
  const order = (p: ColumnPair) => `${p.output ?? ''}\0${p.input}`;
  for (const pairs of bySource.values()) pairs.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return bySource;
}

function mapRunEvent(e: Extract<OlEvent, { kind: 'run' }>['event'], time: number): MappedEvent {
  const out = new FactList(time);
  const runId = e.run.runId.toLowerCase();
  const act = activityId(runId);
  const jobId = job(out, e.job);
  out.relation('used', act, jobId, 'job');
  facetProps(out, act, e.run.facets, 'ol:runFacet');
  extras(out, act, e.run, KNOWN.run, 'ol:run');
  extras(out, act, e, KNOWN.event, 'ol:event');
  const producer = out.agent(e.producer, 'service');
  out.relation('wasAssociatedWith', act, producer, 'producer');

  const parentRun = e.run.facets?.['parent']?.['run'];
  if (isObject(parentRun) && typeof parentRun['runId'] === 'string') out.relation('wasInformedBy', act, activityId(parentRun['runId'].toLowerCase()), 'parent');

  const inputs = new Map<string, string>();
  for (const d of e.inputs ?? []) {
    const id = dataset(out, d);
    inputs.set(`${d.namespace}\0${d.name}`, id);
    out.relation('used', act, id, 'input');
    facetProps(out, edgeId('used', act, id), d.inputFacets, 'ol:inputFacet');
    datasetMetrics(out, id, d.inputFacets);
  }
  for (const d of e.outputs ?? []) {
    const size = d.outputFacets?.['outputStatistics']?.['size'];
    const id = dataset(out, d, typeof size === 'number' ? size : null);
    out.relation('wasGeneratedBy', id, act, 'output');
    facetProps(out, edgeId('wasGeneratedBy', id, act), d.outputFacets, 'ol:outputFacet');
    datasetMetrics(out, id, d.outputFacets);
    const lineage = columnPairs(d.facets?.['columnLineage']);
    for (const [key, src] of inputs) if (src !== id && !lineage.has(key)) out.relation('wasDerivedFrom', id, src);
    for (const [key, pairs] of lineage) {
      const [ns, name] = key.split('\0') as [string, string];
      const src = inputs.get(key) ?? bareDataset(out, ns, name);
      if (src === id) continue;
      out.relation('wasDerivedFrom', id, src);
      out.json(edgeId('wasDerivedFrom', id, src), 'ol:columnLineage', pairs);
    }
    const life = d.facets?.['lifecycleStateChange'];
    const prev = life?.['previousIdentifier'];
    if (life?.['lifecycleStateChange'] === 'RENAME' && isObject(prev)) {
      const old = bareDataset(out, String(prev['namespace']), String(prev['name']));
      out.relation('wasDerivedFrom', id, old, 'rename');
    }
  }
  return {
    key: act,
    run: {
      activityId: act,
      observation: {
        eventType: e.eventType ?? null,
        time,
        name: e.job.name.slice(0, 256),
        command: `${e.job.namespace}/${e.job.name}`,
        params: { 'ol.job.namespace': e.job.namespace, 'ol.job.name': e.job.name, 'ol.run.id': runId },
      },
    },
    facts: out.facts,
  };
}

export function mapOpenLineage(v: OlEvent, time: number): MappedEvent {
  if (v.kind === 'run') return mapRunEvent(v.event, time);
  const out = new FactList(time);
  if (v.kind === 'dataset') {
    const id = dataset(out, v.event.dataset);
    extras(out, id, v.event, KNOWN.event, 'ol:event');
    return { key: id, run: null, facts: out.facts };
  }
  const id = job(out, v.event.job);
  extras(out, id, v.event, KNOWN.event, 'ol:event');
  for (const d of [...(v.event.inputs ?? []), ...(v.event.outputs ?? [])]) dataset(out, d);
  return { key: id, run: null, facts: out.facts };
}
