import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import type { Logger } from '../core/logger.js';

/** Schema migrations, in order; PRAGMA user_version records how many ran. */
const MIGRATIONS: string[] = [
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

export interface OpenResult {
  db: Database;
  /** Where a damaged database was moved, when it was. */
  movedAside?: string;
  reason?: string;
}

/**
 * The one connection to the box's SQLite file, owned by this module. WAL with
 * synchronous=NORMAL: a commit is a write to the WAL without an fsync, so the SD card sees one
 * sequential write per batch instead of two synchronous flushes per commit; the price is that a
 * power cut can roll back the last commits (never corrupt the file). Where a fact must survive
 * a power cut for certain (the seq high-water mark) we fsync explicitly (durable()).
 */
export class Database {
  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
  ) {}

  /** Opens (creating) the database in dir; a damaged file is moved aside and a fresh one made. */
  static async open(dir: string, log: Logger, now: () => number = Date.now): Promise<OpenResult> {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, DB_FILE);
    try {
      return { db: await Database.openChecked(file) };
    } catch (err) {
      const reason = (err as Error).message;
      const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
      const aside = `${file}.damaged-${stamp}`;
      log.error({ file, reason, movedTo: aside }, 'database unreadable: moved aside, starting a fresh one');
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
      }
      return { db: await Database.openChecked(file), movedAside: aside, reason };
    }
  }

  private static async openChecked(file: string): Promise<Database> {
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(d)));
    });
    const db = new Database(raw, file);
    try {
      raw.configure('busyTimeout', 5000);
      await db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;');
      const check = await db.get<{ quick_check: string }>('PRAGMA quick_check');
      if (check?.quick_check !== 'ok') throw new Error(`integrity check failed: ${check?.quick_check ?? 'no answer'}`);
      await db.migrate();
      return db;
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }

  private async migrate(): Promise<void> {
    const row = await this.get<{ user_version: number }>('PRAGMA user_version');
    const version = row?.user_version ?? 0;
    if (version > MIGRATIONS.length) throw new Error(`database schema ${version} is newer than this firmware knows (${MIGRATIONS.length})`);
    for (let v = version; v < MIGRATIONS.length; v++) {
      await this.exec(`BEGIN; ${MIGRATIONS[v]} PRAGMA user_version=${v + 1}; COMMIT;`);
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

  /** Runs fn inside one transaction. Statements queue on the one connection in order. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
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

  /** Runs one write that must survive a power cut: committed with an fsync of the WAL. */
  async durableRun(sql: string, params: unknown[] = []): Promise<void> {
    await this.exec('PRAGMA synchronous=FULL');
    try {
      await this.run(sql, params);
    } finally {
      await this.exec('PRAGMA synchronous=NORMAL');
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}
