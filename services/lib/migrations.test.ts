import { describe, expect, it } from 'vitest';
import { splitStatements, loadMigrations } from './migrations.js';

describe('migrations', () => {
  it('splits statements at ; line ends and drops comments', () => {
    expect(splitStatements('-- c\nCREATE TABLE a (x String);\n\nCREATE VIEW b AS SELECT \';\' AS s;\n')).toEqual(['CREATE TABLE a (x String)', "CREATE VIEW b AS SELECT ';' AS s"]);
  });
  it('are numbered without gaps and only use SQL that 18.16 knows', () => {
    const ms = loadMigrations();
    expect(ms.map((m) => m.version)).toEqual(ms.map((_, i) => i + 1));
    for (const m of ms) {
      for (const s of m.statements) {
        expect(s).not.toMatch(/DateTime64|LowCardinality|\bMap\(|\bJSON\b|WITH RECURSIVE|\bTTL\b|INDEX .* TYPE|\{[a-z_]+:[A-Za-z]/);
      }
    }
  });
});
