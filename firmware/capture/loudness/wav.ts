/** The stream format a WAV header declares. */
export interface WavFormat {
  rate: number;
  channels: number;
  /** Bits per sample as stored (8, 16, 24, 32 or 64). */
  bits: number;
  encoding: 'int' | 'float';
}

export class WavError extends Error {}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes of the RIFF header plus the largest header we accept before the data chunk. */
const MAX_HEADER_BYTES = 1 << 20;
/** A data size a streaming writer (flac -c, arecord to a pipe) puts there when it cannot know it. */
const UNKNOWN_SIZE = 0xffffffff;

/**
 * A WAV decoder fed the file in pieces of any size (a file read in blocks, or a decoder's
 * standard output): header first, then the data chunk as interleaved float samples (full scale
 * 1.0) in a buffer it keeps between calls. Reads integer PCM of 8 to 32 bits and IEEE float of
 * 32 and 64 bits, plain or WAVE_FORMAT_EXTENSIBLE; anything else is a WavError.
 */
export class WavDecoder {
  format?: WavFormat;
  /** Frames decoded so far. */
  frames = 0;
  private head: Buffer = Buffer.alloc(0);
  private dataLeft = 0;
  private inData = false;
  private leftover: Buffer = Buffer.alloc(0);
  private out = new Float32Array(0);

  /** `piped`: the WAV comes from a decoder's standard output, where a data size of 0 means "unknown, until the end". */
  constructor(
    private readonly onSamples: (samples: Float32Array, frames: number, format: WavFormat) => void,
    private readonly opts: { piped?: boolean } = {},
  ) {}

  push(chunk: Buffer): void {
    if (!this.inData) {
      this.head = this.head.length ? Buffer.concat([this.head, chunk]) : chunk;
      const start = this.parseHeader();
      if (start < 0) {
        if (this.head.length > MAX_HEADER_BYTES) throw new WavError('no data chunk in the first megabyte: not a WAV file this reader understands');
        return;
      }
      chunk = this.head.subarray(start);
      this.head = Buffer.alloc(0);
      this.inData = true;
    }
    if (this.dataLeft !== Infinity) {
      if (this.dataLeft <= 0) return;
      if (chunk.length > this.dataLeft) chunk = chunk.subarray(0, this.dataLeft);
      this.dataLeft -= chunk.length;
    }
    this.decode(chunk);
  }

  /** The end of the input: throws when the header never completed; says whether data was cut short. */
  end(): { truncated: boolean } {
    if (!this.inData) {
      if (this.head.length < 12 || this.head.toString('latin1', 0, 4) !== 'RIFF') throw new WavError('not a WAV file (no RIFF/WAVE header)');
      throw new WavError(this.format ? 'the WAV file has no data chunk' : 'the WAV header is incomplete (no fmt chunk)');
    }
    return { truncated: this.dataLeft !== Infinity && this.dataLeft > 0 };
  }

  /** Parses RIFF, fmt and the chunks before data; returns the data's offset in head, or -1 for "need more". */
  private parseHeader(): number {
    const h = this.head;
    if (h.length < 12) return -1;
    const riff = h.toString('latin1', 0, 4);
    if (riff === 'RF64' || riff === 'RIFX') throw new WavError(`${riff} files are not supported (plain little-endian RIFF WAV only)`);
    if (riff !== 'RIFF' || h.toString('latin1', 8, 12) !== 'WAVE') throw new WavError('not a WAV file (no RIFF/WAVE header)');
    let pos = 12;
    while (pos + 8 <= h.length) {
      const id = h.toString('latin1', pos, pos + 4);
      const size = h.readUInt32LE(pos + 4);
      if (id === 'data') {
        if (!this.format) throw new WavError('the WAV data chunk comes before its fmt chunk');
        this.dataLeft = size === UNKNOWN_SIZE || (size === 0 && this.opts.piped) ? Infinity : size;
        return pos + 8;
      }
      const next = pos + 8 + size + (size & 1);
      if (next > h.length) return -1;
      if (id === 'fmt ') this.format = parseFmt(h.subarray(pos + 8, pos + 8 + size));
      pos = next;
    }
    return -1;
  }

  private decode(chunk: Buffer): void {
    const f = this.format!;
    const bytes = f.bits / 8;
    const frameBytes = bytes * f.channels;
    let buf = chunk;
    if (this.leftover.length) {
      buf = Buffer.concat([this.leftover, chunk]);
      this.leftover = Buffer.alloc(0);
    }
    const frames = Math.floor(buf.length / frameBytes);
    const used = frames * frameBytes;
    if (used < buf.length) this.leftover = Buffer.from(buf.subarray(used));
    if (frames === 0) return;
    const count = frames * f.channels;
    if (this.out.length < count) this.out = new Float32Array(count);
    decodeSamples(buf, count, f, this.out);
    this.frames += frames;
    this.onSamples(this.out, frames, f);
  }
}

function parseFmt(fmt: Buffer): WavFormat {
  if (fmt.length < 16) throw new WavError('the WAV fmt chunk is too short');
  let tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const rate = fmt.readUInt32LE(4);
  const bits = fmt.readUInt16LE(14);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (fmt.length < 40) throw new WavError('the WAV fmt chunk is too short for WAVE_FORMAT_EXTENSIBLE');
    tag = fmt.readUInt16LE(24); // the first two bytes of the sub-format GUID are the format tag
  }
  if (channels < 1) throw new WavError('the WAV file declares no channels');
  if (rate < 8000 || rate > 768000) throw new WavError(`unsupported WAV sample rate ${rate} Hz (8000-768000)`);
  if (tag === WAVE_FORMAT_PCM) {
    if (![8, 16, 24, 32].includes(bits)) throw new WavError(`unsupported WAV sample size: ${bits}-bit integer (8, 16, 24 or 32)`);
    return { rate, channels, bits, encoding: 'int' };
  }
  if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits !== 32 && bits !== 64) throw new WavError(`unsupported WAV sample size: ${bits}-bit float (32 or 64)`);
    return { rate, channels, bits, encoding: 'float' };
  }
  throw new WavError(`unsupported WAV encoding (format tag 0x${tag.toString(16).padStart(4, '0')}): only integer PCM and IEEE float`);
}

function decodeSamples(b: Buffer, count: number, f: WavFormat, out: Float32Array): void {
  if (f.encoding === 'float') {
    if (f.bits === 32) for (let i = 0; i < count; i++) out[i] = b.readFloatLE(4 * i);
    else for (let i = 0; i < count; i++) out[i] = b.readDoubleLE(8 * i);
    return;
  }
  switch (f.bits) {
    case 8:
      for (let i = 0; i < count; i++) out[i] = (b[i]! - 128) / 128;
      break;
    case 16:
      if (b.byteOffset % 2 === 0) {
        const v = new Int16Array(b.buffer, b.byteOffset, count); // little-endian hosts only, as Node's targets
        for (let i = 0; i < count; i++) out[i] = v[i]! / 32768;
      } else for (let i = 0, j = 0; i < count; i++, j += 2) out[i] = ((b[j]! | (b[j + 1]! << 8)) << 16 >> 16) / 32768;
      break;
    case 24:
      for (let i = 0, j = 0; i < count; i++, j += 3) out[i] = ((b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16)) << 8 >> 8) / 8388608;
      break;
    default:
      for (let i = 0, j = 0; i < count; i++, j += 4) out[i] = (b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16) | (b[j + 3]! << 24)) / 2147483648;
  }
}
