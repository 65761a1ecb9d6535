import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Slot } from '../api/update.js';
import { removeDurably, writeDurably } from './durable-file.js';

/** Written once a slot is written and verified, before the trial reboot. */
export interface Pending {
  from_version: string;
  to_version: string;
  /** The slot written, the one the trial boot runs. */
  slot: Slot;
  written_at: string;
  /** The kernel's boot id when it was written: a firmware restart without a reboot is no fall-back. */
  boot_id?: string;
}

/** The outcome of the last update, kept for `update status`. */
export interface LastOutcome {
  outcome: 'committed' | 'rolled_back';
  from_version: string;
  to_version: string;
  slot: Slot;
  reason?: string;
  at: string;
}

/** The agent's files on the data partition (shared by both slots, kept across updates); the directory is made by the first write. */
export class UpdateStateFiles {
  constructor(readonly dir: string) {}

  get pendingPath() { return join(this.dir, 'pending.json'); }
  get lastPath() { return join(this.dir, 'last.json'); }
  get rollbackReasonPath() { return join(this.dir, 'rollback-reason'); }
  get rebootRequestPath() { return join(this.dir, 'reboot-request'); }

  pending(): Pending | undefined {
    return this.readJson<Pending>(this.pendingPath);
  }

  last(): LastOutcome | undefined {
    return this.readJson<LastOutcome>(this.lastPath);
  }

  rollbackReason(): string | undefined {
    try {
      return readFileSync(this.rollbackReasonPath, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    }
  }

  writePending(p: Pending) { return writeDurably(this.pendingPath, `${JSON.stringify(p)}\n`); }
  writeLast(o: LastOutcome) { return writeDurably(this.lastPath, `${JSON.stringify(o)}\n`); }
  writeRollbackReason(reason: string) { return writeDurably(this.rollbackReasonPath, `${reason}\n`); }
  clearPending() { return removeDurably(this.pendingPath); }
  clearRollbackReason() { return removeDurably(this.rollbackReasonPath); }

  private readJson<T>(path: string): T | undefined {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  }
}
