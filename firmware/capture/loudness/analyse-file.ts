import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { LoudnessMeter } from './loudness-meter.js';
import { WavDecoder, WavError } from './wav.js';

/** What `roombox loudness` reports for one file (numbers unrounded; -Infinity for "nothing"). */
export interface FileLoudness {
  file: string;
  rate: number;
  channels: number;
  seconds: number;
  integratedLufs: number;
  loudnessRangeLu: number;
  truePeakDbtp: number;
  maxMomentaryLufs: number;
  maxShortTermLufs: number;
  samplePeakDbfs: number;
  /** The WAV data chunk promised more than the file holds (a recording cut short); what is there was measured. */
  truncated: boolean;
}

/** A file that cannot be measured; the message says why, for the user. */
export class AudioFileError extends Error {}

const READ_BLOCK = 1 << 20;

/**
 * Measures a WAV or FLAC file (told apart by their first bytes, not the name) with the same
 * LoudnessMeter the live inputs use. FLAC is decoded by Debian's `flac` into a WAV stream on its
 * standard output; both are read as a stream, so a file of hours needs no more memory than a
 * second of it.
 */
export async function analyseFile(file: string): Promise<FileLoudness> {
  const magic = await readMagic(file);
  if (magic === 'fLaC') return measureStream(file, decodeFlac(file));
  if (magic === 'RIFF' || magic === 'RF64' || magic === 'RIFX') return measureStream(file, { stream: createReadStream(file, { highWaterMark: READ_BLOCK }), done: Promise.resolve(), piped: false });
  throw new AudioFileError(magic.length < 4 ? 'empty or too short to be audio' : 'neither a WAV nor a FLAC file');
}

async function readMagic(file: string): Promise<string> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AudioFileError(e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'permission denied' : e.message);
  }
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return b.toString('latin1', 0, bytesRead);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new AudioFileError(e.code === 'EISDIR' ? 'is a directory' : e.message);
  } finally {
    await fh.close();
  }
}

interface Source {
  stream: Readable;
  /** Settles when the producer is finished: rejects when it failed (the decoder's exit status). */
  done: Promise<void>;
  /** A decoder's output, whose WAV header may not know the data size. */
  piped: boolean;
}

function decodeFlac(file: string): Source {
  const child = spawn('flac', ['--decode', '--stdout', '--silent', '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new AudioFileError((err as NodeJS.ErrnoException).code === 'ENOENT' ? "cannot decode FLAC: the 'flac' program is not installed (Debian package flac)" : `cannot run flac: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new AudioFileError(`FLAC decoding failed: ${flacReason(stderr) ?? `flac exited with ${code ?? signal}`}`));
    });
  });
  return { stream: child.stdout, done, piped: true };
}

/** The line of flac's complaint that says what is wrong, without its own file name prefix. */
function flacReason(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const line = lines.find((l) => /error|ERROR|not a|FLAC__/.test(l)) ?? lines[0];
  return line?.replace(/^.*?:\s*(?=ERROR|error)/, '');
}

async function measureStream(file: string, source: Source): Promise<FileLoudness> {
  let meter: LoudnessMeter | undefined;
  const wav = new WavDecoder(
    (samples, frames, f) => {
      meter ??= new LoudnessMeter({ rate: f.rate, channels: f.channels });
      meter.push(samples, frames);
    },
    { piped: source.piped },
  );
  const failed = source.done.then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    for await (const chunk of source.stream) wav.push(chunk as Buffer);
  } catch (err) {
    source.stream.destroy();
    if (err instanceof WavError) throw new AudioFileError(err.message);
    // The producer ends once its output is closed; its own error says more than the broken pipe.
    const producerError = await failed;
    if (producerError) throw producerError;
    throw new AudioFileError((err as Error).message);
  }
  const producerError = await failed;
  if (producerError) throw producerError;
  let truncated: boolean;
  try {
    truncated = wav.end().truncated;
  } catch (err) {
    throw new AudioFileError((err as Error).message);
  }
  const f = wav.format!;
  const m = meter ?? new LoudnessMeter({ rate: f.rate, channels: f.channels });
  return {
    file,
    rate: f.rate,
    channels: f.channels,
    seconds: wav.frames / f.rate,
    integratedLufs: m.integratedLufs,
    loudnessRangeLu: m.loudnessRangeLu,
    truePeakDbtp: m.truePeakDbtp,
    maxMomentaryLufs: m.maxMomentaryLufs,
    maxShortTermLufs: m.maxShortTermLufs,
    samplePeakDbfs: m.samplePeakDbfs,
    truncated,
  };
}
