import { backoffDelay } from '../core/backoff.js';
import type { CommandRegistry } from '../core/commands.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Extension } from '../core/extension.js';
import type { Logger } from '../core/logger.js';
import { LineEditor, MAX_LINE } from './line-editor.js';
import { OutputBuffer } from './output-buffer.js';
import { openTransport, type Transport } from './transports.js';

export const PROMPT = 'roombox> ';

/**
 * The field console: a line editor on a serial port or on stdio, every line run through the
 * command registry. Output goes through a bounded buffer so a slow or unread line never stalls
 * the box; a serial adapter that disappears is reopened with backoff.
 */
export class Console implements Extension {
  readonly name = 'console';
  private transport?: Transport;
  private editor?: LineEditor;
  private readonly output = new OutputBuffer(undefined);
  private retry?: TimerHandle;
  private attempt = 0;
  private stopped = false;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: string,
    private readonly baud: number,
    private readonly commands: CommandRegistry,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.target === 'off') return;
    void this.open();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    try {
      const t = await openTransport(this.target, this.baud);
      this.transport = t;
      this.attempt = 0;
      this.editor = new LineEditor(
        {
          echo: (text) => this.output.write(text),
          line: (text) => this.onLine(text),
          notice: (kind) => {
            if (kind === 'too-long') this.output.write(`error: line longer than ${MAX_LINE} bytes refused\r\n`);
            this.output.write(PROMPT);
          },
        },
        t.echo,
      );
      this.output.attach(t.sink);
      t.onData((chunk) => this.editor!.feed(chunk));
      t.onClose(() => {
        this.transport = undefined;
        this.output.attach(undefined);
        if (!this.stopped) {
          this.log.warn({ target: this.target }, 'console closed; reopening');
          this.scheduleReopen();
        }
      });
      this.log.info({ target: this.target, baud: this.baud }, 'console ready');
      this.output.write(`\r\nroombox console (type 'help')\r\n${PROMPT}`);
    } catch (err) {
      if (this.attempt === 0) this.log.warn({ target: this.target, err: (err as Error).message }, 'console cannot open; retrying with backoff');
      this.scheduleReopen();
    }
  }

  private scheduleReopen(): void {
    if (this.stopped || this.retry) return;
    const delay = backoffDelay(this.attempt++, Math.random, 500, 30_000);
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      void this.open();
    }, delay);
  }

  private onLine(text: string): void {
    // One command at a time, in order; typing ahead is kept.
    this.busy = this.busy.then(async () => {
      const result = await this.commands.execute(text, 'console');
      const out = result.output.length ? `${result.output.replace(/\r?\n/g, '\r\n')}\r\n` : '';
      this.output.write(`${out}${PROMPT}`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) this.clock.clear(this.retry);
    await this.transport?.close();
  }
}
