import { mkdtempSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpillingQueue } from './buffer.js';

const m = (i: number) => ({ key: `k${i}`, value: Buffer.from(`v${i}`) });

describe('SpillingQueue', () => {
  it('keeps order across memory and the spill file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spill-'));
    const errors: Error[] = [];
    const q = new SpillingQueue({ maxInMemory: 3, spillDir: dir, maxSpillBytes: 1 << 20, onError: (e) => errors.push(e) });
    for (let i = 0; i < 10; i++) q.push(m(i));
    expect(q.length).toBe(3);
    expect(q.spilled).toBe(7);
    expect(q.peek(10).map((x) => x.key)).toEqual(['k0', 'k1', 'k2']);
    q.ack(3);
    expect(q.restoreSpill()).toBe(7);
    expect(q.peek(10).map((x) => x.value.toString())).toEqual(['v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
    expect(q.hasSpill()).toBe(false);
    expect(errors).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  it('drops and counts overflow when spilling is off or the file is full, never throws', () => {
    const q = new SpillingQueue({ maxInMemory: 2, maxSpillBytes: 0, onError: () => undefined });
    for (let i = 0; i < 5; i++) q.push(m(i));
    expect(q.dropped).toBe(3);
    const dir = mkdtempSync(join(tmpdir(), 'spill-'));
    const errors: Error[] = [];
    const full = new SpillingQueue({ maxInMemory: 1, spillDir: dir, maxSpillBytes: 1, onError: (e) => errors.push(e) });
    for (let i = 0; i < 5; i++) full.push(m(i));
    expect(full.spilled).toBe(1);
    expect(full.dropped).toBe(3);
    expect(errors[0]?.message).toMatch(/spill file .* is full/);
    rmSync(dir, { recursive: true });
  });

  it('reports an unwritable spill dir through onError and counts the loss', () => {
    const errors: Error[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'spill-'));
    writeFileSync(join(dir, 'a-file'), '');
    // A folder below a regular file can never be created (ENOTDIR).
    const q = new SpillingQueue({ maxInMemory: 0, spillDir: join(dir, 'a-file', 'spill'), maxSpillBytes: 1 << 20, onError: (e) => errors.push(e) });
    q.push(m(1));
    expect(q.dropped).toBe(1);
    expect(errors).toHaveLength(1);
    expect(existsSync(join(dir, 'a-file', 'spill'))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});

describe('SpillingQueue order', () => {
  it('once something is spilled, new messages queue behind it; spillAll puts memory ahead of the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spill-'));
    const q = new SpillingQueue({ maxInMemory: 2, spillDir: dir, maxSpillBytes: 1 << 20, onError: () => undefined });
    for (let i = 0; i < 4; i++) q.push(m(i)); // 0,1 in memory; 2,3 spilled
    q.ack(1); // 0 sent: memory has room again, but 4 must still go behind 2 and 3
    q.push(m(4));
    expect(q.length).toBe(1);
    q.spillAll();
    const again = new SpillingQueue({ maxInMemory: 100, spillDir: dir, maxSpillBytes: 1 << 20, onError: () => undefined });
    expect(again.hasSpill()).toBe(true);
    expect(again.restoreSpill()).toBe(4);
    expect(again.peek(10).map((x) => x.key)).toEqual(['k1', 'k2', 'k3', 'k4']);
    rmSync(dir, { recursive: true });
  });
});
