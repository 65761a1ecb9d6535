import type { BoxEventInput, EventBus } from '../core/bus.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { PublishPort } from '../core/publish-port.js';
import type { Database } from '../store/database.js';
import { serialise, type Outbox, type OutboxStats } from './outbox.js';

const SEQ_LAST_SQL = "INSERT INTO meta (key, value) VALUES ('seq_last', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value";

/**
 * Delivered rows of a quiet box wait this long for the next write batch to delete them. After a
 * crash they are sent again: consumers deduplicate by seq.
 */
const DELETE_LATER_MS = 5 * 60_000;

interface Row {
  seq: number;
  topic: string;
  payload: string;
}

interface Queued {
  topic: string;
  body: Record<string, unknown>;
  onStored?: (seq: number) => void;
}

/**
 * How a write batch becomes durable. `full`: the batch's commit fsyncs the WAL
 * (synchronous=FULL). `group`: commits at synchronous=NORMAL, then one fsync of the WAL covers
 * every batch committed since the last one. bench/outbox.ts measures both; `full` is the default.
 */
export type CommitMode = 'full' | 'group';

export interface SqliteOutboxOptions {
  max: number;
  /** Messages published and not yet acknowledged, at most. */
  window?: number;
  /** Delay between write batches, ms (messages added in between share one transaction). */
  batchMs?: number;
  commit?: CommitMode;
  /** Why there is no database (persistence off), when `database()` gives none. */
  whyNoDatabase?: () => string | undefined;
}

/**
 * The durable outbox: a message is written to SQLite before it is published and deleted only
 * after the broker's PUBACK. Its seq is given in the transaction that stores it (the last one
 * stored plus one: the newest row is never deleted before a newer one is stored, and a clean
 * stop writes the number to `meta`), and a row is published only once
 * that commit is on disk: a crash or a power cut can lose messages not yet stored, but then
 * their numbers were never published, and the next message takes the next number. So the
 * numbers a consumer sees have no gaps (except drops, which `outbox_dropped` reports) and never
 * two contents. Delivery reads the table in seq order, a window at a time, so a backlog of any
 * size goes out oldest first, before anything newer, and memory stays bounded.
 *
 * Without a database (a file from a newer firmware is kept untouched) the same queue lives in
 * memory, bounded by `max`, and numbers start at 1 for that run.
 */
export class SqliteOutbox implements Outbox {
  readonly name = 'outbox';
  private db?: Database;
  private memory?: Row[];
  private pending: Queued[] = [];
  /** The seq of the last message stored (committed). */
  private lastStored = 0;
  /** Rows up to this seq are on disk: only they may be published. */
  private durableSeq = 0;
  /** Committed in group mode, waiting for the group's fsync. */
  private unsynced: { seq: number; onStored?: (seq: number) => void }[] = [];
  private syncing?: Promise<void>;
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
  private readonly batchMs: number;
  private readonly commit: CommitMode;

  constructor(
    private readonly database: () => Database | undefined,
    private readonly link: PublishPort,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: SqliteOutboxOptions,
  ) {
    this.window = opts.window ?? 250;
    this.batchMs = opts.batchMs ?? 5;
    this.commit = opts.commit ?? 'full';
  }

  async start(): Promise<void> {
    const db = this.database();
    if (db) await this.open(db);
    else {
      this.memory = [];
      this.log.warn({ reason: this.opts.whyNoDatabase?.() }, 'outbox: no database, messages are kept in memory only');
    }
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

  private async open(db: Database): Promise<void> {
    this.db = db;
    const max = await db.get<{ m: number | null; n: number }>('SELECT max(seq) AS m, count(*) AS n FROM outbox');
    const meta = new Map((await db.all<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('seq_last', 'seq_reserved')")).map((r) => [r.key, Number(r.value)]));
    // A database from before gapless numbering holds a reservation above every number it may
    // have published: continue above that once, so none is reused.
    const last = meta.get('seq_last') ?? meta.get('seq_reserved') ?? 0;
    this.lastStored = Math.max(max?.m ?? 0, last);
    this.committed = max?.n ?? 0;
    // One durable commit before anything is published: it also syncs rows a killed process
    // committed without an fsync, so nothing read back from the file can still be rolled back.
    await db.durable(async () => {
      await db.run(SEQ_LAST_SQL, [String(this.lastStored)]);
      await db.run("DELETE FROM meta WHERE key = 'seq_reserved'");
    });
    this.durableSeq = this.lastStored;
    if (this.committed > 0) this.log.info({ backlog: this.committed, nextSeq: this.lastStored + 1 }, 'outbox: backlog from before the restart');
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribes) u();
    if (this.flushTimer) this.clock.clear(this.flushTimer);
    if (this.deleteTimer) this.clock.clear(this.deleteTimer);
    this.flushTimer = undefined;
    this.deleteTimer = undefined;
    await this.flush();
    await this.syncing;
    await this.closeOut();
    this.stopped = true;
  }

  add(topic: string, body: Record<string, unknown>, onStored?: (seq: number) => void): void {
    if (this.memory) return this.addInMemory({ topic, body, onStored });
    this.pending.push({ topic, body, onStored });
    this.scheduleFlush();
  }

  depth(): number {
    if (this.memory) return this.memory.length;
    // Delivered rows whose delete is still to come are not part of the backlog.
    return this.committed - this.acked.size + this.pending.length;
  }

  stats(): OutboxStats & { pending: number } {
    const offReason = this.memory ? `persistence off: ${this.opts.whyNoDatabase?.() ?? 'no database'}` : undefined;
    const writeError = offReason ?? this.writeError;
    return {
      depth: this.depth(),
      delivered: this.delivered,
      dropped: this.dropped,
      lastSeq: this.lastStored,
      inFlight: this.inFlight.size,
      pending: this.pending.length,
      persistent: !this.memory,
      ...(writeError ? { writeError } : {}),
    };
  }

  private addInMemory(q: Queued): void {
    const seq = ++this.lastStored;
    this.memory!.push({ seq, topic: q.topic, payload: serialise(seq, q.body) });
    this.durableSeq = seq;
    let excess = this.memory!.length - this.opts.max;
    if (excess > 0) {
      // The oldest go, except one the broker may be acknowledging right now.
      const before = this.memory!.length;
      this.memory = this.memory!.filter((r) => this.inFlight.has(r.seq) || excess-- <= 0);
      this.noteDropped(before - this.memory.length);
    }
    q.onStored?.(seq);
    void this.pump();
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
    if (this.writeError) {
      // A commit reported as failed may still have reached the file: never number on top of it.
      const max = await db.get<{ m: number | null }>('SELECT max(seq) AS m FROM outbox').catch(() => undefined);
      this.lastStored = Math.max(this.lastStored, max?.m ?? 0);
    }
    const batch = this.pending;
    this.pending = [];
    const first = this.lastStored + 1;
    const rows = batch.map((q, i) => ({ seq: first + i, topic: q.topic, payload: serialise(first + i, q.body) }));
    const last = first + rows.length - 1;
    const acked = [...this.acked];
    this.acked.clear();
    let deleted = 0;
    const write = async () => {
      for (let i = 0; i < rows.length; i += 300) {
        const chunk = rows.slice(i, i + 300);
        await db.run(`INSERT INTO outbox (seq, topic, payload) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flatMap((r) => [r.seq, r.topic, r.payload]));
      }
      // The newest row is the counter (see deleteAcked); these rows are newer than every acked one.
      if (acked.length) ({ changes: deleted } = await db.run(`DELETE FROM outbox WHERE seq IN (${acked.join(',')})`));
    };
    try {
      if (this.commit === 'full') await db.durable(write);
      else await db.transaction(write);
    } catch (err) {
      this.pending = batch.concat(this.pending);
      for (const seq of acked) this.acked.add(seq);
      this.onWriteError(err as Error);
      return;
    }
    this.lastStored = last;
    this.committed += rows.length - deleted;
    if (this.writeError) {
      this.log.info({}, 'outbox: database writable again');
      this.writeError = undefined;
    }
    const stored = rows.map((r, i) => ({ seq: r.seq, onStored: batch[i]!.onStored }));
    if (this.commit === 'full') this.markDurable(last, stored);
    else {
      this.unsynced.push(...stored);
      void this.syncGroup();
    }
    await this.enforceMax();
  }

  private markDurable(upTo: number, stored: { seq: number; onStored?: (seq: number) => void }[]): void {
    this.durableSeq = upTo;
    for (const s of stored) s.onStored?.(s.seq);
  }

  /** Group commit: one fsync of the WAL for every batch committed since the previous one. */
  private syncGroup(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = (async () => {
      while (this.unsynced.length > 0 && this.db) {
        const upTo = this.lastStored;
        const stored = this.unsynced;
        this.unsynced = [];
        try {
          await this.db.syncWal();
        } catch (err) {
          this.unsynced = stored.concat(this.unsynced);
          this.log.error({ err: (err as Error).message }, 'outbox: fsync failed; will retry');
          await new Promise((r) => this.clock.setTimeout(() => r(undefined), 1000));
          continue;
        }
        this.markDurable(upTo, stored);
        void this.pump();
      }
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private onWriteError(err: Error): void {
    const first = this.writeError === undefined;
    this.writeError = err.message;
    this.retryAt = this.clock.now() + 1000;
    // Held in memory meanwhile, within the same bound; unstored messages have no number yet.
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

  /** Stored rows after `seq`, oldest first, only those whose commit is durable. */
  private async readAfter(seq: number, limit: number): Promise<Row[]> {
    if (this.memory) {
      const from = this.memory.findIndex((r) => r.seq > seq);
      return from === -1 ? [] : this.memory.slice(from, from + limit);
    }
    return this.db!.all<Row>('SELECT seq, topic, payload FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?', [seq, this.durableSeq, limit]);
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
        while ((this.db || this.memory) && this.link.connected) {
          this.sendAhead();
          if (this.ahead.length >= this.window / 2) break;
          const generation = this.generation;
          const rows = await this.readAfter(this.cursor, this.window - this.ahead.length);
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
        this.delivered++;
        if (this.memory) this.forgetInMemory(row.seq);
        else {
          this.acked.add(row.seq);
          // Deletes ride along with the next write batch (one WAL commit, not two, per message:
          // SD-card wear); a long backlog deletes every 10 windows, a quiet box after DELETE_LATER_MS.
          if (this.acked.size >= 10 * this.window) void this.deleteAcked();
          else this.scheduleDelete();
        }
        this.sendAhead();
        if (this.ahead.length < this.window / 2) void this.pump();
      },
      () => {
        // The link dropped: on the next connect everything unacknowledged goes again.
        this.inFlight.delete(row.seq);
      },
    );
  }

  private forgetInMemory(seq: number): void {
    const i = this.memory!.findIndex((r) => r.seq === seq);
    if (i !== -1) this.memory!.splice(i, 1);
  }

  private scheduleDelete(): void {
    if (this.deleteTimer || this.stopped) return;
    this.deleteTimer = this.clock.setTimeout(() => {
      this.deleteTimer = undefined;
      void this.deleteAcked();
    }, DELETE_LATER_MS);
  }

  /**
   * Deletes delivered rows, except the newest stored one: that row is the counter (the next seq
   * is the highest in the table plus one), so writing a batch touches the table's last page
   * only, not a second page for a counter (a WAL frame less per commit: SD-card wear). It goes
   * with the next batch; after a crash it is sent once more (a duplicate, same content).
   */
  private async deleteAcked(): Promise<void> {
    if (!this.db || this.acked.size === 0) return;
    const seqs = [...this.acked].filter((s) => s !== this.lastStored);
    if (seqs.length === 0) return;
    for (const s of seqs) this.acked.delete(s);
    try {
      const { changes } = await this.db.run(`DELETE FROM outbox WHERE seq IN (${seqs.join(',')})`);
      this.committed -= changes;
    } catch (err) {
      for (const s of seqs) this.acked.add(s);
      this.log.warn({ err: (err as Error).message }, 'outbox: deleting delivered messages failed; will retry');
    }
  }

  /** A clean stop: the counter goes to `meta` and every delivered row goes, in one durable commit. */
  private async closeOut(): Promise<void> {
    if (!this.db) return;
    const seqs = [...this.acked];
    try {
      await this.db.durable(async () => {
        await this.db!.run(SEQ_LAST_SQL, [String(this.lastStored)]);
        if (seqs.length) await this.db!.run(`DELETE FROM outbox WHERE seq IN (${seqs.join(',')})`);
      });
      this.acked.clear();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'outbox: final write failed');
    }
  }
}
