/** Content hashes of files: `sha256:<hex>`, streamed (large files never sit in memory). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve('sha256:' + h.digest('hex')));
  });
}
