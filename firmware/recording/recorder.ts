import type { EventDetail } from '../api/events.js';
import { close, fsync, mkdirSync, open, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { BITS, FlacFileEncoder, type EncoderFormat } from './flac-encoder.js';
import { repairSegment } from './flac-format.js';
import { isoMicro, segmentPath, timeReference } from './layout.js';

/** A bad request to a recorder: shown to the user as the one error of the command. */
export class RecorderError extends Error {}

export type RecordAlarm = null | 'disk_low' | 'disk_full' | 'failed';

/** The recording part of an input's retained state. */
/** The events a recorder announces about its input. */
export type RecordingEvent = 'record_started' | 'record_stopped' | 'record_failed' | 'record_segment_closed';

export interface RecordingState {
  recording: boolean;
  record_file: string | null;
  record_duration_s: number | null;
  record_bytes: number | null;
  record_alarm: RecordAlarm;
}

export interface ClosedSegment {
  path: string;
  input: string;
  startedAt: string;
  frames: number;
  bytes: number;
}

export interface RecorderOptions extends EncoderFormat {
  input: string;
  room: string;
  boxId: string;
  /** The recording directory. */
  dir: string;
  segmentS: number;
  clock: Clock;
  log: Logger;
  /** A segment file was created (before its first sample is written). */
  onOpened(path: string, startedAt: string): void;
  /** A segment was closed and is complete on disk. */
  onClosed(segment: ClosedSegment): void;
  onState(state: RecordingState): void;
  onEvent<K extends RecordingEvent>(type: K, detail: EventDetail<K>): void;
  /** Delay before a new segment after the encoder failed. */
  retryMs?: number;
}

/**
 * Records one input into FLAC segments of exactly segmentS * rate frames. Segments follow each
 * other without a gap while the capture runs; a break in the capture (overrun, failure, unplug)
 * closes the segment, and the next samples start a new one with its own start time. Knows
 * nothing of MQTT: commands and state come and go through the methods and callbacks.
 */
export class InputRecorder {
  private armed = false;
  private alarm: RecordAlarm = null;
  private encoder?: FlacFileEncoder;
  private encoderPath?: string;
  private encoderStart = '';
  private segmentLeft = 0;
  /** Time of the first sample of the current unbroken stretch, and frames recorded since. */
  private stretchStartMs?: number;
  private stretchFrames = 0;
  private readonly closing = new Set<Promise<void>>();
  private retryAfter = 0;
  private readonly bytesPerFrame: number;
  private readonly segmentFrames: number;

  constructor(private readonly opts: RecorderOptions) {
    this.bytesPerFrame = (BITS[opts.format] / 8) * opts.channels;
    this.segmentFrames = Math.round(opts.segmentS * opts.rate);
  }

  get name(): string {
    return this.opts.input;
  }

  get recording(): boolean {
    return this.armed;
  }

  /** Raw bytes of one second of this input: the most a second of FLAC can take. */
  get rawBytesPerSecond(): number {
    return this.opts.rate * this.bytesPerFrame;
  }

  get state(): RecordingState {
    const e = this.encoder;
    return {
      recording: this.armed,
      record_file: this.encoderPath ?? null,
      record_duration_s: e ? Math.round((e.frames / this.opts.rate) * 10) / 10 : null,
      record_bytes: e ? e.bytes : null,
      record_alarm: this.alarm,
    };
  }

  start(): void {
    if (this.armed) throw new RecorderError(`${this.opts.input} is already recording`);
    this.armed = true;
    if (this.alarm === 'disk_full' || this.alarm === 'failed') this.alarm = null;
    this.opts.onEvent('record_started', { room: this.opts.room });
    this.opts.log.info({ input: this.opts.input }, 'recording on');
    this.publish();
  }

  async stop(reason: 'command' | 'disk_full' | 'shutdown' = 'command'): Promise<void> {
    if (!this.armed) {
      if (reason === 'command') throw new RecorderError(`${this.opts.input} is not recording`);
      await this.settled();
      return;
    }
    this.armed = false;
    if (reason === 'disk_full') this.alarm = 'disk_full';
    this.endStretch();
    if (reason !== 'shutdown') this.opts.onEvent('record_stopped', { reason });
    this.opts.log.info({ input: this.opts.input, reason }, 'recording off');
    this.publish();
    await this.settled();
  }

  /** Captured PCM (whole frames, interleaved, the input's format); the buffer is reused by the caller. */
  audio(data: Uint8Array, frames: number): void {
    if (!this.armed || frames <= 0 || this.opts.clock.now() < this.retryAfter) return;
    if (this.stretchStartMs === undefined) {
      this.stretchStartMs = this.opts.clock.now() - (frames / this.opts.rate) * 1000;
      this.stretchFrames = 0;
    }
    let offset = 0;
    while (offset < frames) {
      if (!this.encoder && !this.openSegment()) return;
      const n = Math.min(frames - offset, this.segmentLeft);
      this.encoder!.write(data.subarray(offset * this.bytesPerFrame, (offset + n) * this.bytesPerFrame));
      offset += n;
      this.stretchFrames += n;
      this.segmentLeft -= n;
      if (this.segmentLeft === 0) this.closeSegment();
    }
  }

  /** The capture broke (samples lost or the device went): the segment ends here. */
  gap(): void {
    this.endStretch();
  }

  /** Once a second: what is written reaches the disk. */
  sync(): void {
    this.encoder?.sync();
  }

  setAlarm(alarm: RecordAlarm): void {
    if (this.alarm === alarm) return;
    this.alarm = alarm;
    this.publish();
  }

  get currentAlarm(): RecordAlarm {
    return this.alarm;
  }

  publish(): void {
    this.opts.onState(this.state);
  }

  /** Resolves when every segment being closed is complete on disk. */
  async settled(): Promise<void> {
    while (this.closing.size > 0) await Promise.all([...this.closing]);
  }

  private endStretch(): void {
    if (this.encoder) this.closeSegment();
    this.stretchStartMs = undefined;
    this.stretchFrames = 0;
  }

  private openSegment(): boolean {
    const { opts } = this;
    const startMs = this.stretchStartMs! + (this.stretchFrames / opts.rate) * 1000;
    const path = segmentPath(opts.dir, opts.room, startMs);
    const startedAt = isoMicro(startMs);
    const tags = {
      TITLE: `${opts.room} ${startedAt}`,
      DATE: startedAt.slice(0, 10),
      ROOMBOX_BOX: opts.boxId,
      ROOMBOX_INPUT: opts.input,
      ROOMBOX_ROOM: opts.room,
      ROOMBOX_START: startedAt,
      TIME_REFERENCE: String(timeReference(startMs, opts.rate)),
      ROOMBOX_STRETCH_START: isoMicro(this.stretchStartMs!),
      ROOMBOX_STRETCH_OFFSET: String(this.stretchFrames),
    };
    try {
      mkdirSync(dirname(join(opts.dir, path)), { recursive: true });
      const encoder = new FlacFileEncoder(join(opts.dir, path), opts, tags, (message) => this.onEncoderFailed(encoder, message));
      this.encoder = encoder;
    } catch (err) {
      this.onEncoderFailed(undefined, `cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return false;
    }
    syncDirectory(dirname(join(opts.dir, path)));
    this.encoderPath = path;
    this.encoderStart = startedAt;
    this.segmentLeft = this.segmentFrames;
    opts.onOpened(path, startedAt);
    opts.log.info({ input: opts.input, file: path }, 'recording segment opened');
    this.publish();
    return true;
  }

  private closeSegment(): void {
    const encoder = this.encoder!;
    const path = this.encoderPath!;
    const startedAt = this.encoderStart;
    this.encoder = undefined;
    this.encoderPath = undefined;
    const done = encoder
      .close()
      .then((r) => {
        if (r.error) return this.salvage(path, startedAt);
        this.opts.onClosed({ path, input: this.opts.input, startedAt, frames: r.frames, bytes: r.bytes });
        this.opts.log.info({ input: this.opts.input, file: path, frames: r.frames, bytes: r.bytes }, 'recording segment closed');
      })
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
    this.publish();
  }

  /** A segment whose encoder failed: cut after its last whole frame and kept, if it holds any. */
  private salvage(path: string, startedAt: string): void {
    try {
      const r = repairSegment(join(this.opts.dir, path));
      if (r.samples > 0) this.opts.onClosed({ path, input: this.opts.input, startedAt, frames: r.samples, bytes: r.bytes });
    } catch (err) {
      // Not one whole frame in it (the header itself is cut off): nothing worth keeping.
      this.opts.log.warn({ input: this.opts.input, file: path, err: (err as Error).message }, 'failed segment not kept');
      try {
        unlinkSync(join(this.opts.dir, path));
      } catch {
        /* already gone */
      }
    }
  }

  private onEncoderFailed(encoder: FlacFileEncoder | undefined, message: string): void {
    this.opts.log.error({ input: this.opts.input, err: message }, 'recording failed');
    this.opts.onEvent('record_failed', { error: message });
    if (encoder && this.encoder === encoder) {
      const path = this.encoderPath!;
      const startedAt = this.encoderStart;
      this.encoder = undefined;
      this.encoderPath = undefined;
      encoder.abort();
      const done = encoder
        .close()
        .then(() => this.salvage(path, startedAt))
        .finally(() => this.closing.delete(done));
      this.closing.add(done);
    }
    this.stretchStartMs = undefined;
    this.alarm = 'failed';
    // Try again in a while with a new segment, rather than on every buffer.
    this.retryAfter = this.opts.clock.now() + (this.opts.retryMs ?? 5000);
    this.publish();
  }
}

/** The new file's name reaches the disk too (a power cut could otherwise lose the whole file). */
function syncDirectory(dir: string): void {
  open(dir, 'r', (err, fd) => {
    if (err) return;
    fsync(fd, () => close(fd, () => {}));
  });
}
