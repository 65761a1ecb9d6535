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
 * erase one character; Ctrl-C cancels; other control bytes are ignored; a line over MAX_LINE bytes
 * is refused whole (the rest of it, up to its end, is discarded). Garbage never stops it.
 *
 * The line holds only what the terminal was shown: a UTF-8 character is echoed once its last
 * byte arrives, and bytes that do not form one (a stray continuation, an overlong or cut-short
 * sequence) are dropped like control bytes, so one erase always takes back exactly one echoed
 * character, bytes and screen alike.
 */
export class LineEditor {
  private chars: string[] = [];
  private bytes = 0;
  /** The bytes of a character still arriving, and how many it needs. */
  private pending: number[] = [];
  private need = 0;
  private overflow = false;
  private lastWasCR = false;
  private readonly strict = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly out: LineEditorOutput,
    private readonly echo: boolean,
  ) {}

  feed(chunk: Buffer): void {
    for (const byte of chunk) this.byte(byte);
  }

  private byte(b: number): void {
    if (this.pending.length > 0 && (b & 0xc0) === 0x80) return this.continuation(b);
    // Anything but a continuation byte ends a character that was still arriving: it was cut short.
    this.pending = [];
    if (b === 0x0a && this.lastWasCR) {
      this.lastWasCR = false;
      return;
    }
    this.lastWasCR = b === 0x0d;
    if (b === 0x0d || b === 0x0a) return this.endLine();
    if (b === 0x03) {
      this.clear();
      if (this.echo) this.out.echo('^C\r\n');
      return this.out.notice('cancelled');
    }
    if (b === 0x08 || b === 0x7f) return this.erase();
    if (b < 0x20) return;
    if (b < 0x80) return this.add(String.fromCharCode(b), 1);
    const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (need === 0) return; // a stray continuation byte or a byte no UTF-8 character starts with
    this.pending = [b];
    this.need = need;
  }

  private continuation(b: number): void {
    this.pending.push(b);
    if (this.pending.length < this.need) return;
    const bytes = Uint8Array.from(this.pending);
    this.pending = [];
    let char: string;
    try {
      char = this.strict.decode(bytes); // refuses overlong forms, surrogates and code points past U+10FFFF
    } catch {
      return;
    }
    this.add(char, bytes.length);
  }

  private add(char: string, size: number): void {
    if (this.overflow) return;
    if (this.bytes + size > MAX_LINE) {
      this.overflow = true;
      return;
    }
    this.chars.push(char);
    this.bytes += size;
    if (this.echo) this.out.echo(char);
  }

  private erase(): void {
    if (this.overflow) return;
    const char = this.chars.pop();
    if (char === undefined) return;
    this.bytes -= Buffer.byteLength(char);
    if (this.echo) this.out.echo('\b \b');
  }

  private clear(): void {
    this.chars = [];
    this.bytes = 0;
    this.overflow = false;
  }

  private endLine(): void {
    if (this.echo) this.out.echo('\r\n');
    const overflow = this.overflow;
    const text = this.chars.join('');
    this.clear();
    if (overflow) return this.out.notice('too-long');
    this.out.line(text);
  }
}
