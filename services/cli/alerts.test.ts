import { describe, expect, it } from 'vitest';
import { followStart } from './alerts.js';
import type { AlertsOptions } from './alerts.js';

const o = (over: Partial<AlertsOptions>): AlertsOptions => ({ limit: '50', ...over });

describe('alerts: where a follow starts, and flags that need --follow', () => {
  it.each<[string, Partial<AlertsOptions>, RegExp]>([
    ['--all without --follow', { all: true }, /^--all needs --follow: without it, alerts lists .* every rule/],
    ['--from-beginning without --follow', { fromBeginning: true }, /^--from-beginning needs --follow/],
    ['--since without --follow', { since: '0:1' }, /^--since needs --follow/],
    ['several at once, named together', { all: true, fromBeginning: true }, /^--all and --from-beginning need --follow/],
    ['--from-beginning with --since', { follow: true, fromBeginning: true, since: '0:1' }, /give one/],
    ['a --since that is not a position', { follow: true, since: 'alr:1' }, /^--since: a feed position is partition:offset/],
  ])('refuses %s', (_name, over, message) => {
    expect(() => followStart(o(over))).toThrow(message);
  });

  it.each<[string, Partial<AlertsOptions>, unknown]>([
    ['no --follow: the table (no start)', {}, undefined],
    ['--follow: the end of the topic', { follow: true, all: true }, 'end'],
    ['--follow --from-beginning', { follow: true, fromBeginning: true }, 'beginning'],
    ['--follow --since', { follow: true, since: '0:17,1:-1' }, { after: new Map([[0, 17n], [1, -1n]]) }],
  ])('%s', (_name, over, expected) => {
    expect(followStart(o(over))).toEqual(expected);
  });
});
