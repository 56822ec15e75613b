/**
 * The simulated project behind generate.ts: its cast (agents, artifacts, pipelines, experiments),
 * the steps that move it forward, and the counters. Each step appends its events to a small
 * outbox that generate.ts drains, so memory never holds more than one step's events.
 *
 * Invariants the steps keep (generate.ts states them as the contract): a vertex's own event is
 * appended before any edge, property or metric mentions it; no (type, from, to) edge is appended
 * twice; a re-run whose inputs did not change reproduces the same output version (same content
 * hash, so the same entity id) and adds only the new run and its edges. Pure, no I/O.
 */
import { activityId, agentId, entityId } from '../model/ids.js';
import { EDGE_TYPES, type ActivityStatus, type EdgeType, type Payload, type PayloadType, type ProvEvent, type VertexKind } from '../model/types.js';
import { Zipf, type SeededRandom } from './random.js';
import { artifact, trainRun, type Artifact, type Experiment, type Recorder, type RunPlan } from './generate-runs.js';

export interface GenerateStats {
  vertices: number;
  verticesByKind: Record<VertexKind, number>;
  /** Distinct edges (no edge is stated twice). */
  edges: number;
  edgesByType: Record<EdgeType, number>;
  events: number;
  eventsByType: Record<PayloadType, number>;
  runsByName: Record<string, number>;
  runsByStatus: Record<'COMPLETED' | 'FAILED' | 'ABORTED', number>;
  /** Runs that repeated an earlier run's inputs (featurize with unchanged inputs, train re-runs). */
  reruns: number;
  experiments: number;
  branchedExperiments: number;
  abandonedExperiments: number;
  /** `used` edges into versions of each dataset and feature artifact: the skew (hot datasets). */
  usesByDataset: Record<string, number>;
}

export interface WorldOptions {
  project: string;
  target: number;
  /** Decides the project's shape (what happens, content hashes). */
  rng: SeededRandom;
  /** Event and activity UUIDs only. */
  ids: SeededRandom;
  startTime: number;
  spanMs: number;
  producer: string;
}

interface Pipeline {
  script: Artifact;
  inputs: Artifact[];
  output: Artifact;
  lastInputs: string;
}

/** A run's events carry the run's Kafka key; other steps key by their subject. */
type Key = string;

const FAMILIES = ['logreg', 'xgboost', 'resnet50', 'bert-base', 'lstm', 'tabnet'] as const;
const DOMAINS = ['clicks', 'orders', 'users', 'sessions', 'payments', 'inventory', 'reviews', 'sensors', 'support', 'ads'];
const VERTICES_PER_STEP = 2.6; // measured average, to spread the project over spanMs

const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(x)));

export class World implements Recorder {
  readonly stats: GenerateStats = {
    vertices: 0,
    verticesByKind: { entity: 0, activity: 0, agent: 0 },
    edges: 0,
    edgesByType: Object.fromEntries(EDGE_TYPES.map((t) => [t, 0])) as Record<EdgeType, number>,
    events: 0,
    eventsByType: { entity: 0, activity: 0, agent: 0, relation: 0, property: 0, metric: 0 },
    runsByName: {},
    runsByStatus: { COMPLETED: 0, FAILED: 0, ABORTED: 0 },
    reruns: 0,
    experiments: 0,
    branchedExperiments: 0,
    abandonedExperiments: 0,
    usesByDataset: {},
  };
  readonly rng: SeededRandom;
  private outbox: Array<{ event: ProvEvent; key: string }> = [];
  private clock: number;
  private readonly stepMs: number;
  private teams: string[] = [];
  private people: Array<{ id: string; team: string }> = [];
  private scheduler = '';
  private datasets: Artifact[] = [];
  private holdouts: Artifact[] = [];
  private pipelines: Pipeline[] = [];
  private trainScripts = new Map<string, Artifact>();
  private evalScript!: Artifact;
  private notebooks: Artifact[] = [];
  private reports: Artifact[] = [];
  private readonly active: Experiment[] = [];
  /** Latest evaluation versions of recently evaluated experiments (report inputs). */
  private readonly evaluated: string[] = [];
  /** Models of recent experiments (branch points). */
  private readonly branchable: Experiment[] = [];
  private datasetZipf!: Zipf;
  private pipelineZipf!: Zipf;
  private holdoutZipf!: Zipf;
  private minActive = 3;
  private maxActive = 3;

  constructor(private readonly o: WorldOptions) {
    this.rng = o.rng;
    this.clock = o.startTime;
    this.stepMs = o.spanMs / Math.max(1, o.target / VERTICES_PER_STEP);
  }

  get now(): number {
    return this.clock;
  }

  /** Events appended since the last drain, in order; empties the outbox. */
  *drain(): Generator<{ event: ProvEvent; key: string }, void> {
    const batch = this.outbox;
    this.outbox = [];
    yield* batch;
  }

  // ------------------------------------------------------------------ recording

  emit(payload: Payload, key: Key, time = this.clock): void {
    this.outbox.push({
      event: { eventId: this.o.ids.uuid(), project: this.o.project, time, producer: this.o.producer, schemaVersion: 1, payload },
      key: `${this.o.project}|${key}`,
    });
    this.stats.events++;
    this.stats.eventsByType[payload.type]++;
  }

  edge(relation: EdgeType, from: string, to: string, key: Key, time = this.clock, role: string | null = null): void {
    this.emit({ type: 'relation', relation, from, to, role }, key, time);
    this.stats.edges++;
    this.stats.edgesByType[relation]++;
  }

  private vertex(kind: VertexKind): void {
    this.stats.vertices++;
    this.stats.verticesByKind[kind]++;
  }

  private agent(name: string, agentType: 'person' | 'team' | 'service', onBehalfOf: string | null): string {
    const id = agentId(name);
    this.emit({ type: 'agent', id, name, agentType, email: agentType === 'person' ? `${name}@example.org` : null }, id);
    this.vertex('agent');
    if (onBehalfOf) this.edge('actedOnBehalfOf', id, onBehalfOf, id);
    return id;
  }

  /** A new version of `a` (revision of the previous one), attributed to `agent` when given. */
  version(a: Artifact, key: Key, time: number, agent: string | null, sizeBytes: number | null = null): string {
    const hash = `sha256:${this.rng.hex(64)}`;
    const id = entityId(a.name, hash);
    a.version++;
    this.emit({ type: 'entity', id, artifact: a.name, version: a.version, contentHash: hash, entityType: a.entityType, sizeBytes }, key, time);
    this.vertex('entity');
    if (a.current) this.edge('wasRevisionOf', id, a.current, key, time);
    if (agent) this.edge('wasAttributedTo', id, agent, key, time);
    a.current = id;
    a.hash = hash;
    return id;
  }

  /** Re-states the current version of `a` (a re-run reproduced it): no new vertex. */
  restate(a: Artifact, key: Key, time: number): string {
    this.emit({ type: 'entity', id: a.current!, artifact: a.name, version: a.version, contentHash: a.hash!, entityType: a.entityType, sizeBytes: null }, key, time);
    return a.current!;
  }

  /** Starts a run: its RUNNING state and its agent. Returns the plan to finish it with endRun. */
  startRun(name: string, command: string, agent: string, params: Record<string, string>, minutes: number): RunPlan {
    const id = activityId(this.o.ids.uuid());
    const start = this.clock;
    const plan: RunPlan = { id, name, command, params, start, end: start + minutes * 60_000, workdir: `/srv/${this.o.project}` };
    this.emit(this.activity(plan, 'RUNNING'), id, start);
    this.vertex('activity');
    this.edge('wasAssociatedWith', id, agent, id, start);
    this.stats.runsByName[name] = (this.stats.runsByName[name] ?? 0) + 1;
    return plan;
  }

  endRun(plan: RunPlan, status: 'COMPLETED' | 'FAILED' | 'ABORTED'): void {
    this.emit(this.activity(plan, status), plan.id, plan.end);
    this.stats.runsByStatus[status]++;
  }

  used(run: RunPlan, entity: string, role: string, dataset?: Artifact): void {
    this.edge('used', run.id, entity, run.id, run.start, role);
    if (dataset) this.stats.usesByDataset[dataset.name] = (this.stats.usesByDataset[dataset.name] ?? 0) + 1;
  }

  private activity(p: RunPlan, status: ActivityStatus): Payload {
    const done = status !== 'RUNNING';
    return {
      type: 'activity', id: p.id, name: p.name, command: p.command, status, startTime: p.start, endTime: done ? p.end : null,
      exitCode: !done ? null : status === 'COMPLETED' ? 0 : status === 'FAILED' ? 1 : 137, workdir: p.workdir, params: p.params,
      env: { PYTHONHASHSEED: '0', PROVSTREAM_PROJECT: this.o.project },
    };
  }

  person(): { id: string; team: string } {
    return this.rng.pick(this.people);
  }

  // ------------------------------------------------------------------ the cast

  setUp(): void {
    const t = this.o.target;
    for (let i = 0; i < clamp(t / 100_000, 2, 12); i++) this.teams.push(this.agent(`team-${i + 1}`, 'team', null));
    for (let i = 0; i < clamp(t / 2_500, 4, 400); i++) {
      const team = this.teams[i % this.teams.length]!;
      this.people.push({ id: this.agent(`user-${i + 1}`, 'person', team), team });
    }
    this.scheduler = this.agent('scheduler', 'service', this.teams[0]!);
    const nDatasets = clamp(t / 10_000, 3, 100);
    for (let i = 0; i < nDatasets; i++) this.datasets.push(artifact(`data/raw/${DOMAINS[i % DOMAINS.length]}-${i + 1}.csv`, 'dataset'));
    for (let i = 0; i < clamp(nDatasets / 4, 1, 25); i++) this.holdouts.push(artifact(`data/holdout/${DOMAINS[i % DOMAINS.length]}-${i + 1}.parquet`, 'dataset'));
    for (const d of [...this.datasets, ...this.holdouts]) this.ingest(d);
    for (const f of FAMILIES) this.trainScripts.set(f, this.script(artifact(`train/${f}.py`, 'code')));
    this.evalScript = this.script(artifact('eval/evaluate.py', 'code'));
    for (const team of this.teams) {
      this.notebooks.push(this.script(artifact(`notebooks/${team.slice(4)}-weekly.ipynb`, 'notebook')));
      this.reports.push(artifact(`reports/${team.slice(4)}/weekly.html`, 'report'));
    }
    this.datasetZipf = new Zipf(this.datasets.length, 1.2);
    this.holdoutZipf = new Zipf(this.holdouts.length, 1.2);
    for (let i = 0; i < clamp(t / 5_000, 2, 200); i++) {
      const first = this.datasets[this.datasetZipf.draw(this.rng)]!;
      const second = this.datasets[this.datasetZipf.draw(this.rng)]!;
      const inputs = second === first || this.rng.chance(0.5) ? [first] : [first, second];
      const p: Pipeline = { script: this.script(artifact(`pipelines/p${i + 1}/featurize.py`, 'code')), inputs, output: artifact(`features/p${i + 1}.parquet`, 'features'), lastInputs: '' };
      this.pipelines.push(p);
      this.featurize(p);
    }
    this.pipelineZipf = new Zipf(this.pipelines.length, 1.1);
    this.minActive = clamp(t / 20_000, 3, 60);
    this.maxActive = this.minActive * 2;
  }

  private script(a: Artifact): Artifact {
    const key = a.name;
    this.version(a, key, this.clock, this.person().id, 1_000 + this.rng.int(20_000));
    return a;
  }

  // ------------------------------------------------------------------ steps

  /** One step of project life: a run, a revision or a new experiment. */
  step(): void {
    this.clock += Math.round(this.stepMs * (0.2 + 1.6 * this.rng.next()));
    if (this.active.length < this.minActive) return this.newExperiment();
    const r = this.rng.next();
    if (r < 0.03) return this.ingest(this.rng.chance(0.8) ? this.rng.pick(this.datasets) : this.rng.pick(this.holdouts));
    if (r < 0.07) return this.reviseScript();
    if (r < 0.17) return this.featurize(this.pipelines[this.pipelineZipf.draw(this.rng)]!);
    if (r < 0.2 && this.active.length < this.maxActive) return this.newExperiment();
    if (r < 0.31 && this.evaluate(this.rng.pick(this.active))) return;
    if (r < 0.33 && this.report()) return;
    this.train(this.rng.pick(this.active));
  }

  private ingest(d: Artifact): void {
    const run = this.startRun('ingest', `provstream-ingest --source s3://lake/${d.name}`, this.scheduler, { source: `s3://lake/${d.name}` }, 2 + this.rng.int(20));
    const out = this.version(d, run.id, run.end, this.rng.pick(this.teams), 1e6 + this.rng.int(1e9));
    this.edge('wasGeneratedBy', out, run.id, run.id, run.end);
    this.emit({ type: 'property', subject: out, key: 'rows', value: { kind: 'number', value: 10_000 + this.rng.int(5_000_000) } }, run.id, run.end);
    if (d.version === 1 && this.rng.chance(0.3)) this.emit({ type: 'property', subject: out, key: 'pii', value: { kind: 'bool', value: true } }, run.id, run.end);
    this.endRun(run, 'COMPLETED');
  }

  private reviseScript(): void {
    const scripts = [...this.trainScripts.values(), this.evalScript, ...this.notebooks];
    const a = this.rng.chance(0.5) && this.pipelines.length > 0 ? this.rng.pick(this.pipelines).script : this.rng.pick(scripts);
    this.version(a, a.name, this.clock, this.person().id, 1_000 + this.rng.int(20_000));
  }

  private featurize(p: Pipeline): void {
    const agent = this.rng.chance(0.7) ? this.scheduler : this.person().id;
    const run = this.startRun('featurize', `python ${p.script.name}`, agent, { pipeline: p.output.name }, 5 + this.rng.int(60));
    const inputs = p.inputs.map((d) => d.current!);
    const key = [...inputs, p.script.current].join(',');
    inputs.forEach((id, i) => this.used(run, id, 'input', p.inputs[i]));
    this.used(run, p.script.current!, 'code');
    if (key === p.lastInputs) {
      // Unchanged inputs: a re-run reproduces the same features version.
      this.stats.reruns++;
      this.edge('wasGeneratedBy', this.restate(p.output, run.id, run.end), run.id, run.id, run.end);
    } else {
      const out = this.version(p.output, run.id, run.end, agent, 1e5 + this.rng.int(1e8));
      this.edge('wasGeneratedBy', out, run.id, run.id, run.end);
      for (const id of inputs) this.edge('wasDerivedFrom', out, id, run.id, run.end);
      p.lastInputs = key;
    }
    this.endRun(run, 'COMPLETED');
  }

  private newExperiment(): void {
    const n = ++this.stats.experiments;
    const owner = this.person();
    const parent = this.branchable.length > 0 && this.rng.chance(0.3) ? this.rng.pick(this.branchable) : null;
    const family = parent?.family ?? this.rng.pick(FAMILIES);
    const pipeline = parent?.pipeline ?? this.pipelineZipf.draw(this.rng);
    const exp: Experiment = {
      name: `exp-${n}`, family, pipeline, owner: owner.id, parent, parentModel: parent?.model.current ?? null,
      config: artifact(`configs/exp-${n}.yaml`, 'config'), model: artifact(`models/exp-${n}/${family}.bin`, 'model'),
      evaluation: artifact(`reports/eval/exp-${n}.json`, 'evaluation'),
      runsLeft: 2 + Math.floor(-Math.log(1 - this.rng.next()) * 8), abandoned: this.rng.chance(parent ? 0.5 : 0.3), lastRun: null, modelRun: null,
      params: { lr: '0.01', batch_size: '64', epochs: '5', seed: '0' },
    };
    if (parent) this.stats.branchedExperiments++;
    if (exp.abandoned) this.stats.abandonedExperiments++;
    this.version(exp.config, exp.config.name, this.clock, owner.id, 200 + this.rng.int(2_000));
    this.active.push(exp);
  }

  private train(exp: Experiment): void {
    const pipeline = this.pipelines[exp.pipeline]!;
    trainRun(this, exp, { features: pipeline.output, script: this.trainScripts.get(exp.family)! });
    if (exp.model.current && !exp.abandoned && !this.branchable.includes(exp)) {
      this.branchable.push(exp);
      if (this.branchable.length > 50) this.branchable.shift();
    }
    if (--exp.runsLeft > 0) return;
    // The experiment ends: an abandoned branch just stops; the others get a final evaluation.
    this.active.splice(this.active.indexOf(exp), 1);
    if (!exp.abandoned) this.evaluate(exp);
  }

  /** Evaluates the experiment's latest model; false when there is nothing to evaluate. */
  private evaluate(exp: Experiment): boolean {
    if (exp.abandoned || !exp.model.current || !exp.modelRun) return false;
    const holdout = this.holdouts[this.holdoutZipf.draw(this.rng)]!;
    const run = this.startRun('evaluate', `python eval/evaluate.py --model ${exp.model.name} --data ${holdout.name}`, exp.owner, { model: exp.model.name }, 2 + this.rng.int(15));
    this.used(run, exp.model.current, 'model');
    this.used(run, holdout.current!, 'holdout', holdout);
    this.used(run, this.evalScript.current!, 'code');
    this.edge('wasInformedBy', run.id, exp.modelRun, run.id, run.start);
    const auc = Math.round((0.6 + 0.39 * this.rng.next()) * 1e4) / 1e4;
    this.emit({ type: 'metric', subject: run.id, key: 'auc', step: 0, value: auc, time: run.end }, run.id, run.end);
    const out = this.version(exp.evaluation, run.id, run.end, exp.owner, 500 + this.rng.int(5_000));
    this.edge('wasGeneratedBy', out, run.id, run.id, run.end);
    this.edge('wasDerivedFrom', out, exp.model.current, run.id, run.end);
    this.emit({ type: 'property', subject: out, key: 'auc', value: { kind: 'number', value: auc } }, run.id, run.end);
    this.endRun(run, 'COMPLETED');
    this.evaluated.push(out);
    if (this.evaluated.length > 40) this.evaluated.shift();
    return true;
  }

  /** A team's weekly report over 2–5 recent evaluations; false when fewer than 2 exist. */
  private report(): boolean {
    if (this.evaluated.length < 2) return false;
    const i = this.rng.int(this.teams.length);
    const author = this.people.find((p) => p.team === this.teams[i]) ?? this.person();
    const notebook = this.notebooks[i]!;
    const run = this.startRun('report', `jupyter nbconvert --execute ${notebook.name}`, author.id, {}, 1 + this.rng.int(10));
    this.used(run, notebook.current!, 'notebook');
    const inputs = new Set<string>();
    const want = Math.min(this.evaluated.length, 2 + this.rng.int(4));
    while (inputs.size < want) inputs.add(this.rng.pick(this.evaluated));
    for (const id of inputs) this.used(run, id, 'input');
    const out = this.version(this.reports[i]!, run.id, run.end, this.teams[i]!, 50_000 + this.rng.int(500_000));
    this.edge('wasGeneratedBy', out, run.id, run.id, run.end);
    for (const id of inputs) this.edge('wasDerivedFrom', out, id, run.id, run.end);
    this.endRun(run, 'COMPLETED');
    return true;
  }
}
