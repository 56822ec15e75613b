/**
 * Workload generator (issue 4 item 6): a simulated collaborative data-science project of a chosen
 * size, as a stream of valid provenance events, for tests, benchmarks and the demo.
 *
 * The project: teams and people (actedOnBehalfOf their team) plus a scheduler service; raw
 * datasets and hold-out sets that get new versions (wasRevisionOf chains) from scheduled ingest
 * runs; scripts revised by people; feature pipelines turning 1–2 datasets into feature versions
 * (re-running with unchanged inputs reproduces the same version); experiments (some branched off
 * another experiment's model) whose training runs use features, script and config, log per-epoch
 * metrics, write checkpoints and a model version, sometimes FAIL or are ABORTED, and are sometimes
 * re-run; evaluations of the latest models; team reports built from evaluations. About a third of
 * the experiments are abandoned branches: they stop without ever being evaluated or reported.
 * Skew: pipelines pick datasets and experiments pick pipelines by Zipf, so a few datasets and
 * features are used by most runs. The mix gives about 3 edges per vertex.
 *
 * Contract: deterministic for (seed, project, vertices, startTime): the same options give the
 * same events, ids included. Every event passes validateEvent; every edge, property and metric
 * refers to a vertex whose own event came earlier; no edge (type, from, to) is stated twice.
 * Streaming: events are produced step by step (a step is one run, one revision, …), so memory is
 * O(artifacts + experiments), not O(events). The vertex count stops within a few vertices of
 * the target (the last step completes). Pure: no I/O, no clock.
 */
import type { ProvEvent } from '../model/types.js';
import { SeededRandom } from './random.js';
import { World, type GenerateStats } from './generate-world.js';

export type { GenerateStats } from './generate-world.js';

export interface GenerateOptions {
  /** Project every event belongs to. */
  project: string;
  /** Target number of vertices (≥ MIN_VERTICES); the result is within a few vertices above it. */
  vertices: number;
  /** Seed text (default "1"). */
  seed?: string;
  /** Time of the first event, epoch ms (default 2026-01-05T09:00:00Z). */
  startTime?: number;
  /** Days the project's history spans, whatever its size (default 300). */
  spanDays?: number;
  /** The events' `producer` field. */
  producer?: string;
}

/** One event with the Kafka key the SDK would give it (all events of a run share the run's key). */
export interface GeneratedEvent {
  event: ProvEvent;
  key: string;
}

export interface GeneratedProject {
  /** The event stream; iterate it once. */
  events: IterableIterator<GeneratedEvent>;
  /** Live counters; final once `events` is exhausted. */
  stats: GenerateStats;
}

export const MIN_VERTICES = 200;
export const DEFAULT_START_TIME = Date.UTC(2026, 0, 5, 9, 0, 0);

/**
 * The project's events, lazily. Throws RangeError for a target below MIN_VERTICES (the fixed
 * cast of agents, datasets and scripts alone needs about 100 vertices) or above 10^8.
 */
export function generateProject(opts: GenerateOptions): GeneratedProject {
  const target = opts.vertices;
  if (!Number.isInteger(target) || target < MIN_VERTICES || target > 1e8) {
    throw new RangeError(`vertices must be an integer from ${MIN_VERTICES} to 10^8, got ${target}`);
  }
  const seed = opts.seed ?? '1';
  const world = new World({
    project: opts.project,
    target,
    rng: new SeededRandom(`structure/${seed}`),
    ids: new SeededRandom(`ids/${seed}/${opts.project}`),
    startTime: opts.startTime ?? DEFAULT_START_TIME,
    spanMs: (opts.spanDays ?? 300) * 86_400_000,
    producer: opts.producer ?? 'provstream-generate/0.1',
  });
  function* run(): Generator<GeneratedEvent, void> {
    world.setUp();
    yield* world.drain();
    while (world.stats.vertices < target) {
      world.step();
      yield* world.drain();
    }
  }
  return { events: run(), stats: world.stats };
}
