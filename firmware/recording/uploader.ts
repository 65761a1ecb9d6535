import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { backoffDelay } from '../core/backoff.js';
import type { SegmentLog, SegmentRow } from './segment-log.js';

export interface UploaderOptions {
  target: { user: string; host: string; port: number; path: string };
  keyFile?: string;
  /** The box's own known_hosts for the upload host (first key accepted, then pinned). */
  knownHostsFile: string;
  /** Directory for the shared SSH connection's socket (short path: unix socket names are limited). */
  controlDir: string;
  /** The recording directory. */
  dir: string;
  segments: SegmentLog;
  clock: Clock;
  log: Logger;
  random?: () => number;
  now(): string;
  onUploaded(path: string): void;
  onFailed(path: string, error: string, attempt: number): void;
  /** Backoff bounds (tests shorten them). */
  baseMs?: number;
  maxMs?: number;
}

/**
 * Copies each closed segment off the box with rsync over SSH, oldest first, one at a time. A copy
 * counts once a second rsync run, comparing whole-file checksums (--checksum --dry-run), finds
 * nothing left to send; then it is marked in SQLite. Failures back off exponentially with jitter;
 * after a restart the log says what is still to go.
 */
export class SegmentUploader {
  private running = false;
  private busy = false;
  private timer?: TimerHandle;
  private failures = 0;
  private current?: ReturnType<typeof spawn>;
  lastError?: string;

  constructor(private readonly opts: UploaderOptions) {}

  start(): void {
    this.running = true;
    this.kick();
  }

  /** Stops copying and closes the shared SSH connection. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.opts.clock.clear(this.timer);
    this.current?.kill('SIGTERM');
    const { user, host, port } = this.opts.target;
    await new Promise<void>((resolve) => {
      const p = spawn('ssh', ['-p', String(port), '-o', `ControlPath=${join(this.opts.controlDir, 'upload-ssh-%C')}`, '-O', 'exit', `${user}@${host}`], { stdio: 'ignore' });
      p.once('error', () => resolve());
      p.once('close', () => resolve());
    });
  }

  /** A segment was closed (or the box started): upload what is pending, unless waiting out a backoff. */
  kick(): void {
    if (!this.running || this.busy || this.timer) return;
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (;;) {
        if (!this.running) return;
        const next = await this.opts.segments.nextToUpload();
        if (!next) return;
        if (!existsSync(join(this.opts.dir, next.path))) {
          // Removed by hand: nothing to copy, and it must not hold up the ones after it.
          this.opts.log.warn({ file: next.path }, 'recording segment to copy is gone from the disk; skipped');
          await this.opts.segments.deleted(next.path, this.opts.now());
          continue;
        }
        const error = await this.uploadOne(next);
        if (!this.running) return;
        if (error === undefined) {
          this.failures = 0;
          this.lastError = undefined;
          await this.opts.segments.uploaded(next.path, this.opts.now());
          this.opts.log.info({ file: next.path }, 'recording segment copied off the box');
          this.opts.onUploaded(next.path);
          continue;
        }
        this.failures++;
        this.lastError = error;
        await this.opts.segments.uploadFailed(next.path, error);
        const delay = backoffDelay(this.failures - 1, this.opts.random, this.opts.baseMs ?? 2000, this.opts.maxMs ?? 300_000);
        this.opts.log.warn({ file: next.path, err: error, attempt: this.failures, retryMs: delay }, 'recording upload failed');
        this.opts.onFailed(next.path, error, this.failures);
        this.timer = this.opts.clock.setTimeout(() => {
          this.timer = undefined;
          this.kick();
        }, delay);
        return;
      }
    } catch (err) {
      this.opts.log.error({ err: (err as Error).message }, 'recording upload loop failed');
    } finally {
      this.busy = false;
    }
  }

  /** Resolves undefined when the segment is there and verified, else the error. */
  private async uploadOne(seg: SegmentRow): Promise<string | undefined> {
    const copy = await this.rsync(seg.path, []);
    if (copy.code !== 0) return copy.error;
    const verify = await this.rsync(seg.path, ['--checksum', '--dry-run', '--itemize-changes']);
    if (verify.code !== 0) return `verify: ${verify.error}`;
    // Only the file's own line counts (its parent directories' times may differ).
    const differs = verify.stdout.split('\n').find((l) => l.endsWith(` ${seg.path}`));
    if (differs) return `verify: the copy differs from the segment (${differs.slice(0, 100)})`;
    return undefined;
  }

  private rsync(path: string, extra: string[]): Promise<{ code: number; stdout: string; error: string }> {
    const { opts } = this;
    const ssh = [
      'ssh',
      '-p',
      String(opts.target.port),
      ...(opts.keyFile ? ['-i', opts.keyFile, '-o', 'IdentitiesOnly=yes'] : []),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      `UserKnownHostsFile=${opts.knownHostsFile}`,
      // One SSH connection shared by the copy and its check, kept a minute between segments.
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${join(opts.controlDir, 'upload-ssh-%C')}`,
      '-o',
      'ControlPersist=60',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'ServerAliveInterval=5',
      '-o',
      'ServerAliveCountMax=3',
    ]
      .map(shellWord)
      .join(' ');
    // `dir/./room/day/file` with --relative: the remote side gets room/day/file under its path.
    const source = `${opts.dir.replace(/\/+$/, '')}/./${path}`;
    const { user, host, path: remote } = opts.target;
    const target = `${user}@${host}:${remote.endsWith('/') ? remote : `${remote}/`}`;
    const args = ['--relative', '--partial', '--times', '--omit-dir-times', '--timeout=30', '-e', ssh, ...extra, source, target];
    return new Promise((resolve) => {
      const p = spawn('rsync', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.current = p;
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      p.once('error', (err) => resolve({ code: -1, stdout, error: `cannot run rsync: ${err.message}` }));
      p.once('close', (code, signal) => {
        if (this.current === p) this.current = undefined;
        const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join(' / ');
        resolve({ code: code ?? -1, stdout, error: `rsync exited (${code ?? signal}): ${last}` });
      });
    });
  }
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
