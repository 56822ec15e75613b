/**
 * Evaluating fileviews on a newly captured entity version, and recording the result.
 *
 * Called by whoever has the file's content at hand when a new version is captured:
 * `provstream run` does it for every new input and output version. Other capture paths (the SDK,
 * the HTTP gateway, imports) see only hashes, not contents; they evaluate by calling
 * `evaluateViews` where the file is readable (documented in services/fileview/README.md).
 *
 * Recording (all on the entity, as properties, through Kafka):
 *   `fileview.rows:<view>` chunks → the fileview_rows table (core/rows.ts);
 *   the columns of the selected row → plain properties (`accuracy` = 0.93), for monitoring rules;
 *   `fileview.error:<view>` with the message when the view could not be evaluated.
 */
import { readFile, stat } from 'node:fs/promises';
import { matchGlob } from '../monitor/core/glob.js';
import type { PropertyValue } from '../model/types.js';
import type { FileviewDefinition, Row } from './core/definition.js';
import { applyTransform, rowProperties } from './core/transform.js';
import { encodeRowChunks, rowsKey } from './core/rows.js';
import { runCommandView } from './command.js';
import type { RegisteredView } from './registry.js';

export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface CapturedVersion {
  artifact: string;
  /** Absolute path of the file as captured. */
  path: string;
  entityId: string;
}

export interface ViewResult {
  view: RegisteredView & { content: FileviewDefinition };
  target: CapturedVersion;
  rows: Row[];
  error: string | null;
}

export interface PropertyWriter {
  property(subject: string, key: string, value: string | number | boolean | PropertyValue, time?: number): void;
}

export function viewsFor(views: ReadonlyArray<RegisteredView & { content: FileviewDefinition }>, artifact: string): Array<RegisteredView & { content: FileviewDefinition }> {
  return views.filter((v) => matchGlob(v.content.pattern, artifact));
}

async function evaluateOne(view: RegisteredView & { content: FileviewDefinition }, target: CapturedVersion, cwd: string, env: NodeJS.ProcessEnv): Promise<ViewResult> {
  try {
    const t = view.content.transform;
    if (t.kind === 'command') return { view, target, rows: await runCommandView(t, target.path, cwd, env), error: null };
    const size = (await stat(target.path)).size;
    if (size > MAX_FILE_BYTES) return { view, target, rows: [], error: `file of ${size} bytes is over the fileview limit of ${MAX_FILE_BYTES}` };
    return { view, target, rows: applyTransform(t, await readFile(target.path, 'utf8')), error: null };
  } catch (err) {
    return { view, target, rows: [], error: (err as Error).message };
  }
}

/** Every matching view on every target, one after the other (command views may be heavy). */
export async function evaluateViews(views: ReadonlyArray<RegisteredView & { content: FileviewDefinition }>, targets: readonly CapturedVersion[], cwd: string, env: NodeJS.ProcessEnv): Promise<ViewResult[]> {
  const results: ViewResult[] = [];
  for (const target of targets) for (const view of viewsFor(views, target.artifact)) results.push(await evaluateOne(view, target, cwd, env));
  return results;
}

export function recordViewResult(w: PropertyWriter, r: ViewResult, time: number): void {
  const subject = r.target.entityId;
  if (r.error !== null) {
    w.property(subject, `fileview.error:${r.view.name}`, r.error.slice(0, 4000), time);
    return;
  }
  const head = { view: r.view.name, viewVersion: r.view.version, viewId: r.view.id, artifact: r.target.artifact };
  for (const chunk of encodeRowChunks(head, r.rows)) w.property(subject, rowsKey(r.view.name), { kind: 'json', value: chunk }, time);
  for (const p of rowProperties(r.view.content, r.rows)) w.property(subject, p.key, p.value, time);
}
