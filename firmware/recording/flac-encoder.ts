import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsync, fsyncSync, openSync, writeSync } from 'node:fs';
import { patchStreamInfo } from './flac-format.js';

export interface EncoderFormat {
  rate: number;
  channels: number;
  format: 'S16_LE' | 'S32_LE';
}

export const BITS: Record<EncoderFormat['format'], number> = { S16_LE: 16, S32_LE: 32 };

/** flac's compression level: its default, about 20 % smaller than -0 for 2x the encoder CPU (docs/performance.md). */
export const FLAC_LEVEL = 5;

/**
 * One FLAC file being written by Debian's `flac` encoder, fed raw PCM on standard input.
 *
 * flac writes its output with stdio buffering (8 KiB), which for quiet audio holds tens of
 * seconds; run under `stdbuf -o0` onto a pipe, every frame reaches us as it is encoded and we
 * write it to the file ourselves and fsync once a second (sync()), so a power cut loses at most
 * the last second. Writing to a pipe, flac cannot seek back to fill in STREAMINFO: close() writes
 * the sample count and the MD5 of the PCM (computed here) into it.
 */
export class FlacFileEncoder {
  private readonly proc: ChildProcess;
  private readonly fd: number;
  private readonly md5: Hash = createHash('md5');
  private readonly exited: Promise<void>;
  private fdOpen = true;
  private failure?: string;
  private syncing?: Promise<void>;
  frames = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly fmt: EncoderFormat,
    tags: Record<string, string>,
    private readonly onFailed: (message: string) => void,
  ) {
    this.fd = openSync(path, 'wx+');
    const args = [
      '-o0',
      'flac',
      '--silent',
      '--force-raw-format',
      '--endian=little',
      '--sign=signed',
      `--channels=${fmt.channels}`,
      `--bps=${BITS[fmt.format]}`,
      `--sample-rate=${fmt.rate}`,
      `-${FLAC_LEVEL}`,
      '--no-padding',
      '--no-seektable',
      ...Object.entries(tags).flatMap(([k, v]) => ['-T', `${k}=${v}`]),
      '-o',
      '-',
      '-',
    ];
    this.proc = spawn('stdbuf', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-400)));
    this.proc.stdout!.on('data', (d: Buffer) => this.append(d));
    this.proc.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => {
      let done = false;
      const finish = (message?: string) => {
        if (done) return;
        done = true;
        if (message) this.fail(message);
        resolve();
      };
      this.proc.once('error', (err) => finish(`cannot run the flac encoder: ${err.message}`));
      this.proc.once('close', (code, signal) => finish(code === 0 ? undefined : `flac encoder exited (${code ?? signal}): ${stderr.trim().split('\n').pop() ?? ''}`));
    });
  }

  /** Whole frames of interleaved PCM in the input's format (copied: the caller's buffer is reused). */
  write(pcm: Uint8Array): void {
    if (this.failure) return;
    const copy = Buffer.from(pcm);
    this.md5.update(copy);
    this.frames += pcm.length / ((BITS[this.fmt.format] / 8) * this.fmt.channels);
    this.proc.stdin!.write(copy);
  }

  /** fsync of what is written so far, off the main thread; skipped while one is under way. */
  sync(): void {
    if (this.syncing || !this.fdOpen) return;
    this.syncing = new Promise<void>((resolve) => fsync(this.fd, () => resolve())).then(() => (this.syncing = undefined));
  }

  get failed(): string | undefined {
    return this.failure;
  }

  /** Ends the stream: waits for flac's last frame, fills in STREAMINFO, fsyncs and closes. */
  async close(): Promise<{ frames: number; bytes: number; error?: string }> {
    this.proc.stdin!.end();
    await this.exited;
    await this.syncing;
    try {
      if (this.fdOpen) {
        if (!this.failure) patchStreamInfo(this.fd, this.frames, this.md5.digest());
        fsyncSync(this.fd);
      }
    } catch (err) {
      this.fail(`cannot finish ${this.path}: ${(err as Error).message}`);
    } finally {
      this.closeFd();
    }
    return { frames: this.frames, bytes: this.bytes, error: this.failure };
  }

  /** Stops at once (a failure elsewhere); the file is left as it is, to be repaired. */
  abort(): void {
    this.proc.kill('SIGKILL');
  }

  private append(chunk: Buffer): void {
    if (!this.fdOpen || this.failure) return;
    try {
      writeSync(this.fd, chunk);
      this.bytes += chunk.length;
    } catch (err) {
      this.fail(`cannot write ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      this.proc.kill('SIGKILL');
    }
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = message;
    this.onFailed(message);
  }

  private closeFd(): void {
    if (!this.fdOpen) return;
    this.fdOpen = false;
    try {
      closeSync(this.fd);
    } catch {
      /* already gone */
    }
  }
}
