/**
 * A small collaborative sample project for `make demo` (pure, deterministic): three people,
 * a raw dataset in three versions, cleaning and training scripts, feature versions, training
 * runs with per-epoch metrics (one of them failing), a report, and a few properties. Event ids
 * and times derive from a seed, so replaying the demo twice stores nothing new.
 */
import { createHash } from 'node:crypto';
import { entityId, agentId, activityId } from '../model/ids.js';
import type { ActivityStatus, Payload, ProvEvent } from '../model/types.js';

export function seededUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function fakeHash(seed: string): string {
  return 'sha256:' + createHash('sha256').update(seed).digest('hex');
}

export interface Sample {
  events: ProvEvent[];
  /** Kafka key per event (all events of one run share the run's key). */
  keys: string[];
  finalModel: string;
}

export function sampleProject(project = 'demo', start = Date.UTC(2026, 10, 2, 9, 0, 0)): Sample {
  const events: ProvEvent[] = [];
  const keys: string[] = [];
  let clock = start;
  let n = 0;
  const emit = (payload: Payload, key: string, time = clock) => {
    events.push({ eventId: seededUuid(`${project}/${n++}`), project, time, producer: 'provstream-demo/0.1', schemaVersion: 1, payload });
    keys.push(`${project}|${key}`);
  };
  const people = ['alice', 'bob', 'carol'].map((name) => {
    const id = agentId(name);
    emit({ type: 'agent', id, name, agentType: 'person', email: `${name}@example.org` }, id);
    return id;
  });
  const team = agentId('ml-team');
  emit({ type: 'agent', id: team, name: 'ml-team', agentType: 'team', email: null }, team);
  for (const p of people) emit({ type: 'relation', relation: 'actedOnBehalfOf', from: p, to: team, role: null }, p);

  const versions = new Map<string, { id: string; n: number }>();
  const scripts = new Set<string>();
  const entity = (artifact: string, seed: string, key: string, entityType = 'file') => {
    const prev = versions.get(artifact);
    const id = entityId(artifact, fakeHash(`${artifact}#${seed}`));
    const version = (prev?.n ?? 0) + 1;
    emit({ type: 'entity', id, artifact, version, contentHash: fakeHash(`${artifact}#${seed}`), entityType, sizeBytes: 1000 * version + artifact.length }, key);
    if (prev) emit({ type: 'relation', relation: 'wasRevisionOf', from: id, to: prev.id, role: null }, key);
    versions.set(artifact, { id, n: version });
    return id;
  };

  const run = (name: string, command: string, agent: string, used: string[], outputs: Array<[string, string, string?]>, params: Record<string, string>, metrics: Array<[string, number[]]>, status: ActivityStatus = 'COMPLETED') => {
    const id = activityId(seededUuid(`${project}/run/${n}`));
    const startTime = (clock += 60_000);
    const base = { type: 'activity' as const, id, name, command, startTime, workdir: '/home/project', params, env: { PYTHONHASHSEED: '0' } };
    emit({ ...base, status: 'RUNNING', endTime: null, exitCode: null }, id, startTime);
    emit({ type: 'relation', relation: 'wasAssociatedWith', from: id, to: agent, role: null }, id);
    for (const u of used) emit({ type: 'relation', relation: 'used', from: id, to: u, role: null }, id);
    for (const [key, values] of metrics) values.forEach((v, step) => emit({ type: 'metric', subject: id, key, step, value: v, time: startTime + 1000 * (step + 1) }, id, startTime + 1000 * (step + 1)));
    const outs: string[] = [];
    if (status === 'COMPLETED') {
      for (const [artifact, seed, type] of outputs) {
        const out = entity(artifact, seed, id, type);
        emit({ type: 'relation', relation: 'wasGeneratedBy', from: out, to: id, role: null }, id);
        emit({ type: 'relation', relation: 'wasAttributedTo', from: out, to: agent, role: null }, id);
        for (const u of used) if (!scripts.has(u)) emit({ type: 'relation', relation: 'wasDerivedFrom', from: out, to: u, role: null }, id);
        outs.push(out);
      }
    }
    clock += 300_000;
    emit({ ...base, status, endTime: clock, exitCode: status === 'COMPLETED' ? 0 : 1 }, id, clock);
    return { id, outs };
  };

  const [alice, bob, carol] = people as [string, string, string];
  const raw1 = entity('data/raw.csv', 'v1', 'data/raw.csv', 'dataset');
  emit({ type: 'property', subject: raw1, key: 'rows', value: { kind: 'number', value: 10_000 } }, raw1);
  emit({ type: 'property', subject: raw1, key: 'pii', value: { kind: 'bool', value: true } }, raw1);
  const clean = entity('scripts/clean.py', 'c1', 'scripts/clean.py');
  const train = entity('scripts/train.py', 't1', 'scripts/train.py');
  scripts.add(clean).add(train);
  const loss = (a: number) => [0, 1, 2, 3, 4].map((e) => +(a / (e + 1)).toFixed(4));
  const acc = (a: number) => [0, 1, 2, 3, 4].map((e) => +(a - 0.1 / (e + 1)).toFixed(4));

  const c1 = run('clean', 'python scripts/clean.py data/raw.csv', alice, [raw1, clean], [['data/features.parquet', 'f1', 'dataset']], { dropna: 'true' }, []);
  const t1 = run('train', 'python scripts/train.py --lr 0.01', alice, [c1.outs[0]!, train], [['models/model.bin', 'm1', 'model']], { lr: '0.01', epochs: '5' }, [['loss', loss(1.2)], ['accuracy', acc(0.86)]]);
  run('plot', 'python scripts/plot.py', carol, [t1.outs[0]!], [['reports/plot.png', 'p1']], {}, []);

  const raw2 = entity('data/raw.csv', 'v2', 'data/raw.csv', 'dataset');
  emit({ type: 'property', subject: raw2, key: 'rows', value: { kind: 'number', value: 12_500 } }, raw2);
  const c2 = run('clean', 'python scripts/clean.py data/raw.csv', bob, [raw2, clean], [['data/features.parquet', 'f2', 'dataset']], { dropna: 'true' }, []);
  run('train', 'python scripts/train.py --lr 0.1', bob, [c2.outs[0]!, train], [], { lr: '0.1', epochs: '5' }, [['loss', [1.3, 2.9, 8.1]]], 'FAILED');
  const t3 = run('train', 'python scripts/train.py --lr 0.005', bob, [c2.outs[0]!, train], [['models/model.bin', 'm2', 'model']], { lr: '0.005', epochs: '5' }, [['loss', loss(0.9)], ['accuracy', acc(0.91)]]);
  emit({ type: 'property', subject: t3.outs[0]!, key: 'stage', value: { kind: 'string', value: 'production' } }, t3.outs[0]!);
  emit({ type: 'property', subject: t3.outs[0]!, key: 'eval', value: { kind: 'json', value: '{"f1":0.88,"auc":0.95}' } }, t3.outs[0]!);
  const r = run('report', 'jupyter nbconvert report.ipynb', carol, [t3.outs[0]!, t1.outs[0]!], [['reports/summary.html', 'r1']], {}, []);
  emit({ type: 'relation', relation: 'wasInformedBy', from: r.id, to: t3.id, role: null }, r.id);
  return { events, keys, finalModel: t3.outs[0]! };
}
