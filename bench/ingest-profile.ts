/**
 * In-process CPU harness for the ingest consumer's own work (no Kafka, no ClickHouse): the
 * bench-ingest workload packed into batch frames as the SDK sends them, then per batch of
 * `--batch` messages what consumer.ts does between fetch and insert: processMessages (split
 * frames, Avro decode, validation, rows, their TabSeparated text per table).
 * Prints CPU µs per event (median of `--rounds`). Not counted here: kafkajs' fetch decoding and
 * gunzip, the HTTP inserts. To find hot spots:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/ingest-profile.js
 */
import { Command } from 'commander';
import { encodeEvent, packByKey } from '../services/model/codec.js';
import { processMessages } from '../services/ingest/process.js';
import type { InMessage } from '../services/ingest/process.js';
import { TABLES } from '../services/ingest/rows.js';
import { trainingWorkload } from './lib/workload.js';
import { median } from './lib/report.js';

const o = new Command('ingest-profile')
  .option('--events <n>', 'events', Number, 200_000)
  .option('--batch <n>', 'messages per partition batch', Number, 400)
  .option('--rounds <n>', 'passes over the events (median reported)', Number, 5)
  .parse(process.argv)
  .opts<{ events: number; batch: number; rounds: number }>();

const w = trainingWorkload({ project: 'profile', count: o.events, seed: 'ingest-profile', startTime: Date.UTC(2026, 10, 20) });
// The SDK packs each key's events of one send (up to 1,000 events) into one batch frame.
const messages: InMessage[] = [];
for (let i = 0; i < w.events.length; i += 1_000) {
  const send = w.events.slice(i, i + 1_000).map((e, j) => ({ key: w.keys[i + j]!, value: encodeEvent(e) }));
  for (const m of packByKey(send)) messages.push({ topic: 't', partition: 0, offset: String(messages.length), value: m.value });
}

let bytes = 0;
const perEvent: number[] = [];
for (let r = 0; r < o.rounds; r++) {
  const t0 = process.cpuUsage();
  let events = 0;
  for (let i = 0; i < messages.length; i += o.batch) {
    const p = processMessages(messages.slice(i, i + o.batch), 1 << 20);
    events += p.eventCount;
    for (const t of TABLES) bytes += p.tables.text[t].length;
  }
  const cpu = process.cpuUsage(t0);
  perEvent.push((cpu.user + cpu.system) / events);
  process.stderr.write(`round ${r + 1}: ${events} events, ${((cpu.user + cpu.system) / events).toFixed(2)} µs CPU per event\n`);
}
console.log(JSON.stringify({ events: w.events.length, messages: messages.length, cpuUsPerEvent: Number(median(perEvent).toFixed(2)), tsvBytes: bytes }));
