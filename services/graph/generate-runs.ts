/**
 * Training runs of the simulated project (generate.ts) and the vocabulary the simulation shares:
 * artifacts with version chains, experiments, run plans, and the Recorder the steps write through.
 *
 * A training run uses the experiment's current features, training script and config (and, for
 * the first run of a branch, the parent experiment's model as `init`), logs loss and accuracy per
 * epoch, and when it completes writes 0–3 checkpoints and a model version derived from its
 * features. 10% FAIL (fewer epochs, no outputs), 3% are ABORTED. 12% are re-runs of the
 * experiment's previous run (same inputs and parameters, wasInformedBy it); half of the re-runs of
 * a completed run reproduce its model exactly (same version, no new vertex). Pure, no I/O.
 */
import type { EdgeType, Payload } from '../model/types.js';
import type { SeededRandom } from './random.js';

/** One logical file with a version chain; `current` is the id of its latest version. */
export interface Artifact {
  name: string;
  entityType: string;
  version: number;
  current: string | null;
  hash: string | null;
}

export function artifact(name: string, entityType: string): Artifact {
  return { name, entityType, version: 0, current: null, hash: null };
}

/** A started run: its identity and the times its later events carry. */
export interface RunPlan {
  id: string;
  name: string;
  command: string;
  params: Record<string, string>;
  start: number;
  end: number;
  workdir: string;
}

interface RunInput {
  id: string;
  role: string;
  dataset?: Artifact;
}

export interface Experiment {
  name: string;
  family: string;
  /** Index of the feature pipeline it trains on. */
  pipeline: number;
  owner: string;
  /** The experiment it branched from, and that experiment's model version at the branch point. */
  parent: Experiment | null;
  parentModel: string | null;
  config: Artifact;
  model: Artifact;
  evaluation: Artifact;
  runsLeft: number;
  /** Abandoned branches stop without an evaluation and never reach a report. */
  abandoned: boolean;
  lastRun: { id: string; params: TrainParams; inputs: RunInput[]; model: string | null } | null;
  /** The run that wrote the current model version. */
  modelRun: string | null;
  params: TrainParams;
}

export interface TrainParams {
  lr: string;
  batch_size: string;
  epochs: string;
  seed: string;
}

/** What the steps record through (World implements it). */
export interface Recorder {
  readonly rng: SeededRandom;
  readonly stats: { reruns: number };
  /** The simulation clock (epoch ms): when the current step happens. */
  readonly now: number;
  emit(payload: Payload, key: string, time?: number): void;
  edge(relation: EdgeType, from: string, to: string, key: string, time?: number, role?: string | null): void;
  /** A new version of `a`: entity, wasRevisionOf the previous, wasAttributedTo `agent`. */
  version(a: Artifact, key: string, time: number, agent: string | null, sizeBytes?: number | null): string;
  /** Re-states the current version of `a`; no new vertex. */
  restate(a: Artifact, key: string, time: number): string;
  startRun(name: string, command: string, agent: string, params: Record<string, string>, minutes: number): RunPlan;
  endRun(plan: RunPlan, status: 'COMPLETED' | 'FAILED' | 'ABORTED'): void;
  used(run: RunPlan, entity: string, role: string, dataset?: Artifact): void;
}

const LEARNING_RATES = ['0.1', '0.03', '0.01', '0.003', '0.001'];
const BATCH_SIZES = ['32', '64', '128', '256'];

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function trainRun(rec: Recorder, exp: Experiment, current: { features: Artifact; script: Artifact }): void {
  const rng = rec.rng;
  const previous = exp.lastRun;
  const rerun = previous !== null && rng.chance(0.12);
  let inputs: RunInput[];
  if (rerun) {
    inputs = previous.inputs;
    exp.params = previous.params;
  } else {
    if (previous === null || rng.chance(0.5)) {
      exp.params = { lr: rng.pick(LEARNING_RATES), batch_size: rng.pick(BATCH_SIZES), epochs: String(rng.between(3, 8)), seed: String(rng.int(1000)) };
      if (previous !== null) rec.version(exp.config, exp.config.name, rec.now, exp.owner, 200 + rng.int(2_000));
    }
    inputs = [
      { id: current.features.current!, role: 'features', dataset: current.features },
      { id: current.script.current!, role: 'code' },
      { id: exp.config.current!, role: 'config' },
    ];
    if (previous === null && exp.parentModel) inputs.push({ id: exp.parentModel, role: 'init' });
  }
  const params = { ...exp.params, experiment: exp.name };
  const epochs = Number(params.epochs);
  const minutes = 5 + rng.int(90);
  const run = rec.startRun('train', `python train/${exp.family}.py --config ${exp.config.name} --lr ${params.lr} --batch-size ${params.batch_size} --epochs ${epochs}`, exp.owner, params, minutes);
  for (const i of inputs) rec.used(run, i.id, i.role, i.dataset);
  if (rerun) {
    rec.stats.reruns++;
    rec.edge('wasInformedBy', run.id, previous.id, run.id, run.start);
  }

  const roll = rng.next();
  const status = roll < (rerun ? 0.05 : 0.1) ? 'FAILED' : roll < (rerun ? 0.08 : 0.13) ? 'ABORTED' : 'COMPLETED';
  const steps = status === 'COMPLETED' ? epochs : 1 + rng.int(Math.max(1, epochs - 1));
  const epochMs = (run.end - run.start) / (epochs + 1);
  const base = 0.5 + rng.next();
  for (let e = 0; e < steps; e++) {
    const time = Math.round(run.start + (e + 1) * epochMs);
    const loss = status === 'FAILED' && e === steps - 1 ? base * 40 : base * Math.exp(-0.35 * e) + 0.02 * rng.next();
    rec.emit({ type: 'metric', subject: run.id, key: 'loss', step: e, value: round4(loss), time }, run.id, time);
    rec.emit({ type: 'metric', subject: run.id, key: 'accuracy', step: e, value: round4(Math.min(0.999, 0.55 + 0.4 * (1 - Math.exp(-0.4 * (e + 1))) * (1.2 - base / 2))), time }, run.id, time);
  }

  let model: string | null = null;
  if (status === 'COMPLETED') {
    const ckpt = artifact(`checkpoints/${exp.name}/${run.id.slice(4, 12)}.ckpt`, 'checkpoint');
    for (let c = rng.int(4); c > 0; c--) rec.edge('wasGeneratedBy', rec.version(ckpt, run.id, run.end, null, 1e6 + rng.int(1e8)), run.id, run.id, run.end);
    if (rerun && previous.model !== null && previous.model === exp.model.current && rng.chance(0.5)) {
      model = rec.restate(exp.model, run.id, run.end);
      rec.edge('wasGeneratedBy', model, run.id, run.id, run.end);
    } else {
      model = rec.version(exp.model, run.id, run.end, exp.owner, 1e6 + rng.int(1e9));
      rec.edge('wasGeneratedBy', model, run.id, run.id, run.end);
      for (const i of inputs) if (i.role === 'features' || i.role === 'init') rec.edge('wasDerivedFrom', model, i.id, run.id, run.end);
      const accuracy = round4(0.6 + 0.39 * rng.next());
      rec.emit({ type: 'property', subject: model, key: 'accuracy', value: { kind: 'number', value: accuracy } }, run.id, run.end);
      if (rng.chance(0.05)) rec.emit({ type: 'property', subject: model, key: 'stage', value: { kind: 'string', value: 'staging' } }, run.id, run.end);
    }
    exp.modelRun = run.id;
  }
  rec.endRun(run, status);
  exp.lastRun = { id: run.id, params: exp.params, inputs, model };
}
