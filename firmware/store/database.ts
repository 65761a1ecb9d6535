import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { Logger } from '../core/logger.js';

/** Schema migrations, in order; PRAGMA user_version records how many ran. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE outbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Recording segments: which are closed, which are copied off the box, which were deleted.
  `CREATE TABLE recording_segment (
     path TEXT PRIMARY KEY,
     input TEXT NOT NULL,
     started_at TEXT NOT NULL,
     closed INTEGER NOT NULL DEFAULT 0,
     frames INTEGER,
     bytes INTEGER,
     uploaded_at TEXT,
     deleted_at TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     last_error TEXT
   );
   CREATE INDEX recording_segment_pending ON recording_segment (closed, uploaded_at, deleted_at);`,
];

export const DB_FILE = 'roombox.db';

export interface OpenOptions {
  now?: () => number;
  /** The schema this firmware knows (a test plays a later firmware with one more). */
  migrations?: readonly string[];
  /** SQLite page size (bench/outbox.ts compares them); default PAGE_SIZE. */
  pageSize?: number;
}

export interface OpenResult {
  /** The open database; absent when it is refused (see `refused`). */
  db?: Database;
  /** Where a damaged database was moved, when it was. */
  movedAside?: string;
  reason?: string;
  /**
   * Why the file is kept untouched and not used (a schema from a newer firmware, a file that
   * cannot be opened for a reason other than damage): the box then runs without persistence.
   */
  refused?: string;
}

/** A file SQLite itself reports damaged: only such a file is moved aside. */
class DamagedError extends Error {}
/** A sound file this firmware must not touch. */
class RefusedError extends Error {}

const DAMAGE_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);
const PAGE_SIZE = 1024;
const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

/**
 * The one connection to the box's SQLite file, owned by this module. WAL with
 * synchronous=NORMAL for ordinary writes (the zones' persisted state); durable() commits with
 * an fsync of the WAL (the outbox's batches: a row is published only once it is on disk).
 */
export class Database {
  private walFd?: FileHandle;
  /** The queue of transactions: each starts once the one before it has ended. */
  private turns: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
  ) {}

  /**
   * Opens (creating) the database in dir. A file SQLite reports damaged is moved aside and a
   * fresh one made; a file from a newer firmware, or one that cannot be opened for another
   * reason, is left exactly as it is and reported as `refused`.
   */
  static async open(dir: string, log: Logger, opts: OpenOptions = {}): Promise<OpenResult> {
    const now = opts.now ?? Date.now;
    const migrations = opts.migrations ?? MIGRATIONS;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, DB_FILE);
    try {
      return { db: await Database.openChecked(file, migrations, opts.pageSize ?? PAGE_SIZE) };
    } catch (err) {
      const reason = (err as Error).message;
      if (!(err instanceof DamagedError)) {
        log.error({ file, reason }, 'database not used (kept untouched): running without persistence');
        return { refused: reason };
      }
      const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
      const aside = `${file}.damaged-${stamp}`;
      log.error({ file, reason, movedTo: aside }, 'database damaged: moved aside, starting a fresh one');
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
      }
      return { db: await Database.openChecked(file, migrations, opts.pageSize ?? PAGE_SIZE), movedAside: aside, reason };
    }
  }

  private static async openChecked(file: string, migrations: readonly string[], pageSize: number): Promise<Database> {
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, (err) => (err ? reject(classify(err)) : resolve(d)));
    });
    const db = new Database(raw, file);
    try {
      raw.configure('busyTimeout', 5000);
      // The schema version first: a newer file is closed again before anything could write to it.
      const version = (await db.get<{ user_version: number }>('PRAGMA user_version'))?.user_version ?? 0;
      if (version > migrations.length) throw new RefusedError(`database schema ${version} is newer than this firmware knows (${migrations.length})`);
      await db.usePageSize(pageSize);
      // A checkpoint per 4 MB of WAL whatever the page size (SQLite's default is 1,000 pages).
      await db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=${Math.round(WAL_CHECKPOINT_BYTES / pageSize)};`);
      const check = await db.get<{ quick_check: string }>('PRAGMA quick_check');
      if (check?.quick_check !== 'ok') throw new DamagedError(`integrity check failed: ${check?.quick_check ?? 'no answer'}`);
      await db.migrate(version, migrations);
      return db;
    } catch (err) {
      await db.close().catch(() => {});
      throw classify(err as Error);
    }
  }

  /**
   * Small pages for SD-card wear: every outbox commit is fsynced, so each re-dirties the file
   * system pages its one WAL frame (a page plus 24 bytes) touches. A 4 KiB page makes that two
   * 4 KiB pages per message; a 1 KiB page one and a quarter on average. A file made with
   * another page size is rebuilt once (VACUUM, in rollback-journal mode as SQLite requires).
   */
  private async usePageSize(size: number): Promise<void> {
    const current = (await this.get<{ page_size: number }>('PRAGMA page_size'))?.page_size;
    if (current === size) return;
    await this.exec(`PRAGMA journal_mode=DELETE; PRAGMA page_size=${size}; VACUUM;`);
  }

  private async migrate(version: number, migrations: readonly string[]): Promise<void> {
    for (let v = version; v < migrations.length; v++) {
      await this.exec(`BEGIN; ${migrations[v]} PRAGMA user_version=${v + 1}; COMMIT;`);
    }
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return new Promise((resolve, reject) =>
      this.raw.run(sql, params, function (err) {
        if (err) reject(err);
        else resolve({ changes: this.changes });
      }),
    );
  }

  get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => this.raw.get(sql, params, (err, row) => (err ? reject(err) : resolve(row as T | undefined))));
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => this.raw.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  }

  /**
   * Runs fn inside one transaction. Transactions take turns: the connection is shared by the
   * outbox, the state store, recording and selftest, and a second BEGIN, or a PRAGMA
   * synchronous, sent while another's transaction is open fails ("cannot start a transaction
   * within a transaction", "Safety level may not be changed inside a transaction").
   */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.inTurn(() => this.unqueuedTransaction(fn));
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.turns.then(fn);
    this.turns = turn.catch(() => {});
    return turn;
  }

  private async unqueuedTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn();
      await this.exec('COMMIT');
      return result;
    } catch (err) {
      await this.exec('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** Runs fn in one transaction committed with an fsync of the WAL: it survives a power cut. */
  durable<T>(fn: () => Promise<T>): Promise<T> {
    return this.inTurn(async () => {
      await this.exec('PRAGMA synchronous=FULL');
      try {
        return await this.unqueuedTransaction(fn);
      } finally {
        await this.exec('PRAGMA synchronous=NORMAL').catch(() => {});
      }
    });
  }

  /** Runs one write that must survive a power cut. */
  async durableRun(sql: string, params: unknown[] = []): Promise<void> {
    await this.durable(() => this.run(sql, params));
  }

  /** fsync of the WAL: every commit made so far is on disk afterwards (group commit). */
  async syncWal(): Promise<void> {
    this.walFd ??= await open(`${this.file}-wal`, 'r');
    await this.walFd.datasync();
  }

  async close(): Promise<void> {
    await this.walFd?.close().catch(() => {});
    this.walFd = undefined;
    await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}

/** SQLite's own verdict decides what is damage; everything else is refused, never moved aside. */
function classify(err: Error): Error {
  if (err instanceof DamagedError || err instanceof RefusedError) return err;
  const code = (err as Error & { code?: string }).code;
  return code && DAMAGE_CODES.has(code) ? new DamagedError(err.message) : new RefusedError(err.message);
}
