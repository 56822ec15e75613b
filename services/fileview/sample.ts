/**
 * A deterministic fileview history for tests and the query catalogue test: view `acc` defined
 * (v1), redefined (v2), and evaluated on two versions of `reports/eval.json` (one per view
 * version), recorded with the same facts `provstream fileview add` and `provstream run` write.
 */
import { entityId } from '../model/ids.js';
import { canonicalJson } from '../model/canonical.js';
import type { Payload, ProvEvent } from '../model/types.js';
import { seededUuid, fakeHash } from '../demo/sample.js';
import { RunFacts } from '../capture/facts.js';
import type { PayloadSink } from '../capture/facts.js';
import { contentHash, viewArtifact } from './core/definition.js';
import type { FileviewDefinition } from './core/definition.js';
import { recordViewResult } from './evaluate.js';

export interface FileviewSample {
  events: ProvEvent[];
  versions: Array<{ version: number; id: string; content: FileviewDefinition }>;
}

export function fileviewSample(project: string, t0 = Date.UTC(2026, 0, 1)): FileviewSample {
  const events: ProvEvent[] = [];
  const sink: PayloadSink = {
    record(payload: Payload, _key?: string, time?: number) {
      events.push({ eventId: seededUuid(`${project}/fv/${events.length}`), project, time: time ?? t0, producer: 'fileview-sample', schemaVersion: 1, payload });
    },
  };
  const contents: FileviewDefinition[] = [
    { name: 'acc', pattern: 'reports/*.json', transform: { kind: 'jsonpath', columns: { accuracy: '$.accuracy' } }, properties: 'auto', propertyPrefix: '' },
    { name: 'acc', pattern: 'reports/**.json', transform: { kind: 'jsonpath', columns: { accuracy: '$.accuracy' } }, properties: 'auto', propertyPrefix: '' },
  ];
  const versions: FileviewSample['versions'] = [];
  contents.forEach((content, i) => {
    const time = t0 + i * 1000;
    const hash = contentHash(content);
    const id = entityId(viewArtifact('acc'), hash);
    const prev = versions[i - 1];
    const facts = new RunFacts(sink, { activityId: `act:${seededUuid(`${project}/fv-act/${i}`)}`, name: 'fileview', command: 'provstream fileview add acc', params: { action: 'add', view: 'acc' }, env: {}, workdir: '/p', startTime: time, agent: { name: 'alice', email: null } });
    facts.start([]);
    const previous = prev ? { id: prev.id, version: prev.version, hash: contentHash(prev.content), size: -1, mtimeMs: -1 } : null;
    facts.output({ artifact: viewArtifact('acc'), id, version: i + 1, hash, size: 1, mtimeMs: time, previous, isNew: true }, time + 1, 'fileview');
    facts.property(id, 'fileview.definition', { kind: 'json', value: canonicalJson(content) }, time + 1);
    facts.end('COMPLETED', 0, time + 1);
    versions.push({ version: i + 1, id, content });
    const target = { artifact: 'reports/eval.json', path: '/p/reports/eval.json', entityId: entityId('reports/eval.json', fakeHash(`eval${i}`)) };
    recordViewResult(facts, { view: { name: 'acc', version: i + 1, id, hash, content, definedAt: time, definedBy: 'alice' }, target, rows: [{ accuracy: i === 0 ? '0.93' : '0.95' }], error: null }, time + 2);
  });
  return { events, versions };
}
