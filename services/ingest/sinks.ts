/**
 * Ingest sinks. `TableSink.write` resolves only after ClickHouse acknowledged every insert of the
 * batch; the source commits offsets after that, never before. Inserts are idempotent by table
 * design (ReplacingMergeTree on the full fact key), so a batch written twice is harmless.
 */
import type { Producer } from 'kafkajs';
import type { Warehouse } from '../lib/clickhouse.js';
import { TABLES, TABLE_COLUMNS, perTable } from './rows.js';
import type { Table, TsvTables } from './rows.js';

const FACT_TABLES: readonly Table[] = TABLES.filter((t) => t !== 'events_raw');
import type { DeadLetter } from './process.js';

interface PendingWrite {
  tables: TsvTables;
  betweenInserts: (() => Promise<void>) | undefined;
  done: (err?: unknown) => void;
  /** performance.now() when it was queued. */
  since: number;
}

/** When a group of queued batches is inserted. */
export interface GroupCommitOptions {
  /** How long the oldest queued batch may wait for others to join its group (ms; 0: one event-loop turn). */
  lingerMs: number;
  /** A group this large (events) is inserted without waiting out the linger time. */
  flushEvents: number;
}

export class TableSink {
  private readonly waiting: PendingWrite[] = [];
  private waitingEvents = 0;
  private writing = false;
  private wake: (() => void) | undefined;
  /** Insert groups written (each one insert per table with rows). */
  readonly stats = { groups: 0 };

  constructor(
    private readonly wh: Warehouse,
    private readonly group: GroupCommitOptions = { lingerMs: 0, flushEvents: Infinity },
  ) {}

  /**
   * Group commit: batches that arrive while an insert is in flight, or within `lingerMs` of the
   * oldest queued one (until `flushEvents` are queued), are merged into one set of inserts. Each
   * insert makes a part in every table, and ClickHouse's cost per insert dominates small ones:
   * with the pipelined consumer keeping up (~300-800 events per batch, every fetch its own
   * insert) ClickHouse spent up to 16 µs of CPU per event end to end, mostly merging the parts;
   * lingering 500 ms (~16,500 events per group at 55k events/s) brought it to ~5.6 µs. Resolves
   * once ClickHouse acknowledged every row of this batch; a failure fails every batch of the group
   * (each then retries, or narrows down its own messages).
   */
  write(tables: TsvTables, betweenInserts?: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ tables, betweenInserts, done: (err) => (err === undefined ? resolve() : reject(err)), since: performance.now() });
      this.waitingEvents += tables.rows.events_raw;
      if (this.waitingEvents >= this.group.flushEvents) this.wake?.();
      if (!this.writing) {
        this.writing = true;
        // One turn for the other partitions' handlers to add their batches.
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Writes these rows in inserts of their own, never merged with other batches: for narrowing a
   * rejected batch down to the events ClickHouse refuses (merged with another partition's batch,
   * a good event would fail with it).
   */
  writeAlone(tables: TsvTables): Promise<void> {
    return this.writeNow([tables], () => Promise.resolve());
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      await this.linger();
      const group = this.waiting.splice(0);
      this.stats.groups++;
      this.waitingEvents = 0;
      try {
        await this.writeNow(group.map((g) => g.tables), async () => {
          for (const g of group) if (g.betweenInserts) await g.betweenInserts();
        });
        for (const g of group) g.done();
      } catch (err) {
        for (const g of group) g.done(err ?? new Error('insert failed'));
      }
    }
    this.writing = false;
  }

  /** Until the oldest queued batch has waited lingerMs or flushEvents are queued. */
  private linger(): Promise<void> {
    const remaining = this.waiting[0]!.since + this.group.lingerMs - performance.now();
    if (remaining <= 0 || this.waitingEvents >= this.group.flushEvents) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), remaining);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /**
   * The fact tables in parallel (ClickHouse parses each insert on its own thread: the batch is
   * acknowledged sooner and the consumer waits less), then events_raw last: an event visible in
   * events_raw has all its other rows written, so "is it queryable?" is one cheap lookup by
   * event id.
   */
  private async writeNow(tables: readonly TsvTables[], betweenInserts: () => Promise<void>): Promise<void> {
    await Promise.all(FACT_TABLES.map((t) => this.insert(t, tables)));
    // Lets the consumers heartbeat: a large batch must not outlive the group session.
    await betweenInserts();
    await this.insert('events_raw', tables);
  }

  /** TabSeparated, not JSONEachRow: half the encoding CPU on the hottest path (lib/tsv.ts). */
  private insert(t: Table, group: readonly TsvTables[]): Promise<void> {
    const texts = group.filter((g) => g.rows[t] > 0).map((g) => g.text[t]);
    if (texts.length === 0) return Promise.resolve();
    return this.wh.insertTsv(t, COLUMN_NAMES[t], texts);
  }
}

const COLUMN_NAMES = perTable((t) => TABLE_COLUMNS[t].map((c) => c.name));

export const DLQ_HEADERS = {
  reasonCode: 'provstream-reason-code',
  reason: 'provstream-reason',
  sourceTopic: 'provstream-source-topic',
  sourcePartition: 'provstream-source-partition',
  sourceOffset: 'provstream-source-offset',
  /** Only for an event of a batch-frame message: its position in the frame. */
  sourceIndex: 'provstream-source-index',
} as const;

/**
 * Dead letters go to the dead-letter topic (original bytes + reason headers) and to the
 * `dead_letters` table for SQL. The topic is at-least-once: after a crash a record may appear
 * twice; (source topic, partition, offset, index) identifies it. The table collapses such repeats.
 */
export class DeadLetterSink {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly wh: Warehouse,
  ) {}

  async write(letters: readonly DeadLetter[], now = Date.now()): Promise<void> {
    if (letters.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((d) => ({
        key: `${d.source.topic}/${d.source.partition}/${d.source.offset}${d.source.index === undefined ? '' : `/${d.source.index}`}`,
        value: d.value,
        headers: {
          [DLQ_HEADERS.reasonCode]: d.reasonCode,
          [DLQ_HEADERS.reason]: d.reason,
          [DLQ_HEADERS.sourceTopic]: d.source.topic,
          [DLQ_HEADERS.sourcePartition]: String(d.source.partition),
          [DLQ_HEADERS.sourceOffset]: d.source.offset,
          ...(d.source.index === undefined ? {} : { [DLQ_HEADERS.sourceIndex]: String(d.source.index) }),
        },
      })),
    });
    await this.wh.insert(
      'dead_letters',
      letters.map((d) => ({
        source_topic: d.source.topic,
        source_partition: d.source.partition,
        source_offset: Number(d.source.offset),
        source_index: d.source.index ?? 0,
        time: now,
        reason_code: d.reasonCode,
        reason: d.reason,
        event_id: d.eventId,
        project: d.project,
        payload_base64: d.value.toString('base64'),
      })),
    );
  }
}
