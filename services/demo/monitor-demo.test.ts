import { describe, expect, it } from 'vitest';
import type { Alert } from '../monitor/core/index.js';
import { alertsToShow } from './monitor-demo.js';

const alert = (alertId: string): Alert => ({ alertId }) as Alert;

describe('alertsToShow (what make demo prints)', () => {
  it('lists the expected alerts and counts the ones of earlier runs', () => {
    const r = alertsToShow([alert('old1'), alert('a'), alert('old2'), alert('b')], new Set(['a', 'b']));
    expect(r.shown.map((a) => a.alertId)).toEqual(['a', 'b']);
    expect(r.earlier).toBe(2);
  });

  it('lists every alert when not all the expected ones are there (another order gave other ids)', () => {
    const r = alertsToShow([alert('x'), alert('a')], new Set(['a', 'b']));
    expect(r.shown.map((a) => a.alertId)).toEqual(['x', 'a']);
    expect(r.earlier).toBe(0);
  });
});
