/**
 * kafkajs' GZIP codec at zlib level 1 instead of the default 6: the same wire format (any Kafka
 * client reads it), about half the compression CPU (SDK: 2.5 -> 1.2 µs per event on the
 * benchmark workload) for ~7% larger batches (ratio 3.6 -> 3.4). kafkajs keeps codecs in one
 * process-wide table (its documented extension point), so this applies to every kafkajs producer
 * of the process; decompression is unchanged.
 */
import { promisify } from 'node:util';
import { gzip, unzip } from 'node:zlib';
import kafkajs from 'kafkajs';

const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);

const fastGzip = () => ({
  compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level: 1 }),
  decompress: (buffer: Buffer) => unzipAsync(buffer),
});

/** Registers the level-1 GZIP codec (idempotent). CompressionCodecs is not a named ESM export of kafkajs (CommonJS). */
export function useFastGzip(): void {
  (kafkajs.CompressionCodecs as Record<number, unknown>)[kafkajs.CompressionTypes.GZIP] = fastGzip;
}
