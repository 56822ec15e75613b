#!/usr/bin/env -S node --max-semi-space-size=64
// The `provstream` command. Runs the compiled CLI (npm run build writes dist/).
// A larger young generation for the long-running services (ingest allocates a lot of short-lived
// rows and strings: GC went from 5.2 to 2.7 µs per ingested event); it grows only on demand, so
// short commands do not pay for it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const entry = join(root, 'dist', 'services', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(`provstream: not built yet; run "make install" (or "npm install && npm run build") in ${root}`);
  process.exit(2);
}
if (process.argv[2] === 'run') {
  // The command wrapper loads only what it needs: its start-up time delays the wrapped command.
  const { main } = await import(pathToFileURL(join(root, 'dist', 'services', 'capture', 'main.js')).href);
  await main(process.argv.slice(3));
} else {
  await import(pathToFileURL(entry).href);
}
