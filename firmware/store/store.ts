import type { Clock } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import type { SelfTestRegistry } from '../core/selftest.js';
import { Database } from './database.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import type { StateStore } from './state-store.js';

/**
 * Owns the database for the box's lifetime: opens it first (moving a damaged file aside),
 * closes it last, after the outbox has written what it holds and `offline` is out. A file it
 * must not use (a newer firmware's schema) is left untouched and the box runs without
 * persistence: `unavailable` says why, `selftest` fails, the outbox keeps to memory.
 */
export class Store implements Extension {
  readonly name = 'store';
  private database?: Database;
  private stateStore?: SqliteStateStore;
  /** Set when the database was damaged at start and replaced. */
  recovery?: { movedAside: string; reason: string };
  /** Set when the box runs without its database, and why. */
  unavailable?: string;

  constructor(
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly selftest: SelfTestRegistry,
    private readonly migrations?: readonly string[],
  ) {}

  /** The open database, or undefined while the box runs without persistence. */
  get db(): Database | undefined {
    return this.database;
  }

  /** The persisted state; valid after start(). */
  readonly state: StateStore = {
    get: (key) => this.stateStore?.get(key),
    set: (key, value) => this.stateStore?.set(key, value),
    flush: async () => this.stateStore?.flush(),
  };

  async start(): Promise<void> {
    const opened = await Database.open(this.dataDir, this.log, { now: () => this.clock.now(), migrations: this.migrations });
    this.database = opened.db;
    if (opened.movedAside) this.recovery = { movedAside: opened.movedAside, reason: opened.reason ?? 'unknown' };
    if (opened.refused) this.unavailable = opened.refused;
    if (opened.db) {
      this.stateStore = new SqliteStateStore(opened.db, this.clock, this.log);
      await this.stateStore.load();
    }
    this.selftest.register({
      name: 'database writable',
      run: async () => {
        if (!this.database) return { ok: false, detail: `persistence off: ${this.unavailable ?? 'no database'}` };
        await this.database.durableRun("INSERT INTO meta (key, value) VALUES ('selftest', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [String(this.clock.now())]);
        return { ok: true, detail: this.database.file };
      },
    });
  }

  async stop(): Promise<void> {
    const stateStore = this.stateStore;
    this.stateStore = undefined;
    await stateStore?.close();
    await this.database?.close();
    this.database = undefined;
  }
}
