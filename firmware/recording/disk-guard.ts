import { statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { SegmentLog } from './segment-log.js';

export interface DiskGuardOptions {
  dir: string;
  /** ROOMBOX_RECORD_MIN_FREE_MB in bytes: below it, the low-space alarm. */
  minFreeBytes: number;
  /** Space the recordings in progress need to go on safely (bytes); below it the disk is full. */
  reserveBytes(): number;
  segments: SegmentLog;
  log: Logger;
  now(): string;
  onLow(low: boolean, freeBytes: number): void;
  onDeleted(path: string): void;
  /** Nothing more can go: recording must stop before a write fails. */
  onFull(freeBytes: number): Promise<void>;
}

/** Free bytes for an unprivileged writer on the file system holding dir. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * Watches the recording disk. Below the minimum: an alarm. Below what recording needs: the
 * oldest segments that are already copied off the box are deleted, oldest first, never one that
 * is not; when none is left to delete, recording stops (onFull) rather than write a broken file.
 */
export class DiskGuard {
  private low = false;
  private running = false;

  constructor(private readonly opts: DiskGuardOptions) {}

  async check(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.checkOnce();
    } finally {
      this.running = false;
    }
  }

  private async checkOnce(): Promise<void> {
    const { opts } = this;
    let free = freeBytes(opts.dir);
    const reserve = opts.reserveBytes();
    if (reserve > 0 && free < reserve) {
      // Free twice the reserve, so that deletion is not needed again a second later.
      while (free < 2 * reserve) {
        const oldest = await opts.segments.oldestUploaded();
        if (!oldest) break;
        try {
          unlinkSync(join(opts.dir, oldest.path));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        await opts.segments.deleted(oldest.path, opts.now());
        opts.log.warn({ file: oldest.path, freeBytes: free }, 'recording disk full: deleted a segment already copied off the box');
        opts.onDeleted(oldest.path);
        free = freeBytes(opts.dir);
      }
      if (free < reserve) await opts.onFull(free);
    }
    const low = free < opts.minFreeBytes;
    if (low !== this.low) {
      this.low = low;
      opts.onLow(low, free);
    }
  }
}
