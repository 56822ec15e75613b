/**
 * Writes the golden fixtures of a NEW schema version (`make fixtures V=v2`). Refuses to
 * overwrite an existing version: published fixtures are never regenerated (EVOLUTION.md).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEvent, CURRENT_SCHEMA_VERSION } from './codec.js';
import { FIXTURE_CASES } from './fixtures.js';
import { repoPath } from '../lib/paths.js';

const version = process.argv[2] ?? `v${CURRENT_SCHEMA_VERSION}`;
if (version !== `v${CURRENT_SCHEMA_VERSION}`) {
  console.error(`fixtures can only be written for the newest schema (v${CURRENT_SCHEMA_VERSION}), not ${version}`);
  process.exit(2);
}
const dir = repoPath('schemas', 'fixtures', version);
if (existsSync(dir)) {
  console.error(`${dir} exists: published fixtures are never regenerated`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
for (const [name, ev] of Object.entries(FIXTURE_CASES)) {
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(ev, null, 2) + '\n');
  writeFileSync(join(dir, `${name}.bin`), encodeEvent(ev));
}
console.log(`wrote ${Object.keys(FIXTURE_CASES).length} fixtures to ${dir}`);
