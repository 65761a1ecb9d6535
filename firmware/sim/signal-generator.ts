import type { Clock, TimerHandle } from '../core/clock.js';
import type { CaptureSource, SourceHandlers } from '../capture/source.js';
import { BYTES_PER_SAMPLE, FULL_SCALE, type SampleFormat } from '../capture/meter.js';

/** What the simulated input hears: a sine at a level on every channel, or digital silence. */
export type SimSignal = { kind: 'tone'; dbfs: number; hz: number } | { kind: 'silence' };

/**
 * The signal of one simulated input; `sim tone` / `sim silence` change it while capture runs.
 * `reader` is the capture open on it now: `sim unplug` and `sim readerror` fail it mid-read.
 */
export class SimSignalSetting {
  reader?: { fail(message: string): void };
  constructor(public signal: SimSignal = { kind: 'tone', dbfs: -20, hz: 1000 }) {}
}

export interface GeneratorOptions {
  rate: number;
  channels: number;
  format: SampleFormat;
  /** Length of each chunk; the clock paces the chunks. */
  chunkMs: number;
  clock: Clock;
  setting: SimSignalSetting;
  /** The PCM name, for messages. */
  pcm?: string;
  /** False when the device is not there: the open fails, as ALSA's would. */
  available?: () => boolean;
}

/** How far behind the clock the generator catches up; a longer stall loses its samples (an overrun). */
const CATCH_UP_MS = 2000;

/**
 * A capture source for the sim board: every chunkMs of clock time it writes one chunk of samples
 * into a buffer made once and hands it to the same meter a real capture feeds. Like a sound card
 * it keeps time by the clock, not by its timer: when the timer fires late (a busy machine) it
 * hands over every chunk that is due, so an hour holds an hour of samples; after a stall longer
 * than CATCH_UP_MS that time's samples are lost and reported as an overrun, as ALSA does.
 */
export class SignalGeneratorSource implements CaptureSource {
  readonly kind = 'sim';
  private readonly timer?: TimerHandle;
  private closed = false;
  private readonly frames: number;
  private readonly buffer: Uint8Array;
  private readonly samples: Int16Array | Int32Array;
  private phase = 0;
  /** Clock time the chunks are counted from, and how many have been handed over since. */
  private startedAt = 0;
  private sent = 0;
  /** What the buffer holds now: a steady tone whose chunk is a whole number of periods is not recomputed. */
  private filled?: { kind: string; dbfs?: number; hz?: number; phase: number };

  constructor(
    private readonly opts: GeneratorOptions,
    private readonly handlers: SourceHandlers,
  ) {
    this.frames = Math.round((opts.rate * opts.chunkMs) / 1000);
    const width = BYTES_PER_SAMPLE[opts.format];
    const bytes = new ArrayBuffer(this.frames * opts.channels * width);
    this.buffer = new Uint8Array(bytes);
    this.samples = width === 2 ? new Int16Array(bytes) : new Int32Array(bytes);
    if (opts.available && !opts.available()) {
      this.closed = true;
      queueMicrotask(() => handlers.failed(`cannot open ${opts.pcm ?? 'the sim capture'}: No such device`));
      return;
    }
    this.startedAt = opts.clock.now();
    this.timer = opts.clock.setInterval(() => this.tick(), opts.chunkMs);
    opts.setting.reader = this;
  }

  /** The read fails (the device vanished, or an I/O error): the stream stops, as ALSA's does. */
  fail(message: string): void {
    if (this.closed) return;
    void this.close();
    this.handlers.failed(`read from ${this.opts.pcm ?? 'the sim capture'} failed: ${message}`);
  }

  private tick(): void {
    const { chunkMs, clock } = this.opts;
    const now = clock.now();
    let due = Math.floor((now - this.startedAt) / chunkMs) - this.sent;
    if (due * chunkMs > CATCH_UP_MS || due * chunkMs < -CATCH_UP_MS) {
      // A long stall (or the clock was set): count from now again.
      if (due > 0) this.handlers.overrun();
      this.startedAt = now - (this.sent + 1) * chunkMs;
      due = 1;
    }
    for (; due > 0 && !this.closed; due--) {
      this.sent++;
      this.chunk();
    }
  }

  private chunk(): void {
    const { channels, rate, format } = this.opts;
    const signal = this.opts.setting.signal;
    const s = this.samples;
    const f0 = this.filled;
    const same = f0 !== undefined && f0.kind === signal.kind && (signal.kind === 'silence' || (f0.dbfs === signal.dbfs && f0.hz === signal.hz && f0.phase === this.phase));
    if (same) {
      if (signal.kind === 'tone') this.phase = this.nextPhase(signal.hz);
    } else if (signal.kind === 'silence') {
      s.fill(0);
      this.filled = { kind: 'silence', phase: 0 };
    } else {
      this.filled = { kind: 'tone', dbfs: signal.dbfs, hz: signal.hz, phase: this.phase };
      const fs = FULL_SCALE[format];
      const amplitude = Math.min(fs - 1, fs * 10 ** (signal.dbfs / 20));
      const step = (2 * Math.PI * signal.hz) / rate;
      for (let f = 0, i = 0; f < this.frames; f++) {
        const v = Math.round(amplitude * Math.sin(step * (this.phase + f)));
        for (let c = 0; c < channels; c++) s[i++] = v;
      }
      this.phase = this.nextPhase(signal.hz);
    }
    this.handlers.audio(this.buffer, this.frames);
  }

  /** Keeps the phase small so the sine stays exact over long runs. */
  private nextPhase(hz: number): number {
    const { rate } = this.opts;
    return (this.phase + this.frames) % Math.round(rate / gcd(rate, hz));
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.opts.clock.clear(this.timer);
    if (this.opts.setting.reader === this) this.opts.setting.reader = undefined;
    return Promise.resolve();
  }
}

function gcd(a: number, b: number): number {
  a = Math.round(a);
  b = Math.round(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}
