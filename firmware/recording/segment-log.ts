import type { Database } from '../store/database.js';

/** One recording segment as the box keeps track of it (table recording_segment). */
export interface SegmentRow {
  /** Relative to the recording directory: `<room>/<YYYY-MM-DD>/<HH-MM-SS>.flac`. */
  path: string;
  input: string;
  started_at: string;
  closed: number;
  frames: number | null;
  bytes: number | null;
  uploaded_at: string | null;
  deleted_at: string | null;
  attempts: number;
  last_error: string | null;
}

/**
 * Which segments exist, which are closed, copied off the box, deleted. Statements run in order
 * on the box's one SQLite connection, so a segment's close never overtakes its open.
 */
export class SegmentLog {
  constructor(private readonly db: () => Database) {}

  async opened(path: string, input: string, startedAt: string): Promise<void> {
    await this.db().run('INSERT OR REPLACE INTO recording_segment (path, input, started_at) VALUES (?, ?, ?)', [path, input, startedAt]);
  }

  async closed(path: string, frames: number, bytes: number): Promise<void> {
    await this.db().run('UPDATE recording_segment SET closed = 1, frames = ?, bytes = ? WHERE path = ?', [frames, bytes, path]);
  }

  /** A file found on disk that the log does not know (its row was lost): recorded as closed. */
  async adopted(path: string, input: string, startedAt: string, frames: number, bytes: number): Promise<void> {
    await this.db().run('INSERT OR REPLACE INTO recording_segment (path, input, started_at, closed, frames, bytes) VALUES (?, ?, ?, 1, ?, ?)', [path, input, startedAt, frames, bytes]);
  }

  get(path: string): Promise<SegmentRow | undefined> {
    return this.db().get<SegmentRow>('SELECT * FROM recording_segment WHERE path = ?', [path]);
  }

  /** Segments that were open when the box stopped (crash or power cut). */
  open(): Promise<SegmentRow[]> {
    return this.db().all<SegmentRow>('SELECT * FROM recording_segment WHERE closed = 0 AND deleted_at IS NULL');
  }

  /** The oldest closed segment not yet copied off the box. */
  nextToUpload(): Promise<SegmentRow | undefined> {
    return this.db().get<SegmentRow>('SELECT * FROM recording_segment WHERE closed = 1 AND uploaded_at IS NULL AND deleted_at IS NULL ORDER BY started_at, path LIMIT 1');
  }

  async uploaded(path: string, at: string): Promise<void> {
    await this.db().durableRun('UPDATE recording_segment SET uploaded_at = ?, last_error = NULL WHERE path = ?', [at, path]);
  }

  async uploadFailed(path: string, error: string): Promise<void> {
    await this.db().run('UPDATE recording_segment SET attempts = attempts + 1, last_error = ? WHERE path = ?', [error.slice(0, 500), path]);
  }

  /** The oldest segment that is safe to delete: copied off the box and still here. */
  oldestUploaded(): Promise<SegmentRow | undefined> {
    return this.db().get<SegmentRow>('SELECT * FROM recording_segment WHERE uploaded_at IS NOT NULL AND deleted_at IS NULL ORDER BY started_at, path LIMIT 1');
  }

  async deleted(path: string, at: string): Promise<void> {
    await this.db().run('UPDATE recording_segment SET deleted_at = ? WHERE path = ?', [at, path]);
  }

  async counts(): Promise<{ pending: number; uploaded: number; failing: number }> {
    const row = await this.db().get<{ pending: number; uploaded: number; failing: number }>(
      `SELECT COALESCE(SUM(closed = 1 AND uploaded_at IS NULL AND deleted_at IS NULL), 0) AS pending,
              COALESCE(SUM(uploaded_at IS NOT NULL), 0) AS uploaded,
              COALESCE(SUM(closed = 1 AND uploaded_at IS NULL AND deleted_at IS NULL AND attempts > 0), 0) AS failing
         FROM recording_segment`,
    );
    return row ?? { pending: 0, uploaded: 0, failing: 0 };
  }
}
