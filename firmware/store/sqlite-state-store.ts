import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Database } from './database.js';
import type { StateStore } from './state-store.js';

/**
 * Persisted key-value state in SQLite. Reads come from memory (loaded at start); a write is
 * made only when a value changed, and debounced, so a volume knob turned for a minute costs
 * one row write, not hundreds (SD-card wear).
 */
export class SqliteStateStore implements StateStore {
  private readonly values = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private timer?: TimerHandle;
  private closed = false;
  writes = 0;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly debounceMs = 2000,
  ) {}

  async load(): Promise<void> {
    for (const row of await this.db.all<{ key: string; value: string }>('SELECT key, value FROM state')) this.values.set(row.key, row.value);
  }

  get<T>(key: string): T | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  set(key: string, value: unknown): void {
    if (this.closed) return;
    const json = JSON.stringify(value);
    if (this.values.get(key) === json) return;
    this.values.set(key, json);
    this.dirty.add(key);
    if (!this.timer) this.timer = this.clock.setTimeout(() => void this.flush(), this.debounceMs);
  }

  async flush(): Promise<void> {
    if (this.timer) this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.dirty.size === 0) return;
    const keys = [...this.dirty];
    this.dirty.clear();
    try {
      await this.db.transaction(async () => {
        for (const key of keys) {
          await this.db.run('INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, this.values.get(key)]);
        }
      });
      this.writes++;
    } catch (err) {
      for (const k of keys) this.dirty.add(k);
      this.log.warn({ err: (err as Error).message }, 'state: write failed; will retry');
      if (!this.timer && !this.closed) this.timer = this.clock.setTimeout(() => void this.flush(), this.debounceMs * 5);
    }
  }

  /** Writes what is pending; later writes are ignored (the database is about to close). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) this.clock.clear(this.timer);
    this.timer = undefined;
  }
}
