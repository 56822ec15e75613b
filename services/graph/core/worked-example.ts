/**
 * The SPEC §5.1 worked example as a graph builder (tests and docs use it; normative numbers are
 * asserted in example.test.ts). Ids are readable (`ent:d1`, `act:a1`, `agt:alice`); they keep the
 * kind prefixes of model/ids.ts so placeholders would infer the right kind.
 */
import type { EdgeType } from '../../model/types.js';
import { ProvGraph, type ProvGraphOptions } from './graph.js';

interface ActivityRow {
  id: string;
  command: string;
  agent: string;
  used: readonly string[];
  generated: readonly string[];
}

/** Entity id → [artifact, version]. */
export const EXAMPLE_ENTITIES: Readonly<Record<string, readonly [string, number]>> = {
  d1: ['data/raw.csv', 1],
  d2: ['data/raw.csv', 2],
  c1: ['scripts/clean.py', 1],
  t1: ['scripts/train.py', 1],
  f1: ['data/features.parquet', 1],
  f2: ['data/features.parquet', 2],
  m1: ['models/model.bin', 1],
  m2: ['models/model.bin', 2],
  m3: ['models/model.bin', 3],
  p1: ['reports/plot.png', 1],
};

export const EXAMPLE_ACTIVITIES: readonly ActivityRow[] = [
  { id: 'a1', command: 'clean', agent: 'alice', used: ['d1', 'c1'], generated: ['f1'] },
  { id: 'a2', command: 'train', agent: 'alice', used: ['f1', 't1'], generated: ['m1'] },
  { id: 'a3', command: 'clean', agent: 'bob', used: ['d2', 'c1'], generated: ['f2'] },
  { id: 'a4', command: 'train', agent: 'bob', used: ['f2', 't1'], generated: ['m2'] },
  { id: 'a5', command: 'train', agent: 'bob', used: ['f1', 't1'], generated: ['m3'] },
  { id: 'a6', command: 'plot', agent: 'alice', used: ['m1'], generated: ['p1'] },
];

/** [newer, older] pairs of wasRevisionOf. */
export const EXAMPLE_REVISIONS: ReadonlyArray<readonly [string, string]> = [
  ['d2', 'd1'],
  ['f2', 'f1'],
  ['m2', 'm1'],
  ['m3', 'm2'],
];

export const ent = (name: string): string => `ent:${name}`;
export const act = (name: string): string => `act:${name}`;
export const agt = (name: string): string => `agt:${name}`;

/** One edge of the example, PROV direction, with the time it was recorded. */
export interface ExampleEdge {
  type: EdgeType;
  from: string;
  to: string;
  time: number;
}

/** Vertices in event order: [id, kind, time, props]. Activity i runs at time 10·(i+1). */
export function exampleEvents(): { vertices: Array<[string, 'entity' | 'activity' | 'agent', number, Record<string, string | number>]>; edges: ExampleEdge[] } {
  const vertices: Array<[string, 'entity' | 'activity' | 'agent', number, Record<string, string | number>]> = [
    [agt('alice'), 'agent', 0, { name: 'alice' }],
    [agt('bob'), 'agent', 0, { name: 'bob' }],
  ];
  const edges: ExampleEdge[] = [];
  const entityTime = new Map<string, number>([['d1', 1], ['c1', 1], ['t1', 1], ['d2', 25]]);
  EXAMPLE_ACTIVITIES.forEach((a, i) => {
    const time = 10 * (i + 1);
    for (const g of a.generated) entityTime.set(g, time);
  });
  for (const [name, [artifact, version]] of Object.entries(EXAMPLE_ENTITIES)) {
    vertices.push([ent(name), 'entity', entityTime.get(name) ?? 0, { artifact, version }]);
  }
  EXAMPLE_ACTIVITIES.forEach((a, i) => {
    const time = 10 * (i + 1);
    vertices.push([act(a.id), 'activity', time, { command: a.command, durationMs: 100 * (i + 1) }]);
    for (const u of a.used) edges.push({ type: 'used', from: act(a.id), to: ent(u), time });
    for (const g of a.generated) edges.push({ type: 'wasGeneratedBy', from: ent(g), to: act(a.id), time });
    edges.push({ type: 'wasAssociatedWith', from: act(a.id), to: agt(a.agent), time });
  });
  for (const [newer, older] of EXAMPLE_REVISIONS) {
    edges.push({ type: 'wasRevisionOf', from: ent(newer), to: ent(older), time: entityTime.get(newer) ?? 0 });
  }
  return { vertices, edges };
}

/** The §5.1 graph. With `edgesFirst`, edges arrive before vertex events (placeholders path). */
export function buildWorkedExample(options: ProvGraphOptions & { edgesFirst?: boolean } = {}): ProvGraph {
  const graph = new ProvGraph(options);
  const { vertices, edges } = exampleEvents();
  const addVertices = (): void => {
    for (const [id, kind, time, props] of vertices) graph.addVertex(id, kind, time, props);
  };
  if (!options.edgesFirst) addVertices();
  for (const e of edges) graph.addEdge(e.type, e.from, e.to, e.time);
  if (options.edgesFirst) addVertices();
  return graph;
}
