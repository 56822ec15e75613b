/**
 * One alert as text (pure), for `provstream alerts [--follow]` and `provstream rules test`:
 * time, severity, rule, project, subject, message, then the triggering events and the vertices
 * involved (shortened, at most a few of each: `--json` has them all, in full) and the command
 * that opens the provenance of the subject.
 */
import type { Alert } from '../monitor/core/index.js';
import { kindOfId } from '../model/ids.js';
import { shortId } from './graph-render.js';

/** How many ids of each list the compact form shows. */
const SHOWN = 3;

function idList(ids: readonly string[], full: boolean): string {
  if (ids.length === 0) return '-';
  if (full) return ids.join(' ');
  const shown = ids.slice(0, SHOWN).map(shortId).join(' ');
  return ids.length > SHOWN ? `${shown} (+${ids.length - SHOWN} more)` : shown;
}

/** The vertex whose provenance explains the alert: its subject if that is a vertex, else the first vertex involved. */
export function provenanceVertex(a: Alert): string | undefined {
  if (kindOfId(a.subject) !== null) return a.subject;
  return a.vertexIds.find((id) => kindOfId(id) !== null);
}

/**
 * `full`: every id in full (the dry run of `rules test`, whose output is read in one go);
 * otherwise a compact form and a `provstream why` hint.
 */
export function renderAlert(a: Alert, full = false): string {
  const lines = [
    `${new Date(a.time).toISOString()}  ${a.severity.padEnd(8)} ${a.ruleId}  ${a.project}  ${a.subject}`,
    `    ${a.message}`,
    ...(full ? [`    events: ${idList(a.eventIds, true)}`, `    vertices: ${idList(a.vertexIds, true)}`] : [`    events: ${idList(a.eventIds, false)}   vertices: ${idList(a.vertexIds, false)}`]),
  ];
  const vertex = provenanceVertex(a);
  if (!full && vertex !== undefined) lines.push(`    provenance: provstream why ${vertex}`);
  return lines.join('\n');
}
