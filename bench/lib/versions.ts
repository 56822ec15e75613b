/** Versions of the services a benchmark ran against, for its record. */
import { readdirSync } from 'node:fs';
import { repoPath } from '../../services/lib/paths.js';

/** Kafka's version from the jars `make up` runs natively; unknown for other installations. */
export function kafkaVersion(): string {
  try {
    for (const f of readdirSync(repoPath('.cache', 'kafka', 'libs'))) {
      const m = /^kafka_[\d.]+-([\d.]+)\.jar$/.exec(f);
      if (m) return m[1]!;
    }
  } catch {
    // not the native install
  }
  return 'unknown';
}
