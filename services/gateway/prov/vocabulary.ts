/**
 * The PROV-JSON vocabulary (W3C Member Submission, https://www.w3.org/Submission/prov-json/) and
 * how it meets our model. Pure data.
 */
import type { EdgeType, VertexKind } from '../../model/types.js';

/** The prefixes of our own names; every export declares them. */
export const OUR_PREFIXES = {
  provstream: 'https://provstream.dev/ns#',
  ent: 'https://provstream.dev/id/entity/',
  act: 'https://provstream.dev/id/activity/',
  agt: 'https://provstream.dev/id/agent/',
  ol: 'https://provstream.dev/ns/openlineage#',
  'prov-json': 'https://provstream.dev/ns/prov-json#',
  /** Property keys without a prefix (SDK properties such as `stage`) live in this default namespace. */
  default: 'https://provstream.dev/ns/property#',
} as const;

/** Prefixes PROV-JSON predefines. */
export const PREDEFINED_PREFIXES: Record<string, string> = {
  prov: 'http://www.w3.org/ns/prov#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

export const ELEMENT_KINDS = ['entity', 'activity', 'agent'] as const satisfies readonly VertexKind[];

/** A relation attribute that names an element, and the kind of element it names ('any': any kind). */
export type RefKind = VertexKind | 'any';

/**
 * Every PROV-JSON relation: its element-valued attributes in order (the first two are the
 * relation's two ends), and the edge type of our model it becomes, if any.
 */
export const RELATIONS: Record<string, { refs: Array<[string, RefKind]>; edge: EdgeType | null }> = {
  wasGeneratedBy: { refs: [['prov:entity', 'entity'], ['prov:activity', 'activity']], edge: 'wasGeneratedBy' },
  used: { refs: [['prov:activity', 'activity'], ['prov:entity', 'entity']], edge: 'used' },
  wasInformedBy: { refs: [['prov:informed', 'activity'], ['prov:informant', 'activity']], edge: 'wasInformedBy' },
  wasDerivedFrom: { refs: [['prov:generatedEntity', 'entity'], ['prov:usedEntity', 'entity'], ['prov:activity', 'activity']], edge: 'wasDerivedFrom' },
  wasAttributedTo: { refs: [['prov:entity', 'entity'], ['prov:agent', 'agent']], edge: 'wasAttributedTo' },
  wasAssociatedWith: { refs: [['prov:activity', 'activity'], ['prov:agent', 'agent'], ['prov:plan', 'entity']], edge: 'wasAssociatedWith' },
  actedOnBehalfOf: { refs: [['prov:delegate', 'agent'], ['prov:responsible', 'agent'], ['prov:activity', 'activity']], edge: 'actedOnBehalfOf' },
  wasStartedBy: { refs: [['prov:activity', 'activity'], ['prov:trigger', 'entity'], ['prov:starter', 'activity']], edge: null },
  wasEndedBy: { refs: [['prov:activity', 'activity'], ['prov:trigger', 'entity'], ['prov:ender', 'activity']], edge: null },
  wasInvalidatedBy: { refs: [['prov:entity', 'entity'], ['prov:activity', 'activity']], edge: null },
  wasInfluencedBy: { refs: [['prov:influencee', 'any'], ['prov:influencer', 'any']], edge: null },
  specializationOf: { refs: [['prov:specificEntity', 'entity'], ['prov:generalEntity', 'entity']], edge: null },
  alternateOf: { refs: [['prov:alternate1', 'entity'], ['prov:alternate2', 'entity']], edge: null },
  hadMember: { refs: [['prov:collection', 'entity'], ['prov:entity', 'entity']], edge: null },
  mentionOf: { refs: [['prov:specificEntity', 'entity'], ['prov:generalEntity', 'entity'], ['prov:bundle', 'entity']], edge: null },
};
/** The submission's JSON schema spells this section "wasEndedby"; both spellings are read. */
export const RELATION_ALIASES: Record<string, string> = { wasEndedby: 'wasEndedBy' };

/** PROV relation name of each edge type of the model (wasRevisionOf: a derivation of type prov:Revision). */
export const EDGE_RELATION: Record<EdgeType, string> = {
  used: 'used',
  wasGeneratedBy: 'wasGeneratedBy',
  wasDerivedFrom: 'wasDerivedFrom',
  wasRevisionOf: 'wasDerivedFrom',
  wasInformedBy: 'wasInformedBy',
  wasAssociatedWith: 'wasAssociatedWith',
  wasAttributedTo: 'wasAttributedTo',
  actedOnBehalfOf: 'actedOnBehalfOf',
};

/** Property keys the import writes and the export reads back (never exported as attributes). */
export const KEY = {
  /** The element's or relation's id in the document it came from, when ours differs. */
  sourceId: 'prov-json:id',
  /** `prov-json:rel/<relation>/<id>`: a relation without an edge type in the model, kept whole on its first element. */
  keptRelation: 'prov-json:rel/',
  /** In a kept relation's JSON: the bundles it was stated in. */
  keptBundles: 'prov-json:bundles',
  /** `prov-json:bundle/<bundle id>` = true: the element or relation was stated in that bundle. */
  bundle: 'prov-json:bundle/',
  /** `xmlns:<prefix>` = IRI: a prefix the subject's keys or values use. */
  xmlns: 'xmlns:',
} as const;

export const REVISION = 'prov:Revision';
export const JSON_LITERAL_TYPE = 'provstream:json';
export const QNAME_TYPE = 'prov:QUALIFIED_NAME';
