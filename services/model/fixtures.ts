/**
 * Golden fixture cases: one event per payload kind (and the optional fields both set and
 * unset). `write-fixtures.ts` writes them once per schema version; codec.test.ts checks them.
 */
import { entityId, edgeId } from './ids.js';
import type { ProvEvent } from './types.js';

const base = { project: 'fixtures', time: 1764000000000, producer: 'provstream-fixtures', schemaVersion: 1 };
const ent = entityId('data/raw.csv', 'sha256:' + 'ab'.repeat(32));
const act = 'act:6f1c2f4e-7d9a-4b1e-9a51-1c2d3e4f5a6b';

export const FIXTURE_CASES: Record<string, ProvEvent> = {
  entity: { ...base, eventId: '00000000-0000-4000-8000-000000000001', payload: { type: 'entity', id: ent, artifact: 'data/raw.csv', version: 3, contentHash: 'sha256:' + 'ab'.repeat(32), entityType: 'dataset', sizeBytes: 123456 } },
  'entity-minimal': { ...base, eventId: '00000000-0000-4000-8000-000000000002', payload: { type: 'entity', id: entityId('x', 'sha1:' + '0'.repeat(40)), artifact: 'x', version: null, contentHash: 'sha1:' + '0'.repeat(40), entityType: 'file', sizeBytes: null } },
  activity: { ...base, eventId: '00000000-0000-4000-8000-000000000003', payload: { type: 'activity', id: act, name: 'train', command: 'python train.py --lr 0.1', status: 'COMPLETED', startTime: 1764000000000, endTime: 1764000060000, exitCode: 0, workdir: '/w', params: { lr: '0.1' }, env: { CUDA_VISIBLE_DEVICES: '0' } } },
  agent: { ...base, eventId: '00000000-0000-4000-8000-000000000004', payload: { type: 'agent', id: 'agt:alice', name: 'alice', agentType: 'person', email: 'alice@example.org' } },
  relation: { ...base, eventId: '00000000-0000-4000-8000-000000000005', payload: { type: 'relation', relation: 'used', from: act, to: ent, role: 'input' } },
  'property-string': { ...base, eventId: '00000000-0000-4000-8000-000000000006', payload: { type: 'property', subject: ent, key: 'owner', value: { kind: 'string', value: 'data-team' } } },
  'property-number': { ...base, eventId: '00000000-0000-4000-8000-000000000007', payload: { type: 'property', subject: ent, key: 'rows', value: { kind: 'number', value: 10000.5 } } },
  'property-bool': { ...base, eventId: '00000000-0000-4000-8000-000000000008', payload: { type: 'property', subject: ent, key: 'pii', value: { kind: 'bool', value: true } } },
  'property-json-edge': { ...base, eventId: '00000000-0000-4000-8000-000000000009', payload: { type: 'property', subject: edgeId('used', act, ent), key: 'columns', value: { kind: 'json', value: '["a","b"]' } } },
  metric: { ...base, eventId: '00000000-0000-4000-8000-00000000000a', payload: { type: 'metric', subject: act, key: 'loss', step: 7, value: 0.125, time: 1764000007000 } },
};
