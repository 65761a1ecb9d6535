import type { BoxEventInput, EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { PublishPort } from '../core/publish-port.js';
import type { Database } from '../store/database.js';
import { serialise, type Outbox, type OutboxStats } from './outbox.js';

const RESERVE_SQL = "INSERT INTO meta (key, value) VALUES ('seq_reserved', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";

/**
 * Delivered rows of a quiet box wait this long for the next write batch to delete them. After a
 * crash they are sent again: consumers deduplicate by seq (docs/mqtt.md).
 */
const DELETE_LATER_MS = 5 * 60_000;

interface Row {
  seq: number;
  topic: string;
  payload: string;
}

export interface SqliteOutboxOptions {
  max: number;
  /** Messages published and not yet acknowledged, at most. */
  window?: number;
  /** How many seq numbers one durable reservation covers. */
  seqBlock?: number;
  /** Delay between write batches, ms (messages added in between share one transaction). */
  batchMs?: number;
}

/**
 * The durable outbox: a message is written to SQLite before it is published and deleted only
 * after the broker's PUBACK. Delivery always reads the table in seq order, a window at a time,
 * so a backlog of any size goes out oldest first, before anything newer, and memory stays
 * bounded. Sequence numbers come from a durably reserved block: a number is never handed out
 * twice, across crashes and power cuts.
 */
export class SqliteOutbox implements Outbox {
  readonly name = 'outbox';
  private db?: Database;
  private pending: Row[] = [];
  private nextSeq = 1;
  private reservedUpTo = 0;
  private flushing?: Promise<void>;
  private committed = 0;
  private cursor = 0;
  private readonly inFlight = new Set<number>();
  /** Rows read from the database, in seq order, not yet handed to the link. */
  private ahead: Row[] = [];
  private generation = 0;
  private readonly acked = new Set<number>();
  private delivered = 0;
  private dropped = 0;
  private flushTimer?: TimerHandle;
  private deleteTimer?: TimerHandle;
  private pumping = false;
  private pumpAgain = false;
  private writeError?: string;
  private stopped = false;
  private droppedUnreported = 0;
  private lastDropReport = -Infinity;
  private retryAt = 0;
  private unsubscribes: (() => void)[] = [];
  private readonly window: number;
  private readonly seqBlock: number;
  private readonly batchMs: number;

  constructor(
    private readonly database: () => Database,
    private readonly link: PublishPort,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: SqliteOutboxOptions,
  ) {
    this.window = opts.window ?? 250;
    this.seqBlock = opts.seqBlock ?? 1000;
    this.batchMs = opts.batchMs ?? 5;
  }

  async start(): Promise<void> {
    const db = this.database();
    this.db = db;
    const max = await db.get<{ m: number | null; n: number }>('SELECT max(seq) AS m, count(*) AS n FROM outbox');
    const reserved = await db.get<{ value: string }>("SELECT value FROM meta WHERE key = 'seq_reserved'");
    // Whatever was reserved before a crash may have been handed out: continue above it.
    this.nextSeq = Math.max(max?.m ?? 0, Number(reserved?.value ?? 0)) + 1;
    this.committed = max?.n ?? 0;
    this.reservedUpTo = this.nextSeq - 1 + this.seqBlock;
    await db.durableRun(RESERVE_SQL, [String(this.reservedUpTo)]);
    if (this.committed > 0) this.log.info({ backlog: this.committed, nextSeq: this.nextSeq }, 'outbox: backlog from before the restart');
    this.unsubscribes.push(
      this.bus.on('mqtt.connected', () => {
        // Everything not acknowledged goes again, in order (consumers deduplicate by seq).
        this.cursor = 0;
        this.ahead = [];
        this.generation++;
        this.inFlight.clear();
        this.reportDropped();
        void this.pump();
      }),
      this.bus.on('mqtt.disconnected', () => this.inFlight.clear()),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribes) u();
    if (this.flushTimer) this.clock.clear(this.flushTimer);
    if (this.deleteTimer) this.clock.clear(this.deleteTimer);
    this.flushTimer = undefined;
    this.deleteTimer = undefined;
    await this.flush();
    await this.deleteAcked();
    this.stopped = true;
  }

  add(topic: string, body: Record<string, unknown>): number {
    const seq = this.nextSeq++;
    this.pending.push({ seq, topic, payload: serialise(seq, body) });
    this.scheduleFlush();
    return seq;
  }

  depth(): number {
    // Delivered rows whose delete is still to come are not part of the backlog.
    return this.committed - this.acked.size + this.pending.length;
  }

  stats(): OutboxStats & { pending: number; writeError?: string } {
    return {
      depth: this.depth(),
      delivered: this.delivered,
      dropped: this.dropped,
      lastSeq: this.nextSeq - 1,
      inFlight: this.inFlight.size,
      pending: this.pending.length,
      ...(this.writeError ? { writeError: this.writeError } : {}),
    };
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    const delay = Math.max(this.batchMs, this.retryAt - this.clock.now());
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush().then(() => this.pump());
    }, delay);
  }

  /** One transaction for everything added since the last batch; one at a time. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.db || this.pending.length === 0) return;
    this.flushing = this.writeBatch();
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(): Promise<void> {
    const db = this.db!;
    const batch = this.pending;
    this.pending = [];
    const last = batch[batch.length - 1]!.seq;
    // A seq may be published only once a durable reservation covers it, so no number is ever
    // handed out twice, even after a power cut rolls back the last commits. Renewing the
    // reservation costs one fsync per seqBlock/2 messages.
    const renew = last > this.reservedUpTo - this.seqBlock / 2;
    const acked = [...this.acked];
    this.acked.clear();
    let deleted = 0;
    const reserveTo = renew ? last + this.seqBlock : this.reservedUpTo;
    try {
      if (renew) await db.exec('PRAGMA synchronous=FULL');
      await db.transaction(async () => {
        for (let i = 0; i < batch.length; i += 300) {
          const chunk = batch.slice(i, i + 300);
          await db.run(`INSERT INTO outbox (seq, topic, payload) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flatMap((r) => [r.seq, r.topic, r.payload]));
        }
        if (renew) await db.run(RESERVE_SQL, [String(reserveTo)]);
        if (acked.length) ({ changes: deleted } = await db.run(`DELETE FROM outbox WHERE seq IN (${acked.join(',')})`));
      });
      this.committed -= deleted;
      this.reservedUpTo = reserveTo;
      this.committed += batch.length;
      if (this.writeError) {
        this.log.info({}, 'outbox: database writable again');
        this.writeError = undefined;
      }
    } catch (err) {
      this.pending = batch.concat(this.pending);
      for (const seq of acked) this.acked.add(seq);
      this.onWriteError(err as Error);
      return;
    } finally {
      if (renew) await db.exec('PRAGMA synchronous=NORMAL').catch(() => {});
    }
    await this.enforceMax();
  }

  private onWriteError(err: Error): void {
    const first = this.writeError === undefined;
    this.writeError = err.message;
    this.retryAt = this.clock.now() + 1000;
    // Held in memory meanwhile, within the same bound.
    if (this.pending.length > this.opts.max) {
      const n = this.pending.length - this.opts.max;
      this.pending.splice(0, n);
      this.noteDropped(n);
    }
    if (first) {
      this.log.error({ err: err.message }, 'outbox: cannot write the database; holding messages in memory');
      this.bus.emit('box.event', { type: 'storage_error', detail: { error: err.message } });
    }
    this.scheduleFlush();
  }

  private async enforceMax(): Promise<void> {
    const excess = this.committed - this.acked.size - this.opts.max;
    if (excess <= 0) return;
    const doomed = await this.db!.all<{ seq: number }>('SELECT seq FROM outbox ORDER BY seq LIMIT ?', [excess]);
    const seqs = doomed.map((r) => r.seq).filter((s) => !this.inFlight.has(s) && !this.acked.has(s));
    if (seqs.length === 0) return;
    // Rows the broker may be acknowledging right now, and delivered ones, are not drops;
    // `NOT IN ()` needs at least one value.
    const spared = [...this.inFlight, ...this.acked];
    const keep = spared.length ? ` AND seq NOT IN (${spared.join(',')})` : '';
    const { changes } = await this.db!.run(`DELETE FROM outbox WHERE seq <= ?${keep}`, [seqs[seqs.length - 1]]);
    this.committed -= changes;
    if (changes > 0) this.noteDropped(changes);
  }

  private noteDropped(n: number): void {
    this.dropped += n;
    this.droppedUnreported += n;
    this.log.warn({ dropped: n, max: this.opts.max }, 'outbox full: oldest messages dropped');
    if (this.link.connected) this.reportDropped();
  }

  /**
   * One outbox_dropped event for all drops since the last one: sent when the broker is back
   * (a report per drop would itself fill the full outbox), and at most every 10 s.
   */
  private reportDropped(): void {
    if (this.droppedUnreported === 0 || this.clock.now() - this.lastDropReport < 10_000) return;
    this.lastDropReport = this.clock.now();
    const n = this.droppedUnreported;
    this.droppedUnreported = 0;
    this.bus.emit('box.event', { type: 'outbox_dropped', detail: { dropped: n, max: this.opts.max } } satisfies BoxEventInput);
  }

  /**
   * Hands rows to the link in seq order, at most `window` unacknowledged, from a read-ahead of
   * up to one window: an acknowledgement sends the next row at once, and the database is read
   * (one SELECT per half window) while the window is on the wire.
   */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.db && this.link.connected) {
          this.sendAhead();
          if (this.ahead.length >= this.window / 2) break;
          const generation = this.generation;
          const rows = await this.db.all<Row>('SELECT seq, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?', [this.cursor, this.window - this.ahead.length]);
          // A reconnect while reading starts again from the oldest row: these are stale.
          if (generation !== this.generation) continue;
          if (rows.length === 0) break;
          this.ahead.push(...rows);
          this.cursor = rows[rows.length - 1]!.seq;
        }
      } while (this.pumpAgain);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'outbox: reading the backlog failed');
    } finally {
      this.pumping = false;
    }
  }

  private sendAhead(): void {
    while (this.ahead.length > 0 && this.inFlight.size < this.window && this.link.connected) {
      const row = this.ahead.shift()!;
      // Acknowledged rows whose delete has not run yet are not sent again.
      if (!this.acked.has(row.seq)) this.send(row);
    }
  }

  private send(row: Row): void {
    this.inFlight.add(row.seq);
    this.link.publish(row.topic, row.payload, { qos: 1 }).then(
      () => {
        if (!this.inFlight.delete(row.seq)) return;
        this.acked.add(row.seq);
        this.delivered++;
        // Deletes ride along with the next write batch (one WAL commit, not two, per message:
        // SD-card wear); a long backlog deletes every 10 windows, a quiet box after DELETE_LATER_MS.
        if (this.acked.size >= 10 * this.window) void this.deleteAcked();
        else this.scheduleDelete();
        this.sendAhead();
        if (this.ahead.length < this.window / 2) void this.pump();
      },
      () => {
        // The link dropped: on the next connect everything unacknowledged goes again.
        this.inFlight.delete(row.seq);
      },
    );
  }

  private scheduleDelete(): void {
    if (this.deleteTimer || this.stopped) return;
    this.deleteTimer = this.clock.setTimeout(() => {
      this.deleteTimer = undefined;
      void this.deleteAcked();
    }, DELETE_LATER_MS);
  }

  private async deleteAcked(): Promise<void> {
    if (!this.db || this.acked.size === 0) return;
    const seqs = [...this.acked];
    this.acked.clear();
    try {
      const { changes } = await this.db.run(`DELETE FROM outbox WHERE seq IN (${seqs.join(',')})`);
      this.committed -= changes;
    } catch (err) {
      for (const s of seqs) this.acked.add(s);
      this.log.warn({ err: (err as Error).message }, 'outbox: deleting delivered messages failed; will retry');
    }
  }
}
