import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { open, readFile, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { getStream } from './http-get.js';
import { UpdateError } from './update-error.js';

/**
 * What the partition writer gathers into one write, and the read-back's reads. Per write or read
 * there is a call into the thread pool and a system call; in gunzip's 16 KiB chunks a 400 MiB
 * slot took some 25 000 of each to write and 6 000 to read back, slow on a small ARM board (and
 * under emulation). 1 MiB is also a whole number of any SD card's pages.
 */
const PIECE = 1 << 20;

/** How many bytes a partition holds: a block device's size from sysfs, a plain file's (tests) its length. */
export async function partitionCapacity(path: string): Promise<number> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new UpdateError(`partition ${path} does not exist`);
  if (!s.isBlockDevice()) return s.size;
  const sectors = await readFile(`/sys/class/block/${basename(await realpath(path))}/size`, 'utf8');
  return Number(sectors.trim()) * 512;
}

/** Counts and hashes what passes, and refuses more than `limit` bytes. */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(
    private readonly limit: number,
    private readonly what: string,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return done(new UpdateError(`${this.what} is longer than its manifest says (${this.limit} bytes)`));
    this.hash.update(chunk);
    this.onBytes(chunk.length);
    done(null, chunk);
  }
}

export interface PartToWrite {
  name: string;
  url: string;
  size: number;
  sha256: string;
  device: string;
}

/**
 * Streams one part from the server through gunzip and the hash without writing it anywhere: a
 * tampered or truncated artifact is refused before any partition is touched.
 */
export async function verifyPart(part: PartToWrite, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const res = await getStream(part.url, signal);
  const measure = new Measure(part.size, `part ${part.name}`, onBytes);
  const discard = new Writable({ write: (_chunk, _enc, done) => done() });
  try {
    await pipeline(res, createGunzip(), measure, discard, { signal });
  } catch (err) {
    throw err instanceof UpdateError ? err : new UpdateError(`part ${part.name}: ${(err as Error).message}`);
  }
  checkMeasured(part, measure);
}

function checkMeasured(part: PartToWrite, measure: Measure): void {
  if (measure.bytes !== part.size) throw new UpdateError(`part ${part.name} ended after ${measure.bytes} of ${part.size} bytes`);
  const sha = measure.hash.digest('hex');
  if (sha !== part.sha256) throw new UpdateError(`hash mismatch: part ${part.name} has sha256 ${sha}, the manifest says ${part.sha256}`);
}

/**
 * Streams one part: HTTP → gunzip → hash → the partition, with backpressure all the way, so no
 * more than a few chunks are ever in memory. Then fsync, and the written bytes are read back and
 * hashed again. A mismatch anywhere fails with the part's name.
 */
export async function writePart(part: PartToWrite, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
  const res = await getStream(part.url, signal);
  const measure = new Measure(part.size, `part ${part.name}`, onBytes);
  const fh = await openPartition(part.device);
  try {
    await pipeline(res, createGunzip(), measure, positionalWriter(fh), { signal });
    await fh.sync();
  } catch (err) {
    throw err instanceof UpdateError ? err : new UpdateError(`part ${part.name}: ${(err as Error).message}`);
  } finally {
    await fh.close();
  }
  checkMeasured(part, measure);
  const readBack = await hashOf(part.device, part.size);
  if (readBack !== part.sha256) throw new UpdateError(`read-back mismatch: ${part.device} holds sha256 ${readBack} after writing part ${part.name}`);
}

/**
 * O_WRONLY without O_CREAT or O_TRUNC: a partition is written in place, never created. On a block
 * device O_EXCL too, which the kernel refuses (EBUSY) while it is mounted: the running slot can
 * never be written, whatever the command line said.
 */
async function openPartition(device: string): Promise<FileHandle> {
  const block = (await stat(device)).isBlockDevice();
  try {
    return await open(device, constants.O_WRONLY | (block ? constants.O_EXCL : 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UpdateError(code === 'EBUSY' ? `partition ${device} is in use (mounted): not writing it` : `cannot open partition ${device}: ${(err as Error).message}`);
  }
}

/**
 * Writes chunks in order from offset 0 of an open file or device (which it leaves open, for
 * fsync). While one write is under way the chunks that arrive queue (up to PIECE, then
 * backpressure) and go out together in the next: one system call per piece, not per chunk.
 */
function positionalWriter(fh: FileHandle): Writable {
  let position = 0;
  const put = async (buffers: Buffer[]) => {
    let { bytesWritten } = await fh.writev(buffers, position);
    const total = buffers.reduce((n, b) => n + b.length, 0);
    position += bytesWritten;
    // A short write (rare; a signal): the rest, from where it stopped.
    const rest = bytesWritten < total ? Buffer.concat(buffers).subarray(bytesWritten) : undefined;
    for (let off = 0; rest && off < rest.length; off += bytesWritten) {
      ({ bytesWritten } = await fh.write(rest, off, rest.length - off, position));
      position += bytesWritten;
    }
  };
  return new Writable({
    highWaterMark: PIECE,
    write(chunk: Buffer, _enc, done) {
      put([chunk]).then(() => done(), done);
    },
    writev(chunks, done) {
      put(chunks.map((c) => c.chunk as Buffer)).then(() => done(), done);
    },
  });
}

/** sha256 of the first `size` bytes of a file or device, streamed. */
export async function hashOf(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { start: 0, end: size - 1, highWaterMark: PIECE }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Every part in two passes: downloaded and verified (0-50 %), then written and read back
 * (50-100 %); `onPercent` hears each new whole percent below 100.
 */
export async function verifyAndWriteParts(parts: readonly PartToWrite[], onPercent: (percent: number) => void, signal: AbortSignal, onWritten: (part: PartToWrite) => void): Promise<void> {
  const total = 2 * parts.reduce((n, p) => n + p.size, 0);
  let done = 0;
  let last = -1;
  const progress = (n: number) => {
    done += n;
    const percent = Math.min(99, Math.floor((done * 100) / total));
    if (percent !== last) onPercent((last = percent));
  };
  for (const part of parts) await verifyPart(part, progress, signal);
  for (const part of parts) {
    await writePart(part, progress, signal);
    onWritten(part);
  }
}
