/**
 * The provenance model of SPEC §1, as TypeScript types shared by every service.
 *
 * These are the JSON forms of the Avro records in schemas/avro (see services/model/codec.ts);
 * pure data, no behaviour. Times are epoch milliseconds.
 */

export const VERTEX_KINDS = ['entity', 'activity', 'agent'] as const;
export type VertexKind = (typeof VERTEX_KINDS)[number];

/** Edge types with the vertex kinds they connect, in PROV direction (derived -> source). */
export const EDGE_ENDPOINTS = {
  used: ['activity', 'entity'],
  wasGeneratedBy: ['entity', 'activity'],
  wasDerivedFrom: ['entity', 'entity'],
  wasRevisionOf: ['entity', 'entity'],
  wasInformedBy: ['activity', 'activity'],
  wasAssociatedWith: ['activity', 'agent'],
  wasAttributedTo: ['entity', 'agent'],
  actedOnBehalfOf: ['agent', 'agent'],
} as const satisfies Record<string, readonly [VertexKind, VertexKind]>;
export type EdgeType = keyof typeof EDGE_ENDPOINTS;
export const EDGE_TYPES = Object.keys(EDGE_ENDPOINTS) as EdgeType[];

/** Edges that carry derivation (SPEC §5): followed by lineage and segmentation. */
export const LINEAGE_EDGE_TYPES: readonly EdgeType[] = [
  'wasGeneratedBy',
  'used',
  'wasDerivedFrom',
  'wasRevisionOf',
  'wasInformedBy',
];

export const ACTIVITY_STATUSES = ['RUNNING', 'COMPLETED', 'FAILED', 'ABORTED', 'UNKNOWN'] as const;
export type ActivityStatus = (typeof ACTIVITY_STATUSES)[number];

export const AGENT_TYPES = ['person', 'service', 'team', 'unknown'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

/** One version of an artifact. `id` = entityId(artifact, contentHash). */
export interface EntityVersion {
  type: 'entity';
  id: string;
  artifact: string;
  /** Per-artifact version number, 1-based; null when the producer does not know it. */
  version: number | null;
  /** Content hash, `sha256:<hex>` (or another `<algo>:<hex>`). */
  contentHash: string;
  /** file | dataset | model | notebook-output | config | ... (free text, default "file"). */
  entityType: string;
  sizeBytes: number | null;
}

/** One execution. Later events about the same activity id carry its full current state. */
export interface Activity {
  type: 'activity';
  id: string;
  /** Logical job name, e.g. "train" (the command's program for wrapped commands). */
  name: string;
  command: string;
  status: ActivityStatus;
  startTime: number | null;
  endTime: number | null;
  exitCode: number | null;
  workdir: string | null;
  params: Record<string, string>;
  env: Record<string, string>;
}

export interface Agent {
  type: 'agent';
  id: string;
  name: string;
  agentType: AgentType;
  email: string | null;
}

export interface Relation {
  type: 'relation';
  relation: EdgeType;
  /** The derived / later side (PROV direction). */
  from: string;
  /** The source / earlier side. */
  to: string;
  /** Optional role, e.g. "input", "config". */
  role: string | null;
}

export type PropertyValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'json'; value: string };

export interface Property {
  type: 'property';
  /** A vertex id, or an edge id from edgeId(). */
  subject: string;
  key: string;
  value: PropertyValue;
}

export interface MetricPoint {
  type: 'metric';
  /** An activity or entity id. */
  subject: string;
  key: string;
  step: number;
  value: number;
  time: number;
}

export type Payload = EntityVersion | Activity | Agent | Relation | Property | MetricPoint;
export type PayloadType = Payload['type'];

/** The envelope every event travels in. */
export interface ProvEvent {
  /** Client-generated UUID; replays and duplicates carry the same id. */
  eventId: string;
  project: string;
  /** When the fact became true (epoch ms): the basis of "as of T" queries. */
  time: number;
  /** Who produced the event, e.g. "provstream-sdk/0.1 host=ws12". */
  producer: string;
  /** Version of the Avro schema the event was written with. */
  schemaVersion: number;
  payload: Payload;
}
