export const MAX_LINE = 1024;

export interface LineEditorOutput {
  /** Bytes to echo back (only when echo is on). */
  echo(text: string): void;
  /** A complete line. */
  line(text: string): void;
  /** The line was refused (too long) or cancelled (Ctrl-C). */
  notice(kind: 'too-long' | 'cancelled'): void;
}

/**
 * Turns a byte stream from a terminal into lines: CR, LF or CRLF ends a line; backspace and DEL
 * erase; Ctrl-C cancels; other control bytes are ignored; a line over MAX_LINE bytes is refused
 * whole (the rest of it, up to its end, is discarded). Garbage never stops it.
 */
export class LineEditor {
  private buf: number[] = [];
  private overflow = false;
  private lastWasCR = false;

  constructor(
    private readonly out: LineEditorOutput,
    private readonly echo: boolean,
  ) {}

  feed(chunk: Buffer): void {
    for (const byte of chunk) this.byte(byte);
  }

  private byte(b: number): void {
    if (b === 0x0a && this.lastWasCR) {
      this.lastWasCR = false;
      return;
    }
    this.lastWasCR = b === 0x0d;
    if (b === 0x0d || b === 0x0a) return this.endLine();
    if (b === 0x03) {
      this.buf = [];
      this.overflow = false;
      if (this.echo) this.out.echo('^C\r\n');
      return this.out.notice('cancelled');
    }
    if (b === 0x08 || b === 0x7f) {
      if (this.overflow || this.buf.length === 0) return;
      // Erase one UTF-8 character: drop continuation bytes with their lead byte.
      let n = 1;
      while (n < this.buf.length && (this.buf[this.buf.length - n]! & 0xc0) === 0x80) n++;
      this.buf.length -= n;
      if (this.echo) this.out.echo('\b \b');
      return;
    }
    if (b < 0x20) return;
    if (this.overflow) return;
    if (this.buf.length >= MAX_LINE) {
      this.overflow = true;
      return;
    }
    this.buf.push(b);
    if (!this.echo) return;
    if (b < 0x80) this.out.echo(String.fromCharCode(b));
    else this.echoUtf8Tail();
  }

  private echoUtf8Tail(): void {
    // Echo a multi-byte character once its last byte arrived.
    let start = this.buf.length - 1;
    while (start > 0 && (this.buf[start]! & 0xc0) === 0x80) start--;
    const lead = this.buf[start]!;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (this.buf.length - start === need) this.out.echo(Buffer.from(this.buf.slice(start)).toString('utf8'));
  }

  private endLine(): void {
    if (this.echo) this.out.echo('\r\n');
    if (this.overflow) {
      this.overflow = false;
      this.buf = [];
      return this.out.notice('too-long');
    }
    const text = Buffer.from(this.buf).toString('utf8');
    this.buf = [];
    this.out.line(text);
  }
}
