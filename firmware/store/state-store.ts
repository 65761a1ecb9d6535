/**
 * Small persisted key-value state (a zone's last volume, mode, mute). Writes are cheap to call:
 * implementations debounce and write only on change (SD-card wear).
 */
export interface StateStore {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  /** Writes anything pending now (called on stop). */
  flush(): Promise<void>;
}

/** In-memory state, lost at restart: for tests. */
export class MemoryStateStore implements StateStore {
  private readonly values = new Map<string, string>();
  get<T>(key: string): T | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  set(key: string, value: unknown): void {
    this.values.set(key, JSON.stringify(value));
  }
  async flush(): Promise<void> {}
}
