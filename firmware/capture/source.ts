import type { InputProfile } from '../board/profile.js';

/** What a capture source reports to its input. */
export interface SourceHandlers {
  /** Interleaved PCM in the input's format; only the first `frames` frames are fresh. */
  audio(data: Uint8Array, frames: number): void;
  /** Samples were lost (an overrun); the stream goes on. */
  overrun(): void;
  /** The source stopped on its own (open failed, read failed, device gone). */
  failed(message: string): void;
}

/** One open capture stream (the node-serialport "binding" idea: a real ALSA one and a simulated one). */
export interface CaptureSource {
  readonly kind: string;
  /** Stops the stream; resolves when it has released the device. */
  close(): Promise<void>;
}

export type SourceFactory = (input: InputProfile, pcm: string, handlers: SourceHandlers) => CaptureSource;
