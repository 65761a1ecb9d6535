import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * The parts of the FLAC format (xiph.org FLAC format specification, RFC 9639) that the recorder
 * needs without decoding audio: the STREAMINFO fields it fills in when a segment closes, and a
 * frame walk that finds where the last complete frame of a cut-off file ends.
 */

const CRC8 = new Uint8Array(256);
const CRC16 = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c8 = i;
  let c16 = i << 8;
  for (let b = 0; b < 8; b++) {
    c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
    c16 = c16 & 0x8000 ? ((c16 << 1) ^ 0x8005) & 0xffff : (c16 << 1) & 0xffff;
  }
  CRC8[i] = c8;
  CRC16[i] = c16;
}

export function crc8(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = CRC8[crc ^ bytes[i]!]!;
  return crc;
}

function crc16Step(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ CRC16[(crc >> 8) ^ byte]!;
}

export interface FrameHeader {
  /** Bytes of the header, CRC-8 included. */
  length: number;
  blockSize: number;
  /** Frame number (fixed block size) or first sample number (variable). */
  number: number;
}

/** Parses a frame header at `at`, or undefined when none is there (sync, reserved bits, CRC-8). */
export function parseFrameHeader(b: Uint8Array, at: number): FrameHeader | undefined {
  if (at + 6 > b.length || b[at] !== 0xff || (b[at + 1]! & 0xfe) !== 0xf8) return undefined;
  const variable = (b[at + 1]! & 1) === 1;
  const bsCode = b[at + 2]! >> 4;
  const srCode = b[at + 2]! & 0x0f;
  const chan = b[at + 3]! >> 4;
  const ssCode = (b[at + 3]! >> 1) & 0x07;
  if (bsCode === 0 || srCode === 15 || chan > 10 || ssCode === 3 || (b[at + 3]! & 1) !== 0) return undefined;
  let p = at + 4;
  // The frame or sample number, UTF-8 style coded.
  const first = b[p++]!;
  let extra = 0;
  let number: number;
  if (first < 0x80) number = first;
  else if ((first & 0xe0) === 0xc0) [number, extra] = [first & 0x1f, 1];
  else if ((first & 0xf0) === 0xe0) [number, extra] = [first & 0x0f, 2];
  else if ((first & 0xf8) === 0xf0) [number, extra] = [first & 0x07, 3];
  else if ((first & 0xfc) === 0xf8) [number, extra] = [first & 0x03, 4];
  else if ((first & 0xfe) === 0xfc) [number, extra] = [first & 0x01, 5];
  else if (first === 0xfe && variable) [number, extra] = [0, 6];
  else return undefined;
  for (let i = 0; i < extra; i++) {
    const c = b[p++];
    if (c === undefined || (c & 0xc0) !== 0x80) return undefined;
    number = number * 64 + (c & 0x3f);
  }
  let blockSize: number;
  if (bsCode === 1) blockSize = 192;
  else if (bsCode <= 5) blockSize = 576 << (bsCode - 2);
  else if (bsCode === 6) blockSize = b[p++]! + 1;
  else if (bsCode === 7) {
    blockSize = ((b[p]! << 8) | b[p + 1]!) + 1;
    p += 2;
  } else blockSize = 256 << (bsCode - 8);
  if (srCode === 12) p += 1;
  else if (srCode === 13 || srCode === 14) p += 2;
  if (p >= b.length || crc8(b, at, p) !== b[p]) return undefined;
  return { length: p + 1 - at, blockSize, number };
}

export interface FlacLayout {
  /** Offset of the STREAMINFO block's data (34 bytes). */
  streamInfoAt: number;
  /** Offset of the first audio frame. */
  audioAt: number;
}

/** Finds STREAMINFO and the end of the metadata blocks. */
export function readLayout(b: Uint8Array): FlacLayout {
  if (b.length < 42 || b[0] !== 0x66 || b[1] !== 0x4c || b[2] !== 0x61 || b[3] !== 0x43) throw new Error('not a FLAC file (no fLaC marker)');
  if ((b[4]! & 0x7f) !== 0) throw new Error('not a FLAC file (STREAMINFO is not the first block)');
  let p = 4;
  for (;;) {
    if (p + 4 > b.length) throw new Error('metadata blocks are cut off');
    const last = (b[p]! & 0x80) !== 0;
    const len = (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
    p += 4 + len;
    if (last) break;
  }
  if (p > b.length) throw new Error('metadata blocks are cut off');
  return { streamInfoAt: 8, audioAt: p };
}

export interface FrameWalk {
  /** Where the last complete frame ends (the file is decodable up to here). */
  end: number;
  frames: number;
  samples: number;
}

/**
 * Walks the frames from `audioAt`: a frame is complete when its CRC-16 matches, which is checked
 * where the next frame's header (valid CRC-8, the next frame number) begins or at the end of
 * the data. The walk stops at the first frame that is not complete.
 */
export function walkFrames(b: Uint8Array, audioAt: number): FrameWalk {
  let start = audioAt;
  let frames = 0;
  let samples = 0;
  let header = parseFrameHeader(b, start);
  while (header) {
    // crc holds the CRC-16 of b[start .. q-2) as q advances, so that the two bytes before a
    // candidate next header can be compared with it.
    let crc = 0;
    for (let i = start; i < start + header.length; i++) crc = crc16Step(crc, b[i]!);
    let next: FrameHeader | undefined;
    let q = start + header.length + 2;
    for (; q + 1 < b.length; q++) {
      if (b[q] === 0xff && (b[q + 1]! & 0xfe) === 0xf8 && ((b[q - 2]! << 8) | b[q - 1]!) === crc) {
        const h = parseFrameHeader(b, q);
        if (h && (h.number === header.number + 1 || h.number === header.number + header.blockSize)) {
          next = h;
          break;
        }
      }
      crc = crc16Step(crc, b[q - 2]!);
    }
    if (next) {
      frames++;
      samples += header.blockSize;
      start = q;
      header = next;
      continue;
    }
    // The last frame runs to the end of the data: complete if its footer matches.
    if (b.length - start >= header.length + 2) {
      let c = 0;
      for (let i = start; i < b.length - 2; i++) c = crc16Step(c, b[i]!);
      if (((b[b.length - 2]! << 8) | b[b.length - 1]!) === c) {
        frames++;
        samples += header.blockSize;
        start = b.length;
      }
    }
    break;
  }
  return { end: start, frames, samples };
}

/** Writes total samples (and the MD5 when known, else zeros = unknown) into STREAMINFO. */
export function patchStreamInfo(fd: number, totalSamples: number, md5?: Uint8Array): void {
  const head = Buffer.alloc(34);
  readSync(fd, head, 0, 34, 8);
  head[13] = (head[13]! & 0xf0) | (Math.floor(totalSamples / 2 ** 32) & 0x0f);
  head.writeUInt32BE(totalSamples % 2 ** 32, 14);
  if (md5) head.set(md5, 18);
  else head.fill(0, 18, 34);
  writeSync(fd, head, 0, 34, 8);
}

/** Reads STREAMINFO's total samples. */
export function readTotalSamples(b: Uint8Array): number {
  return (b[21]! & 0x0f) * 2 ** 32 + ((b[22]! << 24) >>> 0) + (b[23]! << 16) + (b[24]! << 8) + b[25]!;
}

export interface RepairResult {
  samples: number;
  bytes: number;
  /** Bytes cut off the end (a frame the crash interrupted). */
  cut: number;
}

/**
 * Makes a segment that was being written when the box died decodable: cuts the file after its
 * last complete frame and writes the sample count into STREAMINFO. A file that was closed
 * properly comes out unchanged (its total and MD5 are kept).
 */
export function repairSegment(path: string): RepairResult {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const b = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, b, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    const layout = readLayout(b);
    const walk = walkFrames(b, layout.audioAt);
    const complete = walk.end === size && readTotalSamples(b) === walk.samples;
    if (!complete) {
      ftruncateSync(fd, walk.end);
      patchStreamInfo(fd, walk.samples);
      fsyncSync(fd);
    }
    return { samples: walk.samples, bytes: walk.end, cut: size - walk.end };
  } finally {
    closeSync(fd);
  }
}
