import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WavDecoder, WavError, type WavFormat } from '../../firmware/capture/loudness/wav.js';
import { toneSegments, toWav } from './ebu-signals.js';

/** Decodes a WAV fed in pieces of the given sizes (cycled), collecting every sample. */
function decode(bytes: Buffer, pieces: number[], opts?: { piped?: boolean }): { format: WavFormat; samples: number[]; truncated: boolean } {
  const samples: number[] = [];
  let format: WavFormat | undefined;
  const d = new WavDecoder((s, frames, f) => {
    format = f;
    for (let i = 0; i < frames * f.channels; i++) samples.push(s[i]!);
  }, opts);
  for (let o = 0, k = 0; o < bytes.length; k++) {
    const n = pieces[k % pieces.length]!;
    d.push(bytes.subarray(o, o + n));
    o += n;
  }
  const { truncated } = d.end();
  return { format: format ?? d.format!, samples, truncated };
}

/** Puts a chunk (id, body, pad byte when odd) before the data chunk of a WAV toWav made. */
function withChunkBeforeData(wav: Buffer, id: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  const chunk = Buffer.concat([head, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  const out = Buffer.concat([wav.subarray(0, 36), chunk, wav.subarray(36)]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/** The fmt chunk rewritten as WAVE_FORMAT_EXTENSIBLE with the given sub-format tag. */
function extensible(wav: Buffer, subTag: number): Buffer {
  const fmt = Buffer.alloc(8 + 40);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(40, 4);
  wav.copy(fmt, 8, 20, 36); // tag, channels, rate, byte rate, block align, bits
  fmt.writeUInt16LE(0xfffe, 8);
  fmt.writeUInt16LE(22, 24); // cbSize
  fmt.writeUInt16LE(wav.readUInt16LE(34), 26); // valid bits
  fmt.writeUInt32LE(3, 28); // channel mask: FL FR
  fmt.writeUInt16LE(subTag, 32);
  Buffer.from('000000001000800000aa00389b71', 'hex').copy(fmt, 34);
  const out = Buffer.concat([wav.subarray(0, 12), fmt, wav.subarray(36)]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

describe('WAV decoder', { timeout: 30_000 }, () => {
  const sig = toneSegments([[0.05, -6]], 8000, 440);
  const close = (got: number[], step: number) => {
    assert.equal(got.length, sig.samples.length);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - sig.samples[i]!) <= step, `sample ${i}: ${got[i]} vs ${sig.samples[i]}`);
  };

  it('reads 16- and 24-bit PCM and 32-bit float, in pieces of any size, with chunks before the data', () => {
    for (const [enc, step] of [['s16', 1 / 32768], ['s24', 1 / 8388608], ['f32', 1e-7]] as const) {
      const wav = withChunkBeforeData(toWav(sig, enc), 'LIST', Buffer.from('INFOxyz')); // odd length: padded
      for (const pieces of [[1], [3, 7, 1000], [wav.length]]) {
        const r = decode(wav, pieces);
        assert.deepEqual(r.format, { rate: 8000, channels: 2, bits: enc === 's16' ? 16 : enc === 's24' ? 24 : 32, encoding: enc === 'f32' ? 'float' : 'int' });
        close(r.samples, step);
        assert.equal(r.truncated, false);
      }
    }
  });

  it('reads WAVE_FORMAT_EXTENSIBLE (what flac writes for 24-bit)', () => {
    close(decode(extensible(toWav(sig, 's24'), 1), [4096]).samples, 1 / 8388608);
    close(decode(extensible(toWav(sig, 'f32'), 3), [4096]).samples, 1e-7);
  });

  it('a data size of 0 from a decoder pipe means "until the end"; in a file it means no samples', () => {
    const wav = toWav(sig, 's16');
    wav.writeUInt32LE(0, 40);
    close(decode(wav, [512], { piped: true }).samples, 1 / 32768);
    assert.equal(decode(wav, [512]).samples.length, 0);
  });

  it('refuses what it cannot read with a WavError that says why', () => {
    const wav = toWav(sig, 's16');
    const bad = (bytes: Buffer, message: RegExp) => assert.throws(() => decode(bytes, [bytes.length]), (e: unknown) => e instanceof WavError && message.test(e.message));
    bad(Buffer.from('RIFX\0\0\0\0WAVE'), /RIFX files are not supported/);
    bad(Buffer.concat([Buffer.from('RIFF\0\0\0\0AVI '), wav.subarray(12)]), /not a WAV file/);
    const alaw = Buffer.from(wav);
    alaw.writeUInt16LE(6, 20);
    bad(alaw, /unsupported WAV encoding \(format tag 0x0006\)/);
    const twelveBit = Buffer.from(wav);
    twelveBit.writeUInt16LE(12, 34);
    bad(twelveBit, /unsupported WAV sample size: 12-bit integer/);
    const noChannels = Buffer.from(wav);
    noChannels.writeUInt16LE(0, 22);
    bad(noChannels, /declares no channels/);
    bad(wav.subarray(0, 20), /header is incomplete/);
  });
});
