export interface Sink {
  /** Returns false when the sink's own buffer is full (as a stream's write() does). */
  write(data: string): boolean;
  onDrain(fn: () => void): void;
}

/**
 * Console output that never blocks the box: while the sink (a 9600-baud UART, a terminal nobody
 * reads) is behind, text waits here up to `limit` bytes; beyond that it is dropped and a marker
 * says so once the sink catches up.
 */
export class OutputBuffer {
  private queue: string[] = [];
  private queued = 0;
  private blocked = false;
  dropped = 0;

  constructor(
    private sink: Sink | undefined,
    private readonly limit = 64 * 1024,
  ) {
    sink?.onDrain(() => this.drain());
  }

  attach(sink: Sink | undefined): void {
    this.sink = sink;
    this.blocked = false;
    sink?.onDrain(() => this.drain());
    this.drain();
  }

  write(text: string): void {
    if (!this.sink) return;
    if (!this.blocked && this.queue.length === 0) {
      this.blocked = !this.sink.write(text);
      return;
    }
    if (this.queued + text.length > this.limit) {
      this.dropped += text.length;
      return;
    }
    this.queue.push(text);
    this.queued += text.length;
  }

  private drain(): void {
    this.blocked = false;
    if (!this.sink) return;
    if (this.dropped > 0) {
      this.queue.push(`\r\n[console output dropped: ${this.dropped} bytes]\r\n`);
      this.dropped = 0;
    }
    while (this.queue.length > 0 && !this.blocked) {
      const next = this.queue.shift()!;
      this.queued -= next.length;
      this.blocked = !this.sink.write(next);
    }
  }
}
