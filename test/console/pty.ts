import { type ChildProcess } from 'node:child_process';
import { constants, createWriteStream, mkdtempSync, openSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { spawnChild } from '../helpers/children.js';
import { TextWaiter } from '../helpers/text-waiter.js';
import { eventually } from '../helpers/wait.js';

/**
 * A real pseudo-terminal pair from socat: the box opens `a`, the test talks on `b`.
 *
 * `a` keeps a new pty's default line settings (canonical input, XON/XOFF flow control, signal
 * characters, echo), as a UART has at boot, so the box has to put its own port in raw mode; `b`
 * is the test's terminal, raw.
 *
 * The test's end reads on the event loop and writes from the thread pool: a tty write from the
 * event loop's thread blocks it (node makes tty writes blocking), so while 16 KiB of input wait for
 * the box, nobody reads the box's echo; once that fills the pty, socat (one thread, blocking writes)
 * stops relaying in both directions and the test, socat and the box wait on each other forever.
 */
export class PtyPair {
  readonly dir = mkdtempSync(join(tmpdir(), 'roombox-pty-'));
  readonly a = join(this.dir, 'A');
  readonly b = join(this.dir, 'B');
  private proc?: ChildProcess;
  private reader?: ReadStream;
  private writer?: WriteStream;
  private readonly text = new TextWaiter('console');
  private markers = 0;

  /** Everything the test's end received, decoded as UTF-8. */
  get received(): string {
    return this.text.value;
  }

  async start(): Promise<this> {
    const proc = spawnChild('socat', ['-d', '-d', `pty,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    // With -d -d socat says so once both links exist and it relays.
    const log = new TextWaiter('socat');
    proc.stderr!.on('data', (d: Buffer) => log.append(d.toString()));
    proc.once('exit', (code) => log.fail(new Error(`socat exited (${code}): ${log.value}`)));
    await log.wait(/starting data transfer loop/, 5000);
    return this;
  }

  /** The test's end: a reading tty stream, and a second descriptor written from the thread pool. */
  open(): void {
    this.reader = new ReadStream(openSync(this.b, constants.O_RDONLY | constants.O_NOCTTY));
    this.reader.on('data', (d: Buffer) => this.text.append(d.toString('utf8')));
    this.writer = createWriteStream('', { fd: openSync(this.b, constants.O_WRONLY | constants.O_NOCTTY) });
  }

  /** Resolves once the kernel took the bytes written so far (the pty applies back-pressure). */
  drain(): Promise<void> {
    const w = this.writer!;
    return w.writableNeedDrain ? new Promise((r) => w.once('drain', () => r())) : Promise.resolve();
  }

  write(data: string | Buffer): void {
    this.writer!.write(data);
  }

  /** Waits until the received text (since `from`) matches; resolves with that text. */
  expect(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<string> {
    return this.text.wait(pattern, timeoutMs, from);
  }

  /** Sends a line and returns what came back up to the next prompt. */
  async command(line: string, timeoutMs = 15_000): Promise<string> {
    const from = this.received.length;
    this.write(`${line}\r`);
    return this.expect(/roombox> $/, timeoutMs, from);
  }

  /**
   * Resolves once the box has read and answered everything typed so far: a line cancels whatever
   * is half-typed and runs a word no command has; the box reads in order, so its answer comes after
   * every earlier one. Output the box dropped (it never blocks on an unread console) is asked again.
   */
  async sync(timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () => {
        const word = `marker-${++this.markers}`;
        const from = this.received.length;
        this.write(`\x03${word}\r`);
        await this.expect(new RegExp(`error: unknown command '${word}' \\(try 'help'\\)\\r\\nroombox> $`), 5000, from);
      },
      { timeoutMs, what: 'the console answering after everything typed before' },
    );
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
    this.proc?.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
