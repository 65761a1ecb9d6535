import { spawn, type ChildProcess } from 'node:child_process';
import { constants, existsSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream, WriteStream } from 'node:tty';

/** A real pseudo-terminal pair from socat: the box opens `a`, the test talks on `b`. */
export class PtyPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-pty-'));
  readonly a = join(this.dir, 'A');
  readonly b = join(this.dir, 'B');
  private proc?: ChildProcess;
  private reader?: ReadStream;
  private writer?: WriteStream;
  received = '';

  async start(): Promise<this> {
    this.proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: 'ignore' });
    const end = Date.now() + 5000;
    while (!(existsSync(this.a) && existsSync(this.b))) {
      if (Date.now() > end) throw new Error('socat made no pty pair');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this;
  }

  /** The test's end: tty streams on an O_RDWR|O_NOCTTY descriptor. */
  open(): void {
    const fd = openSync(this.b, constants.O_RDWR | constants.O_NOCTTY);
    this.reader = new ReadStream(fd);
    this.writer = new WriteStream(fd);
    this.reader.on('data', (d: Buffer) => (this.received += d.toString('utf8')));
  }

  /** Resolves once the kernel took the bytes (the pty's buffer applies back-pressure). */
  drain(): Promise<void> {
    const w = this.writer!;
    return w.writableNeedDrain ? new Promise((r) => w.once('drain', () => r())) : Promise.resolve();
  }

  write(data: string | Buffer): void {
    this.writer!.write(data);
  }

  /** Waits until the received text (since `from`) matches. */
  async expect(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<string> {
    const end = Date.now() + timeoutMs;
    while (!pattern.test(this.received.slice(from))) {
      if (Date.now() > end) throw new Error(`console did not show ${pattern}; got: ${JSON.stringify(this.received.slice(from).slice(-800))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.received.slice(from);
  }

  /** Sends a line and returns what came back up to the next prompt. */
  async command(line: string, timeoutMs = 15_000): Promise<string> {
    const from = this.received.length;
    this.write(`${line}\r`);
    const text = await this.expect(/roombox> $/, timeoutMs, from);
    return text;
  }

  pause(): void {
    this.reader?.pause();
  }

  resume(): void {
    this.reader?.resume();
  }

  stop(): void {
    this.reader?.destroy();
    this.writer?.destroy();
    this.proc?.kill();
  }
}
