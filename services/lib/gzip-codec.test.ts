import { createRequire } from 'node:module';
import { deflateSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useFastGzip } from './gzip-codec.js';

describe('useFastGzip', () => {
  it('replaces the codec kafkajs looks up for GZIP; its output is plain gzip and decompresses back', async () => {
    const internal = createRequire(import.meta.url)('kafkajs/src/protocol/message/compression') as { lookupCodec(t: number): { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> } };
    const before = internal.lookupCodec(1);
    useFastGzip();
    const codec = internal.lookupCodec(1);
    expect(codec).not.toBe(before);
    const data = Buffer.from('provenance '.repeat(1000));
    const z = await codec.compress({ buffer: data });
    expect(z.length).toBeLessThan(data.length / 10);
    expect(gunzipSync(z).equals(data)).toBe(true);
    expect((await codec.decompress(z)).equals(data)).toBe(true);
    expect((await before.decompress(z)).equals(data)).toBe(true);
    // zlib-wrapped batches (other clients) decompress too, as with kafkajs' own unzip; corrupt ones reject.
    expect((await codec.decompress(deflateSync(data))).equals(data)).toBe(true);
    await expect(codec.decompress(Buffer.from('not gzip'))).rejects.toThrow(/header/);
  });
});
