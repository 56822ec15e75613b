/**
 * `provstream rules add` against real Redis: replacing a rule keeps its state when only fields
 * that do not shape it changed (severity, notify, ...), clears it when one that does changed
 * (the threshold), and `--reset-state` clears it on request; each case says what it did. `rules
 * add|remove` warn about ids that MONITOR_RULES_FILE defines too (the file's definition runs).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../test/helpers.js';
import { configOf, deleteRedisPrefix, monitorEnv } from '../../test/monitor.js';
import { connectRedis, createRedis } from '../lib/redis.js';
import type { Redis } from '../lib/redis.js';
import { rulesAdd, rulesRemove } from './rules.js';

describe('provstream rules add', () => {
  let redis: Redis;
  let dir: string;
  const cfg = configOf(monitorEnv('unused'));
  const prefix = cfg.redisPrefix;

  beforeAll(async () => {
    redis = createRedis(services().redisUrl);
    await connectRedis(redis, services().redisUrl);
    dir = await mkdtemp(join(tmpdir(), 'rules-add-'));
  });
  afterAll(async () => {
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const rule = (severity: string, value: number, notify = '[feed]') =>
    `rules:\n  - {id: acc, kind: threshold, severity: ${severity}, notify: ${notify}, match: {artifact: "models/*"}, threshold: {metric: acc, op: "<", value: ${value}}}\n`;
  const add = async (text: string, resetState = false): Promise<string[]> => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, text);
    const lines: string[] = [];
    await rulesAdd(cfg, file, { json: false, resetState }, (s) => lines.push(s));
    return lines.slice(0, -1); // the last line is the "pick this up within" note
  };
  const state = () => redis.keys(`${prefix}rule:acc:*`);
  const seed = () => redis.mset(`${prefix}rule:acc:v:p:m1`, '{"v":0.7}', `${prefix}rule:acc:dd:p:m1`, '{}');

  it('keeps the state when only severity and notify change, clears it when the threshold changes, and on --reset-state', async () => {
    expect(await add(rule('info', 0.8))).toEqual(['added: acc']);
    await seed();

    expect(await add(rule('critical', 0.8, '[feed, {type: webhook, url: "https://hooks.example.com/x"}]'))).toEqual(['rule acc updated (severity, notify changed): state kept']);
    expect((await state()).length).toBe(2);

    expect(await add(rule('critical', 0.9, '[feed, {type: webhook, url: "https://hooks.example.com/x"}]'))).toEqual(['rule acc updated (threshold changed): state cleared (2 keys)']);
    expect(await state()).toEqual([]);

    await seed();
    expect(await add(rule('critical', 0.9, '[feed, {type: webhook, url: "https://hooks.example.com/x"}]'))).toEqual(['rule acc unchanged: state kept']);
    expect((await state()).length).toBe(2);
    expect(await add(rule('critical', 0.9, '[feed, {type: webhook, url: "https://hooks.example.com/x"}]'), true)).toEqual(['rule acc unchanged: state cleared (--reset-state) (2 keys)']);
    expect(await state()).toEqual([]);
  });

  it('warns when MONITOR_RULES_FILE defines the same id', async () => {
    const file = join(dir, 'monitor-rules.yaml');
    await writeFile(file, rule('warning', 0.5).replace('rules:\n', 'rules:\n  - {id: other, kind: taint, severity: info, notify: [feed], taint: {when: "pii = true"}}\n'));
    const withFile = { ...cfg, rulesFile: file };
    const warning = `warning: acc also defined in MONITOR_RULES_FILE (${file}): monitors run the file's definition, not the registry's (its state is the one kept or cleared here)`;
    const added = join(dir, 'rules.yaml');
    await writeFile(added, rule('info', 0.7));
    const lines: string[] = [];
    await rulesAdd(withFile, added, { json: false }, (x) => lines.push(x));
    expect(lines).toContain(warning);
    lines.length = 0;
    await rulesRemove(withFile, ['acc'], false, (x) => lines.push(x));
    expect(lines).toEqual([expect.stringMatching(/^removed: acc/), warning]);
    lines.length = 0;
    await rulesRemove({ ...cfg, rulesFile: join(dir, 'missing.yaml') }, ['acc'], false, (x) => lines.push(x));
    expect(lines).toEqual(['not found: acc', expect.stringMatching(/^note: MONITOR_RULES_FILE \(.*missing\.yaml\) cannot be read here/)]);
  });
});
