import { createRequire } from 'node:module';
import type { InputProfile } from '../board/profile.js';
import { BYTES_PER_SAMPLE } from './meter.js';
import type { CaptureSource, SourceHandlers } from './source.js';

/** The parts of alsa-capture's API that we use (node_modules/alsa-capture/index.d.ts). */
interface AlsaCaptureInstance {
  on(event: string, listener: (value: unknown) => void): unknown;
  close(): void;
}
type AlsaCaptureCtor = new (opts: { device: string; rate: number; channels: number; format: string; periodSize?: number }) => AlsaCaptureInstance;

export const ALSA_CAPTURE_FIX = "install the optional package: run scripts/install-system-deps (libasound2-dev, python3, make, g++), then 'npm install --save-exact alsa-capture@0.3.0'";

let loaded: AlsaCaptureCtor | undefined;

/**
 * At most this much audio is metered from one turn of the event loop; the rest of that turn's
 * delivery is dropped and counted as an overrun. alsa-capture's worker queues every period in an
 * unbounded native queue and hands over all of it at once when the main thread gets to it: if
 * the main thread falls behind the device for good (a weak board, too many inputs), the queue
 * would grow without end. Bounding what one turn meters bounds the work per turn, so the backlog
 * a turn leaves behind stays about one second of audio.
 */
export const MAX_TURN_AUDIO_S = 1;

/** Loads alsa-capture on first use: it is an optional native dependency. */
export function loadAlsaCapture(): AlsaCaptureCtor {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require('alsa-capture') as AlsaCaptureCtor;
  } catch (err) {
    throw new Error(`ALSA capture is unavailable: the package 'alsa-capture' could not be loaded (${(err as Error).message.split('\n')[0]}); ${ALSA_CAPTURE_FIX}`);
  }
  return loaded;
}

/**
 * Capture through alsa-capture. Its worker thread (one libuv pool thread for as long as it is
 * open) reads a period at a time and always hands over the whole buffer, so:
 * - after `shortRead(n)` the next buffer holds only n fresh frames;
 * - after `overrun` or `readError` the next buffer holds nothing fresh and is dropped;
 * - a `readError` repeats in a tight loop when the device is gone, so the first one closes the
 *   stream and reports a failure; the input reopens it when the device is back.
 */
export class AlsaCaptureSource implements CaptureSource {
  readonly kind = 'alsa';
  private capture?: AlsaCaptureInstance;
  private freshFrames?: number;
  private closing?: Promise<void>;
  private done = false;
  /** The worker has ended: calling close() on it again would touch a freed native object. */
  private ended = false;
  private readonly frameBytes: number;
  private readonly closedPromise: Promise<void>;
  private readonly maxTurnFrames: number;
  private turnFrames = 0;
  private turnDropped = false;

  constructor(
    input: InputProfile,
    readonly pcm: string,
    private readonly handlers: SourceHandlers,
    ctor: AlsaCaptureCtor = loadAlsaCapture(),
  ) {
    this.frameBytes = BYTES_PER_SAMPLE[input.format] * input.channels;
    this.maxTurnFrames = input.rate * MAX_TURN_AUDIO_S;
    let resolveClosed!: () => void;
    this.closedPromise = new Promise<void>((r) => (resolveClosed = r));
    const closed = () => {
      this.ended = true;
      resolveClosed();
    };
    try {
      this.capture = new ctor({ device: pcm, rate: input.rate, channels: input.channels, format: input.format, periodSize: Math.max(256, Math.round(input.rate / 50)) });
    } catch (err) {
      this.done = true;
      this.ended = true;
      resolveClosed();
      queueMicrotask(() => handlers.failed(`cannot open ${pcm}: ${(err as Error).message}`));
      this.closing = Promise.resolve();
      return;
    }
    const c = this.capture;
    c.on('audio', (data) => this.onAudio(data as Uint8Array));
    c.on('shortRead', (n) => (this.freshFrames = Number(n)));
    c.on('overrun', () => {
      this.freshFrames = 0;
      handlers.overrun();
    });
    c.on('readError', (message) => {
      this.freshFrames = 0;
      this.fail(`read from ${pcm} failed: ${String(message).trim()}`);
    });
    c.on('error', (err) => {
      // The open failed: the worker has ended and no 'close' follows.
      closed();
      this.fail(`cannot open ${pcm}: ${((err as Error)?.message ?? String(err)).trim()}`);
    });
    c.on('close', () => closed());
  }

  private onAudio(data: Uint8Array): void {
    const fresh = this.freshFrames;
    this.freshFrames = undefined;
    if (this.done || fresh === 0) return;
    const whole = Math.floor(data.byteLength / this.frameBytes);
    const frames = fresh === undefined ? whole : Math.min(fresh, whole);
    // One native delivery runs in one poll phase: setImmediate fires once it is over.
    if (this.turnFrames === 0) setImmediate(() => this.endTurn());
    this.turnFrames += frames;
    if (this.turnFrames > this.maxTurnFrames) {
      this.turnDropped = true;
      return;
    }
    this.handlers.audio(data, frames);
  }

  private endTurn(): void {
    this.turnFrames = 0;
    if (!this.turnDropped) return;
    this.turnDropped = false;
    if (!this.done) this.handlers.overrun();
  }

  private fail(message: string): void {
    if (this.done) return;
    void this.close();
    this.handlers.failed(message);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.done = true;
    if (!this.ended) {
      try {
        this.capture?.close();
      } catch {
        /* already ended */
      }
    }
    // A worker blocked in a read of a vanished device may never come back: do not hang on it.
    this.closing = Promise.race([this.closedPromise, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    return this.closing;
  }
}
