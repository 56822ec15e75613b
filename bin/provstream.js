#!/usr/bin/env node
// The `provstream` command. Runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist', 'services', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(`provstream: not built yet; run "make install" (or "npm install && npm run build") in ${root}`);
  process.exit(2);
}
await import(pathToFileURL(entry).href);
