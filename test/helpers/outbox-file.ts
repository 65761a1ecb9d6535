import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { DB_FILE } from '../../firmware/store/database.js';

/**
 * What a box's outbox holds on disk right now (committed rows), read on a connection of our own
 * while the box runs (WAL: a reader never blocks its writer).
 */
export function outboxOnDisk(dataDir: string): Promise<{ count: number; maxSeq: number }> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(join(dataDir, DB_FILE), sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err);
      db.configure('busyTimeout', 2000);
      db.get('SELECT count(*) AS n, max(seq) AS m FROM outbox', (qerr, row: { n: number; m: number | null } | undefined) => {
        db.close(() => (qerr ? reject(qerr) : resolve({ count: row?.n ?? 0, maxSeq: row?.m ?? 0 })));
      });
    });
  });
}
